"""ChatWidget in real JupyterLab: a late view asks once; tool calls show collapsed, as text.

What the kernel sends is counted on the widget's comm ``send`` (the transport) inside the
notebook's kernel, as ``bench/stream_messages.py`` does.
"""

from __future__ import annotations

import json
from typing import Any

from ._harness import NotebookSession
from .test_chat import CRAWL, FINISH, chat_cells, long_replies, ollama_url, wait_state
from .test_xss import PAYLOADS, assert_nothing_ran

__all__ = ["ollama_url"]  # the fixture, shared with test_chat

#: Wraps the widget's comm send in the kernel: the views each sync answer went to.
COUNT_SYNC_ANSWERS = """
sync_answers = []
_send = chat.comm.send
def _counting_send(data=None, metadata=None, buffers=None):
    content = (data or {}).get("content")
    if isinstance(content, dict) and content.get("view"):
        sync_answers.append(content["view"])
    _send(data=data, metadata=metadata, buffers=buffers)
chat.comm.send = _counting_send
"""


def test_view_opened_mid_reply_asks_once(notebook: Any, fake_ollama: Any, ollama_url: str) -> None:
    long_replies(fake_ollama)
    fake_ollama.token_rate = 25
    cells = chat_cells(ollama_url)
    cells[0] += "\n" + COUNT_SYNC_ANSWERS
    cells.append("import time\nchat.send('Explain GGUF in detail')\ntime.sleep(1.5)\nchat")
    nb: NotebookSession = notebook(cells)
    fake_ollama.token_rate = CRAWL  # mid-reply until the second view has shown it
    wait_state(nb, "streaming", output=2)
    wait_state(nb, "streaming", output=1)
    fake_ollama.token_rate = FINISH
    first = wait_state(nb, "done", output=1).get_by_test_id("content").inner_text()
    second = wait_state(nb, "done", output=2).get_by_test_id("content").inner_text()
    assert first and second == first
    # one sync per view, each answered once: the deltas continued the second view's copy
    answers = json.loads(nb.eval("import json; print(json.dumps(sync_answers))"))
    assert len(answers) == 2 and len(set(answers)) == 2, answers
    for output in (1, 2):
        assert nb.output(output).get_by_test_id("chat").get_attribute("data-syncs") == "1"
    # a third turn: both views append it, nobody asks again
    nb.eval("chat.send('echo: short'); chat.wait(30) and None")
    for output in (1, 2):
        nb.output(output).locator('[data-role="assistant"][data-state="done"]').nth(1).wait_for()
        assert nb.output(output).get_by_test_id("chat").get_attribute("data-syncs") == "1"
    assert nb.eval("print(len(sync_answers))").strip() == "2"
    nb.assert_no_errors()


def test_tool_calls_show_collapsed_as_text(notebook: Any, ollama_url: str) -> None:
    name = PAYLOADS[0]  # untrusted, like all model output
    arguments = {"city": PAYLOADS[1], "days": 3}
    messages = [
        {"role": "user", "content": "Weather in Tokyo?"},
        {
            "role": "assistant",
            "content": "Let me check.",
            # Ollama's shape: api/types.go ToolCall (id, function.index/name/arguments)
            "tool_calls": [
                {"id": "call_1", "function": {"index": 0, "name": name, "arguments": arguments}}
            ],
        },
    ]
    nb: NotebookSession = notebook(chat_cells(ollama_url, messages=messages))
    done = wait_state(nb, "done")
    details = done.get_by_test_id("tool-calls")
    details.wait_for()
    assert details.get_attribute("open") is None  # collapsed
    assert not done.get_by_test_id("tool-name").is_visible()
    assert details.locator("summary").inner_text() == "1 tool call"
    details.locator("summary").click()
    assert done.get_by_test_id("tool-name").inner_text() == name
    assert json.loads(done.get_by_test_id("tool-args").inner_text()) == arguments
    assert_nothing_ran(nb, 1)
    tool_calls = nb.eval("import json; print(json.dumps(chat.messages[-1]['tool_calls']))")
    assert json.loads(tool_calls) == messages[1]["tool_calls"]
    nb.screenshot("chat-tool-calls", nb.output(1))
    nb.assert_no_errors()


#: Records, in the page, each length the live reply's text takes (a MutationObserver).
LIVE_LENGTHS = """
(root) => {
  window.__hfwLengths = [];
  new MutationObserver(() => {
    const live = root.querySelector(
      '[data-testid="message"][data-state="streaming"] [data-testid="content"]');
    if (!live) return;
    const n = live.textContent.length, seen = window.__hfwLengths;
    if (!seen.length || seen[seen.length - 1] !== n) seen.push(n);
  }).observe(root, { subtree: true, childList: true, characterData: true });
}
"""

#: Counts, in the kernel, the answer-text deltas (bare strings) the widget sends.
COUNT_TEXT_DELTAS = """
text_deltas = []
_send = chat.comm.send
def _counting_send(data=None, metadata=None, buffers=None):
    if isinstance((data or {}).get("content"), str):
        text_deltas.append(len(data["content"]))
    _send(data=data, metadata=metadata, buffers=buffers)
chat.comm.send = _counting_send
"""


def test_slow_steps_are_revealed_smoothly(notebook: Any, fake_ollama: Any, ollama_url: str) -> None:
    # a slow model: its text goes out only every flush_max_wait (0.8 s), in ~60-character steps;
    # the page shows each step over about the time it took, not all at once
    long_replies(fake_ollama)
    fake_ollama.token_rate = 15
    cells = chat_cells(ollama_url, flush_bytes=10**6, flush_max_wait=0.8)
    cells[0] += "\n" + COUNT_TEXT_DELTAS
    nb: NotebookSession = notebook(cells)
    nb.page.evaluate(LIVE_LENGTHS, nb.output(1).get_by_test_id("chat").element_handle())
    nb.eval("chat.send('Tell me a long story') or None")
    wait_state(nb, "streaming")
    nb.eval_until("print(len(text_deltas) >= 6)", "True", timeout=60)
    fake_ollama.token_rate = FINISH
    done = wait_state(nb, "done", timeout=60_000).get_by_test_id("content").inner_text()
    steps = json.loads(nb.eval("import json; print(json.dumps(text_deltas))"))
    lengths = nb.page.evaluate("window.__hfwLengths")
    # the page showed many more lengths than it got steps (each ~0.7 s step over ~40 frames)
    assert len(lengths) >= 3 * len(steps) - 6, (len(lengths), steps)
    full = nb.eval("print(chat.history[-1]['content'])")
    assert done.split() == full.split()  # all of it in the end (markdown: paragraphs)
    nb.assert_no_errors()


def test_message_typed_before_the_sync_answer_is_sent(
    notebook: Any, fake_ollama: Any, ollama_url: str
) -> None:
    # the kernel is busy when the view renders, so the view's sync waits; a message typed and
    # sent meanwhile must go out (the kernel answers the sync first, then takes the turn)
    fake_ollama.token_rate = 2000
    cells = chat_cells(ollama_url)
    cells[1] = "import time\ndisplay(chat)\ntime.sleep(8)"
    nb: NotebookSession = notebook(cells, run=False)
    nb.page.evaluate(
        """(path) => { const app = window.jupyterapp;
             app.shell.activateById(window.__hfw.panel(path).id);
             app.commands.execute('notebook:run-all-cells'); }""",
        nb.path,
    )
    chat = nb.output(1).get_by_test_id("chat")
    chat.wait_for(timeout=60_000)
    assert chat.get_attribute("data-state") == "loading"  # its sync is not answered yet
    box = nb.output(1).get_by_test_id("input")
    box.fill("Sent while the kernel was busy")
    box.press("Enter")
    assert box.input_value() == ""  # taken, not dropped
    nb.output(1).locator('[data-role="user"]').filter(
        has_text="Sent while the kernel was busy"
    ).wait_for(timeout=60_000)
    wait_state(nb, "done", timeout=60_000)
    nb.wait_for_kernel_idle()
    assert nb.eval("print([m['role'] for m in chat.history])").strip() == "['user', 'assistant']"
    assert chat.get_attribute("data-syncs") == "1"
    nb.assert_no_errors()
