"""Decode-speed ceiling: tokens/s cannot exceed memory bandwidth / bytes read per token (pure).

Decode is memory-bound: every generated token reads the active weights once, plus the KV cache
(llama.cpp PR #1642 and #2188 treat Metal decode as bandwidth-bound; the rule itself is derived,
not stated by llama.cpp)::

    bytes/token = weights read + KV cache read (+ recurrent state)
    weights read = all tensors − routed experts × (1 − expert_used_count / expert_count)
                   − token_embd (one row is read, a get_rows), unless it is also the output
    KV read      = the KV cache at ``context_length`` (SWA layers: their window)
    time/token   = gpu_share × bytes / gpu_bandwidth + (1 − gpu_share) × bytes / cpu_bandwidth

MoE: ``build_moe_ffn`` runs only the top ``expert_used_count`` experts ([LC] llama-graph.cpp
L1038, L1094-1104). Tensor bytes by role come from the header (``tensor_role_bytes``), scaled to
``file_size`` for another quant of the same model; without them, from the hyperparameters.
``gpu_share`` is the share of the weights that fits the GPU budget after KV and compute buffers
(llama.cpp offloads whole layers; the model is a proportional split). A ceiling, not a
prediction: real decode reaches 60-85 % of it on GPUs.

>>> from hfollama_widgets.hardware import Hardware
>>> ceiling_from_bytes(4e9, Hardware(ram_gb=32, memory_bandwidth_gbs=100))
25.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hfollama_widgets.gguf.memory import HEADROOM, estimate_memory

if TYPE_CHECKING:
    from hfollama_widgets.gguf.metadata import GGUFMetadata
    from hfollama_widgets.hardware import Hardware

__all__ = ["ceiling_from_bytes", "decode_bytes_per_token", "decode_ceiling_tokens_per_s"]


def decode_bytes_per_token(
    meta: GGUFMetadata,
    *,
    context_length: int | None = None,
    file_size: int | None = None,
    kv_cache_type: str = "f16",
) -> dict[str, Any] | None:
    """Bytes one decoded token reads: ``weights``, ``kv``, ``state``, ``total`` (``None``: unknown).

    Also returns the memory estimate it used (``memory``), for the GPU/CPU split.
    """
    est = estimate_memory(
        meta, context_length=context_length, kv_cache_type=kv_cache_type, file_size=file_size
    )
    total_file = est["weights_bytes"]
    if not est["supported"] or not total_file:
        return None
    weights = _active_weight_bytes(meta, int(total_file))
    kv = int(est["kv_cache_bytes"])
    state = int(est["recurrent_state_bytes"])
    return {
        "weights": weights,
        "kv": kv,
        "state": state,
        "total": weights + kv + state,
        "memory": est,
    }


def ceiling_from_bytes(
    bytes_per_token: float, hardware: Hardware, *, gpu_share: float = 1.0
) -> float | None:
    """Tokens/s upper bound for ``bytes_per_token`` with ``gpu_share`` of them on the GPU."""
    gpu_bw, cpu_bw = hardware.gpu_bandwidth_gbs, hardware.cpu_bandwidth_gbs
    if not hardware.gpu_budget_gb:
        gpu_share = 0.0
    seconds = 0.0
    if gpu_share > 0:
        if not gpu_bw:
            return None
        seconds += gpu_share * bytes_per_token / (gpu_bw * 1e9)
    if gpu_share < 1:
        if not cpu_bw:
            return None
        seconds += (1 - gpu_share) * bytes_per_token / (cpu_bw * 1e9)
    return round(1 / seconds, 1) if seconds > 0 else None


def decode_ceiling_tokens_per_s(
    meta: GGUFMetadata,
    hardware: Hardware,
    *,
    context_length: int | None = None,
    file_size: int | None = None,
    kv_cache_type: str = "f16",
) -> float | None:
    """The decode-speed ceiling (tokens/s) of ``meta``'s model on ``hardware`` at a context.

    ``file_size`` estimates another quant of the same model from one header (a listing row's
    ``size_bytes``). ``None`` when the header or the hardware's bandwidth cannot say. Rules in
    the module docstring.

    Example (against the real Hub)::

        meta = Hub().gguf_metadata("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Q4_K_M")
        decode_ceiling_tokens_per_s(meta, Hardware(ram_gb=32, vram_gb=24,
                                                   memory_bandwidth_gbs=1008))  # -> ~185
    """
    read = decode_bytes_per_token(
        meta, context_length=context_length, file_size=file_size, kv_cache_type=kv_cache_type
    )
    if read is None:
        return None
    est = read["memory"]
    return ceiling_from_bytes(read["total"], hardware, gpu_share=_gpu_share(est, hardware))


def _gpu_share(est: dict[str, Any], hardware: Hardware) -> float:
    budget = hardware.gpu_budget_gb * 1e9 * HEADROOM
    if not budget:
        return 0.0
    if est["total_bytes"] <= budget:
        return 1.0
    room = budget - (est["total_bytes"] - est["weights_bytes"])
    return max(0.0, min(1.0, room / est["weights_bytes"]))


def _active_weight_bytes(meta: GGUFMetadata, file_size: int) -> int:
    """Weight bytes read per token, scaled to ``file_size`` (see the module docstring)."""
    roles = meta.tensor_role_bytes
    used, count = meta.expert_used_count or 0, meta.expert_count or 0
    expert_share = used / count if count > 1 and used else 1.0
    if roles and sum(roles.values()):
        scale = file_size / sum(roles.values())
        embd = roles.get("token_embd", 0)
        tied = not roles.get("output")
        experts = roles.get("experts", 0)
        other = roles.get("other", 0) + roles.get("output", 0)
        read = other + experts * expert_share + (embd if tied else 0)
        return round(read * scale)
    # No tensor tally (a hand-made header): derive the shares from the hyperparameters.
    params = meta.parameter_count or 0
    if not params:
        return file_size
    bytes_per_param = file_size / params
    embd = (meta.vocab_size or 0) * (meta.embedding_length or 0)
    arch = meta.architecture or ""
    ff_exp = meta.kv.get(f"{arch}.expert_feed_forward_length")
    dense_lead = int(meta.kv.get(f"{arch}.leading_dense_block_count") or 0)
    experts = 0
    if count > 1 and isinstance(ff_exp, int) and meta.block_count and meta.embedding_length:
        moe_layers = meta.block_count - dense_lead
        experts = moe_layers * 3 * meta.embedding_length * ff_exp * count
    read_params = params - embd - experts * (1 - expert_share)
    return round(max(read_params, 0) * bytes_per_param)
