"""Recurrent state (Mamba, RWKV, the recurrent layers of hybrids): fixed bytes per sequence.

::

    n_embd_r = rwkv: token_shift_count × n_embd | lfm2: n_embd × (shortconv.l_cache − 1)
             | ssm:  (ssm.conv_kernel − 1) × (ssm.inner_size + 2 × ssm.group_count × ssm.state_size)
    n_embd_s = rwkv: n_embd × wkv.head_size | ssm: ssm.state_size × ssm.inner_size
    bytes    = 4 × (n_embd_r + n_embd_s) × n_seq    per recurrent layer (always F32)

Source: [LC] src/llama-hparams.cpp L127-152, src/llama-memory-recurrent.cpp L94-95; logged as
``RS buffer size``. Independent of the context length.

>>> state_bytes_per_layer({"ssm.conv_kernel": 4, "ssm.inner_size": 4096, "ssm.group_count": 16,
...                        "ssm.state_size": 128}, n_embd=2048, arch="qwen3next")
2195456
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["recurrent_state_bytes", "state_bytes_per_layer"]


def state_bytes_per_layer(keys: Mapping[str, Any], *, n_embd: int, arch: str) -> int:
    """F32 bytes of one recurrent layer's state for one sequence (``keys`` without the arch)."""

    def k(name: str, default: int = 0) -> int:
        value = keys.get(name)
        return int(value) if isinstance(value, (int, float)) else default

    if arch.startswith(("rwkv", "arwkv")):
        r = k("token_shift_count", 2) * n_embd
        s = n_embd * k("wkv.head_size")
    elif arch.startswith("lfm2"):
        r, s = n_embd * max(0, k("shortconv.l_cache") - 1), 0
    else:
        inner, state = k("ssm.inner_size"), k("ssm.state_size")
        r = max(0, k("ssm.conv_kernel") - 1) * (inner + 2 * k("ssm.group_count") * state)
        s = state * inner
    return 4 * (r + s)


def recurrent_state_bytes(
    keys: Mapping[str, Any], recurrent: list[bool], *, n_embd: int, arch: str, n_seq: int
) -> int:
    """The whole recurrent state: every recurrent layer, ``max(1, n_seq)`` sequences."""
    layers = sum(recurrent)
    if not layers:
        return 0
    return layers * state_bytes_per_layer(keys, n_embd=n_embd, arch=arch) * max(1, n_seq)
