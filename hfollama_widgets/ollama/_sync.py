"""The synchronous Ollama client."""

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
from hfollama_widgets.ollama._stream import Stream
from hfollama_widgets.ollama._timeouts import DEFAULT_TIMEOUT, Timeouts

__all__ = ["Client"]

TimeoutTypes = float | httpx.Timeout | None


class Client:
    """A client for one Ollama server (``host`` like ``OLLAMA_HOST``; default from that variable).

    Methods return plain dicts; ``stream=True`` returns a :class:`Stream` of dicts.

    >>> import hfollama_widgets as hfw
    >>> client = hfw.Client("127.0.0.1:11434")
    >>> client.host
    'http://127.0.0.1:11434'
    >>> client.close()
    """

    def __init__(
        self,
        host: str | None = None,
        *,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        stream_timeout: TimeoutTypes = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.host, creds = resolve_host(host)
        self._timeouts = Timeouts.resolve(timeout, stream_timeout)
        self._streams: weakref.WeakSet[Stream] = weakref.WeakSet()
        self._http = httpx.Client(
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

    def _open(self, call: Call) -> httpx.Response:
        request = self._http.build_request(
            call.method, call.path, json=call.body, timeout=self._timeouts.for_call(call)
        )
        started = time.monotonic()
        try:
            response = self._http.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise self._timeout_error(call, exc, started) from exc
        except httpx.HTTPError as exc:
            raise _decode.transport_error(call, exc, self.host) from exc
        if response.status_code >= 400:
            try:
                text = response.read().decode("utf-8", "replace")
            except httpx.HTTPError as exc:
                raise _decode.transport_error(call, exc, self.host, mid_stream=True) from exc
            finally:
                response.close()
            raise _decode.error_for_status(
                call, response.status_code, text, self.host,
                content_type=response.headers.get("content-type"),
            )  # fmt: skip
        return response

    def _request(self, call: Call) -> dict[str, Any]:
        response = self._open(call)
        started = time.monotonic()
        try:
            text = response.read().decode("utf-8", "replace")
        except httpx.TimeoutException as exc:
            raise self._timeout_error(call, exc, started, mid_stream=True) from exc
        except httpx.HTTPError as exc:
            raise _decode.transport_error(call, exc, self.host, mid_stream=True) from exc
        finally:
            response.close()
        if call.endpoint == "delete":
            return {}
        return _decode.decode_body(
            call, text, self.host, content_type=response.headers.get("content-type")
        )

    def _send(self, call: Call) -> dict[str, Any] | Stream:
        if call.stream:
            stream = Stream(
                self._open(call), call, self.host, timeout=self._timeouts.for_call(call)
            )
            self._streams.add(stream)
            return stream
        return self._request(call)

    # -- API --------------------------------------------------------------------------------

    def version(self) -> str:
        """The server's version, e.g. ``'0.12.6'``."""
        data = self._request(Call("version", "GET", "/api/version"))
        return str(data.get("version", ""))

    def list(self) -> dict[str, Any]:
        """The local models: ``{"models": [{"name", "model", "size", "digest", ...}]}``."""
        return self._request(Call("list", "GET", "/api/tags"))

    def ps(self) -> dict[str, Any]:
        """The models loaded in memory: ``{"models": [{..., "expires_at", "size_vram"}]}``."""
        return self._request(Call("ps", "GET", "/api/ps"))

    def show(self, model: str, *, verbose: bool = False) -> dict[str, Any]:
        """A local model's ``capabilities``, ``details``, ``model_info``, ``template``, ..."""
        return self._request(_core.show_call(model, verbose=verbose))

    def delete(self, model: str) -> None:
        """Delete a local model (``ModelNotFoundError`` if it is not there)."""
        self._request(_core.delete_call(model))

    @overload
    def pull(
        self, model: str, *, insecure: bool = ..., stream: Literal[False] = ...
    ) -> dict[str, Any]: ...
    @overload
    def pull(self, model: str, *, insecure: bool = ..., stream: Literal[True]) -> Stream: ...
    @overload
    def pull(
        self, model: str, *, insecure: bool = ..., stream: bool = ...
    ) -> dict[str, Any] | Stream: ...

    def pull(
        self, model: str, *, insecure: bool = False, stream: bool = False
    ) -> dict[str, Any] | Stream:
        """Pull a model; ``stream=True`` yields progress dicts (``status``, ``digest``, ``total``,
        ``completed``). A pull that ends without ``success`` raises ``IncompletePullError``.

        Example (against the real Hub and Ollama)::

            client.pull("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M")
            # -> {'status': 'success'}
        """
        return self._send(_core.pull_call(model, insecure=insecure, stream=stream))

    @overload
    def chat(
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
    def chat(
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
    ) -> Stream: ...
    @overload
    def chat(
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
    ) -> dict[str, Any] | Stream: ...

    def chat(
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
    ) -> dict[str, Any] | Stream:
        """Chat: one reply dict (``message.content``, ``message.thinking``, metrics), or a
        :class:`Stream` of chunks with ``stream=True``. Message ``images`` may be bytes/paths.

        Example (against the real Hub and Ollama)::

            client.chat(model, [{"role": "user", "content": "Hi"}])["message"]["content"]
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
        return self._send(call)

    @overload
    def generate(
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
    def generate(
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
    ) -> Stream: ...
    @overload
    def generate(
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
    ) -> dict[str, Any] | Stream: ...

    def generate(
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
    ) -> dict[str, Any] | Stream:
        """Complete a prompt: one dict (``response``, metrics) or a :class:`Stream` of chunks.

        Example (against the real Hub and Ollama)::

            client.generate(model, "Why is the sky blue?")["response"]
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
        return self._send(call)

    def embed(
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

            client.embed(model, ["a", "b"])["embeddings"]
        """
        call = _core.embed_call(
            model,
            input,
            truncate=truncate,
            dimensions=dimensions,
            options=options,
            keep_alive=keep_alive,
        )
        return self._request(call)

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool (open streams stop working)."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(host={self.host!r})"
