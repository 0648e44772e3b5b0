"""The memory estimate behind :func:`hfollama_widgets.memory.estimate_memory` (pure arithmetic).

The rules (all in bytes; GB = 10**9 bytes) are in the docstring of :mod:`hfollama_widgets.memory`.

>>> KV_CACHE_TYPES["q8_0"]
1.0625
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hfollama_widgets.gguf_meta import GGUFMetadata
    from hfollama_widgets.hub import Hub

__all__ = [
    "DEFAULT_CONTEXT_LENGTH",
    "KV_CACHE_TYPES",
    "OVERHEAD_KV_TOKENS",
    "UBATCH_TOKENS",
    "WEIGHTS_OVERHEAD",
    "effective_bits_per_weight",
    "estimate_memory",
    "kv_cache_bytes_per_token",
]

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
"""Bytes per KV-cache element, by llama.cpp ``--cache-type-k/v`` (Ollama: OLLAMA_KV_CACHE_TYPE)."""

DEFAULT_CONTEXT_LENGTH = 4096
WEIGHTS_OVERHEAD = 0.05
OVERHEAD_KV_TOKENS = 256
UBATCH_TOKENS = 512
_UNSUPPORTED_PREFIXES = ("mamba", "rwkv")


def effective_bits_per_weight(
    size_bytes: float | None, parameter_count: float | None
) -> float | None:
    """Bits per weight a file really spends: ``size_bytes × 8 / parameter_count``.

    >>> effective_bits_per_weight(4_920_734_016, 8_030_261_248)
    4.902
    """
    if not size_bytes or not parameter_count or parameter_count <= 0:
        return None
    return round(size_bytes * 8 / parameter_count, 3)


def kv_cache_bytes_per_token(meta: GGUFMetadata, kv_cache_type: str = "f16") -> float | None:
    """KV-cache bytes one token of context costs (``None`` if the model has no usable keys).

    Llama-3-8B at f16: 32 layers × 8 KV heads × (128 + 128) × 2 bytes = 131072 (128 KiB).
    """
    inputs = _kv_inputs(meta)
    if inputs is None:
        return None
    heads, k_len, v_len = inputs
    return sum(heads) * (k_len + v_len) * _bytes_per_element(kv_cache_type)


def estimate_memory(
    meta_or_repo: GGUFMetadata | str,
    quant: str | None = None,
    *,
    context_length: int | None = None,
    kv_cache_type: str = "f16",
    file_size: int | None = None,
    hub: Hub | None = None,
) -> dict[str, Any]:
    """Memory to run a GGUF model: weights, KV cache, overhead, total.

    The rules are in the docstring of :mod:`hfollama_widgets.memory`.

    ``meta_or_repo`` is a :class:`GGUFMetadata` or a repo id (then ``quant`` picks the file and
    its header is read with :func:`gguf_metadata`). ``file_size`` overrides the weights (to
    estimate another quant of the same model from one header).

    Example (against the real Hub and Ollama)::

        est = estimate_memory("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Q4_K_M",
                              context_length=8192)
        est["kv_cache_bytes"] / 2**30  # -> 1.0
    """
    bpe = _bytes_per_element(kv_cache_type)
    meta = _as_metadata(meta_or_repo, quant, hub)
    weights = file_size if file_size is not None else (meta.file_size or meta.tensor_bytes or None)
    max_ctx = meta.context_length
    n_ctx = (
        int(context_length)
        if context_length
        else min(max_ctx or DEFAULT_CONTEXT_LENGTH, DEFAULT_CONTEXT_LENGTH)
    )
    if n_ctx <= 0:
        raise ValueError("context_length must be a positive number of tokens")
    notes: list[str] = []
    if max_ctx and n_ctx > max_ctx:
        notes.append(f"context_length {n_ctx} is above the model's trained {max_ctx} tokens")
    out: dict[str, Any] = {
        "architecture": meta.architecture,
        "supported": True,
        "reason": None,
        "context_length": n_ctx,
        "max_context_length": max_ctx,
        "kv_cache_type": kv_cache_type,
        "bytes_per_element": bpe,
        "n_layers": meta.block_count,
        "kv_heads": meta.head_count_kv,
        "key_length": meta.key_length,
        "value_length": meta.value_length,
        "parameter_count": meta.parameter_count or None,
        "effective_bpw": effective_bits_per_weight(weights, meta.parameter_count),
        "weights_bytes": weights,
        "notes": notes,
    }
    per_token = kv_cache_bytes_per_token(meta, kv_cache_type)
    arch = meta.architecture or ""
    if arch.startswith(_UNSUPPORTED_PREFIXES) or per_token is None or weights is None:
        if arch.startswith(_UNSUPPORTED_PREFIXES):
            reason = (
                f"memory estimates for {arch!r} (a recurrent model, no KV cache) are unsupported"
            )
        elif per_token is None:
            reason = "the header lacks block_count / head_count, so the KV cache is unknown"
        else:
            reason = "the file size is unknown"
        out.update(supported=False, reason=reason, kv_bytes_per_token=None)
        for part in ("kv_cache", "overhead", "total"):
            out[f"{part}_bytes"] = out[f"{part}_gb"] = None
        out["weights_gb"] = None if weights is None else weights / 1e9
        out["overhead_breakdown"] = None
        return out
    kv = round(n_ctx * per_token)
    breakdown = {
        "weights_5pct": round(weights * WEIGHTS_OVERHEAD),
        "kv_256_tokens": round(OVERHEAD_KV_TOKENS * per_token),
        "logits_buffer": UBATCH_TOKENS * (meta.vocab_size or 0) * 4,
    }
    overhead = sum(breakdown.values())
    arch_kv = f"{meta.architecture}.attention"
    if f"{arch_kv}.kv_lora_rank" in meta.kv and f"{arch_kv}.key_length_mla" not in meta.kv:
        notes.append(
            "multi-head latent attention (MLA) model in an older conversion: llama.cpp keeps the "
            "full per-head cache for it, as estimated; a re-converted file (with key_length_mla) "
            "needs far less"
        )
    if f"{arch_kv}.sliding_window" in meta.kv:
        notes.append(
            "sliding-window attention: llama.cpp keeps less KV cache, so this is an upper bound"
        )
    total = weights + kv + overhead
    out.update(
        kv_bytes_per_token=per_token,
        kv_cache_bytes=kv,
        overhead_bytes=overhead,
        overhead_breakdown=breakdown,
        total_bytes=total,
        weights_gb=weights / 1e9,
        kv_cache_gb=kv / 1e9,
        overhead_gb=overhead / 1e9,
        total_gb=total / 1e9,
    )
    return out


# --- helpers ------------------------------------------------------------------------------


def _bytes_per_element(kv_cache_type: str) -> float:
    try:
        return KV_CACHE_TYPES[kv_cache_type.lower()]
    except KeyError:
        raise ValueError(
            f"Unknown kv_cache_type {kv_cache_type!r}; use one of {', '.join(KV_CACHE_TYPES)}."
        ) from None


def _kv_inputs(meta: GGUFMetadata) -> tuple[list[int], int, int] | None:
    """(KV heads per layer, key_length, value_length), or None when the header can't say."""
    layers = meta.block_count
    if not layers:
        return None
    raw = meta.head_count_kv if meta.head_count_kv is not None else meta.head_count
    if isinstance(raw, list):
        heads = [int(h or 0) for h in raw[:layers]] + [0] * max(0, layers - len(raw))
    elif raw is None:
        return None
    else:
        heads = [int(raw)] * layers
    if meta.key_length is None or meta.value_length is None:
        return None
    return heads, int(meta.key_length), int(meta.value_length)


def _as_metadata(
    meta_or_repo: GGUFMetadata | str, quant: str | None, hub: Hub | None
) -> GGUFMetadata:
    if not isinstance(meta_or_repo, str):
        return meta_or_repo
    from hfollama_widgets.gguf_meta import gguf_metadata

    if quant is None:
        if hub is None:
            from hfollama_widgets.hub import default_hub

            hub = default_hub()
        _, row = hub.auto_select(meta_or_repo)
        quant = str(row["filename"])
    return gguf_metadata(meta_or_repo, quant, hub=hub)
