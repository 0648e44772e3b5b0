"""What the sync and async clients share, part 2: decoding answers and mapping errors (no I/O).

The answer to a :class:`~._core.Call` goes through :func:`error_for_status` (HTTP ≥ 400),
:func:`decode_body` (one JSON object) or a :class:`LineDecoder` (NDJSON stream), which raise the
typed errors of :mod:`hfollama_widgets.errors`; :func:`transport_error` maps httpx failures.

Real Ollama answers every error as JSON ``{"error": "..."}`` (gin's ``c.JSON``; a missing model
is ``404 {"error": "model 'x' not found"}``, ollama/ollama server/routes.go, GenerateHandler).
An answer without that shape (a web page, a proxy's 404, gin's plain-text ``404 page not found``
for a route an older Ollama lacks, gin-gonic/gin gin.go ``default404Body``) comes from something
that is not (this) Ollama: :class:`~hfollama_widgets.errors.NotOllamaError`, never "pull it".
Errors are raised ``from None``: no cause or context carries a request or its headers.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from hfollama_widgets.errors import (
    IncompletePullError,
    ModelNotFoundError,
    NotOllamaError,
    OllamaConnectionError,
    OllamaError,
    OllamaProtocolError,
    OllamaResponseError,
    OllamaServerError,
    OllamaTimeoutError,
    StreamError,
    redact,
)
from hfollama_widgets.ollama._core import Call
from hfollama_widgets.ollama._pull_errors import generic_pull_error, pull_line_error
from hfollama_widgets.redaction import scrub_exception

__all__ = [
    "LineDecoder",
    "decode_body",
    "error_for_status",
    "pull_line_error",
    "transport_error",
]


_NOT_JSON = object()


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


def _ollama_error(text: str) -> str | None:
    """The ``error`` string of an Ollama-shaped error body (a JSON object), else ``None``.

    >>> _ollama_error('{"error": "model not found"}'), _ollama_error("<html>404</html>")
    ('model not found', None)
    """
    data = _loads(text)
    return (
        str(data["error"])
        if isinstance(data, dict) and isinstance(data.get("error"), str)
        else None
    )


def _snippet(text: str, limit: int = 120) -> str:
    """The start of a body on one line, for messages.

    >>> _snippet("<html>\\n  <h1>Welcome</h1>\\n</html>")
    '<html> <h1>Welcome</h1> </html>'
    """
    flat = " ".join(text.split())
    return (flat[:limit] + "…") if len(flat) > limit else (flat or "(empty body)")


def _is_html(text: str, content_type: str | None) -> bool:
    return "html" in (content_type or "").lower() or text.lstrip().startswith("<")


def _host_fix(path: str) -> str:
    return (
        "Point OLLAMA_HOST at the Ollama server (default http://127.0.0.1:11434), e.g. "
        "`export OLLAMA_HOST=http://gpu-box:11434`, or pass hfw.Client('http://host:11434'); "
        f"if it is Ollama behind a proxy, check the proxy forwards {path}."
    )


def not_ollama_error(
    call: Call, host: str, text: str, status_code: int = -1, content_type: str | None = None
) -> NotOllamaError:
    """The error for an answer that did not come from Ollama (the body is shown, shortened).

    >>> err = not_ollama_error(Call("version", "GET", "/api/version"), "http://h:80", "<html>")
    >>> err.message
    "http://h:80 does not look like an Ollama server: GET /api/version got a web page ('<html>')."
    """
    got = "a web page" if _is_html(text, content_type) else "an answer that is not Ollama's JSON"
    status = f"HTTP {status_code} and " if status_code >= 0 else ""
    fix = _host_fix(call.path)
    if status_code == 404 and text.strip() == "404 page not found":
        got = "gin's plain 404 (an Ollama too old for this endpoint, or another Go server)"
        fix = f"Upgrade Ollama (https://ollama.com/download) if it is one. {fix}"
    return NotOllamaError(
        f"{host} does not look like an Ollama server: {call.method} {call.path} got "
        f"{status}{got} ({_snippet(text)!r}).",
        fix=fix,
        status_code=status_code,
    )


_AUTH_FIX = (
    "The server wants credentials: set OLLAMA_API_KEY (ollama.com), put them in the URL "
    "(OLLAMA_HOST=http://<user>:<password>@host:11434) or pass hfw.Client(host, headers="
    "{'Authorization': 'Bearer <token>'})."
)


def _foreign_error(
    call: Call, status_code: int, text: str, host: str, content_type: str | None
) -> OllamaError:
    """An HTTP error whose body is not Ollama's ``{"error": ...}``."""
    if status_code in (401, 403):
        return OllamaResponseError(
            f"{host} refused {call.method} {call.path} (HTTP {status_code}: {_snippet(text)!r}).",
            fix=_AUTH_FIX,
            status_code=status_code,
            error=_snippet(text, 300),
        )
    if status_code >= 500:
        return OllamaServerError(
            f"{host} failed on {call.method} {call.path} with HTTP {status_code} and a body that "
            f"is not Ollama's ({_snippet(text)!r}): a proxy or gateway in front of Ollama, or "
            "another app.",
            fix="Check that Ollama is running behind that address and retry. "
            + _host_fix(call.path),
            status_code=status_code,
            error=_snippet(text, 300),
        )
    return not_ollama_error(call, host, text, status_code, content_type)


def error_for_status(
    call: Call, status_code: int, text: str, host: str, *, content_type: str | None = None
) -> OllamaError:
    """The typed error for an HTTP error answer (status ≥ 400) to ``call``.

    Only an Ollama-shaped body (``{"error": ...}``) is read as Ollama's verdict; anything else
    is :class:`NotOllamaError` (or a server/auth error for 5xx/401/403).
    """
    ollama_error = _ollama_error(text)
    if ollama_error is None or (content_type and "html" in content_type.lower()):
        return _foreign_error(call, status_code, text, host, content_type)
    error = ollama_error
    model = call.model
    if call.endpoint == "pull":
        specific = pull_line_error(call, error, status_code=status_code)
        if specific is not None:
            return specific
    if status_code == 404 and model:
        return ModelNotFoundError(
            f"Model {model!r} is not on the Ollama server at {host} ({error}).",
            fix=f"Pull it first: hfw.pull(client, {model!r}), or `ollama pull {model}`.",
            status_code=status_code,
            error=error,
        )
    fix: str | None
    if status_code >= 500:
        if status_code == 503:
            fix = "The server is busy (its request queue is full): retry in a moment."
        else:
            fix = "Check the Ollama server log (journalctl -u ollama, ~/.ollama/logs) and retry."
        return OllamaServerError(
            f"Ollama at {host} failed on {call.method} {call.path} "
            f"with HTTP {status_code}: {error}",
            fix=fix,
            status_code=status_code,
            error=error,
        )
    if call.endpoint == "pull":
        return generic_pull_error(call, error, status_code)
    fix = None
    if status_code in (401, 403):
        fix = _AUTH_FIX
    elif "does not support thinking" in error:
        fix = "Call it without think= (or with think=False): only thinking models accept it."
    elif "invalid model name" in error or "is invalid" in error:
        fix = "Use a name like hf.co/owner/repo:TAG (owner without dots, parts of ≤ 80 characters)."
    elif "does not support" in error:
        fix = "Use a model that has this capability: client.show(model)['capabilities'] lists them."
    return OllamaResponseError(
        f"Ollama rejected {call.method} {call.path}"
        + (f" for {model!r}" if model else "")
        + f" (HTTP {status_code}): {error}",
        fix=fix,
        status_code=status_code,
        error=error,
    )


def transport_error(
    call: Call, exc: Exception, host: str, *, mid_stream: bool = False
) -> OllamaError:
    """Map an httpx transport failure to our errors (connection refused, timeout, cut stream).

    ``exc`` is scrubbed (:func:`~hfollama_widgets.errors.scrub_exception`): the caller raises
    ours from inside its ``except``, so ``exc`` stays attached as ``__context__`` (or
    ``__cause__``), and an httpx error holds the request with its headers.
    """
    text = redact(str(exc))
    scrub_exception(exc)
    if isinstance(exc, httpx.TimeoutException):
        return OllamaTimeoutError(
            f"Ollama at {host} did not answer {call.method} {call.path} in time "
            f"({type(exc).__name__}).",
            fix="Pass a longer timeout, e.g. Client(timeout=httpx.Timeout(600, connect=5)), or "
            "check the server is not stuck (loading a large model can take minutes).",
        )
    dropped = isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError))
    if mid_stream or (dropped and call.endpoint == "pull"):
        if call.endpoint == "pull":
            return IncompletePullError(
                f"The pull of {call.model} stopped before it finished: the connection to "
                f"{host} closed mid-stream ({type(exc).__name__}).",
                fix="Pull again: Ollama resumes from the bytes it already has.",
                error=text,
            )
        return OllamaConnectionError(
            f"The connection to Ollama at {host} closed before the {call.endpoint} reply "
            f"finished ({type(exc).__name__}).",
            fix="Check the server is still running (it may have crashed or restarted) and retry.",
        )
    return OllamaConnectionError(
        f"Could not connect to Ollama at {host} ({type(exc).__name__}: {text}).",
        fix="Start it with `ollama serve` (or open the Ollama app), or point the client at the "
        "right server: set OLLAMA_HOST or pass Client('http://host:11434').",
    )


# What a successful answer must hold, by endpoint (an app answering 200 with other JSON is not
# Ollama): ollama/ollama api/types.go, VersionResponse / ListResponse / ProcessResponse.
_EXPECTED_KEY = {"version": "version", "list": "models", "ps": "models"}


def _parse_json(call: Call, text: str, host: str, *, first: bool = True) -> dict[str, Any]:
    """One JSON object; a first answer that is not JSON at all (a page, plain text) is
    :class:`NotOllamaError`, a broken JSON line :class:`OllamaProtocolError`."""
    data = _loads(text)
    if data is _NOT_JSON:  # raised here, not in an `except`: no __context__ holding the text
        if first and not text.lstrip().startswith(("{", "[")):
            raise not_ollama_error(call, host, text)
        raise OllamaProtocolError(
            f"Ollama at {host} sent a reply to {call.method} {call.path} that is not valid "
            f"JSON: {_snippet(text, 200)!r}",
            fix="Retry; if it persists, check that OLLAMA_HOST points at an Ollama server "
            "(not a proxy or another app) and look at the server log.",
        )
    if not isinstance(data, dict):
        raise NotOllamaError(
            f"{host} sent a JSON {type(data).__name__} to {call.method} {call.path}, not an "
            f"object: it does not look like an Ollama server ({_snippet(text)!r}).",
            fix=_host_fix(call.path),
        )
    return data


def decode_body(
    call: Call, text: str, host: str, *, content_type: str | None = None
) -> dict[str, Any]:
    """The JSON object of a successful non-streaming answer (errors inside it are raised)."""
    if content_type and "html" in content_type.lower():
        raise not_ollama_error(call, host, text, content_type=content_type)
    data = _parse_json(call, text, host)
    key = _EXPECTED_KEY.get(call.endpoint)
    if key is not None and key not in data and not isinstance(data.get("error"), str):
        raise NotOllamaError(
            f"{host} answered {call.method} {call.path} with JSON that has no {key!r}: it does "
            f"not look like an Ollama server ({_snippet(text)!r}).",
            fix=_host_fix(call.path),
        )
    error = data.get("error")
    if isinstance(error, str):
        if call.endpoint == "pull":
            raise pull_line_error(call, error) or generic_pull_error(call, error, -1)
        raise StreamError(f"Ollama reported an error: {error}", error=error)
    if call.endpoint == "pull" and data.get("status") != "success":
        raise IncompletePullError(
            f"The pull of {call.model} ended without success (last status: "
            f"{data.get('status')!r}).",
            fix="Pull again: Ollama resumes from the bytes it already has.",
            error=str(data.get("status")),
        )
    return data


class LineDecoder:
    """Turns NDJSON lines of a streaming answer into dicts and checks how the stream ends."""

    def __init__(self, call: Call, host: str) -> None:
        self.call = call
        self.host = host
        self.last: dict[str, Any] | None = None
        self.count = 0

    def feed(self, line: str) -> dict[str, Any] | None:
        """The object on ``line`` (``None`` for a blank line); raise on an ``error`` line."""
        if not line.strip():
            return None
        data = _parse_json(self.call, line, self.host, first=self.count == 0)
        error = data.get("error")
        if isinstance(error, str):
            if self.call.endpoint == "pull":
                raise pull_line_error(self.call, error) or generic_pull_error(self.call, error, -1)
            raise StreamError(
                f"Ollama reported an error in the middle of the {self.call.endpoint} stream "
                f"for {self.call.model!r}: {error}",
                fix="Retry; if it happens again, check the Ollama server log.",
                error=error,
            )
        self.last = data
        self.count += 1
        return data

    def finish(self) -> None:
        """The server ended the stream: raise if it ended too early."""
        last = self.last or {}
        if self.call.endpoint == "pull":
            if last.get("status") != "success":
                raise IncompletePullError(
                    f"The pull of {self.call.model} ended without success (last status: "
                    f"{last.get('status')!r}).",
                    fix="Pull again: Ollama resumes from the bytes it already has.",
                    error=str(last.get("status")),
                )
        elif not last.get("done"):
            raise OllamaProtocolError(
                f"The {self.call.endpoint} stream from {self.host} ended before its final "
                f"'done' line ({self.count} lines received).",
                fix="The server may have crashed mid-reply: check it is running and retry.",
            )
