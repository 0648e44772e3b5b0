"""The compute buffer llama.cpp reserves at load (the worst-case prompt graph), the output buffer.

llama.cpp reserves the graph of one ``n_ubatch``-token micro-batch over the full cache ([LC]
llama-context.cpp L283-440). It has no closed formula (ggml-alloc reuses memory across layers);
this estimate takes the largest of three groups of live tensors ([LC] llama-graph.cpp
``build_attn_mha``, ``build_ffn``; the first two terms are those of Ollama's Go engine,
``fs/ggml.GraphSize``, ollama/ollama @f63eea3d)::

    logits    = 4 · n_out · (n_vocab + e)
    attention = 4 · b · (1 + 4·e + n_kv·(1 + h))        without flash attention (F32 kq + mask)
              = 4 · b · (1 + 4·e) + 2 · b · n_kv        with flash attention (F16 mask only)
    ffn       = 4 · b · (3·f + 4·e)                    fitted to two b9849 logs (see below)
    moe       = 4 · b · k · (e + max(e, f_x))          routed experts (below)
    output    = 4 · n_vocab · n_seq                    host ([LC] ``output_reserve`` L1346-1380)

b = n_ubatch, e = embedding length, h = attention heads, n_kv = cells per stream, f = the widest
feed-forward (routed experts: ``expert_used_count × expert_feed_forward_length`` + shared).
``n_out`` is how many logits rows the reserve graph holds: the whole micro-batch in llama.cpp up
to 2025 (b7445 in our logs: ``4·b·(n_vocab + e)`` is the logged buffer to 1%), one row per
sequence in 2026 builds (``n_outputs_max_per_seq`` = 1 in ``common``; b9849 logs), which b10488
(Ollama's) follows. The ffn term is a fit, not a derivation: Qwen3.5-9B and Gemma-4-12B at
``-ub 2048`` (b9849) log 447 and 541 MiB, the term gives 416 and 480 MiB. The host-side compute
buffer (``CUDA_Host``/``CPU``, tens to hundreds of MiB) is not modelled.

The moe term (k = ``expert_used_count``, f_x = ``expert_feed_forward_length``) follows
``llm_graph_context::build_moe_ffn`` (ggml-org/llama.cpp src/llama-graph.cpp @00395eb2): the
down projection writes ``experts`` [n_embd, k, n_tokens] F32 from ``cur`` [f_x, k, n_tokens], then
``ggml_mul(ctx0, experts, weights)`` makes a second [n_embd, k, n_tokens] tensor while the first is
still its input, so 4·b·k·e + 4·b·k·max(e, f_x) bytes are live at once. It is a floor: the
logged MoE buffers at ``-ub 2048`` (b9849, Qwen3-30B-A3B 368 MiB, Qwen3.5-35B-A3B 308 MiB) are
above it (256 MiB each); the rest is not modelled.

>>> round(compute_buffer_bytes(n_ubatch=512, n_kv=2048, n_head=32, n_embd=4096, n_vocab=32000,
...                            n_ff=14336, n_outputs=512, flash_attention=False) / 2**20)
164
"""

from __future__ import annotations

__all__ = ["compute_buffer_bytes", "output_buffer_bytes"]


def compute_buffer_bytes(
    *,
    n_ubatch: int,
    n_kv: int,
    n_head: int,
    n_embd: int,
    n_vocab: int,
    n_ff: int,
    n_outputs: int,
    flash_attention: bool,
    n_expert_used: int = 0,
    n_ff_expert: int = 0,
) -> int:
    """Bytes of the main device's compute buffer (formula in the module docstring).

    >>> round(compute_buffer_bytes(n_ubatch=2048, n_kv=8192, n_head=32, n_embd=2048,
    ...     n_vocab=151936, n_ff=6144, n_outputs=1, flash_attention=True,
    ...     n_expert_used=8, n_ff_expert=768) / 2**20)
    256
    """
    b, e = n_ubatch, n_embd
    logits = 4 * n_outputs * (n_vocab + e)
    if flash_attention:
        attention = 4 * b * (1 + 4 * e) + 2 * b * n_kv
    else:
        attention = 4 * b * (1 + 4 * e + n_kv * (1 + n_head))
    ffn = 4 * b * (3 * n_ff + 4 * e)
    moe = 4 * b * n_expert_used * (e + max(e, n_ff_expert))
    return max(logits, attention, ffn, moe)


def output_buffer_bytes(*, n_vocab: int, n_seq: int) -> int:
    """The host output buffer: one F32 logits row per sequence."""
    return 4 * n_vocab * max(1, n_seq)
