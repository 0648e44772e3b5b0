"""The asynchronous Ollama client: the same methods as :class:`~._sync.Client`, awaited."""

from __future__ import annotations

import time
import weakref
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, overload

import httpx

from hfollama_widgets.ollama import _core, _decode, _timeouts
from hfollama_widgets.ollama._core import Call, ImageInput, Message
from hfollama_widgets.ollama._host import resolve_host
from hfollama_widgets.ollama._stream import AsyncStream
from hfollama_widgets.ollama._timeouts import DEFAULT_TIMEOUT, Timeouts

__all__ = ["AsyncClient"]

TimeoutTypes = float | httpx.Timeout | None


class AsyncClient:
    """A client for one Ollama server (``host`` like ``OLLAMA_HOST``; default from that variable).

    Methods are coroutines returning plain dicts; ``stream=True`` gives an :class:`AsyncStream`.

    >>> import asyncio, hfollama_widgets as hfw
    >>> client = hfw.AsyncClient("127.0.0.1:11434")
    >>> client.host
    'http://127.0.0.1:11434'
    >>> asyncio.run(client.aclose())
    """

    def __init__(
        self,
        host: str | None = None,
        *,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        stream_timeout: TimeoutTypes = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.host, creds = resolve_host(host)
        self._timeouts = Timeouts.resolve(timeout, stream_timeout)
        self._streams: weakref.WeakSet[AsyncStream] = weakref.WeakSet()
        self._http = httpx.AsyncClient(
            base_url=self.host,
            timeout=self._timeouts.api,
            headers=_core.build_headers(headers),
            transport=transport,
            follow_redirects=True,
            auth=httpx.BasicAuth(*creds) if creds else None,
        )

    @property
    def timeouts(self) -> Timeouts:
        """The deadlines in force: ``.api`` (short calls) and ``.stream`` (idle between chunks)."""
        return self._timeouts

    def _timeout_error(
        self, call: Call, exc: httpx.TimeoutException, started: float, *, mid_stream: bool = False
    ) -> Exception:
        open_streams = sum(1 for s in list(self._streams) if not s.closed)
        return _timeouts.timeout_error(
            call, exc, self.host, self._timeouts.for_call(call),
            waited=time.monotonic() - started, open_streams=open_streams, mid_stream=mid_stream,
        )  # fmt: skip

    # -- plumbing ---------------------------------------------------------------------------

    async def _open(self, call: Call) -> httpx.Response:
        request = self._http.build_request(
            call.method, call.path, json=call.body, timeout=self._timeouts.for_call(call)
        )
        started = time.monotonic()
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise self._timeout_error(call, exc, started) from exc
        except httpx.HTTPError as exc:
            raise _decode.transport_error(call, exc, self.host) from exc
        if response.status_code >= 400:
            try:
                text = (await response.aread()).decode("utf-8", "replace")
            except httpx.HTTPError as exc:
                raise _decode.transport_error(call, exc, self.host, mid_stream=True) from exc
            finally:
                await response.aclose()
            raise _decode.error_for_status(
                call, response.status_code, text, self.host,
                content_type=response.headers.get("content-type"),
            )  # fmt: skip
        return response

    async def _request(self, call: Call) -> dict[str, Any]:
        response = await self._open(call)
        started = time.monotonic()
        try:
            text = (await response.aread()).decode("utf-8", "replace")
        except httpx.TimeoutException as exc:
            raise self._timeout_error(call, exc, started, mid_stream=True) from exc
        except httpx.HTTPError as exc:
            raise _decode.transport_error(call, exc, self.host, mid_stream=True) from exc
        finally:
            await response.aclose()
        if call.endpoint == "delete":
            return {}
        return _decode.decode_body(
            call, text, self.host, content_type=response.headers.get("content-type")
        )

    async def _send(self, call: Call) -> dict[str, Any] | AsyncStream:
        if call.stream:
            stream = AsyncStream(
                await self._open(call), call, self.host, timeout=self._timeouts.for_call(call)
            )
            self._streams.add(stream)
            return stream
        return await self._request(call)

    # -- API --------------------------------------------------------------------------------

    async def version(self) -> str:
        """The server's version, e.g. ``'0.12.6'``."""
        data = await self._request(Call("version", "GET", "/api/version"))
        return str(data.get("version", ""))

    async def list(self) -> dict[str, Any]:
        """The local models: ``{"models": [{"name", "model", "size", "digest", ...}]}``."""
        return await self._request(Call("list", "GET", "/api/tags"))

    async def ps(self) -> dict[str, Any]:
        """The models loaded in memory: ``{"models": [{..., "expires_at", "size_vram"}]}``."""
        return await self._request(Call("ps", "GET", "/api/ps"))

    async def show(self, model: str, *, verbose: bool = False) -> dict[str, Any]:
        """A local model's ``capabilities``, ``details``, ``model_info``, ``template``, ..."""
        return await self._request(_core.show_call(model, verbose=verbose))

    async def delete(self, model: str) -> None:
        """Delete a local model (``ModelNotFoundError`` if it is not there)."""
        await self._request(_core.delete_call(model))

    @overload
    async def pull(
        self, model: str, *, insecure: bool = ..., stream: Literal[False] = ...
    ) -> dict[str, Any]: ...
    @overload
    async def pull(
        self, model: str, *, insecure: bool = ..., stream: Literal[True]
    ) -> AsyncStream: ...
    @overload
    async def pull(
        self, model: str, *, insecure: bool = ..., stream: bool = ...
    ) -> dict[str, Any] | AsyncStream: ...

    async def pull(
        self, model: str, *, insecure: bool = False, stream: bool = False
    ) -> dict[str, Any] | AsyncStream:
        """Pull a model; ``stream=True`` yields progress dicts (``status``, ``digest``, ``total``,
        ``completed``). A pull that ends without ``success`` raises ``IncompletePullError``.

        Example (against the real Hub and Ollama)::

            await client.pull("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M")
            # -> {'status': 'success'}
        """
        return await self._send(_core.pull_call(model, insecure=insecure, stream=stream))

    @overload
    async def chat(
        self,
        model: str,
        messages: Sequence[Message] | None = ...,
        *,
        stream: Literal[False] = ...,
        think: bool | str | None = ...,
        format: str | Mapping[str, Any] | None = ...,
        options: Mapping[str, Any] | None = ...,
        keep_alive: float | str | None = ...,
        tools: Sequence[Mapping[str, Any]] | None = ...,
    ) -> dict[str, Any]: ...
    @overload
    async def chat(
        self,
        model: str,
        messages: Sequence[Message] | None = ...,
        *,
        stream: Literal[True],
        think: bool | str | None = ...,
        format: str | Mapping[str, Any] | None = ...,
        options: Mapping[str, Any] | None = ...,
        keep_alive: float | str | None = ...,
        tools: Sequence[Mapping[str, Any]] | None = ...,
    ) -> AsyncStream: ...
    @overload
    async def chat(
        self,
        model: str,
        messages: Sequence[Message] | None = ...,
        *,
        stream: bool = ...,
        think: bool | str | None = ...,
        format: str | Mapping[str, Any] | None = ...,
        options: Mapping[str, Any] | None = ...,
        keep_alive: float | str | None = ...,
        tools: Sequence[Mapping[str, Any]] | None = ...,
    ) -> dict[str, Any] | AsyncStream: ...

    async def chat(
        self,
        model: str,
        messages: Sequence[Message] | None = None,
        *,
        stream: bool = False,
        think: bool | str | None = None,
        format: str | Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        keep_alive: float | str | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any] | AsyncStream:
        """Chat: one reply dict (``message.content``, ``message.thinking``, metrics), or a
        :class:`AsyncStream` of chunks with ``stream=True``. Message ``images`` may be bytes/paths.

        Example (against the real Hub and Ollama)::

            await client.chat(model, [{"role": "user", "content": "Hi"}])["message"]["content"]
        """
        call = _core.chat_call(
            model,
            messages,
            stream=stream,
            think=think,
            format=format,
            options=options,
            keep_alive=keep_alive,
            tools=tools,
        )
        return await self._send(call)

    @overload
    async def generate(
        self,
        model: str,
        prompt: str = ...,
        *,
        stream: Literal[False] = ...,
        suffix: str | None = ...,
        images: Sequence[ImageInput] | None = ...,
        system: str | None = ...,
        template: str | None = ...,
        raw: bool | None = ...,
        think: bool | str | None = ...,
        format: str | Mapping[str, Any] | None = ...,
        options: Mapping[str, Any] | None = ...,
        keep_alive: float | str | None = ...,
    ) -> dict[str, Any]: ...
    @overload
    async def generate(
        self,
        model: str,
        prompt: str = ...,
        *,
        stream: Literal[True],
        suffix: str | None = ...,
        images: Sequence[ImageInput] | None = ...,
        system: str | None = ...,
        template: str | None = ...,
        raw: bool | None = ...,
        think: bool | str | None = ...,
        format: str | Mapping[str, Any] | None = ...,
        options: Mapping[str, Any] | None = ...,
        keep_alive: float | str | None = ...,
    ) -> AsyncStream: ...
    @overload
    async def generate(
        self,
        model: str,
        prompt: str = ...,
        *,
        stream: bool = ...,
        suffix: str | None = ...,
        images: Sequence[ImageInput] | None = ...,
        system: str | None = ...,
        template: str | None = ...,
        raw: bool | None = ...,
        think: bool | str | None = ...,
        format: str | Mapping[str, Any] | None = ...,
        options: Mapping[str, Any] | None = ...,
        keep_alive: float | str | None = ...,
    ) -> dict[str, Any] | AsyncStream: ...

    async def generate(
        self,
        model: str,
        prompt: str = "",
        *,
        stream: bool = False,
        suffix: str | None = None,
        images: Sequence[ImageInput] | None = None,
        system: str | None = None,
        template: str | None = None,
        raw: bool | None = None,
        think: bool | str | None = None,
        format: str | Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        keep_alive: float | str | None = None,
    ) -> dict[str, Any] | AsyncStream:
        """Complete a prompt: one dict (``response``, metrics) or a :class:`AsyncStream` of chunks.

        Example (against the real Hub and Ollama)::

            await client.generate(model, "Why is the sky blue?")["response"]
        """
        call = _core.generate_call(
            model,
            prompt,
            stream=stream,
            suffix=suffix,
            images=images,
            system=system,
            template=template,
            raw=raw,
            think=think,
            format=format,
            options=options,
            keep_alive=keep_alive,
        )
        return await self._send(call)

    async def embed(
        self,
        model: str,
        input: str | Sequence[str],
        *,
        truncate: bool | None = None,
        dimensions: int | None = None,
        options: Mapping[str, Any] | None = None,
        keep_alive: float | str | None = None,
    ) -> dict[str, Any]:
        """Embed text(s): ``{"embeddings": [[float, ...], ...], ...}`` (L2-normalised vectors).

        Example (against the real Hub and Ollama)::

            await client.embed(model, ["a", "b"])["embeddings"]
        """
        call = _core.embed_call(
            model,
            input,
            truncate=truncate,
            dimensions=dimensions,
            options=options,
            keep_alive=keep_alive,
        )
        return await self._request(call)

    # -- lifecycle --------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool (open streams stop working)."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncClient(host={self.host!r})"
