"""Untrusted text never runs: model output (markdown and code blocks), errors, Hub file names.

Each payload would set ``window.__xss`` (or open a dialog) if it ever executed.
"""

from __future__ import annotations

from typing import Any

import pytest
from xss_payloads import CHART_DANGER_JS, CODE, DANGER_JS, PAYLOADS, PROSE

from hfollama_widgets.ollama import Client

from ._harness import NotebookSession

LLAMA = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"

CLOBBER = 'Hello <a id="hfwClobbered" name="hfwClobbered">clobber</a> there'


@pytest.fixture()
def ollama_url(fake_ollama: Any) -> str:
    fake_ollama.pull_speed = 10**12
    Client(fake_ollama.url).pull(LLAMA)
    return str(fake_ollama.url)


def assert_nothing_ran(nb: NotebookSession, output: int) -> None:
    nb.page.wait_for_timeout(500)  # give onerror/onload handlers a chance to fire
    assert nb.page.evaluate("typeof window.__xss") == "undefined"
    assert nb.page.evaluate("typeof window.hfwClobbered") == "undefined"
    assert nb.dialogs == []
    found = nb.output(output).get_by_test_id("chat").evaluate(DANGER_JS)
    assert found == [], found


def test_chat_output_cannot_run_code(notebook: Any, ollama_url: str) -> None:
    nb: NotebookSession = notebook(
        [
            "from hfollama_widgets.ollama import Client\n"
            "from hfollama_widgets.widgets import ChatWidget\n"
            f"chat = ChatWidget(Client({ollama_url!r}), {LLAMA!r})",
            "chat",
        ]
    )
    output = nb.output(1)
    output.get_by_test_id("chat").wait_for()
    for i, text in enumerate([PROSE, CODE, CLOBBER]):
        nb.eval(f"chat.send({'echo: ' + text!r}); chat.wait(30) and None")
        done = output.locator('[data-role="assistant"][data-state="done"]')
        done.nth(i).wait_for()
        assert_nothing_ran(nb, 1)
    # the payloads are still there, as harmless text: in the code block verbatim
    code = output.locator(".hfw-chat-code pre code").first.inner_text()
    for payload in PAYLOADS:
        assert payload in code
    # the user's own messages (the payloads) show as plain text
    assert (
        "<script>window.__xss=1</script>" in output.locator('[data-role="user"]').first.inner_text()
    )
    # links left in the output are safe and open in a new tab
    for link in output.get_by_test_id("content").locator("a").all():
        href = link.get_attribute("href")
        assert href is None or href.startswith(("http:", "https:", "mailto:", "#"))
        assert link.get_attribute("rel") == "noopener noreferrer"
    # clicking every link and summary still runs nothing
    for link in output.get_by_test_id("content").locator("a:not([href])").all():
        link.click()
    assert_nothing_ran(nb, 1)
    nb.screenshot("chat-xss", output)
    nb.assert_no_errors()


def test_streaming_and_error_text_cannot_run_code(
    notebook: Any, fake_ollama: Any, ollama_url: str
) -> None:
    fake_ollama.token_rate = 200
    fake_ollama.faults.error_line(
        after_lines=30, message=PAYLOADS[0] + PAYLOADS[1], path="/api/chat"
    )
    nb: NotebookSession = notebook(
        [
            "from hfollama_widgets.ollama import Client\n"
            "from hfollama_widgets.widgets import ChatWidget\n"
            f"chat = ChatWidget(Client({ollama_url!r}), {LLAMA!r}, system={PAYLOADS[1]!r})",
            "chat",
        ]
    )
    nb.eval(f"chat.send({'echo: ' + PROSE!r}); chat.wait(30) and None")
    nb.output(1).locator('[data-testid="message"][data-state="error"]').wait_for()
    box = nb.output(1).get_by_test_id("error-message")
    assert "<script>window.__xss=1</script>" in box.inner_text()  # shown as text
    assert_nothing_ran(nb, 1)
    nb.assert_no_errors()


def test_gguf_browser_hub_names_cannot_run_code(
    notebook: Any, fake_hub: Any, fake_ollama: Any
) -> None:
    """File names, folder names, tags and README of example-org/XSS-Test-GGUF carry payloads."""
    repo = "example-org/XSS-Test-GGUF"
    nb: NotebookSession = notebook(
        [
            "import hfollama_widgets as hfw\n"
            f"hub = hfw.Hub(endpoint={fake_hub.url!r})\n"
            f"client = hfw.Client({fake_ollama.url!r})",
            f"b = hfw.GGUFBrowser({repo!r}, hub=hub, client=client)\nb",
        ]
    )
    root = nb.output(1).get_by_test_id("gguf-browser")
    root.wait_for()
    nb.eval("b.wait() and None")
    rows = root.get_by_test_id("row")
    rows.first.wait_for()
    shown = " ".join(root.locator(".hfw-file").all_inner_texts())
    assert "<img src=x onerror=window.__xss=1>" in shown  # the name, as text
    for i in range(rows.count()):
        rows.nth(i).hover()
        rows.nth(i).click()
    # search results list the repo (and its tags) too
    nb.eval("b.search('XSS') and None")
    root.get_by_test_id("search-result").first.wait_for()
    nb.page.wait_for_timeout(500)
    assert nb.page.evaluate("typeof window.__xss") == "undefined"
    assert nb.dialogs == []
    found = root.evaluate(CHART_DANGER_JS)
    assert found == [], found
    nb.screenshot("gguf-browser-xss", root)
    nb.assert_no_errors()
