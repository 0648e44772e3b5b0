"""Errors that name the real cause (issue 9): a web app at OLLAMA_HOST is not "pull it first",
a Hub 5xx is a failing service, not an unreachable one.

Real servers on 127.0.0.1: FaultyServer("html") answers every path with a web page,
FaultyServer("status") with a fixed status and body; FakeOllama is the genuine article.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from faulty_servers import FaultyServer

import hfollama_widgets as hfw

HI = [{"role": "user", "content": "hi"}]
MODEL = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"


def _calls(client: hfw.Client) -> dict[str, Callable[[], Any]]:
    return {
        "version": client.version,
        "list": client.list,
        "show": lambda: client.show(MODEL),
        "chat": lambda: client.chat(MODEL, HI),
        "chat-stream": lambda: list(client.chat(MODEL, HI, stream=True)),
        "pull": lambda: client.pull(MODEL),
        "pull-stream": lambda: list(client.pull(MODEL, stream=True)),
    }


def _assert_not_ollama(exc: BaseException, url: str) -> None:
    assert isinstance(exc, hfw.NotOllamaError), f"{type(exc).__name__}: {exc}"
    assert isinstance(exc, hfw.OllamaProtocolError)  # `except OllamaProtocolError` still works
    assert not isinstance(exc, hfw.ModelNotFoundError)
    assert url in exc.message and "does not look like an Ollama server" in exc.message
    assert "OLLAMA_HOST" in (exc.fix or "") and "hfw.pull" not in (exc.fix or "")


@pytest.mark.parametrize("call", list(_calls(hfw.Client("127.0.0.1:1"))))
def test_a_web_page_at_ollama_host_is_not_ollama(call: str) -> None:
    with FaultyServer("html") as server:
        start = time.monotonic()
        with pytest.raises(hfw.OllamaError) as err:
            _calls(hfw.Client(server.url))[call]()
    assert time.monotonic() - start < 30
    _assert_not_ollama(err.value, server.url)
    assert "web page" in err.value.message and "Welcome to nginx" in err.value.message


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("<html><body><h1>404 Not Found</h1></body></html>", "text/html"),
        ({"detail": "Not Found"}, None),  # a FastAPI app
        ("Cannot POST /api/chat", "text/plain"),  # an Express app
        ({"error": "model 'm' not found"}, "text/html; charset=utf-8"),  # JSON, served as a page
    ],
)
def test_a_404_that_is_not_ollamas_json_is_not_model_not_found(
    body: Any, content_type: str | None
) -> None:
    with FaultyServer("status", status=404, body=body, content_type=content_type) as server:
        client = hfw.Client(server.url)
        for call in (lambda: client.chat("m", HI), lambda: client.pull("m"), client.version):
            with pytest.raises(hfw.OllamaError) as err:
                call()
            html = bool(content_type and "html" in content_type)
            if html and not isinstance(err.value, hfw.NotOllamaError):
                # the client does not pass the content type (yet): a JSON body reads as Ollama's
                assert isinstance(body, dict)
                continue
            _assert_not_ollama(err.value, server.url)
            assert err.value.status_code == 404 and "HTTP 404" in err.value.message


def test_gins_plain_404_suggests_an_old_ollama_too() -> None:
    server = FaultyServer("status", status=404, body="404 page not found")
    with server, pytest.raises(hfw.NotOllamaError) as err:
        hfw.Client(server.url).embed("m", "x")
    _assert_not_ollama(err.value, server.url)
    assert "Upgrade Ollama" in (err.value.fix or "") and "/api/embed" in err.value.message


def test_genuine_ollama_404_is_still_model_not_found() -> None:
    """Ollama's own answer (ollama/ollama server/routes.go, GenerateHandler / ChatHandler):
    404 ``{"error": "model 'x' not found"}``."""
    server = FaultyServer("status", status=404, body={"error": "model 'm' not found"})
    with server, pytest.raises(hfw.ModelNotFoundError) as err:
        hfw.Client(server.url).chat("m", HI)
    assert err.value.status_code == 404 and err.value.error == "model 'm' not found"
    assert "hfw.pull" in (err.value.fix or "")


def test_fake_ollama_missing_model_is_still_model_not_found(fake_ollama: Any) -> None:
    with pytest.raises(hfw.ModelNotFoundError) as err:
        hfw.Client(fake_ollama.url).chat(MODEL, HI)
    assert "ollama pull" in (err.value.fix or "")


@pytest.mark.parametrize(
    "body, key",
    [({"status": "ok"}, "version"), ([1, 2], None), ({"items": []}, "models")],
)
def test_200_json_that_is_not_ollamas_is_not_ollama(body: Any, key: str | None) -> None:
    with FaultyServer("status", status=200, body=body) as server:
        client = hfw.Client(server.url)
        with pytest.raises(hfw.NotOllamaError) as err:
            client.list() if key == "models" else client.version()
    _assert_not_ollama(err.value, server.url)
    if key:
        assert repr(key) in err.value.message


def test_a_proxys_502_page_is_a_server_error_naming_the_proxy() -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    server = FaultyServer("status", status=502, body=page, content_type="text/html")
    with server, pytest.raises(hfw.OllamaServerError) as err:
        hfw.Client(server.url).chat("m", HI)
    assert err.value.status_code == 502 and "502 Bad Gateway" in err.value.message
    assert "not Ollama's" in err.value.message and "OLLAMA_HOST" in (err.value.fix or "")


def test_a_401_page_asks_for_credentials() -> None:
    server = FaultyServer("status", status=401, body="Unauthorized", content_type="text/plain")
    with server, pytest.raises(hfw.OllamaResponseError) as err:
        hfw.Client(server.url).list()
    assert err.value.status_code == 401 and not isinstance(err.value, hfw.ModelNotFoundError)
    fix = err.value.fix or ""
    assert "OLLAMA_API_KEY" in fix and "<user>:<password>@" in fix and "'Bearer <token>'" in fix


def test_async_client_names_a_web_page_too() -> None:
    async def run() -> BaseException:
        with FaultyServer("html") as server:
            async with hfw.AsyncClient(server.url) as client:
                try:
                    await client.version()
                except hfw.HFOllamaError as exc:
                    exc.add_note(server.url)
                    return exc
        raise AssertionError("no error")

    exc = asyncio.run(run())
    _assert_not_ollama(exc, getattr(exc, "__notes__", [""])[0])


def test_a_broken_line_mid_stream_stays_a_protocol_error(fake_ollama: Any) -> None:
    """Only a first answer that is not JSON at all says "not Ollama"; a bad line later is a
    broken stream from a real Ollama."""
    client = hfw.Client(fake_ollama.url)
    client.pull(MODEL)
    fake_ollama.faults.garbage_line(after_lines=2, path="/api/chat", text="not json at all")
    with pytest.raises(hfw.OllamaProtocolError) as err:
        list(client.chat(MODEL, HI, stream=True))
    assert not isinstance(err.value, hfw.NotOllamaError)


# --- the Hub --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_hub_5xx_is_a_server_error_not_unreachable(status: int) -> None:
    body = {"error": "Internal Error - We're working hard to fix this as soon as possible!"}
    with FaultyServer("status", status=status, body=body) as server:
        start = time.monotonic()
        with pytest.raises(hfw.HubError) as err:
            hfw.Hub(server.url, token=False).list_gguf_files("owner/Model-GGUF")
    assert time.monotonic() - start < 60
    assert type(err.value) is hfw.HubServerError and err.value.status_code == status
    assert not isinstance(err.value, hfw.HubUnreachableError)
    assert f"HTTP {status}" in err.value.message and "working hard" in err.value.message
    assert "owner/Model-GGUF" in err.value.message and "retry" in (err.value.fix or "")
