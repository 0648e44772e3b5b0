"""How long the Ollama clients wait: per-call deadlines, stream idle timeouts, the errors.

Short calls (version, list, ps, show, delete) get ``HFOLLAMA_OLLAMA_TIMEOUT`` (30 s); streams
may be silent between chunks for ``HFOLLAMA_STREAM_IDLE_TIMEOUT`` (600 s: a model load);
``Client(timeout=..., stream_timeout=...)`` overrides both.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import httpx

from hfollama_widgets.errors import InvalidArgumentError, OllamaTimeoutError
from hfollama_widgets.ollama._core import Call
from hfollama_widgets.redaction import scrub_exception

__all__ = [
    "API_TIMEOUT_ENV",
    "DEFAULT_API_TIMEOUT",
    "DEFAULT_STREAM_IDLE_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "STREAM_IDLE_TIMEOUT_ENV",
    "Timeouts",
    "timeout_error",
]

API_TIMEOUT_ENV = "HFOLLAMA_OLLAMA_TIMEOUT"
"""Seconds a short call (version, list/tags, ps, show, delete) may wait for its answer."""
STREAM_IDLE_TIMEOUT_ENV = "HFOLLAMA_STREAM_IDLE_TIMEOUT"
"""Seconds a stream (or a non-streamed chat/generate/embed) may stay silent: a model load."""
DEFAULT_API_TIMEOUT = 30.0
DEFAULT_STREAM_IDLE_TIMEOUT = 600.0
_CONNECT, _WRITE, _POOL = 5.0, 60.0, 30.0
#: By default a non-streamed pull (silent until the download ends) may wait this long at least.
_PULL_WAIT = 3600.0

#: The default of ``Client(timeout=...)``: short calls get ``HFOLLAMA_OLLAMA_TIMEOUT`` (30 s),
#: streams and generation ``HFOLLAMA_STREAM_IDLE_TIMEOUT`` (600 s) between chunks; connecting
#: fails after 5 s. Passing any other value applies it to every call (as before).
DEFAULT_TIMEOUT = httpx.Timeout(DEFAULT_API_TIMEOUT, connect=_CONNECT, write=_WRITE, pool=_POOL)

TimeoutArg = float | httpx.Timeout | None


def _env_seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment variable ``name`` (else ``default``).

    >>> _env_seconds("HFOLLAMA_UNSET_FOR_DOCTEST", 7.0)
    7.0
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(
            name, raw, "must be a number of seconds > 0", fix=f"Set {name}=60 (or unset it)."
        )
    return value


def _as_timeout(value: TimeoutArg, param: str) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        return value
    if value is not None and (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidArgumentError(
            param, value, "must be seconds > 0, an httpx.Timeout, or None (no limit)",
            fix=f"Pass e.g. {param}=60.",
        )  # fmt: skip
    return httpx.Timeout(value)


@dataclass(frozen=True)
class Timeouts:
    """The two deadlines of a client: ``api`` for short calls, ``stream`` for the idle time
    between chunks of a stream (and the wait of a non-streamed generation).

    >>> t = Timeouts.resolve(DEFAULT_TIMEOUT, None)
    >>> t.api.read, t.stream.read, t.stream.connect
    (30.0, 600.0, 5.0)
    >>> Timeouts.resolve(2.0, None).stream.read
    2.0
    """

    api: httpx.Timeout
    stream: httpx.Timeout
    pull: httpx.Timeout | None = None

    @classmethod
    def resolve(cls, timeout: TimeoutArg, stream_timeout: TimeoutArg | None) -> Timeouts:
        """``Client(timeout=..., stream_timeout=...)`` -> the deadlines (env vars for defaults)."""
        default = timeout is DEFAULT_TIMEOUT
        if default:
            api = httpx.Timeout(
                _env_seconds(API_TIMEOUT_ENV, DEFAULT_API_TIMEOUT),
                connect=_CONNECT, write=_WRITE, pool=_POOL,
            )  # fmt: skip
            idle: httpx.Timeout | None = httpx.Timeout(
                _env_seconds(STREAM_IDLE_TIMEOUT_ENV, DEFAULT_STREAM_IDLE_TIMEOUT),
                connect=_CONNECT, write=_WRITE, pool=_POOL,
            )  # fmt: skip
        else:  # an explicit timeout applies to every call, as it always did
            api = _as_timeout(timeout, "timeout")
            idle = None
        if stream_timeout is not None:
            if isinstance(stream_timeout, httpx.Timeout):
                idle = stream_timeout
            else:
                seconds = _as_timeout(stream_timeout, "stream_timeout").read
                idle = httpx.Timeout(api.connect, read=seconds, write=api.write, pool=api.pool)
        stream = idle or api
        pull = None
        if default and stream.read is not None and stream_timeout is None:
            # a non-streamed pull sends nothing until the whole download is done
            pull = httpx.Timeout(
                stream.connect, read=max(stream.read, _PULL_WAIT),
                write=stream.write, pool=stream.pool,
            )  # fmt: skip
        return cls(api=api, stream=stream, pull=pull)

    def for_call(self, call: Call) -> httpx.Timeout:
        """The deadline of ``call``: streams and generation wait for a model, the rest do not."""
        if call.endpoint == "pull" and not call.stream and self.pull is not None:
            return self.pull
        if call.stream or call.endpoint in ("chat", "generate", "embed", "pull"):
            return self.stream
        return self.api


def timeout_error(
    call: Call,
    exc: httpx.TimeoutException,
    host: str,
    timeout: httpx.Timeout,
    *,
    waited: float,
    open_streams: int = 0,
    mid_stream: bool = False,
) -> OllamaTimeoutError:
    """The error for a deadline that passed: which URL, how long, and what to do.

    >>> call = Call("version", "GET", "/api/version")
    >>> err = timeout_error(call, httpx.ReadTimeout("x"), "http://h:1", httpx.Timeout(2.0),
    ...                     waited=2.01)
    >>> err.message
    'Ollama at http://h:1/api/version did not answer GET /api/version within 2 s (waited 2.0 s).'
    """
    scrub_exception(exc)  # kept as our error's __cause__: its request holds the auth headers
    url = f"{host}{call.path}"
    what = f"{call.method} {call.path}"
    if isinstance(exc, httpx.PoolTimeout):
        return OllamaTimeoutError(
            f"No connection to Ollama at {host} was free for {what} within "
            f"{_secs(timeout.pool)}: too many streams are open and unclosed "
            f"({open_streams} open on this client; its pool holds 100 connections).",
            fix="Close each stream when done with it (stream.close(), or `with client.chat(..., "
            "stream=True) as s:`), or read it to the end; then retry.",
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return OllamaTimeoutError(
            f"Ollama at {url} did not accept a connection within {_secs(timeout.connect)} "
            f"(waited {waited:.1f} s).",
            fix="Check OLLAMA_HOST (host and port) and that nothing blocks the connection; "
            "a longer connect timeout: Client(timeout=httpx.Timeout(60, connect=30)).",
        )
    if isinstance(exc, httpx.WriteTimeout):
        return OllamaTimeoutError(
            f"Ollama at {url} did not take the request body of {what} within "
            f"{_secs(timeout.write)} (waited {waited:.1f} s).",
            fix="Check the server is not stuck; pass a longer timeout, e.g. Client(timeout=600).",
        )
    if mid_stream or call.stream or call.endpoint in ("chat", "generate", "embed", "pull"):
        where = "in the middle of" if mid_stream else "at the start of"
        return OllamaTimeoutError(
            f"Ollama at {url} sent nothing for {_secs(timeout.read)} {where} the "
            f"{call.endpoint} reply for {call.model!r} (waited {waited:.1f} s).",
            fix=f"Check the server is not stuck (loading a large model can take minutes); allow "
            f"longer silences with {STREAM_IDLE_TIMEOUT_ENV}=1800 or "
            "Client(stream_timeout=1800) (a longer timeout).",
        )
    return OllamaTimeoutError(
        f"Ollama at {url} did not answer {what} within {_secs(timeout.read)} "
        f"(waited {waited:.1f} s).",
        fix=f"Check the server is running and not stuck, and that OLLAMA_HOST points at it; "
        f"a longer timeout: {API_TIMEOUT_ENV}=120 or Client(timeout=120).",
    )


def _secs(value: float | None) -> str:
    return "no limit" if value is None else f"{value:g} s"
