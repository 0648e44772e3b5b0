"""Which layers of a model hold what: a KV cache (full or sliding-window), a recurrent state.

Follows llama.cpp's ``load_hparams`` / ``create_memory`` (sources cited per rule below; [LC] =
ggml-org/llama.cpp @ec98e2002 as vendored by Ollama, [LC+] = later upstream).

>>> from hfollama_widgets.gguf.memory.layers import swa_layers
>>> swa_layers(6, period=6)
[True, True, True, True, True, False]
>>> swa_layers(4, period=4, dense_first=True)
[False, True, True, True]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hfollama_widgets.gguf.metadata import GGUFMetadata

__all__ = ["RECURRENT_ONLY", "SWA_PERIOD", "LayerPlan", "layer_plan", "swa_layers"]

SWA_PERIOD: dict[str, int] = {
    "gemma2": 2,  # [LC] llama-model.cpp L1244-1251 (n_swa default 4096)
    "gemma3": 6,  # L1268-1276, only if sliding_window > 0
    "gemma3n": 5,  # L1300-1305
    "gpt-oss": 2,  # LLM_ARCH_OPENAI_MOE, L2150-2161
    "cohere2": 4,
    "olmo2": 4,
    "exaone4": 4,
    "afmoe": 4,
    "llama4": 4,  # chunked attention, n_swa 8192 (L657-673)
    "smallthinker": 4,  # dense_first
}
"""``set_swa_pattern(n)`` per architecture: layer il is SWA iff ``il % n < n - 1``."""

_DENSE_FIRST = {"smallthinker"}
_DEFAULT_WINDOW = {"gemma2": 4096, "llama4": 8192}
RECURRENT_ONLY = ("mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7")
"""Architectures with a recurrent state and no KV cache ([LC] llama-model.cpp create_memory)."""
_HYBRID_KV0 = ("jamba", "plamo2", "granitehybrid", "lfm2", "lfm2moe")  # recurrent iff n_head_kv=0
_HYBRID_INTERVAL = ("qwen3next", "qwen35", "qwen35moe")  # recurrent iff (il+1) % interval != 0


@dataclass(frozen=True)
class LayerPlan:
    """Per-layer cache layout: KV heads (0 = no KV cache), SWA flags, recurrent flags."""

    n_layer: int
    kv_heads: list[int]
    swa: list[bool]
    recurrent: list[bool]
    n_swa: int
    key_length: int
    value_length: int
    mla: bool
    n_head: int
    key_length_swa: int = 0
    """Per-head K width on SWA layers (``attention.key_length_swa``; 0 = ``key_length``)."""
    value_length_swa: int = 0

    def head_lengths(self, is_swa: bool) -> tuple[int, int]:
        """(K, V) per-head widths of a layer: ``llama_hparams::n_embd_head_k(il)`` returns
        ``is_swa(il) ? n_embd_head_k_swa : n_embd_head_k_full`` (ggml-org/llama.cpp
        src/llama-hparams.cpp, 2026; gemma4 files write ``key_length_swa`` 256 beside
        ``key_length`` 512, logged as ``n_embd_head_k_swa`` by ``print_info``)."""
        if is_swa:
            return (
                self.key_length_swa or self.key_length,
                self.value_length_swa or self.value_length,
            )
        return self.key_length, self.value_length

    @property
    def has_swa(self) -> bool:
        """True when some layer with a KV cache is sliding-window."""
        return any(s and h for s, h in zip(self.swa, self.kv_heads, strict=True))


def swa_layers(n_layer: int, *, period: int, dense_first: bool = False) -> list[bool]:
    """``llama_hparams::set_swa_pattern`` ([LC] src/llama-hparams.cpp L8-18); 0 = every layer."""
    if period == 0:
        return [True] * n_layer
    if dense_first:
        return [il % period != 0 for il in range(n_layer)]
    return [il % period < period - 1 for il in range(n_layer)]


def layer_plan(meta: GGUFMetadata) -> LayerPlan | None:
    """The cache layout of ``meta``'s model, or ``None`` when the header cannot say."""
    n_layer = meta.block_count
    arch = meta.architecture or ""
    if not n_layer:
        return None

    def key(suffix: str) -> Any:
        return meta.kv.get(f"{arch}.{suffix}")

    raw_kv = meta.head_count_kv if meta.head_count_kv is not None else meta.head_count
    heads_kv = _per_layer(raw_kv if raw_kv is not None else 0, n_layer)  # absent: no GQA
    heads = _per_layer(meta.head_count if meta.head_count is not None else 0, n_layer)
    recurrent = [False] * n_layer
    if arch.startswith(RECURRENT_ONLY):
        recurrent, heads_kv = [True] * n_layer, [0] * n_layer
    elif arch in _HYBRID_KV0:
        recurrent = [h == 0 for h in heads_kv]
    elif arch.startswith("nemotron_h"):
        # recurrent iff no KV heads and no feed-forward ([LC] llama-model.cpp, nemotron_h)
        ff = _per_layer(meta.feed_forward_length or 0, n_layer)
        recurrent = [h == 0 and f == 0 for h, f in zip(heads_kv, ff, strict=True)]
    elif arch == "falcon-h1":
        recurrent = [True] * n_layer  # every layer has both attention and a Mamba-2 state
    elif arch in _HYBRID_INTERVAL:
        interval = int(key("full_attention_interval") or 4)  # [LC] L2291; [LC+] reads the key
        recurrent = [(il + 1) % interval != 0 for il in range(n_layer)]
        heads_kv = [0 if r else h for r, h in zip(recurrent, heads_kv, strict=True)]
    if raw_kv is None and not arch.startswith(RECURRENT_ONLY) and not any(heads_kv):
        return None
    if arch == "gemma3n":
        heads_kv = [h if il < 20 else 0 for il, h in enumerate(heads_kv)]  # [LC] L1300-1305
    shared = int(key("attention.shared_kv_layers") or 0)  # gemma4 [LC+]
    if shared:
        heads_kv = [h if il < n_layer - shared else 0 for il, h in enumerate(heads_kv)]
    nextn = int(key("nextn_predict_layers") or 0)  # MTP layers: no cache in the main context
    if nextn:  # (logged "layer 64: skipped" for Qwen3.6-27B; tests/data/load_logs/)
        keep = n_layer - nextn
        heads_kv = [h if il < keep else 0 for il, h in enumerate(heads_kv)]
        recurrent = [r and il < keep for il, r in enumerate(recurrent)]
    n_swa, swa = _swa(meta, arch, n_layer, key)
    mla = (
        key("attention.key_length_mla") is not None
        and key("attention.value_length_mla") is not None
    )
    if mla:  # one compressed "head": K = kv_lora_rank + rope, V = kv_lora_rank ([LC] L1628-1629)
        heads_kv = [1 if h else 0 for h in heads_kv]
    k_len, v_len = meta.key_length, meta.value_length
    if (k_len is None or v_len is None) and any(heads_kv):
        return None
    return LayerPlan(
        n_layer=n_layer,
        kv_heads=heads_kv,
        swa=swa,
        recurrent=recurrent,
        n_swa=n_swa,
        key_length=int(k_len or 0),
        value_length=int(v_len or 0),
        mla=mla,
        n_head=max(heads, default=0),
        key_length_swa=_int_or_zero(key("attention.key_length_swa")),
        value_length_swa=_int_or_zero(key("attention.value_length_swa")),
    )


def _swa(meta: GGUFMetadata, arch: str, n_layer: int, key: Any) -> tuple[int, list[bool]]:
    window = key("attention.sliding_window")
    n_swa = int(window) if isinstance(window, (int, float)) else _DEFAULT_WINDOW.get(arch, 0)
    pattern = key("attention.sliding_window_pattern")  # [LC+] scalar period or per-layer bools
    if n_swa <= 0 or arch == "phi3":  # phi3: SWA off in llama.cpp (PR #13676)
        return 0, [False] * n_layer
    if isinstance(pattern, list):
        flags = [bool(v) for v in pattern[:n_layer]]
        return n_swa, flags + [False] * (n_layer - len(flags))
    if isinstance(pattern, (int, float)) and not isinstance(pattern, bool):
        return n_swa, swa_layers(n_layer, period=int(pattern))
    if arch in SWA_PERIOD:
        period = SWA_PERIOD[arch]
        return n_swa, swa_layers(n_layer, period=period, dense_first=arch in _DENSE_FIRST)
    return 0, [False] * n_layer  # llama.cpp ignores the window of architectures it lists no SWA for


def _int_or_zero(value: Any) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def _per_layer(value: int | list[int], n_layer: int) -> list[int]:
    if isinstance(value, list):
        ints = [int(v or 0) for v in value[:n_layer]]
        return ints + [0] * (n_layer - len(ints))
    return [int(value or 0)] * n_layer
