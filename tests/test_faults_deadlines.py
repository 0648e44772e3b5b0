"""Deadlines on every Hub and Ollama call (issue 9, item 1), against servers that misbehave.

Each test bounds the time taken generously (a 1 s deadline must fail well under 10 s) and checks
the error's type, that the message names the URL and the seconds, and that the fix says what to
change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from faulty_servers import FaultyServer

import hfollama_widgets as hfw
from hfollama_widgets.errors import HubUnreachableError, InvalidArgumentError, OllamaTimeoutError
from hfollama_widgets.hub import Hub

REPO = "bartowski/Llama-3.2-1B-Instruct-GGUF"
CHUNK = {"model": "m", "message": {"role": "assistant", "content": "Hi"}, "done": False}


def _timed(call: Callable[[], Any], kind: type[BaseException]) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(kind) as info:
        call()
    return info.value, time.monotonic() - started


def _check_hub(err: BaseException, url: str, elapsed: float, seconds: str = "1 s") -> None:
    assert isinstance(err, HubUnreachableError)
    assert url in err.message and seconds in err.message, err.message
    assert "HFOLLAMA_HUB_TIMEOUT" in (err.fix or "") and "Hub(timeout=" in (err.fix or "")
    assert 0.5 < elapsed < 10


# --- the Hub ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "what",
    ["list_gguf_files", "model_info", "search_models", "auto_select", "gguf_metadata"],
)
def test_hub_call_on_a_silent_hub_times_out(what: str) -> None:
    with FaultyServer("silent") as server:
        hub = Hub(server.url, token=False, timeout=1)
        calls: dict[str, Callable[[], Any]] = {
            "list_gguf_files": lambda: hub.list_gguf_files(REPO),
            "model_info": lambda: hub.model_info(REPO),
            "search_models": lambda: hub.search_models("llama"),
            "auto_select": lambda: hub.auto_select(REPO),
            "gguf_metadata": lambda: hub.gguf_metadata(REPO, "M-Q4_K_M.gguf"),
        }
        err, elapsed = _timed(calls[what], HubUnreachableError)
    _check_hub(err, server.url, elapsed)


def test_hub_timeout_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFOLLAMA_HUB_TIMEOUT", "1")
    with FaultyServer("silent") as server:
        hub = Hub(server.url, token=False)
        assert hub.timeout == 1.0
        err, elapsed = _timed(lambda: hub.list_gguf_files(REPO), HubUnreachableError)
    _check_hub(err, f"{server.url}/api/models/{REPO}/tree/main", elapsed)


def test_hub_that_never_accepts_times_out() -> None:
    with FaultyServer("no_accept") as server:
        hub = Hub(server.url, token=False, timeout=1)
        err, elapsed = _timed(lambda: hub.model_info(REPO), HubUnreachableError)
    _check_hub(err, server.url, elapsed)


def test_pull_without_a_quant_on_a_silent_hub_fails_in_time() -> None:
    with FaultyServer("silent") as hub_server, FaultyServer("silent") as ollama:
        client = hfw.Client(ollama.url, timeout=1)
        hub = Hub(hub_server.url, token=False, timeout=1)
        err, elapsed = _timed(lambda: hfw.pull(client, REPO, hub=hub), HubUnreachableError)
        client.close()
    _check_hub(err, hub_server.url, elapsed)


def test_a_slow_hub_within_the_deadline_answers() -> None:
    info = {"id": REPO, "author": "bartowski", "downloads": 3, "likes": 1, "tags": ["gguf"]}
    with FaultyServer("slow", delay=0.5, body=info) as server:
        started = time.monotonic()
        got = Hub(server.url, token=False, timeout=5).model_info(REPO)
        assert got.id == REPO and got.downloads == 3
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), True, "10"])
def test_hub_timeout_must_be_positive_seconds(bad: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        Hub("http://127.0.0.1:9", timeout=bad)
    assert "timeout=" in info.value.message and "seconds" in info.value.message
    assert "Hub(timeout=60)" in (info.value.fix or "")


# --- Ollama -------------------------------------------------------------------------------


def _check_ollama(err: BaseException, url: str, elapsed: float, fix_word: str) -> None:
    assert isinstance(err, OllamaTimeoutError)
    assert url in err.message and "1 s" in err.message, err.message
    assert fix_word in (err.fix or ""), err.fix
    assert 0.5 < elapsed < 10


@pytest.mark.parametrize("method", ["version", "list", "ps", "show"])
def test_short_calls_have_a_default_deadline(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFOLLAMA_OLLAMA_TIMEOUT", "1")
    with FaultyServer("silent") as server, hfw.Client(server.url) as client:
        assert client.timeouts.api.read == 1.0 and client.timeouts.stream.read == 600.0
        call = getattr(client, method)
        args = ("m",) if method == "show" else ()
        err, elapsed = _timed(lambda: call(*args), OllamaTimeoutError)
    _check_ollama(err, server.url, elapsed, "HFOLLAMA_OLLAMA_TIMEOUT")


def test_explicit_client_timeout_still_applies_to_every_call() -> None:
    with FaultyServer("silent") as server, hfw.Client(server.url, timeout=1) as client:
        err, elapsed = _timed(client.version, OllamaTimeoutError)
        _check_ollama(err, f"{server.url}/api/version", elapsed, "Client(timeout=")
        err, elapsed = _timed(lambda: client.chat("m", [], stream=True), OllamaTimeoutError)
    _check_ollama(err, f"{server.url}/api/chat", elapsed, "stream_timeout")
    assert "at the start of the chat reply" in err.message


def test_stalled_chat_stream_hits_the_idle_timeout() -> None:
    server = FaultyServer("ndjson_stall", lines=[CHUNK])
    with server, hfw.Client(server.url, stream_timeout=1) as client:
        stream = client.chat("m", [{"role": "user", "content": "hi"}], stream=True)
        assert next(stream)["message"]["content"] == "Hi"
        err, elapsed = _timed(lambda: next(stream), OllamaTimeoutError)
        assert stream.closed
    _check_ollama(err, f"{server.url}/api/chat", elapsed, "HFOLLAMA_STREAM_IDLE_TIMEOUT")
    assert "in the middle of the chat reply for 'm'" in err.message


def test_stream_idle_timeout_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFOLLAMA_STREAM_IDLE_TIMEOUT", "1")
    progress = {"status": "pulling manifest"}
    with FaultyServer("ndjson_stall", lines=[progress]) as server, hfw.Client(server.url) as c:
        assert c.timeouts.stream.read == 1.0 and c.timeouts.api.read == 30.0
        stream = c.pull("hf.co/o/M-GGUF:Q4_K_M", stream=True)
        err, elapsed = _timed(lambda: list(stream), OllamaTimeoutError)
    _check_ollama(err, f"{server.url}/api/pull", elapsed, "Client(stream_timeout=")


def test_ollama_that_never_accepts_times_out() -> None:
    with FaultyServer("no_accept") as server, hfw.Client(server.url, timeout=1) as client:
        err, elapsed = _timed(client.version, OllamaTimeoutError)
    assert isinstance(err, OllamaTimeoutError) and server.url in err.message
    assert "1 s" in err.message and "timeout" in (err.fix or "").lower()
    assert elapsed < 10


def test_async_client_deadlines() -> None:
    async def run() -> tuple[BaseException, float, BaseException, float]:
        with FaultyServer("silent") as silent, FaultyServer("ndjson_stall", lines=[CHUNK]) as st:
            async with hfw.AsyncClient(silent.url, timeout=1) as client:
                started = time.monotonic()
                with pytest.raises(OllamaTimeoutError) as first:
                    await client.version()
                short = time.monotonic() - started
            async with hfw.AsyncClient(st.url, stream_timeout=1) as client:
                stream = await client.chat("m", [], stream=True)
                assert (await stream.__anext__())["done"] is False
                started = time.monotonic()
                with pytest.raises(OllamaTimeoutError) as second:
                    await stream.__anext__()
                idle = time.monotonic() - started
                await stream.aclose()
        return first.value, short, second.value, idle

    err, elapsed, idle_err, idle = asyncio.run(run())
    _check_ollama(err, "/api/version", elapsed, "HFOLLAMA_OLLAMA_TIMEOUT")
    _check_ollama(idle_err, "/api/chat", idle, "HFOLLAMA_STREAM_IDLE_TIMEOUT")


def test_slow_but_live_ollama_answers_within_the_deadline() -> None:
    server = FaultyServer("slow", delay=0.5, body={"version": "0.12.6"})
    with server, hfw.Client(server.url, timeout=5) as client:
        started = time.monotonic()
        assert client.version() == "0.12.6"
        assert time.monotonic() - started < 5


@pytest.mark.parametrize("bad", [0, -2, float("inf"), "x"])
def test_client_timeouts_must_be_positive(bad: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        hfw.Client("127.0.0.1:9", stream_timeout=bad)
    assert "stream_timeout=" in info.value.message
    hfw.Client("127.0.0.1:9", stream_timeout=httpx.Timeout(3.0)).close()
