"""Streaming answers: :class:`Stream` (sync) and :class:`AsyncStream`, iterators of dicts.

Closing a stream ends its HTTP request. ``close()`` may be called from another thread while a
read is blocked (a widget's Stop button does that): it shuts the socket down, which wakes the
reader, and the iteration then ends quietly (no exception for a cancel). A stream that is
garbage-collected unclosed closes itself (its connection goes back to the pool). When the server
stays silent longer than the idle timeout, the read raises ``OllamaTimeoutError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any

import httpx

from hfollama_widgets.ollama._core import Call
from hfollama_widgets.ollama._decode import LineDecoder, transport_error
from hfollama_widgets.ollama._timeouts import timeout_error

__all__ = ["AsyncStream", "Stream"]


def _interrupt(response: httpx.Response) -> bool:
    """Shut down the response's socket so a blocked read returns now. False if not possible."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    # A socket.socket (sync) or asyncio's TransportSocket wrapper (async): both can shut down.
    shutdown = getattr(sock, "shutdown", None)
    if shutdown is None:
        return False
    with contextlib.suppress(OSError):  # already closed or reset: the reader wakes up anyway
        shutdown(socket.SHUT_RDWR)
    return True


class _StreamState:
    """The lock-protected flags both stream kinds share."""

    def __init__(
        self, response: httpx.Response, call: Call, host: str, timeout: httpx.Timeout | None
    ) -> None:
        self.response = response
        self.timeout = timeout or httpx.Timeout(None)
        self.call = call
        self.host = host
        self.decoder = LineDecoder(call, host)
        self.lock = threading.Lock()
        self.closed = False  # the caller asked to stop
        self.finished = False  # iteration is over (server ended, error, or closed)
        self.reading = False
        self.released = False

    def begin_read(self) -> bool:
        with self.lock:
            if self.closed or self.finished:
                return False
            self.reading = True
            return True

    def end_read(self) -> bool:
        """Leave the read; True when the response must now be released by this thread."""
        with self.lock:
            self.reading = False
            return self.closed or self.finished

    def request_close(self) -> bool:
        """Mark closed; True when no read is running (the caller releases), False otherwise."""
        with self.lock:
            if self.closed:
                return False
            self.closed = True
            return not self.reading

    def failed(self, exc: httpx.HTTPError, started: float) -> Exception:
        """The error for a transport failure in the middle of the stream."""
        if isinstance(exc, httpx.TimeoutException):
            waited = time.monotonic() - started
            return timeout_error(
                self.call, exc, self.host, self.timeout, waited=waited, mid_stream=True
            )
        return transport_error(self.call, exc, self.host, mid_stream=True)

    def take_release(self) -> bool:
        with self.lock:
            if self.released:
                return False
            self.released = True
            return True


class Stream(Iterator[dict[str, Any]]):
    """The lines of a streaming answer, as dicts. Close it (or leave its ``with`` block) to stop.

    Example (against the real Hub and Ollama)::

        for part in client.chat(model, messages, stream=True): print(part["message"]["content"])
        with client.pull(model, stream=True) as progress: ...; progress.close()
    """

    def __init__(
        self,
        response: httpx.Response,
        call: Call,
        host: str,
        *,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self._state = _StreamState(response, call, host, timeout)
        self._lines = response.iter_lines()

    @property
    def closed(self) -> bool:
        """True once the stream was closed or ran to its end."""
        return self._state.closed or self._state.finished

    @property
    def response(self) -> httpx.Response:
        """The underlying HTTP response (status, headers)."""
        return self._state.response

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> dict[str, Any]:
        state = self._state
        if not state.begin_read():
            raise StopIteration
        try:
            while True:
                started = time.monotonic()
                try:
                    line = next(self._lines)
                except StopIteration:
                    state.finished = True
                    if not state.closed:
                        state.decoder.finish()
                    raise
                except httpx.HTTPError as exc:
                    state.finished = True
                    if state.closed:
                        raise StopIteration from None
                    raise state.failed(exc, started) from exc
                try:
                    item = state.decoder.feed(line)
                except BaseException:
                    state.finished = True
                    raise
                if state.closed:
                    state.finished = True
                    raise StopIteration
                if item is not None:
                    return item
        finally:
            if state.end_read():
                self._release()

    def _release(self) -> None:
        if self._state.take_release():
            self._state.response.close()

    def close(self) -> None:
        """Stop the stream and end its HTTP request. Safe to call twice and from another thread."""
        state = self._state
        if state.request_close():
            self._release()
        elif not _interrupt(state.response):
            self._release()  # no socket to shut down (custom transport): close from here

    def __enter__(self) -> Stream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        state = getattr(self, "_state", None)
        if state is not None and not state.released:
            with contextlib.suppress(Exception):
                self.close()

    def __repr__(self) -> str:
        status = "closed" if self.closed else "open"
        return f"<Stream {self._state.call.endpoint} {self._state.call.model!r} {status}>"


class AsyncStream(AsyncIterator[dict[str, Any]]):
    """The async twin of :class:`Stream`: ``async for part in stream``; ``await stream.aclose()``.

    ``aclose()`` may run in another task (or ``close()`` in another thread) while a read waits.
    """

    def __init__(
        self,
        response: httpx.Response,
        call: Call,
        host: str,
        *,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self._state = _StreamState(response, call, host, timeout)
        self._lines = response.aiter_lines()
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    @property
    def closed(self) -> bool:
        """True once the stream was closed or ran to its end."""
        return self._state.closed or self._state.finished

    @property
    def response(self) -> httpx.Response:
        """The underlying HTTP response (status, headers)."""
        return self._state.response

    def __aiter__(self) -> AsyncStream:
        return self

    async def __anext__(self) -> dict[str, Any]:
        state = self._state
        if not state.begin_read():
            raise StopAsyncIteration
        try:
            while True:
                started = time.monotonic()
                try:
                    line = await self._lines.__anext__()
                except StopAsyncIteration:
                    state.finished = True
                    if not state.closed:
                        state.decoder.finish()
                    raise
                except httpx.HTTPError as exc:
                    state.finished = True
                    if state.closed:
                        raise StopAsyncIteration from None
                    raise state.failed(exc, started) from exc
                try:
                    item = state.decoder.feed(line)
                except BaseException:
                    state.finished = True
                    raise
                if state.closed:
                    state.finished = True
                    raise StopAsyncIteration
                if item is not None:
                    return item
        finally:
            if state.end_read():
                await self._release()

    async def _release(self) -> None:
        if self._state.take_release():
            await self._state.response.aclose()

    def close(self) -> None:
        """Thread-safe stop: shut the socket down; the reading task ends and releases it."""
        # Wake a pending read; the reading task (or a later aclose) releases the response.
        self._state.request_close()
        _interrupt(self._state.response)

    async def aclose(self) -> None:
        """Stop the stream and end its HTTP request. Safe to call twice."""
        state = self._state
        if state.request_close() or not _interrupt(state.response) or not state.reading:
            await self._release()

    def __del__(self) -> None:
        # Garbage-collected unclosed: hand the connection back to the pool on the stream's loop
        # (an async response can only be closed there); at worst shut the socket down.
        state = getattr(self, "_state", None)
        if state is None or state.released:
            return
        with contextlib.suppress(Exception):
            state.request_close()
            loop = getattr(self, "_loop", None)
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(_schedule_release, loop, state)
            else:
                _interrupt(state.response)

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        status = "closed" if self.closed else "open"
        return f"<AsyncStream {self._state.call.endpoint} {self._state.call.model!r} {status}>"


_pending: set[asyncio.Task[None]] = set()


def _schedule_release(loop: asyncio.AbstractEventLoop, state: _StreamState) -> None:
    task = loop.create_task(_release_state(state))
    _pending.add(task)  # keep a reference until done (the loop holds tasks weakly)
    task.add_done_callback(_pending.discard)


async def _release_state(state: _StreamState) -> None:
    if state.take_release():
        with contextlib.suppress(Exception):
            await state.response.aclose()
