"""Will it run here? Memory estimates from a GGUF header, and LM Studio-style fit labels.

**The estimate** (all in bytes; GB = 10**9 bytes)::

    weights  = the file's size (all shards)
    kv_cache = n_ctx × Σ_layers n_head_kv[l] × (key_length + value_length) × bytes_per_element
    overhead = 5% of weights + kv_cache(256 tokens)          # HF's `gguf-view` CLI rule …
             + 512 × n_vocab × 4                              # … + logits of one 512-token batch
    total    = weights + kv_cache + overhead

- ``n_ctx`` defaults to ``min(model context_length, 4096)``: 4096 is Ollama's default context
  and HF's CLI default; pass ``context_length=`` for more.
- ``bytes_per_element``: f32 4, f16/bf16 2, q8_0 34/32, q5_1 24/32, q5_0 22/32, q4_1 20/32,
  q4_0/iq4_nl 18/32 (ggml block sizes, ``GGML_QUANT_SIZES``).
- ``n_head_kv`` may be a per-layer list; layers with 0 KV heads (recurrent layers of hybrid
  models) add nothing. (HF's CLI falls back to ``head_count`` for those; we don't.) Missing
  ``head_count_kv`` means no GQA (= ``head_count``); missing key/value lengths are
  ``embedding_length / head_count``, as the GGUF spec says.
- Overhead: HF's ``@huggingface/gguf`` CLI uses only ``kv_cache(256) + 5% of weights``. That
  leaves out llama.cpp's compute buffer, which is dominated by the logits of one micro-batch
  (``n_ubatch`` = 512 tokens × vocabulary × 4 bytes: ~263 MB for a 128k vocabulary), so we add
  it. Not included: the GPU driver's own context (a few hundred MB), covered by the 10%
  :data:`HEADROOM`.
- Mamba / RWKV models (no KV cache, a fixed recurrent state) are reported as unsupported
  (``supported=False``, totals ``None``) rather than with wrong numbers. Models with
  sliding-window attention get a note: llama.cpp keeps less cache for their windowed layers,
  so the estimate is an upper bound. So do DeepSeek-style MLA models in older conversions
  (``kv_lora_rank`` but no ``key_length_mla``): the header's full per-head sizes are what
  llama.cpp allocates for those files; re-converted files declare the compressed sizes.

**Fit labels** (:func:`hfollama_widgets.gguf.fit.fit_label`), with 10% headroom on every budget::

    full_gpu_offload     total ≤ 0.9 × GPU budget (VRAM; Apple: 75% of unified memory)
    partial_gpu_offload  a GPU exists and total ≤ 0.9 × (GPU budget + RAM)  (Apple: ≤ 0.9 × RAM)
    fits_in_ram          no GPU and total ≤ 0.9 × RAM
    too_large            otherwise

Total RAM is used, not "available" RAM, which changes from minute to minute.

This module is the one place these rules live: the formula and its constants, the default
context and the headroom below. :mod:`hfollama_widgets.gguf.fit` applies them to listings; the
Hub reads the header they need (:meth:`hfollama_widgets.hub.Hub.estimate_memory` for a repo id).

>>> KV_CACHE_TYPES["q8_0"]
1.0625
>>> default_context_length(131072), default_context_length(2048), default_context_length(None)
(4096, 2048, 4096)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hfollama_widgets.checks import positive_int
from hfollama_widgets.errors import InvalidArgumentError, InvalidArgumentTypeError

if TYPE_CHECKING:
    from hfollama_widgets.gguf.metadata import GGUFMetadata

__all__ = [
    "DEFAULT_CONTEXT_LENGTH",
    "HEADROOM",
    "KV_CACHE_TYPES",
    "OVERHEAD_KV_TOKENS",
    "UBATCH_TOKENS",
    "WEIGHTS_OVERHEAD",
    "default_context_length",
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
HEADROOM = 0.9
"""Share of every memory budget a model may use (the rest: driver, OS, other programs)."""
_UNSUPPORTED_PREFIXES = ("mamba", "rwkv")


def default_context_length(model_context: int | None) -> int:
    """The context the estimate assumes when none is chosen: Ollama's default, capped by the model.

    >>> default_context_length(32768)
    4096
    """
    return min(model_context, DEFAULT_CONTEXT_LENGTH) if model_context else DEFAULT_CONTEXT_LENGTH


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
    meta: GGUFMetadata,
    *,
    context_length: int | None = None,
    kv_cache_type: str = "f16",
    file_size: int | None = None,
) -> dict[str, Any]:
    """Memory to run a GGUF model described by its header: weights, KV cache, overhead, total.

    The rules are in this module's docstring. ``file_size`` overrides the weights (to estimate
    another quant of the same model from one header). ``context_length`` is a whole number > 0
    or ``None`` (the default context); anything else raises ``InvalidArgumentError``. For a
    repo id, read the header through the Hub: :meth:`hfollama_widgets.hub.Hub.estimate_memory`.

    Example (against the real Hub)::

        meta = Hub().gguf_metadata("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Q4_K_M")
        estimate_memory(meta, context_length=8192)["kv_cache_bytes"] / 2**30  # -> 1.0
    """
    bpe = _bytes_per_element(kv_cache_type)
    weights = file_size if file_size is not None else (meta.file_size or meta.tensor_bytes or None)
    max_ctx = meta.context_length
    n_ctx = positive_int("context_length", context_length) or default_context_length(max_ctx)
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
    """Bytes per element of a KV cache type (typed errors name ``kv_cache_type``).

    >>> _bytes_per_element("Q8_0"), _bytes_per_element("q3")
    Traceback (most recent call last):
    ...
    hfollama_widgets.errors.InvalidArgumentError: kv_cache_type='q3' is not valid: ...
    """
    fix = f"Use one of {', '.join(KV_CACHE_TYPES)} (like OLLAMA_KV_CACHE_TYPE)."
    if not isinstance(kv_cache_type, str):
        raise InvalidArgumentTypeError(
            "kv_cache_type",
            kv_cache_type,
            f"must be a str, not {type(kv_cache_type).__name__}",
            fix=fix,
        )
    try:
        return KV_CACHE_TYPES[kv_cache_type.lower()]
    except KeyError:
        raise InvalidArgumentError(
            "kv_cache_type", kv_cache_type, "is not a KV cache type llama.cpp knows", fix=fix
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
