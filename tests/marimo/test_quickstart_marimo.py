"""notebooks/quickstart_marimo.py under ``marimo run``, in headless Chromium.

One marimo server per module (see conftest.py); each test opens its own page, so its own
marimo session runs the app from the top. The FakeOllama lives in this process, so the tests
slow a reply down (``token_rate``) or choose its text (``reply``).

Until the GGUFBrowser's own Pull / Chat is opened, the app's page holds exactly one
PullProgress and one ChatWidget (the cells of steps 5 and 6); the browser's own panel is looked
for inside the browser's view (``data-testid="gguf-browser"``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from xss_payloads import CHART_DANGER_JS, CODE, PROSE

pytestmark = pytest.mark.browser

LLAMA = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"
XSS_REPO = "example-org/XSS-Test-GGUF"
CRAWL = 1  # tokens/s: a stream slowed to this is still running whatever the test's pace
FINISH = 5000  # tokens/s: the rest of the reply in well under a second
LONG_REPLY = "\n\n".join(
    f"Paragraph {i}: " + "the quick brown fox jumps over the lazy dog. " * 4 for i in range(40)
)


@pytest.fixture()
def ollama(stand_ins: tuple[Any, Any]) -> Iterator[Any]:
    """The module's FakeOllama, its knobs reset after each test."""
    fake = stand_ins[1]
    saved = (fake.reply, fake.token_rate, fake.pull_speed)
    try:
        yield fake
    finally:
        fake.reply, fake.token_rate, fake.pull_speed = saved


# -- helpers -------------------------------------------------------------------------------


def embedded_child(app: Any, kind: str, quant: str) -> Any:
    """The view the GGUFBrowser draws for its own Pull / Chat, inside the browser's view (its
    ``browser-panel``, next to the table in the same widget element)."""
    ref = f"{LLAMA.rsplit(':', 1)[0]}:{quant}"
    return app.page.locator(
        f'[data-testid="browser-panel"] [data-testid="browser-child"]'
        f'[data-kind="{kind}"][data-ref="{ref}"]'
    )


def gguf_browser(app: Any) -> Any:
    root = app.page.get_by_test_id("gguf-browser")
    root.wait_for(timeout=60_000)
    return root


def browser_rows(app: Any) -> Any:
    rows = gguf_browser(app).get_by_test_id("row")
    rows.first.wait_for(timeout=60_000)
    return rows


def row_of(app: Any, quant: str) -> Any:
    return browser_rows(app).filter(has_text=f"-{quant}.gguf").first


def wait_for_state(app: Any, root: Any, state: str, timeout: float = 60_000) -> None:
    app.page.wait_for_function(
        "([el, state]) => el.dataset.state === state",
        arg=[root.element_handle(), state],
        timeout=timeout,
    )


def the_one(app: Any, testid: str) -> Any:
    """The page's only widget root with this data-testid in a cell of its own (the views the
    GGUFBrowser draws inside its own panel are left out)."""
    locator = app.page.locator(f'[data-testid="{testid}"]:not([data-testid="browser-panel"] *)')
    locator.first.wait_for(timeout=60_000)
    assert locator.count() == 1, f"{locator.count()} [data-testid={testid}] in the page"
    return locator


def assistant(chat: Any, state: str, timeout: float = 30_000) -> Any:
    selector = f'[data-testid="message"][data-role="assistant"][data-state="{state}"]'
    message = chat.locator(selector).last
    message.wait_for(timeout=timeout)
    return message


def send(chat: Any, text: str) -> None:
    box = chat.get_by_test_id("input")
    box.fill(text)
    box.press("Enter")


def stream_then_stop(app: Any, ollama: Any, chat: Any, name: str) -> None:
    """Send, see the reply grow in the page, Stop it mid-reply: the partial answer stays."""
    ollama.reply = lambda model, messages: LONG_REPLY
    ollama.token_rate = 20
    send(chat, "Tell me about quantization")
    chat.locator('[data-role="user"]').filter(has_text="Tell me about quantization").wait_for()
    live = assistant(chat, "streaming")
    content = live.get_by_test_id("content")
    lengths: list[int] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(set(lengths)) < 4:
        lengths.append(len(content.inner_text()))
        time.sleep(0.15)
    ollama.token_rate = CRAWL  # the Stop lands mid-reply, however slow the page
    assert len(set(lengths)) >= 4 and lengths[-1] > lengths[0], lengths
    assert chat.get_by_test_id("stop").is_visible()
    app.screenshot(f"{name}-streaming", chat)
    chat.get_by_test_id("stop").click()
    stopped = assistant(chat, "stopped")
    assert stopped.get_by_test_id("stopped").inner_text() == "Stopped"
    partial = stopped.get_by_test_id("content").inner_text().strip()
    assert partial and len(partial) < len(LONG_REPLY)
    assert chat.get_by_test_id("send").is_visible()
    app.screenshot(f"{name}-stopped", chat)


def assert_nothing_ran(app: Any, *roots: Any) -> None:
    app.page.wait_for_timeout(500)  # give onerror/onload handlers a chance to fire
    assert app.page.evaluate("typeof window.__xss") == "undefined"
    assert app.dialogs == []
    for root in roots:
        found = root.evaluate(CHART_DANGER_JS)  # the chart's own svg allowed
        assert found == [], found


# -- the app's cells -----------------------------------------------------------------------


def test_gguf_browser_table_renders(app_page: Any) -> None:
    rows = browser_rows(app_page)
    assert rows.count() >= 10
    root = gguf_browser(app_page)
    assert root.get_by_test_id("repo-title").inner_text() == "bartowski/Llama-3.2-1B-Instruct-GGUF"
    assert row_of(app_page, "Q4_K_M").get_by_test_id("badge-recommended").is_visible()
    # the DataFrame cells above it ran too (no marimo error output in the page)
    app_page.page.get_by_text("Selected in the browser: nothing yet").wait_for()
    assert app_page.page.locator(".marimo-error").count() == 0
    app_page.screenshot("browser", root)
    app_page.screenshot("page", full_page=True)
    app_page.assert_no_errors()


def test_row_click_updates_the_dependent_cell(app_page: Any) -> None:
    row = row_of(app_page, "IQ3_M")
    row.click()
    selected = app_page.page.get_by_text("Selected in the browser: hf.co/")
    selected.wait_for(timeout=30_000)
    assert selected.inner_text().strip().endswith("bartowski/Llama-3.2-1B-Instruct-GGUF:IQ3_M")
    # a second click on another row: the cell runs again
    row_of(app_page, "Q5_K_M").click()
    again = app_page.page.get_by_text("Selected in the browser: hf.co/").filter(has_text=":Q5_K_M")
    again.wait_for(timeout=30_000)
    again.scroll_into_view_if_needed()
    app_page.screenshot("selection")  # marimo scrolls inside its own container
    app_page.assert_no_errors()


def test_pull_progress_runs_to_success(app_page: Any) -> None:
    root = the_one(app_page, "pull-progress")
    assert root.get_by_test_id("model").inner_text() == LLAMA
    wait_for_state(app_page, root, "success")
    assert root.get_by_test_id("state").inner_text().lower() == "done"
    assert root.get_by_test_id("final").inner_text().startswith("Pulled (")
    assert not root.get_by_test_id("cancel").is_visible()
    app_page.screenshot("pull-progress", root)
    app_page.assert_no_errors()


def test_chat_reply_streams_and_stop_works(app_page: Any, ollama: Any) -> None:
    wait_for_state(app_page, the_one(app_page, "pull-progress"), "success")
    chat = the_one(app_page, "chat")
    assert chat.get_by_test_id("chat-model").inner_text().strip() == LLAMA
    stream_then_stop(app_page, ollama, chat, "chat")
    app_page.assert_no_errors()


def test_unknown_repo_shows_the_error(app_page: Any) -> None:
    root = gguf_browser(app_page)
    browser_rows(app_page)
    root.get_by_test_id("repo-input").fill("nobody/does-not-exist-GGUF")
    root.get_by_test_id("load-button").click()
    error = root.get_by_test_id("error")
    error.wait_for(timeout=30_000)
    message = error.get_by_test_id("error-message").inner_text()
    assert "nobody/does-not-exist-GGUF" in message, message
    assert error.get_by_test_id("error-fix").inner_text().strip()
    assert root.get_by_test_id("row").count() == 0
    app_page.screenshot("browser-error", root)
    app_page.assert_no_errors()


def test_hub_names_cannot_run_code(app_page: Any) -> None:
    """File names, tags and README of example-org/XSS-Test-GGUF carry payloads."""
    root = gguf_browser(app_page)
    browser_rows(app_page)
    root.get_by_test_id("repo-input").fill(XSS_REPO)
    root.get_by_test_id("load-button").click()
    root.get_by_test_id("repo-title").filter(has_text=XSS_REPO).wait_for(timeout=30_000)
    rows = browser_rows(app_page)
    shown = " ".join(root.locator(".hfw-file").all_inner_texts())
    assert "<img src=x onerror=window.__xss=1>" in shown  # the name, as text
    for i in range(rows.count()):
        rows.nth(i).hover()
        rows.nth(i).click()
    # the dependent cell shows the selected (hostile) ref as plain text
    app_page.page.get_by_text(f"Selected in the browser: hf.co/{XSS_REPO}").wait_for()
    root.get_by_test_id("repo-input").fill("XSS")
    root.get_by_test_id("search-button").click()
    root.get_by_test_id("search-result").first.wait_for(timeout=30_000)
    # (marimo's own page has <script> and <svg> icons, so only the widget's DOM is searched;
    # window.__xss and the dialogs cover the rest of the page, the selection cell included)
    assert_nothing_ran(app_page, root)
    app_page.screenshot("browser-xss", root)
    app_page.assert_no_errors()


def test_model_output_cannot_run_code(app_page: Any, ollama: Any) -> None:
    wait_for_state(app_page, the_one(app_page, "pull-progress"), "success")
    chat = the_one(app_page, "chat")
    ollama.token_rate = FINISH
    done = chat.locator('[data-testid="message"][data-role="assistant"][data-state="done"]')
    for n, text in enumerate((PROSE, CODE), start=1):
        ollama.reply = lambda model, messages, text=text: text
        send(chat, "show me")
        app_page.page.wait_for_function(
            "([el, n]) => el.querySelectorAll("
            '\'[data-testid="message"][data-role="assistant"][data-state="done"]\''
            ").length >= n",
            arg=[chat.element_handle(), n],
            timeout=30_000,
        )
    assert "window.__xss" in done.first.inner_text()  # shown, as text
    assert_nothing_ran(app_page, chat)
    app_page.screenshot("chat-xss", chat)
    app_page.assert_no_errors()


# -- the GGUFBrowser's own Pull and Chat (rendered inside the browser's view) ---------------


def test_browser_own_pull_button_to_success(app_page: Any) -> None:
    root = gguf_browser(app_page)
    row = row_of(app_page, "IQ3_M")
    row.get_by_test_id("pull-button").click()
    progress = embedded_child(app_page, "pull", "IQ3_M").get_by_test_id("pull-progress")
    progress.wait_for(timeout=30_000)
    assert progress.get_by_test_id("model").inner_text().endswith(":IQ3_M")
    wait_for_state(app_page, progress, "success")
    assert progress.get_by_test_id("final").inner_text().startswith("Pulled (")
    # the table marks the row as local and offers Chat instead of Pull
    row.get_by_test_id("chat-button").wait_for(timeout=30_000)
    app_page.screenshot("browser-own-pull", root)
    app_page.assert_no_errors()


def test_browser_own_chat_button_streams_and_stops(app_page: Any, ollama: Any) -> None:
    root = gguf_browser(app_page)
    # Q4_K_M is pulled by the app's own PullProgress cell
    wait_for_state(app_page, the_one(app_page, "pull-progress"), "success")
    row = row_of(app_page, "Q4_K_M")
    if row.get_by_test_id("pull-button").count():  # not yet marked local: pull it from here
        row.get_by_test_id("pull-button").click()
    row.get_by_test_id("chat-button").wait_for(timeout=30_000)
    row.get_by_test_id("chat-button").click()
    chat = embedded_child(app_page, "chat", "Q4_K_M").get_by_test_id("chat")
    chat.wait_for(timeout=30_000)
    assert chat.get_by_test_id("chat-model").inner_text().strip() == LLAMA
    stream_then_stop(app_page, ollama, chat, "browser-own-chat")
    app_page.screenshot("browser-own-chat", root)
    app_page.assert_no_errors()
