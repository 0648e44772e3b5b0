"""The GGUF format and what a model costs to run (pure: no I/O).

- :mod:`~hfollama_widgets.gguf.header`: the incremental header parser (asks for more bytes
  when it runs out);
- :mod:`~hfollama_widgets.gguf.metadata`: :class:`GGUFMetadata`, what a header says;
- :mod:`~hfollama_widgets.gguf.memory`: the memory estimate; the one place its rules live
  (formula, default context, headroom);
- :mod:`~hfollama_widgets.gguf.speed`: the decode-speed ceiling (bandwidth / bytes per token);
- :mod:`~hfollama_widgets.gguf.fit`: fit labels and the listing columns and selection built
  on them.

Reading a header over the network is the Hub client's job (:mod:`hfollama_widgets.hub`).

>>> from hfollama_widgets.hardware import Hardware
>>> fit_label(6e9, Hardware(ram_gb=32, vram_gb=8))
'full_gpu_offload'
>>> FIT_TEXT[fit_label(20e9, Hardware(ram_gb=32, vram_gb=8))]
'Partial GPU offload'
"""

from __future__ import annotations

from hfollama_widgets.gguf.fit import (
    FIT_ORDER,
    FIT_TEXT,
    FitLabel,
    add_fit_columns,
    fit_label,
    header_file,
    resolve_hardware,
    select_fitting,
    select_fitting_row,
)
from hfollama_widgets.gguf.header import BadGGUF, HeaderParser, NeedMoreBytes
from hfollama_widgets.gguf.memory import (
    DEFAULT_CONTEXT_LENGTH,
    HEADROOM,
    KV_CACHE_TYPES,
    UBATCH_TOKENS,
    default_context_length,
    effective_bits_per_weight,
    estimate_memory,
    kv_cache_bytes_per_token,
)
from hfollama_widgets.gguf.metadata import GGUFMetadata, metadata_from_parser
from hfollama_widgets.gguf.speed import decode_bytes_per_token, decode_ceiling_tokens_per_s

__all__ = [
    "DEFAULT_CONTEXT_LENGTH",
    "FIT_ORDER",
    "FIT_TEXT",
    "HEADROOM",
    "KV_CACHE_TYPES",
    "UBATCH_TOKENS",
    "BadGGUF",
    "FitLabel",
    "GGUFMetadata",
    "HeaderParser",
    "NeedMoreBytes",
    "add_fit_columns",
    "decode_bytes_per_token",
    "decode_ceiling_tokens_per_s",
    "default_context_length",
    "effective_bits_per_weight",
    "estimate_memory",
    "fit_label",
    "header_file",
    "kv_cache_bytes_per_token",
    "metadata_from_parser",
    "resolve_hardware",
    "select_fitting",
    "select_fitting_row",
]
