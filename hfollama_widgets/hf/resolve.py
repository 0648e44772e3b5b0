"""Which Ollama model a Hugging Face call means (shared by the sync and async functions of ``hf``).

:func:`resolve_ref` turns a repo id or ``hf.co/…`` reference (plus an optional quantization)
into an Ollama reference, asking the Hub for the best quant when none is given;
:func:`local_pick` finds a model of that repo already on the Ollama server.

>>> as_ref("bartowski/Llama-3.2-1B-Instruct-GGUF")
'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF'
>>> local_pick({"models": [{"model": "hf.co/o/m:Q8_0"}]}, "hf.co/o/m")
'hf.co/o/m:Q8_0'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfollama_widgets.hub import Hub, default_hub
from hfollama_widgets.refs import looks_like_hf_ref, parse_model_ref, to_model_ref

__all__ = ["as_ref", "local_pick", "resolve_ref", "tag_of"]


def as_ref(repo: str) -> str:
    """``repo`` as an ``hf.co/…`` reference (a repo id gets the ``hf.co/`` host)."""
    text = repo.strip()
    return text if looks_like_hf_ref(text) else f"hf.co/{text}"


def tag_of(ref: str) -> str | None:
    """The tag (quantization) of an ``hf.co/…`` reference, ``None`` without one."""
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
    ref = to_model_ref(as_ref(repo), quantization)
    if tag_of(ref) is not None:
        return ref
    if hub is None:
        hub = default_hub()
    chosen, _row = hub.auto_select(parse_model_ref(ref).repo_id, max_size_gb=max_size_gb)
    return to_model_ref(ref, tag_of(chosen))


def local_pick(models: Mapping[str, Any], ref: str) -> str | None:
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
