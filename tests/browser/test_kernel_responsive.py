"""While a pull and a chat reply stream, the kernel keeps running the user's cells.

Both widgets work in background threads: the cell that starts them returns at once, and new
code runs in the same kernel while the page still receives progress and tokens.
"""

from __future__ import annotations

from typing import Any

from ._harness import NotebookSession

MODEL = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"


def test_kernel_runs_cells_while_pull_and_chat_stream(notebook: Any, fake_ollama: Any) -> None:
    import hfollama_widgets as hfw

    hfw.Client(fake_ollama.url).pull(MODEL)  # the chat model is local; a second tag is pulled
    fake_ollama.pull_speed = 10e6  # ~130 s for the Q8_0 pull: it cannot finish during the test
    fake_ollama.token_rate = 20.0
    fake_ollama.reply = lambda model, messages: "GGUF stores tensors. " * 800  # minutes of tokens
    nb: NotebookSession = notebook(
        [
            "import hfollama_widgets as hfw\n"
            f"client = hfw.Client({fake_ollama.url!r})\n"
            "pull = hfw.PullProgress(client, "
            "'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q8_0', start=False)\n"
            f"chat = hfw.ChatWidget(client, {MODEL!r})",
            "pull",
            "chat",
        ]
    )
    # Start both from a cell: it returns at once, the work goes on in the background.
    assert nb.eval("pull.start(); chat.send('Tell me about GGUF'); print('started')") == "started\n"
    pull_root = nb.output(1).get_by_test_id("pull-progress")
    pull_root.wait_for()
    nb.page.wait_for_function(
        "el => el.dataset.state === 'running'", arg=pull_root.element_handle(), timeout=20_000
    )
    # The kernel answers new code while both streams are still going.
    for _ in range(3):
        seen = nb.eval("print(pull.state, chat.is_streaming, sum(range(10)))").strip()
        assert seen == "running True 45", seen
    # ... and the page keeps receiving: progress grows and reply text grows.
    first = float(nb.eval("print(pull.progress['completed'])"))
    nb.eval_until(f"print(pull.progress['completed'] > {first!r})", "True", timeout=30)
    reply = nb.output(2)
    nb.page.wait_for_function(
        "el => el.textContent.includes('stores tensors')",
        arg=reply.element_handle(),
        timeout=30_000,
    )
    nb.eval("pull.cancel(); chat.stop()")
    nb.eval_until("print(pull.state, chat.is_streaming)", "cancelled False", timeout=30)
    nb.screenshot("kernel-responsive", nb.page.locator(".jp-Notebook"))
    nb.assert_no_errors()
