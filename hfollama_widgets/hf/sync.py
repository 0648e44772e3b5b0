"""Hugging Face convenience: pull, chat, generate and embed by repo id.

``repo`` is a repo id (``"bartowski/Llama-3.2-1B-Instruct-GGUF"``, optionally with ``":TAG"``)
or an ``hf.co/…`` reference. The quantization comes from ``quantization=``, else from the tag,
else it is chosen: :func:`pull` asks the Hub (``hub.auto_select``: Q4_K_M first, never a split
file); :func:`chat`, :func:`generate` and :func:`embed` first look for a model of that repo
already on the Ollama server, and only ask the Hub when there is none.

The async twins (:func:`apull`, :func:`achat`, :func:`agenerate`, :func:`aembed`) live in
:mod:`~hfollama_widgets.hf.aio` and the reference resolution both share in
:mod:`~hfollama_widgets.hf.resolve`; import them from :mod:`hfollama_widgets.hf`.

>>> import hfollama_widgets as hfw
>>> hfw.hf.resolve_ref("bartowski/Llama-3.2-1B-Instruct-GGUF", "q4_k_m")
'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from hfollama_widgets.errors import PrivateRepoAuthError
from hfollama_widgets.hf.resolve import as_ref, local_pick, realm_retry, resolve_ref, tag_of
from hfollama_widgets.ollama import Client, Stream
from hfollama_widgets.refs import to_model_ref
from hfollama_widgets.terminal import pull_with_bar

if TYPE_CHECKING:
    from hfollama_widgets.hub import Hub

__all__ = [
    "chat",
    "embed",
    "generate",
    "pull",
    "resolve_ref",
]


def _model_for_use(client: Client, repo: str, quantization: str | None, hub: Hub | None) -> str:
    ref = to_model_ref(as_ref(repo), quantization)
    if tag_of(ref) is None:
        local = local_pick(client.list(), ref)
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
    ``progress=True`` draws a progress bar (:func:`~hfollama_widgets.terminal.pull_with_bar`)
    and returns the final dict. ``hfw.pull`` (:func:`hfollama_widgets.widgets.display.pull`)
    shows a :class:`~hfollama_widgets.PullProgress` widget instead in a Jupyter kernel.

    Example (against the real Hub and Ollama)::

        hfw.pull(client, "bartowski/Llama-3.2-1B-Instruct-GGUF", quantization="Q4_K_M")
        # -> {'status': 'success'}
    """
    ref = resolve_ref(repo, quantization, hub=hub, max_size_gb=max_size_gb)
    if stream:  # the caller reads the lines: a realm error arrives there (see PrivateRepoAuthError)
        return client.pull(ref, insecure=insecure, stream=True)
    try:
        if progress:
            return pull_with_bar(client, ref, insecure=insecure)
        return client.pull(ref, insecure=insecure)
    except PrivateRepoAuthError as err:
        retry = realm_retry(err)  # Ollama >= 0.14.3 on hf.co/: retry as huggingface.co/
        if progress:
            return pull_with_bar(client, retry, insecure=insecure)
        return client.pull(retry, insecure=insecure)


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

    Example (against the real Hub and Ollama)::

        hfw.chat(client, "bartowski/Llama-3.2-1B-Instruct-GGUF",
                 [{"role": "user", "content": "Hi"}])["message"]["content"]
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

    Example (against the real Hub and Ollama)::

        hfw.generate(client, "bartowski/Llama-3.2-1B-Instruct-GGUF", "Hi")["response"]
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

    Example (against the real Hub and Ollama)::

        hfw.embed(client, "nomic-ai/nomic-embed-text-v1.5-GGUF", "hello")["embeddings"]
    """
    model = _model_for_use(client, repo, quantization, hub)
    return client.embed(model, input, **kwargs)
