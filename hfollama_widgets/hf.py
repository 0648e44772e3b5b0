"""Hugging Face convenience: pull, chat, generate and embed by repo id.

``repo`` is a repo id (``"bartowski/Llama-3.2-1B-Instruct-GGUF"``, optionally with ``":TAG"``)
or an ``hf.co/…`` reference. The quantization comes from ``quantization=``, else from the tag,
else it is chosen: :func:`pull` asks the Hub (``hub.auto_select``: Q4_K_M first, never a split
file); :func:`chat`, :func:`generate` and :func:`embed` first look for a model of that repo
already on the Ollama server, and only ask the Hub when there is none.

>>> import hfollama_widgets as hfw
>>> hfw.hf.resolve_ref("bartowski/Llama-3.2-1B-Instruct-GGUF", "q4_k_m")
'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from hfollama_widgets.ollama import AsyncClient, AsyncStream, Client, Stream
from hfollama_widgets.refs import parse_model_ref, to_model_ref

if TYPE_CHECKING:
    from hfollama_widgets.hub import Hub

__all__ = [
    "achat",
    "aembed",
    "agenerate",
    "apull",
    "chat",
    "embed",
    "generate",
    "pull",
    "resolve_ref",
]

_HF_PREFIXES = ("hf.co/", "huggingface.co/", "www.huggingface.co/", "http://", "https://")


def _as_ref(repo: str) -> str:
    """``repo`` as an ``hf.co/…`` reference (a repo id gets the ``hf.co/`` host)."""
    text = repo.strip()
    return text if text.lower().startswith(_HF_PREFIXES) else f"hf.co/{text}"


def _tag_of(ref: str) -> str | None:
    return parse_model_ref(ref).quantization


def resolve_ref(
    repo: str,
    quantization: str | None = None,
    *,
    hub: Hub | None = None,
    max_size_gb: float | None = None,
) -> str:
    """The Ollama reference for ``repo``; without a quantization or tag, the Hub's best pick.

    >>> resolve_ref("hf.co/unsloth/Qwen3-4B-GGUF:q4_k_m")
    'hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M'
    """
    ref = to_model_ref(_as_ref(repo), quantization)
    if _tag_of(ref) is not None:
        return ref
    if hub is None:
        from hfollama_widgets.hub import default_hub

        hub = default_hub()
    chosen, _row = hub.auto_select(parse_model_ref(ref).repo_id, max_size_gb=max_size_gb)
    return to_model_ref(ref, _tag_of(chosen))


def _local_pick(models: Mapping[str, Any], ref: str) -> str | None:
    """A pulled model of the same repo (most recently modified first), if any."""
    wanted = parse_model_ref(ref).repo_id.lower()
    for item in models.get("models") or []:
        name = str(item.get("model") or item.get("name") or "")
        try:
            parsed = parse_model_ref(name)
        except ValueError:
            continue
        if parsed.repo_id.lower() == wanted:
            return name
    return None


def _model_for_use(client: Client, repo: str, quantization: str | None, hub: Hub | None) -> str:
    ref = to_model_ref(_as_ref(repo), quantization)
    if _tag_of(ref) is None:
        local = _local_pick(client.list(), ref)
        if local is not None:
            return local
    return resolve_ref(ref, hub=hub)


def pull(
    client: Client,
    repo: str,
    *,
    quantization: str | None = None,
    stream: bool = False,
    progress: bool = False,
    hub: Hub | None = None,
    insecure: bool = False,
    max_size_gb: float | None = None,
) -> Any:
    """Pull a Hub repo's GGUF into Ollama; the quantization is auto-selected when omitted.

    ``stream=True`` returns a :class:`~hfollama_widgets.ollama.Stream` of progress dicts;
    ``progress=True`` shows progress (a widget in a notebook, which is returned; a terminal
    bar elsewhere, returning the final dict).

    >>> # hfw.pull(client, "bartowski/Llama-3.2-1B-Instruct-GGUF", quantization="Q4_K_M")
    >>> # {'status': 'success'}
    """
    ref = resolve_ref(repo, quantization, hub=hub, max_size_gb=max_size_gb)
    if progress:
        from hfollama_widgets.pull_display import pull_with_progress

        return pull_with_progress(client, ref)
    return client.pull(ref, insecure=insecure, stream=stream)


@overload
def chat(
    client: Client,
    repo: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    quantization: str | None = ...,
    stream: Literal[False] = ...,
    hub: Hub | None = ...,
    **kwargs: Any,
) -> dict[str, Any]: ...
@overload
def chat(
    client: Client,
    repo: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    quantization: str | None = ...,
    stream: Literal[True],
    hub: Hub | None = ...,
    **kwargs: Any,
) -> Stream: ...
@overload
def chat(
    client: Client,
    repo: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    quantization: str | None = ...,
    stream: bool = ...,
    hub: Hub | None = ...,
    **kwargs: Any,
) -> dict[str, Any] | Stream: ...


def chat(
    client: Client,
    repo: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    quantization: str | None = None,
    stream: bool = False,
    hub: Hub | None = None,
    **kwargs: Any,
) -> dict[str, Any] | Stream:
    """Chat with a Hub model pulled into Ollama (``kwargs`` go to :meth:`Client.chat`).

    >>> # hfw.chat(client, "bartowski/Llama-3.2-1B-Instruct-GGUF",
    >>> #          [{"role": "user", "content": "Hi"}])["message"]["content"]
    """
    model = _model_for_use(client, repo, quantization, hub)
    return client.chat(model, messages, stream=stream, **kwargs)


@overload
def generate(
    client: Client,
    repo: str,
    prompt: str = ...,
    *,
    quantization: str | None = ...,
    stream: Literal[False] = ...,
    hub: Hub | None = ...,
    **kwargs: Any,
) -> dict[str, Any]: ...
@overload
def generate(
    client: Client,
    repo: str,
    prompt: str = ...,
    *,
    quantization: str | None = ...,
    stream: Literal[True],
    hub: Hub | None = ...,
    **kwargs: Any,
) -> Stream: ...
@overload
def generate(
    client: Client,
    repo: str,
    prompt: str = ...,
    *,
    quantization: str | None = ...,
    stream: bool = ...,
    hub: Hub | None = ...,
    **kwargs: Any,
) -> dict[str, Any] | Stream: ...


def generate(
    client: Client,
    repo: str,
    prompt: str = "",
    *,
    quantization: str | None = None,
    stream: bool = False,
    hub: Hub | None = None,
    **kwargs: Any,
) -> dict[str, Any] | Stream:
    """Complete a prompt with a Hub model (``kwargs`` go to :meth:`Client.generate`).

    >>> # hfw.generate(client, "bartowski/Llama-3.2-1B-Instruct-GGUF", "Hi")["response"]
    """
    model = _model_for_use(client, repo, quantization, hub)
    return client.generate(model, prompt, stream=stream, **kwargs)


def embed(
    client: Client,
    repo: str,
    input: str | Sequence[str],
    *,
    quantization: str | None = None,
    hub: Hub | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Embed text(s) with a Hub model (``kwargs`` go to :meth:`Client.embed`).

    >>> # hfw.embed(client, "nomic-ai/nomic-embed-text-v1.5-GGUF", "hello")["embeddings"]
    """
    model = _model_for_use(client, repo, quantization, hub)
    return client.embed(model, input, **kwargs)


# --- async twins ----------------------------------------------------------------------------


async def _aresolve(
    repo: str, quantization: str | None, hub: Hub | None, max_size_gb: float | None = None
) -> str:
    ref = to_model_ref(_as_ref(repo), quantization)
    if _tag_of(ref) is not None:
        return ref
    # The Hub client is synchronous: keep the event loop free while it works.
    return await asyncio.to_thread(resolve_ref, ref, hub=hub, max_size_gb=max_size_gb)


async def _amodel_for_use(
    client: AsyncClient, repo: str, quantization: str | None, hub: Hub | None
) -> str:
    ref = to_model_ref(_as_ref(repo), quantization)
    if _tag_of(ref) is None:
        local = _local_pick(await client.list(), ref)
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
    return await client.pull(ref, insecure=insecure, stream=stream)


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
