"""KV-cache cells and bytes, as llama.cpp allocates them (the rules: :mod:`..memory`).

>>> pad(4097), kv_cells(4096, 2), kv_cells(8192, 4, unified=True)
(4352, (4096, 2), (8192, 1))
"""

from __future__ import annotations

from dataclasses import dataclass

from hfollama_widgets.gguf.memory.layers import LayerPlan

__all__ = ["KV_CACHE_TYPES", "KVCache", "kv_cache", "kv_cells", "pad", "swa_cells"]

KV_CACHE_TYPES: dict[str, float] = {
    "f32": 4.0,
    "f16": 2.0,
    "bf16": 2.0,
    "q8_0": 34 / 32,
    "q5_1": 24 / 32,
    "q5_0": 22 / 32,
    "q4_1": 20 / 32,
    "q4_0": 18 / 32,
    "iq4_nl": 18 / 32,
}
"""Bytes per KV-cache element by ``--cache-type-k/v`` (ggml-common.h block sizes, QK = 32)."""

CELL_PADDING = 256
"""Cells are padded to 256 ([LC] llama-context.cpp L52, L149-164; PR #17046)."""


def pad(n: int, to: int = CELL_PADDING) -> int:
    """``GGML_PAD(n, to)``: n rounded up to a multiple of ``to``."""
    return (n + to - 1) // to * to


def kv_cells(n_ctx: int, n_seq: int, *, unified: bool = False) -> tuple[int, int]:
    """(cells per stream, streams) for ``n_seq`` slots.

    Separate streams (Ollama: ``-c NumCtx*P -np P`` without ``-kvu``, llm/llama_server.go
    L375-376): ``n_ctx`` is per slot; llama.cpp pads the total to 256 and gives every sequence
    ``pad(total / n_seq)`` cells. Unified (``-kvu``; llama-server's ``-np`` auto): the slots
    share one stream of ``pad(n_ctx)`` cells ([LC] llama-context.cpp L149-164).
    """
    if unified:
        return pad(n_ctx), 1
    total = pad(n_ctx * n_seq)
    return pad(total // n_seq), n_seq


def swa_cells(
    kv_size: int, n_swa: int, n_ubatch: int, *, swa_full: bool, unified_seqs: int = 1
) -> int:
    """Cells per stream of a sliding-window layer ([LC] src/llama-kv-cache-iswa.cpp L47-56):
    ``pad(min(cells, n_swa × (unified ? n_seq : 1) + n_ubatch))``."""
    return kv_size if swa_full else pad(min(kv_size, n_swa * unified_seqs + n_ubatch))


@dataclass(frozen=True)
class KVCache:
    """Bytes of the K and V caches and the cells they hold (per stream)."""

    k_bytes: int
    v_bytes: int
    cells: int
    swa_cells: int | None
    streams: int

    @property
    def total(self) -> int:
        return self.k_bytes + self.v_bytes


def kv_cache(
    plan: LayerPlan,
    *,
    kv_size: int,
    n_stream: int,
    n_ubatch: int,
    bytes_per_element: float,
    swa_full: bool,
    flash_attention: bool,
    mla_v_cache: bool,
    unified_seqs: int = 1,
) -> KVCache:
    """The KV cache of ``plan`` for ``n_stream`` streams of ``kv_size`` cells.

    Per layer with KV heads: K = ``key_length × heads × cells`` (SWA layers:
    ``key_length_swa`` where the file has it), V likewise (without flash
    attention V is stored transposed at the widest layer's width, [LC] llama-kv-cache.cpp
    L94-134). SWA layers keep :func:`swa_cells` and stay F16 (PR #21277, 2026). MLA files keep
    K only (PR #19067, V read from K) unless ``mla_v_cache`` (builds before it).
    """
    cells_swa = swa_cells(
        kv_size, plan.n_swa, n_ubatch, swa_full=swa_full, unified_seqs=unified_seqs
    )
    widths_v = [
        h * plan.head_lengths(sw)[1] for h, sw in zip(plan.kv_heads, plan.swa, strict=True) if h
    ]
    widest_v = max(widths_v, default=0)
    k_total = v_total = 0.0
    any_swa = False
    for heads, is_swa in zip(plan.kv_heads, plan.swa, strict=True):
        if not heads:
            continue
        cells = cells_swa if is_swa else kv_size
        any_swa = any_swa or is_swa
        bpe = KV_CACHE_TYPES["f16"] if is_swa and bytes_per_element < 2 else bytes_per_element
        k_len, v_len = plan.head_lengths(is_swa)
        k_total += heads * k_len * cells * bpe
        if plan.mla and not mla_v_cache:
            continue
        v_width = heads * v_len if flash_attention else widest_v
        v_total += v_width * cells * bpe
    return KVCache(
        k_bytes=round(k_total * n_stream),
        v_bytes=round(v_total * n_stream),
        cells=kv_size,
        swa_cells=cells_swa if any_swa else None,
        streams=n_stream,
    )
