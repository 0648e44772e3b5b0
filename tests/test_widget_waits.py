"""ChatWidget / PullProgress while Ollama has not answered yet (issue 9): Stop and Cancel work
during the wait, a timeout ends in the error state, and the widget stays usable."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from faulty_servers import FaultyServer

import hfollama_widgets as hfw
from hfollama_widgets.errors import OllamaTimeoutError

LLAMA = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"


@pytest.fixture()
def loading(fake_ollama: Any) -> Any:
    """FakeOllama with LLAMA pulled, whose first chat reply waits until ``release`` is set."""
    fake_ollama.pull_speed = 10**12
    hfw.Client(fake_ollama.url).pull(LLAMA)
    fake_ollama.release = threading.Event()
    calls: list[str] = []

    def slow_first(model: str, messages: list[dict[str, Any]]) -> str:
        calls.append(str(messages[-1]["content"]))
        if len(calls) == 1:
            fake_ollama.release.wait(60)
        return "ready"

    fake_ollama.reply = slow_first
    yield fake_ollama
    fake_ollama.release.set()


def test_stop_while_waiting_ends_the_reply_at_once_and_send_works(loading: Any) -> None:
    chat = hfw.ChatWidget(hfw.Client(loading.url), LLAMA)
    chat.send("first")
    deadline = time.monotonic() + 10
    while not any(r.path == "/api/chat" for r in loading.requests):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    start = time.monotonic()
    chat.stop()
    assert time.monotonic() - start < 2
    assert not chat.is_streaming and chat.streaming == ""
    assert [(e["role"], e["stopped"]) for e in chat.history] == [
        ("user", False),
        ("assistant", True),
    ]
    chat.send("second")  # not refused: the unanswered request was abandoned
    assert chat.wait(timeout=30)["content"] == "ready"
    loading.release.set()  # the abandoned request now ends; it must not touch the history
    time.sleep(0.5)
    assert [e["role"] for e in chat.history] == ["user", "assistant", "user", "assistant"]
    assert chat.history[-1]["content"] == "ready" and chat.error is None


def test_timeout_shows_the_error_and_retry_keeps_the_history() -> None:
    with FaultyServer("silent") as server:
        chat = hfw.ChatWidget(hfw.Client(server.url, timeout=1), "m")
        start = time.monotonic()
        chat.send("hello?")
        entry = chat.wait(timeout=30)
        assert time.monotonic() - start < 30
        assert entry is not None and entry["error"]["type"] == OllamaTimeoutError.__name__
        assert chat.error and chat.error["fix"]
        chat.retry()
        chat.wait(timeout=30)
        assert [e["role"] for e in chat.history] == ["user", "assistant"]
        assert chat.history[0]["content"] == "hello?"


def test_pull_cancel_while_waiting_for_the_first_line() -> None:
    with FaultyServer("silent") as server:
        pull = hfw.PullProgress(hfw.Client(server.url, timeout=60), LLAMA)
        time.sleep(0.3)
        assert pull.state == "running" and pull.status == "starting"
        start = time.monotonic()
        pull.cancel()
        assert pull.state == "cancelled" and time.monotonic() - start < 2
