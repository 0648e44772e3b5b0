"""Shared work and shared resources (issue 9, item 5, pool exhaustion, credentials, User-Agent).

Identical concurrent Hub requests run once; unclosed streams are reported (and collected); host
credentials become HTTP Basic auth and never show; the Hub's User-Agent names our version.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from faulty_servers import FaultyServer

import hfollama_widgets as hfw
from hfollama_widgets._version import __version__
from hfollama_widgets.errors import (
    GatedRepoError,
    OllamaServerError,
    OllamaTimeoutError,
    redact,
)
from hfollama_widgets.hardware import Hardware
from hfollama_widgets.hub import Hub, fit
from hfollama_widgets.testing import FakeHub

REPO = "bartowski/Llama-3.2-1B-Instruct-GGUF"
GATED = "example-org/Gated-Llama-GGUF"
CHUNK = {"model": "m", "message": {"role": "assistant", "content": "Hi"}, "done": False}


def _together(n: int, fn: Callable[[], Any]) -> list[Any]:
    """Run ``fn`` in ``n`` threads released at once; each result or exception, in order."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def work(i: int) -> None:
        barrier.wait()
        try:
            out[i] = fn()
        except Exception as exc:
            out[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    return out


# --- User-Agent ---------------------------------------------------------------------------


def test_hub_user_agent_carries_the_package_version() -> None:
    with FaultyServer("status", status=404, body={"error": "Repository not found"}) as server:
        hub = Hub(server.url, token=False, timeout=5)
        with pytest.raises(hfw.HubError):
            hub.list_gguf_files(REPO)
        with pytest.raises(hfw.HubError):
            hub.gguf_metadata(REPO, "M-Q4_K_M.gguf")
    agents = [headers.get("user-agent", "") for _, _, headers in server.requests]
    assert len(agents) == 2
    for agent in agents:
        assert f"hfollama-widgets/{__version__}" in agent and "/None" not in agent


# --- single flight ------------------------------------------------------------------------


def test_twenty_threads_listing_one_repo_send_one_tree_request() -> None:
    with FakeHub(latency=0.3) as fake:
        hub = Hub(fake.url, token=False)
        started = time.monotonic()
        frames = _together(20, lambda: hub.list_gguf_files(REPO))
        elapsed = time.monotonic() - started
        trees = [r for r in fake.requests if "/tree/" in r["path"]]
    assert len(trees) == 1
    assert all(not isinstance(f, Exception) for f in frames)
    assert all(f["filename"].tolist() == frames[0]["filename"].tolist() for f in frames)
    assert elapsed < 5


def test_twenty_threads_share_one_failure() -> None:
    body = {"error": "Internal Error"}
    with FaultyServer("slow", delay=0.5, status=500, body=body) as server:
        hub = Hub(server.url, token=False, timeout=5)
        started = time.monotonic()
        errors = _together(20, lambda: hub.list_gguf_files(REPO))
        elapsed = time.monotonic() - started
    assert len(server.requests) == 1
    assert all(isinstance(e, hfw.HubError) for e in errors), errors
    assert len({type(e) for e in errors}) == 1  # the one error, shared
    assert "HTTP 500" in errors[0].message and errors[0].fix
    assert elapsed < 5


def test_twenty_threads_reading_one_header_read_it_once() -> None:
    with FakeHub() as fake:
        Hub(fake.url, token=False).gguf_metadata(REPO, "Q4_K_M")
        single = [r for r in fake.requests if "/resolve/" in r["path"]]
    with FakeHub(latency=0.2) as fake:
        hub = Hub(fake.url, token=False)
        hub.list_gguf_files(REPO)  # the listing first: only the header reads race below
        started = time.monotonic()
        metas = _together(20, lambda: hub.gguf_metadata(REPO, "Q4_K_M"))
        elapsed = time.monotonic() - started
        reads = [r for r in fake.requests if "/resolve/" in r["path"]]
    assert all(m.architecture == "llama" for m in metas), metas
    assert len(reads) == len(single) >= 1
    assert elapsed < 5


# --- fit of a listing whose header cannot be read -------------------------------------------


def test_unreadable_header_gives_an_unknown_fit_not_a_failed_listing() -> None:
    with FakeHub() as fake:
        df = Hub(fake.url, token=False).list_gguf_files(GATED, hardware=Hardware(ram_gb=16))
    models = df[df["kind"] == "model"]
    assert len(models) >= 1 and models["fit"].isna().all()
    assert all(t.startswith("Unknown: ") for t in models["fit_text"])
    assert df.attrs["fit_error"]["type"] == GatedRepoError.__name__
    assert "HF_TOKEN" in (df.attrs["fit_error"]["fix"] or "")


def test_header_timeout_gives_an_unknown_fit_in_time() -> None:
    with FakeHub() as fake:
        df = Hub(fake.url, token=False).list_gguf_files(REPO)
    with FaultyServer("silent") as server:
        started = time.monotonic()
        out = fit.fit_listing(Hub(server.url, timeout=1), df, REPO, Hardware(ram_gb=16))
        elapsed = time.monotonic() - started
    assert out["fit"].isna().all() and len(out) == len(df)
    assert out.attrs["fit_error"]["type"] == "HubUnreachableError"
    reason = out["fit_error"].iloc[0]
    assert server.url in reason and "1 s" in reason and "HFOLLAMA_HUB_TIMEOUT" in reason
    assert elapsed < 10


# --- pool exhaustion and garbage-collected streams -------------------------------------------


def test_too_many_unclosed_streams_say_so() -> None:
    limits = httpx.Timeout(5.0, pool=0.5)
    server = FaultyServer("ndjson_stall", lines=[CHUNK])
    with server, hfw.Client(server.url, timeout=limits) as client:
        streams = [client.chat("m", [], stream=True) for _ in range(100)]
        started = time.monotonic()
        with pytest.raises(OllamaTimeoutError) as info:
            client.chat("m", [], stream=True)
        elapsed = time.monotonic() - started
        err = info.value
        assert "too many streams are open and unclosed" in err.message
        assert "100 open" in err.message and "0.5 s" in err.message
        assert "close" in (err.fix or "") and "with " in (err.fix or "")
        for stream in streams:
            stream.close()
        client.chat("m", [], stream=True).close()  # the pool is free again
    assert elapsed < 5


def test_dropped_streams_close_themselves() -> None:
    limits = httpx.Timeout(5.0, pool=1.0)
    server = FaultyServer("ndjson_stall", lines=[CHUNK])
    with server, hfw.Client(server.url, timeout=limits) as client:
        for _ in range(3):  # 300 streams through a pool of 100: only works if they close
            streams = [client.chat("m", [], stream=True) for _ in range(100)]
            del streams
            gc.collect()
        started = time.monotonic()
        with client.chat("m", [], stream=True) as stream:
            assert next(stream)["message"]["content"] == "Hi"
        assert time.monotonic() - started < 2


def test_dropped_async_streams_close_themselves() -> None:
    async def run() -> float:
        limits = httpx.Timeout(5.0, pool=2.0)
        with FaultyServer("ndjson_stall", lines=[CHUNK]) as server:
            async with hfw.AsyncClient(server.url, timeout=limits) as client:
                for _ in range(2):
                    streams = [await client.chat("m", [], stream=True) for _ in range(100)]
                    del streams
                    gc.collect()
                    await asyncio.sleep(0.05)  # the releases run on this loop
                started = time.monotonic()
                stream = await client.chat("m", [], stream=True)
                await stream.aclose()
                return time.monotonic() - started

    assert asyncio.run(run()) < 3


# --- credentials --------------------------------------------------------------------------


def test_host_credentials_become_basic_auth_and_never_show() -> None:
    with FaultyServer("echo") as server:
        host = server.url.replace("http://", "http://alice:s3cret-pw%2Fx@")
        with hfw.Client(host, timeout=5) as client:
            assert client.host == server.url and "s3cret" not in repr(client)
            with pytest.raises(OllamaServerError) as info:
                client.version()
    sent = server.requests[0][2]["authorization"]
    b64 = base64.b64encode(b"alice:s3cret-pw/x").decode()
    assert sent == f"Basic {b64}"
    text = str(info.value)
    assert "s3cret" not in text and b64 not in text and "Basic ***" in text
    assert server.url in text


def test_ollama_host_variable_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    with FaultyServer("echo") as server:
        monkeypatch.setenv("OLLAMA_HOST", server.url.replace("http://", "http://bob:pw-9876@"))
        with hfw.Client(timeout=5) as client:
            assert client.host == server.url
            with pytest.raises(OllamaServerError) as info:
                client.list()
    assert server.requests[0][2]["authorization"].startswith("Basic ")
    assert "pw-9876" not in str(info.value)


def test_secret_headers_and_tokens_are_redacted() -> None:
    headers = {"X-Api-Key": "key-value-424242", "Cookie": "sid=cookie-777"}
    server = FaultyServer("echo")
    with (
        server,
        hfw.Client(server.url, headers=headers) as client,
        pytest.raises(OllamaServerError) as info,
    ):
        client.ps()
    text = str(info.value)
    assert "key-value-424242" not in text and "cookie-777" not in text
    assert "x-api-key: ***" in text  # the header was echoed, its value removed
    Hub("http://127.0.0.1:9", token="tok_custom_secret_5150")
    assert redact("got tok_custom_secret_5150") == "got ***"
