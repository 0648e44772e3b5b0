"""Will it run here? What llama.cpp (and so Ollama) allocates for a GGUF model, from its header.

We follow llama.cpp tag **b10488**, the build Ollama v0.33 runs (``LLAMA_CPP_VERSION``); the
line numbers cite ggml-org/llama.cpp @ec98e2002 ([LC], as vendored in ollama/ollama), whose
rules b10488 keeps unless a later PR is named. All sizes in bytes (GB = 10**9 bytes)::

    total    = weights + kv_cache + recurrent_state + compute + output
    weights  = the file's size (all shards; llama.cpp maps the tensor data)
    kv_cache = Σ_layers with KV heads  cells(l) × heads_kv(l) × (key_length + value_length) × B
    cells    = pad(context, 256) per slot; SWA layers pad(min(cells, window + ubatch), 256)
    recurrent_state = Σ_recurrent layers 4 × (n_embd_r + n_embd_s) × slots
    compute  = the worst-case micro-batch graph (:mod:`.compute`), output = 4 × n_vocab × slots

- **Cells** ([LC] llama-context.cpp L52, L149-164): each of ``num_parallel`` slots gets its own
  ``pad(context_length, 256)`` cells, as Ollama runs ``-c NumCtx*P -np P`` (no ``-kvu``).
- **B**, bytes per element of ``kv_cache_type`` (``-ctk/-ctv``, ``OLLAMA_KV_CACHE_TYPE``):
  f32 4, f16/bf16 2, q8_0 34/32, q5_1 24/32, q5_0 22/32, q4_1 20/32, q4_0/iq4_nl 18/32
  (ggml block sizes). A quantized V cache needs flash attention. Sliding-window layers stay
  F16 (PR #21277, 2026).
- **Heads** ([LC] llama-model.cpp ``load_hparams`` L552-600): ``head_count_kv`` (scalar or per
  layer; 0 = no KV cache on that layer), key/value lengths default to
  ``embedding_length / head_count``; SWA layers use ``key_length_swa`` / ``value_length_swa``
  where the file has them (gemma4). Without flash attention V is stored transposed at the
  widest layer's width ([LC] llama-kv-cache.cpp L94-134).
- **Sliding window (SWA)** ([LC] llama-kv-cache-iswa.cpp L47-56): the SWA layers of gemma2/3/3n,
  gpt-oss, cohere2, olmo2, exaone4, afmoe, llama4, smallthinker (periods in
  :data:`.layers.SWA_PERIOD`, or the file's ``attention.sliding_window_pattern``) keep
  ``window + ubatch`` cells. ``swa_full=True`` (llama.cpp ``--swa-full``; the C API default)
  gives them the full context.
- **MLA** (DeepSeek-V2/V3 and the architectures reusing it): a file with ``key_length_mla`` /
  ``value_length_mla`` caches one compressed "head" of ``key_length`` (= kv_lora_rank + rope
  dims) per layer. b10488 includes PR #19067 (Jan 2026, "V-less cache"): no V cache; pass
  ``mla_v_cache=True`` for older builds (``value_length`` more per layer). Older conversions
  without ``*_mla`` keys get the full per-head cache, which is what llama.cpp allocates for them
  (and what Ollama's own converter writes).
- **Recurrent** (:mod:`.recurrent`): mamba/mamba2/rwkv hold only a state; hybrids (jamba,
  plamo2, granite-hybrid, lfm2, nemotron-h, falcon-h1, qwen3next/qwen3.5) hold a state on their
  recurrent layers and a KV cache on their attention layers (:mod:`.layers`).
- **Compute** (:mod:`.compute`): grows with the context without flash attention.
  ``flash_attention=None`` means llama.cpp's default ``-fa auto``, which turns it on wherever
  the backend supports it (CUDA, Metal, Vulkan, CPU); Ollama ≥ 0.30 passes ``--flash-attn auto``.
- ``ubatch_size`` (``-ub``): llama.cpp and Ollama both use 512 by default (Ollama sends
  ``num_batch`` as both ``-b`` and ``-ub``).
- ``context_length`` defaults to ``min(model context_length, 4096)``, Ollama's default context
  below 23 GiB of VRAM (server/routes.go). Not included: the GPU driver's own memory and the
  server's prompt cache (host RAM), covered by the 10% :data:`HEADROOM`.

**Fit labels** (:func:`hfollama_widgets.gguf.fit.fit_label`), with 10% headroom on every budget::

    full_gpu_offload     total ≤ 0.9 × GPU budget (VRAM; Apple: 75% of unified memory)
    partial_gpu_offload  a GPU exists and total ≤ 0.9 × (GPU budget + RAM)  (Apple: ≤ 0.9 × RAM)
    fits_in_ram          no GPU and total ≤ 0.9 × RAM
    too_large            otherwise

Checked against real llama.cpp load logs: ``tests/data/load_logs/`` and the README's table.

>>> KV_CACHE_TYPES["q8_0"]
1.0625
>>> default_context_length(131072), default_context_length(2048), default_context_length(None)
(4096, 2048, 4096)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hfollama_widgets.checks import positive_int
from hfollama_widgets.errors import InvalidArgumentError, InvalidArgumentTypeError
from hfollama_widgets.gguf.memory.compute import compute_buffer_bytes, output_buffer_bytes
from hfollama_widgets.gguf.memory.kv import KV_CACHE_TYPES, kv_cache, kv_cells
from hfollama_widgets.gguf.memory.layers import LayerPlan, layer_plan
from hfollama_widgets.gguf.memory.recurrent import recurrent_state_bytes

if TYPE_CHECKING:
    from hfollama_widgets.gguf.metadata import GGUFMetadata

__all__ = [
    "DEFAULT_CONTEXT_LENGTH",
    "HEADROOM",
    "KV_CACHE_TYPES",
    "UBATCH_TOKENS",
    "default_context_length",
    "effective_bits_per_weight",
    "estimate_memory",
    "kv_cache_bytes_per_token",
]

DEFAULT_CONTEXT_LENGTH = 4096
UBATCH_TOKENS = 512
"""``n_ubatch``: llama.cpp's default (common.h L311-337), Ollama's ``num_batch`` (api/types.go)."""
HEADROOM = 0.9
"""Share of every memory budget a model may use (the rest: driver, OS, other programs)."""


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
    """KV-cache bytes one cell costs over every layer that has a cache (``None``: unknown).

    Llama-3-8B at f16: 32 layers × 8 KV heads × (128 + 128) × 2 bytes = 131072 (128 KiB).
    """
    plan = layer_plan(meta)
    if plan is None:
        return None
    per_cell = 0
    for heads, is_swa in zip(plan.kv_heads, plan.swa, strict=True):
        k_len, v_len = plan.head_lengths(is_swa)
        per_cell += heads * (k_len + (0 if plan.mla else v_len))
    return per_cell * bytes_per_element(kv_cache_type)


def estimate_memory(
    meta: GGUFMetadata,
    *,
    context_length: int | None = None,
    kv_cache_type: str = "f16",
    flash_attention: bool | None = None,
    num_parallel: int = 1,
    file_size: int | None = None,
    ubatch_size: int = UBATCH_TOKENS,
    swa_full: bool = False,
    mla_v_cache: bool = False,
    kv_unified: bool = False,
    reserved_outputs: int | None = None,
) -> dict[str, Any]:
    """What llama.cpp allocates to run ``meta``'s model: weights, KV cache, state, compute, total.

    The rules are in this module's docstring. ``context_length`` is per slot (Ollama's
    ``num_ctx``), ``num_parallel`` the slots (``OLLAMA_NUM_PARALLEL``); with ``kv_unified``
    (llama-server's ``-np`` auto, ``-kvu``) the slots share ``context_length`` cells.
    ``reserved_outputs``: logits rows of the reserve graph (``None``: one per slot, as 2026
    builds; ``ubatch_size`` for 2025 builds). ``file_size`` overrides
    the weights (to estimate another quant of the same model from one header). Bad arguments
    raise ``InvalidArgumentError``. For a repo id, read the header through the Hub:
    :meth:`hfollama_widgets.hub.Hub.estimate_memory`.

    Example (against the real Hub)::

        meta = Hub().gguf_metadata("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Q4_K_M")
        estimate_memory(meta, context_length=8192)["kv_cache_bytes"] / 2**30  # -> 1.0
    """
    bpe = bytes_per_element(kv_cache_type)
    n_seq = positive_int("num_parallel", num_parallel) or 1
    ubatch = positive_int("ubatch_size", ubatch_size) or UBATCH_TOKENS
    fa = _flash_attention(flash_attention, kv_cache_type)
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
        "flash_attention": fa,
        "num_parallel": n_seq,
        "ubatch_size": ubatch,
        "kv_unified": kv_unified,
        "n_layers": meta.block_count,
        "kv_heads": meta.head_count_kv,
        "key_length": meta.key_length,
        "value_length": meta.value_length,
        "parameter_count": meta.parameter_count or None,
        "effective_bpw": effective_bits_per_weight(weights, meta.parameter_count),
        "weights_bytes": weights,
        "notes": notes,
    }
    plan = layer_plan(meta)
    if plan is None or weights is None:
        reason = (
            "the header lacks block_count / head_count, so the KV cache is unknown"
            if plan is None
            else "the file size is unknown"
        )
        return _unsupported(out, reason, weights)
    settings = _Settings(n_ctx, n_seq, ubatch, bpe, fa, swa_full, mla_v_cache, kv_unified)
    outputs = positive_int("reserved_outputs", reserved_outputs) or n_seq
    parts = _parts(meta, plan, settings, outputs)
    notes += _notes(meta, plan, swa_full)
    overhead = parts["compute_bytes"] + parts["output_bytes"]
    total = weights + parts["kv_cache_bytes"] + parts["recurrent_state_bytes"] + overhead
    out.update(parts)
    out.update(
        kv_bytes_per_token=kv_cache_bytes_per_token(meta, kv_cache_type),
        overhead_bytes=overhead,
        overhead_breakdown={"compute": parts["compute_bytes"], "output": parts["output_bytes"]},
        total_bytes=total,
    )
    for name in ("weights", "kv_cache", "recurrent_state", "compute", "overhead", "total"):
        out[f"{name}_gb"] = out[f"{name}_bytes"] / 1e9
    return out


def bytes_per_element(kv_cache_type: str) -> float:
    """Bytes per element of a KV cache type (typed errors name ``kv_cache_type``).

    >>> bytes_per_element("Q8_0"), bytes_per_element("q3")
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


# --- helpers ------------------------------------------------------------------------------


def _flash_attention(flash_attention: bool | None, kv_cache_type: str) -> bool:
    if flash_attention is not None and not isinstance(flash_attention, bool):
        raise InvalidArgumentTypeError(
            "flash_attention",
            flash_attention,
            f"must be True, False or None (llama.cpp's auto), not {type(flash_attention).__name__}",
            fix="Pass flash_attention=None for llama.cpp's default.",
        )
    if flash_attention is False and KV_CACHE_TYPES[kv_cache_type.lower()] < 2:
        raise InvalidArgumentError(
            "kv_cache_type",
            kv_cache_type,
            "needs flash attention: llama.cpp refuses a quantized V cache without it "
            "(llama-context.cpp L2423-2444)",
            fix="Use flash_attention=None/True, or kv_cache_type='f16'.",
        )
    return flash_attention is not False  # None: -fa auto, on where the backend supports it


@dataclass(frozen=True)
class _Settings:
    n_ctx: int
    n_seq: int
    ubatch: int
    bpe: float
    fa: bool
    swa_full: bool
    mla_v_cache: bool
    kv_unified: bool


def _parts(meta: GGUFMetadata, plan: LayerPlan, st: _Settings, outputs: int) -> dict[str, Any]:
    n_seq, fa = st.n_seq, st.fa
    kv_size, n_stream = kv_cells(st.n_ctx, n_seq, unified=st.kv_unified)
    n_ubatch = min(st.ubatch, kv_size * n_stream)  # min(n_batch, n_ubatch, n_ctx), L132
    kv = kv_cache(
        plan,
        kv_size=kv_size,
        n_stream=n_stream,
        n_ubatch=n_ubatch,
        bytes_per_element=st.bpe,
        swa_full=st.swa_full,
        flash_attention=fa,
        mla_v_cache=st.mla_v_cache,
        unified_seqs=n_seq if st.kv_unified else 1,
    )
    arch = meta.architecture or ""
    prefix = f"{arch}."
    keys = {k[len(prefix) :]: v for k, v in meta.kv.items() if k.startswith(prefix)}
    rs = recurrent_state_bytes(
        keys, plan.recurrent, n_embd=meta.embedding_length or 0, arch=arch, n_seq=n_seq
    )
    has_attention = any(plan.kv_heads)
    compute = compute_buffer_bytes(
        n_ubatch=n_ubatch,
        n_kv=kv_size if has_attention else 0,
        n_head=plan.n_head if has_attention else 0,
        n_embd=meta.embedding_length or 0,
        n_vocab=meta.vocab_size or 0,
        n_ff=_widest_ffn(meta),
        n_outputs=min(outputs, n_ubatch),
        flash_attention=fa,
        n_expert_used=meta.expert_used_count or 0,
        n_ff_expert=_int_key(meta, "expert_feed_forward_length"),
    )
    return {
        "kv_cache_bytes": kv.total,
        "k_cache_bytes": kv.k_bytes,
        "v_cache_bytes": kv.v_bytes,
        "kv_cells": kv_size,
        "swa_cells": kv.swa_cells,
        "kv_streams": n_stream,
        "recurrent_state_bytes": rs,
        "compute_bytes": compute,
        "output_bytes": output_buffer_bytes(n_vocab=meta.vocab_size or 0, n_seq=n_seq),
    }


def _int_key(meta: GGUFMetadata, suffix: str) -> int:
    value = meta.kv.get(f"{meta.architecture or ''}.{suffix}")
    return int(value) if isinstance(value, int) else 0


def _widest_ffn(meta: GGUFMetadata) -> int:
    """The widest feed-forward a token passes: dense, or the routed experts used plus shared."""
    ff = meta.feed_forward_length
    dense = max(ff) if isinstance(ff, list) else int(ff or 0)
    arch = meta.architecture or ""
    per_expert = meta.kv.get(f"{arch}.expert_feed_forward_length")
    used = meta.expert_used_count or 0
    if not isinstance(per_expert, int) or not used:
        return dense
    shared = meta.kv.get(f"{arch}.expert_shared_feed_forward_length")
    n_shared = meta.kv.get(f"{arch}.expert_shared_count")
    extra = shared if isinstance(shared, int) else per_expert * int(n_shared or 0)
    return max(dense, used * per_expert + extra)


def _notes(meta: GGUFMetadata, plan: LayerPlan, swa_full: bool) -> list[str]:
    notes = []
    arch_kv = f"{meta.architecture}.attention"
    if f"{arch_kv}.kv_lora_rank" in meta.kv and not plan.mla:
        notes.append(
            "multi-head latent attention (MLA) model in an older conversion: llama.cpp keeps the "
            "full per-head cache for it, as estimated; a re-converted file (with key_length_mla) "
            "needs far less"
        )
    if plan.has_swa:
        kept = "the full context" if swa_full else f"the window ({plan.n_swa}) plus a micro-batch"
        notes.append(f"sliding-window attention: the SWA layers keep {kept}")
    elif f"{arch_kv}.sliding_window" in meta.kv:
        notes.append(
            "the header declares a sliding window, but llama.cpp keeps a full cache for this "
            "architecture: estimated as such"
        )
    if any(plan.recurrent):
        notes.append(f"recurrent state on {sum(plan.recurrent)} layers (fixed size per slot)")
    return notes


def _unsupported(out: dict[str, Any], reason: str, weights: int | None) -> dict[str, Any]:
    out.update(supported=False, reason=reason, kv_bytes_per_token=None, overhead_breakdown=None)
    for part in ("kv_cache", "recurrent_state", "compute", "overhead", "total"):
        out[f"{part}_bytes"] = out[f"{part}_gb"] = None
    out["output_bytes"] = None
    out["weights_gb"] = None if weights is None else weights / 1e9
    return out
