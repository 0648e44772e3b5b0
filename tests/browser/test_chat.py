"""ChatWidget in a real JupyterLab / Notebook 7: streaming, Stop, markdown + copy, thinking, errors.

The test process runs FakeHub/FakeOllama (``fake_ollama`` fixture); the notebook connects to them.

Timing: the machine may be busy, so a test that must catch a reply mid-stream gets a long one
(:data:`LONG_REPLY`, minutes at the rates used), slows it to a crawl once it has seen what it
waits for, and speeds it up (``token_rate``) only to finish. FakeOllama reads ``token_rate`` and
``reply`` for every token / request.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from hfollama_widgets.ollama import Client

from ._harness import NotebookSession

LLAMA = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"
QWEN = "hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M"

MARKDOWN_REPLY = """\
## Steps

1. Install **Ollama**.
2. Pull a model, see [the docs](https://ollama.com/library).

```python
import hfollama_widgets as hfw
print(hfw.model_ref("bartowski/Llama-3.2-1B-Instruct-GGUF", "Q4_K_M"))
```

Inline `code` too.
"""

#: ~1500 tokens: 50 s at 30 tokens/s, so a reply is still streaming when a test looks at it.
LONG_REPLY = "\n\n".join(
    f"Paragraph {i}: " + "the quick brown fox jumps over the lazy dog. " * 4 for i in range(40)
)
CRAWL = 1  # tokens/s: a stream slowed to this is still running whatever the test's pace
FINISH = 5000  # tokens/s: the rest of LONG_REPLY in well under a second


def long_replies(fake_ollama: Any) -> None:
    """Make every reply :data:`LONG_REPLY`."""
    fake_ollama.reply = lambda model, messages: LONG_REPLY


@pytest.fixture()
def ollama_url(fake_ollama: Any) -> str:
    fake_ollama.pull_speed = 10**12
    client = Client(fake_ollama.url)
    client.pull(LLAMA)
    client.pull(QWEN)
    return str(fake_ollama.url)


def chat_cells(url: str, model: str = LLAMA, **kwargs: Any) -> list[str]:
    extra = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    return [
        "from hfollama_widgets.ollama import Client\n"
        "from hfollama_widgets.widgets import ChatWidget\n"
        f"chat = ChatWidget(Client({url!r}), {model!r}{extra})",
        "chat",
    ]


def wait_state(nb: NotebookSession, state: str, output: int = 1, timeout: float = 30_000) -> Any:
    selector = f'[data-testid="message"][data-role="assistant"][data-state="{state}"]'
    locator = nb.output(output).locator(selector).last
    locator.wait_for(timeout=timeout)
    return locator


def type_and_send(nb: NotebookSession, text: str, output: int = 1) -> None:
    box = nb.output(output).get_by_test_id("input")
    box.fill(text)
    box.press("Enter")


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_reply_streams_progressively(
    notebook: Any, fake_ollama: Any, ollama_url: str, ui: str
) -> None:
    long_replies(fake_ollama)
    fake_ollama.token_rate = 30
    nb: NotebookSession = notebook(chat_cells(ollama_url), ui=ui)
    nb.output(1).get_by_test_id("chat").wait_for()
    type_and_send(nb, "Tell me about quantization")
    # the user's message comes back through the synced history
    nb.output(1).locator('[data-role="user"]').filter(
        has_text="Tell me about quantization"
    ).wait_for()
    live = wait_state(nb, "streaming")
    content = live.get_by_test_id("content")
    lengths: list[int] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(set(lengths)) < 4:
        lengths.append(len(content.inner_text()))
        time.sleep(0.15)
    fake_ollama.token_rate = CRAWL  # still streaming while the buttons are checked
    # grows while streaming (markdown may hide a "**" now and then, so not strictly monotonic)
    assert len(set(lengths)) >= 4 and lengths[-1] > lengths[0], lengths
    assert nb.output(1).get_by_test_id("stop").is_visible()
    assert not nb.output(1).get_by_test_id("send").is_visible()
    nb.screenshot(f"chat-streaming-{ui}", nb.output(1))

    fake_ollama.token_rate = FINISH
    done = wait_state(nb, "done")
    tokens = nb.eval("chat.history[-1]['tokens']").strip()
    assert f"{tokens} tokens" in done.get_by_test_id("stats").inner_text()
    assert "tok/s" in done.get_by_test_id("stats").inner_text()
    assert nb.eval("len(chat.history)").strip() == "2"
    assert nb.output(1).get_by_test_id("send").is_visible()
    nb.assert_no_errors()


def test_stop_keeps_partial(notebook: Any, fake_ollama: Any, ollama_url: str) -> None:
    long_replies(fake_ollama)
    fake_ollama.token_rate = 15
    nb: NotebookSession = notebook(chat_cells(ollama_url))
    type_and_send(nb, "Write a very long story")
    live = wait_state(nb, "streaming")
    nb.page.wait_for_function(
        "el => el.innerText.length > 10",
        arg=live.get_by_test_id("content").element_handle(),
        timeout=60_000,
    )
    fake_ollama.token_rate = CRAWL  # the Stop lands mid-reply, however slow the page
    nb.output(1).get_by_test_id("stop").click()
    stopped = wait_state(nb, "stopped", timeout=30_000)
    assert stopped.get_by_test_id("stopped").inner_text() == "Stopped"
    assert stopped.get_by_test_id("content").inner_text().strip()
    assert nb.eval("chat.history[-1]['stopped']").strip() == "True"
    partial = nb.eval("len(chat.history[-1]['content']) > 0").strip()
    assert partial == "True"
    nb.screenshot("chat-stopped", nb.output(1))
    nb.assert_no_errors()


def test_markdown_code_block_and_copy(notebook: Any, ollama_url: str) -> None:
    nb: NotebookSession = notebook(chat_cells(ollama_url))
    nb.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    nb.eval(f"chat.send({'echo: ' + MARKDOWN_REPLY!r}); chat.wait(30) and None")
    done = wait_state(nb, "done")
    content = done.get_by_test_id("content")
    assert content.locator("h2").inner_text() == "Steps"
    assert content.locator("ol > li").count() == 2
    assert content.locator("strong").inner_text() == "Ollama"
    link = content.locator("a")
    assert link.get_attribute("href") == "https://ollama.com/library"
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"
    code = content.locator(".hfw-chat-code pre code")
    assert "print(hfw.model_ref(" in code.inner_text()
    copy = content.get_by_test_id("copy-code")
    assert copy.count() == 1
    copy.click()
    done.get_by_test_id("copy-code").filter(has_text="Copied").wait_for(timeout=5000)
    clipboard = nb.page.evaluate("navigator.clipboard.readText()")
    assert clipboard.strip() == code.inner_text().strip()
    nb.screenshot("chat-code-block", nb.output(1))
    nb.assert_no_errors()


def test_thinking_is_collapsed_and_apart(notebook: Any, ollama_url: str) -> None:
    nb: NotebookSession = notebook(chat_cells(ollama_url, QWEN))
    type_and_send(nb, "Why is the sky blue?")
    done = wait_state(nb, "done")
    details = done.get_by_test_id("thinking")
    details.wait_for()
    assert details.get_attribute("open") is None  # collapsed
    assert not done.get_by_test_id("thinking-text").is_visible()
    thinking = nb.eval("chat.history[-1]['thinking']")
    assert thinking.strip("'\" \n")
    nb.screenshot("chat-thinking-collapsed", nb.output(1))
    details.locator("summary").click()
    assert done.get_by_test_id("thinking-text").is_visible()
    shown = done.get_by_test_id("thinking-text").inner_text()
    assert shown.strip() and shown.strip() not in done.get_by_test_id("content").inner_text()
    assert nb.eval("chat.history[-1]['thinking'] == " + repr(shown)).strip() == "True"
    nb.screenshot("chat-thinking-open", nb.output(1))
    nb.assert_no_errors()


def test_error_mid_reply_then_retry(notebook: Any, fake_ollama: Any, ollama_url: str) -> None:
    nb: NotebookSession = notebook(chat_cells(ollama_url))
    fake_ollama.faults.error_line(after_lines=4, message="model runner crashed", path="/api/chat")
    type_and_send(nb, "Hello there")
    failed = wait_state(nb, "error")
    badge = failed.get_by_test_id("message-error")
    assert badge.inner_text() == "Failed"
    assert "model runner crashed" in (badge.get_attribute("title") or "")
    assert failed.get_by_test_id("content").inner_text().strip()  # partial answer kept
    box = nb.output(1).get_by_test_id("error")
    assert "model runner crashed" in box.get_by_test_id("error-message").inner_text()
    assert box.get_by_test_id("error-fix").inner_text().strip()
    nb.screenshot("chat-error", nb.output(1))

    box.get_by_test_id("retry").click()
    done = wait_state(nb, "done")
    assert done.get_by_test_id("stats").inner_text()
    nb.output(1).get_by_test_id("error").wait_for(state="detached")
    assert nb.output(1).locator('[data-role="user"]').count() == 1
    assert nb.eval("[m['role'] for m in chat.history]").strip() == "['user', 'assistant']"
    nb.assert_no_errors()


def test_view_rendered_mid_reply_catches_up(
    notebook: Any, fake_ollama: Any, ollama_url: str
) -> None:
    long_replies(fake_ollama)
    fake_ollama.token_rate = 25
    cells = [
        *chat_cells(ollama_url),
        "import time\nchat.send('Explain GGUF in detail')\ntime.sleep(1.5)\nchat",
    ]
    nb: NotebookSession = notebook(cells)
    fake_ollama.token_rate = CRAWL  # mid-reply until the second view has shown it
    second = nb.output(2).get_by_test_id("chat")
    second.wait_for()
    wait_state(nb, "streaming", output=2)  # the second view really joined mid-reply
    fake_ollama.token_rate = FINISH
    first_done = wait_state(nb, "done", output=1)
    second_done = wait_state(nb, "done", output=2)
    expected = first_done.get_by_test_id("content").inner_text()
    assert expected and second_done.get_by_test_id("content").inner_text() == expected
    nb.assert_no_errors()
