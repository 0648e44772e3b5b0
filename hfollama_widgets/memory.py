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

Import everything from here. The code lives in two private modules: the estimate in
``_memory_estimate`` (pure arithmetic on a header), the fit labels and the listing columns and
selection built on them in ``_fit``.

>>> from hfollama_widgets.hardware import Hardware
>>> fit_label(6e9, Hardware(ram_gb=32, vram_gb=8))
'full_gpu_offload'
>>> FIT_TEXT[fit_label(20e9, Hardware(ram_gb=32, vram_gb=8))]
'Partial GPU offload'
"""

from __future__ import annotations

from hfollama_widgets._fit import (
    FIT_ORDER,
    FIT_TEXT,
    HEADROOM,
    FitLabel,
    add_fit_columns,
    fit_label,
    fit_listing,
    select_fitting,
    select_fitting_row,
)
from hfollama_widgets._memory_estimate import (
    DEFAULT_CONTEXT_LENGTH,
    KV_CACHE_TYPES,
    OVERHEAD_KV_TOKENS,
    UBATCH_TOKENS,
    WEIGHTS_OVERHEAD,
    effective_bits_per_weight,
    estimate_memory,
    kv_cache_bytes_per_token,
)

__all__ = [
    "DEFAULT_CONTEXT_LENGTH",
    "FIT_ORDER",
    "FIT_TEXT",
    "HEADROOM",
    "KV_CACHE_TYPES",
    "OVERHEAD_KV_TOKENS",
    "UBATCH_TOKENS",
    "WEIGHTS_OVERHEAD",
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
