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
  it. Not included: the GPU driver's own context (a few hundred MB), covered by the 10% headroom
  of :func:`fit_label`.
- Mamba / RWKV models (no KV cache, a fixed recurrent state) are reported as unsupported
  (``supported=False``, totals ``None``) rather than with wrong numbers. Models with
  sliding-window attention get a note: llama.cpp keeps less cache for their windowed layers,
  so the estimate is an upper bound. So do DeepSeek-style MLA models in older conversions
  (``kv_lora_rank`` but no ``key_length_mla``): the header's full per-head sizes are what
  llama.cpp allocates for those files; re-converted files declare the compressed sizes.

**Fit labels** (:func:`fit_label`), with 10% headroom on every budget::

    full_gpu_offload     total ≤ 0.9 × GPU budget (VRAM; Apple: 75% of unified memory)
    partial_gpu_offload  a GPU exists and total ≤ 0.9 × (GPU budget + RAM)  (Apple: ≤ 0.9 × RAM)
    fits_in_ram          no GPU and total ≤ 0.9 × RAM
    too_large            otherwise

Total RAM is used, not "available" RAM, which changes from minute to minute.

>>> from hfollama_widgets.hardware import Hardware
>>> fit_label(6e9, Hardware(ram_gb=32, vram_gb=8))
'full_gpu_offload'
>>> FIT_TEXT[fit_label(20e9, Hardware(ram_gb=32, vram_gb=8))]
'Partial GPU offload'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from hfollama_widgets.hardware import Hardware

if TYPE_CHECKING:
    import pandas as pd

    from hfollama_widgets.gguf_meta import GGUFMetadata
    from hfollama_widgets.hub import Hub

__all__ = [
    "DEFAULT_CONTEXT_LENGTH",
    "FIT_ORDER",
    "FIT_TEXT",
    "KV_CACHE_TYPES",
    "FitLabel",
    "add_fit_columns",
    "effective_bits_per_weight",
    "estimate_memory",
    "fit_label",
    "fit_listing",
    "kv_cache_bytes_per_token",
    "select_fitting",
    "select_fitting_row",
]

FitLabel = Literal["full_gpu_offload", "partial_gpu_offload", "fits_in_ram", "too_large"]
FIT_ORDER: tuple[FitLabel, ...] = (
    "full_gpu_offload",
    "partial_gpu_offload",
    "fits_in_ram",
    "too_large",
)
FIT_TEXT: dict[str, str] = {
    "full_gpu_offload": "Full GPU offload",
    "partial_gpu_offload": "Partial GPU offload",
    "fits_in_ram": "Fits in RAM (CPU only)",
    "too_large": "Likely too large",
}
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
HEADROOM = 0.9
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
    """Memory to run a GGUF model: weights, KV cache, overhead, total (see the module docstring).

    ``meta_or_repo`` is a :class:`GGUFMetadata` or a repo id (then ``quant`` picks the file and
    its header is read with :func:`gguf_metadata`). ``file_size`` overrides the weights (to
    estimate another quant of the same model from one header).

    >>> est = estimate_memory("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Q4_K_M",
    ...                       context_length=8192)                          # doctest: +SKIP
    >>> est["kv_cache_bytes"] / 2**30                                       # doctest: +SKIP
    1.0
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


def fit_label(total_bytes: float, hardware: Hardware) -> FitLabel:
    """Where a model of ``total_bytes`` runs on ``hardware`` (rules in the module docstring).

    >>> fit_label(40e9, Hardware(ram_gb=32))
    'too_large'
    """
    gpu = hardware.gpu_budget_gb * 1e9
    ram = hardware.ram_gb * 1e9
    if gpu and total_bytes <= HEADROOM * gpu:
        return "full_gpu_offload"
    if gpu:
        usable = ram if hardware.unified_memory else gpu + ram
        return "partial_gpu_offload" if total_bytes <= HEADROOM * usable else "too_large"
    return "fits_in_ram" if total_bytes <= HEADROOM * ram else "too_large"


def add_fit_columns(
    df: pd.DataFrame,
    meta: GGUFMetadata | None,
    hardware: Hardware | None,
    *,
    context_length: int | None = None,
    kv_cache_type: str = "f16",
) -> pd.DataFrame:
    """A copy of a ``list_gguf_files`` frame with memory and fit columns for its model rows.

    Adds ``est_memory_bytes``, ``est_memory_gb``, ``kv_cache_bytes``, ``fit`` (a
    :data:`FitLabel`), ``fit_text`` and ``effective_bpw``. Every quant of a repo shares the
    architecture, so one header (``meta``) serves all rows; each row's weights are its
    ``size_bytes``. Sidecar rows (mmproj, imatrix) and unsupported models get missing values;
    ``hardware=None`` leaves ``fit`` empty, ``meta=None`` every new column.

    >>> df = hub.list_gguf_files(repo)                                      # doctest: +SKIP
    >>> add_fit_columns(df, gguf_metadata(repo, "Q4_K_M"), detect_hardware())  # doctest: +SKIP
    """
    out = df.copy()
    est, kv, fits, texts, bpw = [], [], [], [], []
    for _, row in out.iterrows():
        is_model = str(row.get("kind", "model")) == "model"
        size = row.get("size_bytes")
        size = int(size) if meta and is_model and size is not None and size == size else None
        e = None
        if meta is not None and size is not None:
            e = estimate_memory(
                meta, context_length=context_length, kv_cache_type=kv_cache_type, file_size=size
            )
        total = e["total_bytes"] if e else None
        label = fit_label(total, hardware) if total is not None and hardware else None
        est.append(total)
        kv.append(e["kv_cache_bytes"] if e else None)
        fits.append(label)
        texts.append(FIT_TEXT[label] if label else None)
        bpw.append(effective_bits_per_weight(size, meta.parameter_count) if size and meta else None)
    out["est_memory_bytes"] = _nullable_int(est)
    out["est_memory_gb"] = [None if t is None else round(t / 1e9, 2) for t in est]
    out["est_memory_gb"] = out["est_memory_gb"].astype("Float64")
    out["kv_cache_bytes"] = _nullable_int(kv)
    out["fit"] = fits
    out["fit_text"] = texts
    out["effective_bpw"] = [None if b is None else round(b, 2) for b in bpw]
    out["effective_bpw"] = out["effective_bpw"].astype("Float64")
    return out


def select_fitting(
    df: pd.DataFrame,
    *,
    allow: Iterable[str] = ("full_gpu_offload", "partial_gpu_offload", "fits_in_ram"),
) -> pd.DataFrame:
    """Rows of the best fit tier present: every full-GPU row if any, else partial, else CPU-only.

    Feed the result to ``best_quantization`` to pick a quant (what ``auto_select(hardware=…)``
    does). Empty when nothing in ``allow`` fits. Needs the ``fit`` column of
    :func:`add_fit_columns`.

    >>> best_quantization(select_fitting(add_fit_columns(df, meta, hw)))  # doctest: +SKIP
    'Q4_K_M'
    """
    allowed = set(allow)
    for tier in FIT_ORDER:
        if tier in allowed:
            rows = df[df["fit"] == tier]
            if len(rows):
                return rows
    return df.iloc[0:0]


# --- glue for Hub.list_gguf_files(hardware=...) / auto_select(hardware=...) ----------------


def fit_listing(
    df: pd.DataFrame,
    repo_id: str,
    hardware: Hardware | bool | None,
    *,
    meta: GGUFMetadata | None = None,
    hub: Hub | None = None,
    revision: str = "main",
    context_length: int | None = None,
    kv_cache_type: str = "f16",
) -> pd.DataFrame:
    """:func:`add_fit_columns` for a repo's listing, reading one header when ``meta`` is None.

    The header read is the smallest model file's (every quant shares the architecture; the
    headers differ only in ``general.file_type``). ``hardware=True`` detects this machine.

    >>> fit_listing(hub.list_gguf_files(repo), repo, Hardware(ram_gb=32, vram_gb=8), hub=hub)
    ... # doctest: +SKIP
    """
    if hardware is True:
        from hfollama_widgets.hardware import detect_hardware

        hardware = detect_hardware()
    if meta is None:
        from hfollama_widgets.gguf_meta import gguf_metadata

        models = df[df["kind"] == "model"] if "kind" in df.columns else df
        if models.empty:
            return add_fit_columns(df, None, None)
        filename = str(models.sort_values("size_bytes", kind="stable").iloc[0]["filename"])
        meta = gguf_metadata(repo_id, filename, revision=revision, hub=hub)
    hw = hardware if isinstance(hardware, Hardware) else None
    return add_fit_columns(df, meta, hw, context_length=context_length, kv_cache_type=kv_cache_type)


def select_fitting_row(
    df: pd.DataFrame,
    *,
    repo_id: str,
    hardware: Hardware | bool,
    meta: GGUFMetadata | None = None,
    hub: Hub | None = None,
    revision: str = "main",
    context_length: int | None = None,
    kv_cache_type: str = "f16",
    preference: Iterable[str] | None = None,
    max_size_gb: float | None = None,
) -> pd.Series:
    """The quant ``auto_select(hardware=...)`` pulls: the preferred one (``DEFAULT_PREFERENCE``,
    Q4_K_M first) among the pullable rows (within ``max_size_gb``) of the best fit tier (full
    GPU, else partial, else CPU).

    Raises :class:`~hfollama_widgets.errors.NoQuantFitsError` naming the smallest estimate when
    nothing fits, and :func:`~hfollama_widgets.listing.select_row`'s errors (split-only, ...).
    """
    from hfollama_widgets.errors import NoQuantFitsError
    from hfollama_widgets.listing import candidates, select_row

    hw = hardware
    if hw is True:
        from hfollama_widgets.hardware import detect_hardware

        hw = detect_hardware()
    assert isinstance(hw, Hardware), "hardware must be a Hardware or True"
    out = fit_listing(
        df, repo_id, hw, meta=meta, hub=hub, revision=revision,
        context_length=context_length, kv_cache_type=kv_cache_type,
    )  # fmt: skip
    pullable = candidates(out, max_size_gb=max_size_gb)
    if pullable.empty:  # let select_row explain (no GGUF, split only, over max_size_gb, ...)
        return select_row(out, repo_id=repo_id, max_size_gb=max_size_gb)
    fitting = select_fitting(pullable)
    if fitting.empty:
        known = pullable.dropna(subset=["est_memory_bytes"]).sort_values("est_memory_bytes")
        need = ""
        if len(known):
            small = known.iloc[0]
            name = small["quantization"] if isinstance(small["quantization"], str) else None
            need = (
                f" the smallest, {name or small['filename']}, needs about "
                f"{small['est_memory_bytes'] / 1e9:.1f} GB"
            )
        raise NoQuantFitsError(
            f"No quantization of {repo_id} fits this machine ({hw.describe()});{need}.",
            fix="Use a smaller context_length or kv_cache_type='q8_0', or pick a smaller model.",
            repo_id=repo_id,
        )
    return select_row(
        fitting, repo_id=repo_id, preference=tuple(preference) if preference else None
    )


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


def _nullable_int(values: list[Any]) -> Any:
    import pandas as pd

    return pd.array([None if v is None else int(v) for v in values], dtype="Int64")
