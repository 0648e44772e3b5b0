"""Async twins of :mod:`hfollama_widgets.hf`: apull, achat, agenerate, aembed on an AsyncClient.

Same arguments and quantization rules as the sync functions; the Hub client is synchronous, so
its calls run in a worker thread (:func:`asyncio.to_thread`) and never block the event loop.

Example (against the real Hub and Ollama)::

    await hfw.achat(hfw.AsyncClient(), "bartowski/Llama-3.2-1B-Instruct-GGUF",
                    [{"role": "user", "content": "Hi"}])
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from hfollama_widgets.errors import PrivateRepoAuthError
from hfollama_widgets.hf.resolve import as_ref, local_pick, realm_retry, resolve_ref, tag_of
from hfollama_widgets.ollama import AsyncClient, AsyncStream
from hfollama_widgets.refs import to_model_ref

if TYPE_CHECKING:
    from hfollama_widgets.hub import Hub

__all__ = ["achat", "aembed", "agenerate", "apull"]


async def _aresolve(
    repo: str, quantization: str | None, hub: Hub | None, max_size_gb: float | None = None
) -> str:
    ref = to_model_ref(as_ref(repo), quantization)
    if tag_of(ref) is not None:
        return ref
    # The Hub client is synchronous: keep the event loop free while it works.
    return await asyncio.to_thread(resolve_ref, ref, hub=hub, max_size_gb=max_size_gb)


async def _amodel_for_use(
    client: AsyncClient, repo: str, quantization: str | None, hub: Hub | None
) -> str:
    ref = to_model_ref(as_ref(repo), quantization)
    if tag_of(ref) is None:
        local = local_pick(await client.list(), ref)
        if local is not None:
            return local
    return await _aresolve(ref, None, hub)


@overload
async def apull(
    client: AsyncClient,
    repo: str,
    *,
    quantization: str | None = ...,
    stream: Literal[False] = ...,
    hub: Hub | None = ...,
    insecure: bool = ...,
    max_size_gb: float | None = ...,
) -> dict[str, Any]: ...
@overload
async def apull(
    client: AsyncClient,
    repo: str,
    *,
    quantization: str | None = ...,
    stream: Literal[True],
    hub: Hub | None = ...,
    insecure: bool = ...,
    max_size_gb: float | None = ...,
) -> AsyncStream: ...
@overload
async def apull(
    client: AsyncClient,
    repo: str,
    *,
    quantization: str | None = ...,
    stream: bool = ...,
    hub: Hub | None = ...,
    insecure: bool = ...,
    max_size_gb: float | None = ...,
) -> dict[str, Any] | AsyncStream: ...


async def apull(
    client: AsyncClient,
    repo: str,
    *,
    quantization: str | None = None,
    stream: bool = False,
    hub: Hub | None = None,
    insecure: bool = False,
    max_size_gb: float | None = None,
) -> dict[str, Any] | AsyncStream:
    """Async :func:`pull` (no ``progress=``: iterate ``stream=True`` yourself)."""
    ref = await _aresolve(repo, quantization, hub, max_size_gb)
    if stream:
        return await client.pull(ref, insecure=insecure, stream=True)
    try:
        return await client.pull(ref, insecure=insecure)
    except PrivateRepoAuthError as err:  # Ollama >= 0.14.3 on hf.co/: retry as huggingface.co/
        return await client.pull(realm_retry(err), insecure=insecure)


@overload
async def achat(
    client: AsyncClient,
    repo: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    quantization: str | None = ...,
    stream: Literal[False] = ...,
    hub: Hub | None = ...,
    **kwargs: Any,
) -> dict[str, Any]: ...
@overload
async def achat(
    client: AsyncClient,
    repo: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    quantization: str | None = ...,
    stream: Literal[True],
    hub: Hub | None = ...,
    **kwargs: Any,
) -> AsyncStream: ...
@overload
async def achat(
    client: AsyncClient,
    repo: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    quantization: str | None = ...,
    stream: bool = ...,
    hub: Hub | None = ...,
    **kwargs: Any,
) -> dict[str, Any] | AsyncStream: ...


async def achat(
    client: AsyncClient,
    repo: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    quantization: str | None = None,
    stream: bool = False,
    hub: Hub | None = None,
    **kwargs: Any,
) -> dict[str, Any] | AsyncStream:
    """Async :func:`chat`."""
    model = await _amodel_for_use(client, repo, quantization, hub)
    return await client.chat(model, messages, stream=stream, **kwargs)


@overload
async def agenerate(
    client: AsyncClient,
    repo: str,
    prompt: str = ...,
    *,
    quantization: str | None = ...,
    stream: Literal[False] = ...,
    hub: Hub | None = ...,
    **kwargs: Any,
) -> dict[str, Any]: ...
@overload
async def agenerate(
    client: AsyncClient,
    repo: str,
    prompt: str = ...,
    *,
    quantization: str | None = ...,
    stream: Literal[True],
    hub: Hub | None = ...,
    **kwargs: Any,
) -> AsyncStream: ...
@overload
async def agenerate(
    client: AsyncClient,
    repo: str,
    prompt: str = ...,
    *,
    quantization: str | None = ...,
    stream: bool = ...,
    hub: Hub | None = ...,
    **kwargs: Any,
) -> dict[str, Any] | AsyncStream: ...


async def agenerate(
    client: AsyncClient,
    repo: str,
    prompt: str = "",
    *,
    quantization: str | None = None,
    stream: bool = False,
    hub: Hub | None = None,
    **kwargs: Any,
) -> dict[str, Any] | AsyncStream:
    """Async :func:`generate`."""
    model = await _amodel_for_use(client, repo, quantization, hub)
    return await client.generate(model, prompt, stream=stream, **kwargs)


async def aembed(
    client: AsyncClient,
    repo: str,
    input: str | Sequence[str],
    *,
    quantization: str | None = None,
    hub: Hub | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Async :func:`embed`."""
    model = await _amodel_for_use(client, repo, quantization, hub)
    return await client.embed(model, input, **kwargs)
