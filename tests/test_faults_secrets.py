"""No secret anywhere (issue 9): a token or header a server echoes back never reaches people.

Each test sends a secret to a real server on 127.0.0.1 (FaultyServer("echo") sends every request
header back in its error body; FakeHub refuses tokens), checks that the server really got it (so
the test can fail), then looks for it in every place an error shows or keeps text: ``str``,
``repr``, ``.fix``, ``to_dict()``, the formatted traceback, the widget's ``error_dict``, the log,
and the objects chained to the error (``__cause__`` / ``__context__`` and their attributes).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
import time
import traceback
from typing import Any

import httpx
import pytest
from faulty_servers import FaultyServer

import hfollama_widgets as hfw
from hfollama_widgets.errors import redact, remember_secret
from hfollama_widgets.redaction import scrub_exception
from hfollama_widgets.testing import FakeHub
from hfollama_widgets.widgets._base import error_dict

ORG_TOKEN = "api_org_" + "Zq7RkVh3TnW9xLp2Mc5Bf8Dj"
MIRROR_KEY = "mirror-key-" + "NotAKnownShape-90417"  # no token shape: only the registry knows it
SK_KEY = "sk-" + "proj-4hT9wQ2mZx7LkP3nR8vB"
REPO = "example-org/Private-Model-GGUF"


def _texts(obj: Any, depth: int = 0, seen: set[int] | None = None) -> list[str]:
    """Every string reachable from ``obj`` through attributes, containers, exception chains and
    httpx objects (whose ``repr`` hides headers, so they are read in full)."""
    seen = set() if seen is None else seen
    if obj is None or depth > 6 or id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, bytes):
        return [obj.decode("latin-1")]
    if isinstance(obj, httpx.Headers):
        return [f"{k}: {v}" for k, v in obj.multi_items()]
    if isinstance(obj, (httpx.Request, httpx.Response)):
        parts = [*_texts(obj.headers, depth + 1, seen), str(getattr(obj, "url", ""))]
        if isinstance(obj, httpx.Response):
            parts += _texts(obj._request, depth + 1, seen)
        return parts
    if isinstance(obj, dict):
        return [t for k, v in obj.items() for t in _texts(k, depth, seen) + _texts(v, depth, seen)]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [t for item in obj for t in _texts(item, depth + 1, seen)]
    out: list[str] = []
    if isinstance(obj, BaseException):
        out += [str(obj), repr(obj)]
        out += _texts(obj.args, depth + 1, seen)
        out += _texts(obj.__cause__, depth + 1, seen) + _texts(obj.__context__, depth + 1, seen)
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        out += _texts(vars(obj), depth + 1, seen)
    return out


def assert_no_secret(exc: BaseException, secret: str, log: str = "") -> None:
    """``secret`` (and its halves) is in no text the error shows or holds."""
    assert isinstance(exc, hfw.HFOllamaError), f"{type(exc).__name__}: {exc}"
    surfaces = {
        "str": str(exc),
        "repr": repr(exc),
        "message": exc.message,
        "fix": exc.fix or "",
        "to_dict": repr(exc.to_dict()),
        "traceback": "".join(traceback.format_exception(exc)),
        "error_dict": repr(error_dict(exc)),
        "log": log,
        "error": str(getattr(exc, "error", "")),
        "chain": "\n".join(_texts(exc)),
    }
    for name, text in surfaces.items():
        for piece in {secret, secret[len(secret) // 2 :]}:
            assert piece not in text, f"the secret shows in {name}: {text[:400]}"
    assert exc.__cause__ is None or hfw.redact(str(exc.__cause__)) == str(exc.__cause__)


def _sent(server: FaultyServer, header: str) -> str:
    """What the server received in ``header`` (the test fails if the secret never left)."""
    return " ".join(h.get(header, "") for _, _, h in server.requests)


@pytest.fixture()
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


# --- the Hub --------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [ORG_TOKEN, MIRROR_KEY])
def test_hub_token_echoed_by_a_failing_server_is_nowhere(
    token: str, log: pytest.LogCaptureFixture
) -> None:
    with FaultyServer("echo", status=500) as server:
        hub = hfw.Hub(server.url, token=token)
        start = time.monotonic()
        with pytest.raises(hfw.HubServerError) as err:
            hub.list_gguf_files(REPO)
    assert time.monotonic() - start < 60
    assert token in _sent(server, "authorization")  # it was sent, and echoed back
    assert err.value.status_code == 500 and "HTTP 500" in err.value.message
    assert server.url in err.value.message and "authorization: Bearer ***" in err.value.message
    assert isinstance(err.value, hfw.HubError) and not isinstance(
        err.value, hfw.HubUnreachableError
    )
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert_no_secret(err.value, token, log.text)


def test_hub_token_refused_by_fake_hub_is_nowhere(log: pytest.LogCaptureFixture) -> None:
    with FakeHub(tokens=("hf_fake_token_for_tests",), no_access_tokens=(ORG_TOKEN,)) as fake:
        hub = hfw.Hub(fake.url, token=ORG_TOKEN)
        with pytest.raises(hfw.RepoNotFoundError) as err:
            hub.list_gguf_files(REPO)
        assert REPO in err.value.message and "token" in (err.value.fix or "")
        assert_no_secret(err.value, ORG_TOKEN, log.text)
        with pytest.raises(hfw.InvalidTokenError) as bad:
            hfw.Hub(fake.url, token=MIRROR_KEY).list_gguf_files(REPO)
        assert "settings/tokens" in (bad.value.fix or "")
        assert_no_secret(bad.value, MIRROR_KEY, log.text)


def test_hub_context_is_scrubbed_not_just_hidden() -> None:
    """``from None`` hides the original from tracebacks, but Python keeps it as __context__:
    huggingface_hub's error holds the response and request, with the Authorization header."""
    with FaultyServer("echo", status=502) as server, pytest.raises(hfw.HubServerError) as err:
        hfw.Hub(server.url, token=ORG_TOKEN).model_info(REPO)
    context = err.value.__context__
    assert context is not None  # huggingface_hub's HfHubHTTPError, kept by Python
    assert getattr(context, "response", None) is None
    assert ORG_TOKEN not in "\n".join(_texts(context))


# --- Ollama ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, secret",
    [
        ({"Authorization": f"Bearer {SK_KEY}"}, SK_KEY),
        ({"Authorization": f"Token {MIRROR_KEY}"}, MIRROR_KEY),
        ({"Authorization": "Basic " + base64.b64encode(b"alice:Pa55-w0rd-x9").decode()}, None),
        ({"Cookie": f"session={MIRROR_KEY}; theme=dark"}, MIRROR_KEY),
    ],
)
def test_ollama_header_echoed_by_a_failing_server_is_nowhere(
    headers: dict[str, str], secret: str | None, log: pytest.LogCaptureFixture
) -> None:
    value = next(iter(headers.values()))
    secret = secret or value.split(" ", 1)[1]
    with FaultyServer("echo", status=500) as server:
        client = hfw.Client(server.url, headers=headers)
        with pytest.raises(hfw.OllamaServerError) as err:
            client.version()
        with pytest.raises(hfw.OllamaResponseError) as streamed:
            next(iter(client.chat("m", [{"role": "user", "content": "hi"}], stream=True)))
    assert secret in _sent(server, next(iter(headers)).lower())
    assert err.value.status_code == 500 and "HTTP 500" in err.value.message
    for exc in (err.value, streamed.value):
        assert_no_secret(exc, secret, log.text)
        assert "***" in exc.error


def test_ollama_api_key_from_env_is_nowhere(
    monkeypatch: pytest.MonkeyPatch, log: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", MIRROR_KEY)
    with FaultyServer("echo", status=404) as server, pytest.raises(hfw.OllamaResponseError) as err:
        hfw.Client(server.url).show("m")
    assert MIRROR_KEY in _sent(server, "authorization")
    assert_no_secret(err.value, MIRROR_KEY, log.text)


def test_connection_error_cause_holds_no_header() -> None:
    """httpx's ConnectError keeps the request (with its headers) as ``.request``; the client
    raises ours ``from`` it, so it must be scrubbed first."""
    client = hfw.Client(_closed_port_url(), headers={"Authorization": f"Bearer {SK_KEY}"})
    with pytest.raises(hfw.OllamaConnectionError) as err:
        client.list()
    assert "ollama serve" in (err.value.fix or "")
    assert_no_secret(err.value, SK_KEY)


def test_async_client_echo_is_redacted() -> None:
    async def run() -> BaseException:
        with FaultyServer("echo", status=503) as server:
            async with hfw.AsyncClient(
                server.url, headers={"Authorization": f"Bearer {SK_KEY}"}
            ) as c:
                try:
                    await c.ps()
                except hfw.HFOllamaError as exc:
                    return exc
        raise AssertionError("no error raised")

    exc = asyncio.run(run())
    assert isinstance(exc, hfw.OllamaServerError) and exc.status_code == 503
    assert_no_secret(exc, SK_KEY)


def test_browser_error_trait_has_no_token(log: pytest.LogCaptureFixture) -> None:
    from hfollama_widgets.widgets.browser import GGUFBrowser

    with FaultyServer("echo", status=500) as server:
        browser = GGUFBrowser(REPO, hub=hfw.Hub(server.url, token=MIRROR_KEY)).wait()
    assert browser.status == "error" and browser.error["type"] == "HubServerError"
    shown = repr(browser.error) + log.text
    assert MIRROR_KEY not in shown and "HTTP 500" in browser.error["message"]


# --- redact() itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, secret",
    [
        ("sent Authorization: Bearer abc.DEF-ghi_123", "abc.DEF-ghi_123"),
        ("{'authorization': 'Basic YWxpY2U6cGFzcw=='}", "YWxpY2U6cGFzcw=="),
        ('"Proxy-Authorization": "token 9f8e7d6c5b4a"', "9f8e7d6c5b4a"),
        ("set-cookie: sid=s3cr3t-value; Path=/; HttpOnly", "s3cr3t-value"),
        ("GET https://bob:hunter22@mirror.example/api", "hunter22"),
        ("OLLAMA_HOST=bob:hunter22@10.0.0.5:11434", "hunter22"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig-nature_x", "eyJzdWIiOiIx"),
        (f"org token {ORG_TOKEN}!", ORG_TOKEN),
        ("key api_" + "k3y9ab7cd5ef3gh1ij", "k3y9ab7cd5ef3gh1ij"),
    ],
)
def test_redact_removes_every_shape(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out and "***" in out


def test_remember_secret_removes_any_shape_and_its_parts() -> None:
    remember_secret("Basic " + base64.b64encode(b"carol:Sh4pe-less-pw").decode())
    assert redact("login carol:Sh4pe-less-pw failed") == "login *** failed"
    assert "Sh4pe-less-pw" not in redact("password was Sh4pe-less-pw")
    err = hfw.OllamaResponseError("echo: Sh4pe-less-pw", error="Sh4pe-less-pw")
    assert "Sh4pe-less-pw" not in repr(err) + str(err.to_dict()) + err.error


def test_scrub_exception_cuts_and_cleans_a_chain() -> None:
    inner = httpx.ConnectError("refused", request=httpx.Request("GET", "http://x/"))
    inner.request.headers["authorization"] = f"Bearer {SK_KEY}"
    outer = RuntimeError(f"wrapped {SK_KEY}")
    outer.__cause__ = inner
    scrub_exception(outer)
    assert outer.__cause__ is None and SK_KEY not in "\n".join(_texts(outer) + _texts(inner))


def test_hub_timeout_context_holds_no_token(log: pytest.LogCaptureFixture) -> None:
    """A timeout mapped inside the Hub client passes through ``hub_errors``, which cleans what
    our error carries (the httpx timeout keeps the request, with the Authorization header)."""
    with FaultyServer("silent") as server:
        start = time.monotonic()
        with pytest.raises(hfw.HubUnreachableError) as err:
            hfw.Hub(server.url, token=ORG_TOKEN, timeout=1).list_gguf_files(REPO)
    assert time.monotonic() - start < 30
    assert ORG_TOKEN in _sent(server, "authorization")
    assert_no_secret(err.value, ORG_TOKEN, log.text)
