"""Hugging Face convenience: pull, chat, generate and embed by repo id, sync and async.

- :mod:`~hfollama_widgets.hf.resolve`: which Ollama model a repo id means (one resolver);
- :mod:`~hfollama_widgets.hf.sync`: :func:`pull`, :func:`chat`, :func:`generate`, :func:`embed`;
- :mod:`~hfollama_widgets.hf.aio`: their async twins on an ``AsyncClient``.

>>> resolve_ref("bartowski/Llama-3.2-1B-Instruct-GGUF", "q4_k_m")
'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'
"""

from __future__ import annotations

from hfollama_widgets.hf.aio import achat, aembed, agenerate, apull
from hfollama_widgets.hf.resolve import resolve_ref
from hfollama_widgets.hf.sync import chat, embed, generate, pull

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
