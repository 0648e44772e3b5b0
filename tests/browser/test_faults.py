"""Stalled services in a real JupyterLab page (issue 9): the widgets wait visibly, then fail
visibly and stay usable.

A ``FaultyServer("silent")`` accepts the request and never answers (a stuck proxy, a Hub that
hangs); FakeOllama with a slow ``reply`` stands for a model that takes long to load.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from faulty_servers import FaultyServer

from hfollama_widgets.ollama import Client

from ._harness import NotebookSession

LLAMA_REPO = "bartowski/Llama-3.2-1B-Instruct-GGUF"
LLAMA = f"hf.co/{LLAMA_REPO}:Q4_K_M"


@pytest.fixture()
def silent() -> Iterator[FaultyServer]:
    with FaultyServer("silent") as server:
        yield server


def _send(nb: NotebookSession, text: str) -> None:
    box = nb.output(1).get_by_test_id("input")
    box.fill(text)
    box.press("Enter")


def test_stalled_hub_ends_the_browser_in_its_error_state(
    notebook: Any, fake_ollama: Any, silent: FaultyServer
) -> None:
    nb: NotebookSession = notebook(
        [
            "import hfollama_widgets as hfw\n"
            f"hub = hfw.Hub({silent.url!r}, timeout=2)\n"
            f"client = hfw.Client({fake_ollama.url!r})",
            f"b = hfw.GGUFBrowser({LLAMA_REPO!r}, hub=hub, client=client)\nb",
        ]
    )
    root = nb.output(1).get_by_test_id("gguf-browser")
    root.wait_for(state="visible")
    start = time.monotonic()
    error = root.get_by_test_id("error")
    error.wait_for(state="visible", timeout=60_000)
    assert time.monotonic() - start < 60
    message = error.get_by_test_id("error-message").inner_text()
    assert silent.url.split("//")[1] in message or "Hub" in message, message
    assert error.get_by_test_id("error-fix").inner_text().strip()
    assert len(silent.requests) >= 1  # it did ask the stalled "Hub"
    nb.screenshot("browser-stalled-hub", nb.output(1))
    nb.assert_no_errors()


def test_stalled_ollama_shows_the_error_and_keeps_the_message(
    notebook: Any, silent: FaultyServer
) -> None:
    nb: NotebookSession = notebook(
        [
            "import hfollama_widgets as hfw\n"
            f"chat = hfw.ChatWidget(hfw.Client({silent.url!r}, timeout=2), 'm')",
            "chat",
        ]
    )
    out = nb.output(1)
    out.get_by_test_id("chat").wait_for()
    _send(nb, "Are you there?")
    user = out.locator('[data-role="user"]').filter(has_text="Are you there?")
    user.wait_for()
    waiting = out.get_by_test_id("waiting")
    waiting.wait_for(state="visible", timeout=10_000)  # the wait is shown while it lasts
    assert "Waiting for Ollama to load the model" in waiting.inner_text()
    error = out.get_by_test_id("error")
    error.wait_for(state="visible", timeout=60_000)
    assert error.get_by_test_id("error-message").inner_text().strip()
    assert error.get_by_test_id("error-fix").inner_text().strip()
    assert user.is_visible()  # the user's message stays
    assert out.locator('[data-role="assistant"][data-state="error"]').count() == 1
    assert nb.eval("[e['role'] for e in chat.history]").strip() == "['user', 'assistant']"
    nb.screenshot("chat-stalled-ollama", out)

    retry = error.get_by_test_id("retry")
    retry.click()  # the widget stays usable: Retry asks again (and fails again, visibly)
    out.get_by_test_id("error").wait_for(state="visible", timeout=60_000)
    nb.eval_until("len(chat.history)", "2", timeout=60)
    assert out.locator('[data-role="user"]').count() == 1
    nb.assert_no_errors()


def test_waiting_for_the_model_ticks_and_stop_works_during_the_wait(
    notebook: Any, fake_ollama: Any
) -> None:
    fake_ollama.pull_speed = 10**12
    Client(fake_ollama.url).pull(LLAMA)
    release = threading.Event()
    calls: list[str] = []

    def slow_load(model: str, messages: list[dict[str, Any]]) -> str:
        calls.append(str(messages[-1]["content"]))
        if len(calls) == 1:
            release.wait(120)  # "loading the model": no answer until released
        return "Loaded and ready."

    fake_ollama.reply = slow_load
    try:
        nb: NotebookSession = notebook(
            [
                "import hfollama_widgets as hfw\n"
                f"chat = hfw.ChatWidget(hfw.Client({fake_ollama.url!r}), {LLAMA!r})",
                "chat",
            ]
        )
        out = nb.output(1)
        out.get_by_test_id("chat").wait_for()
        _send(nb, "first")
        waiting = out.get_by_test_id("waiting")
        waiting.wait_for(state="visible", timeout=20_000)
        first = int(waiting.get_attribute("data-seconds") or "0")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if int(waiting.get_attribute("data-seconds") or "0") >= first + 2:
                break
            time.sleep(0.25)
        seconds = int(waiting.get_attribute("data-seconds") or "0")
        assert seconds >= first + 2, (first, seconds)  # the page's clock ticks
        assert f"{seconds} s" in waiting.inner_text()
        nb.screenshot("chat-waiting-for-model", out)

        start = time.monotonic()
        out.get_by_test_id("stop").click()
        out.locator('[data-role="assistant"][data-state="stopped"]').wait_for(timeout=10_000)
        assert time.monotonic() - start < 10  # not after the model finished loading
        assert out.get_by_test_id("send").is_visible()

        _send(nb, "second")  # usable again at once, while the first request still waits
        done = out.locator('[data-role="assistant"][data-state="done"]')
        done.wait_for(timeout=30_000)
        assert "Loaded and ready." in done.inner_text()
        assert calls[-1] == "second"
        nb.assert_no_errors()
    finally:
        release.set()


def test_pull_waiting_for_ollama_ticks_and_cancel_works(
    notebook: Any, silent: FaultyServer
) -> None:
    nb: NotebookSession = notebook(
        [
            "import hfollama_widgets as hfw\n"
            f"pull = hfw.PullProgress(hfw.Client({silent.url!r}, timeout=120), {LLAMA!r})",
            "pull",
        ]
    )
    out = nb.output(1)
    status = out.get_by_test_id("status")
    status.wait_for(state="visible", timeout=20_000)
    deadline = time.monotonic() + 20
    seconds = -1
    while time.monotonic() < deadline:
        seconds = int(status.get_attribute("data-waiting") or "-1")
        if seconds >= 2:
            break
        time.sleep(0.25)
    assert seconds >= 2, status.inner_text()
    assert "Waiting for Ollama" in status.inner_text()
    nb.screenshot("pull-waiting-for-ollama", out)
    out.get_by_test_id("cancel").click()
    nb.eval_until("pull.state", "'cancelled'", timeout=10)
    out.get_by_test_id("retry").wait_for(state="visible", timeout=10_000)
    nb.assert_no_errors()
