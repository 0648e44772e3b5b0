"""Memory estimates and fit labels against hand-computed numbers."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from hfollama_widgets.gguf import (
    FIT_TEXT,
    GGUFMetadata,
    add_fit_columns,
    effective_bits_per_weight,
    estimate_memory,
    fit_label,
    kv_cache_bytes_per_token,
    select_fitting,
)
from hfollama_widgets.hardware import Hardware
from hfollama_widgets.listing import gguf_dataframe

KIB = 1024
GIB = 1024**3


def meta(**kw: Any) -> GGUFMetadata:
    """Llama-3-8B's header values unless overridden."""
    base: dict[str, Any] = dict(
        architecture="llama",
        parameter_count=8_030_261_248,
        context_length=131072,
        block_count=32,
        head_count=32,
        head_count_kv=8,
        key_length=128,
        value_length=128,
        embedding_length=4096,
        feed_forward_length=14336,
        file_type=15,
        file_type_name="Q4_K_M",
        expert_count=None,
        expert_used_count=None,
        has_chat_template=True,
        tokenizer_model="gpt2",
        vocab_size=128256,
        size_label="8B",
        name="Meta Llama 3.1 8B Instruct",
        quantization="Q4_K_M",
        tensor_count=292,
        tensor_bytes=4_920_000_000,
        tensor_types={},
        version=3,
        alignment=32,
        data_offset=8_000_000,
        header_bytes=7_999_990,
        file_size=4_920_734_016,
        bytes_read=8_100_000,
        requests=3,
    )
    base.update(kw)
    return GGUFMetadata(**base)


def test_llama3_8b_kv_is_128_kib_per_token() -> None:
    m = meta()
    assert kv_cache_bytes_per_token(m) == 32 * 8 * (128 + 128) * 2 == 128 * KIB
    assert estimate_memory(m, context_length=8192)["kv_cache_bytes"] == 1 * GIB
    assert kv_cache_bytes_per_token(m, "q8_0") == 32 * 8 * 256 * 34 / 32 == 69632
    assert kv_cache_bytes_per_token(m, "q4_0") == 32 * 8 * 256 * 18 / 32 == 36864
    assert kv_cache_bytes_per_token(m, "f32") == 256 * KIB
    assert kv_cache_bytes_per_token(m, "bf16") == 128 * KIB


def llama3_fixed_overhead(n_ctx: int = 4096) -> tuple[int, int]:
    """(compute, output) bytes for meta() by the formulas of gguf.memory.compute, written out."""
    b, e, vocab, ff = 512, 4096, 128256, 14336
    logits = 4 * 1 * (vocab + e)  # 2026 builds reserve one logits row per slot
    attention = 4 * b * (1 + 4 * e) + 2 * b * n_ctx  # flash attention (the -fa auto default)
    ffn = 4 * b * (3 * ff + 4 * e)
    return max(logits, attention, ffn), 4 * vocab


def test_full_estimate_by_hand() -> None:
    est = estimate_memory(meta())
    weights = 4_920_734_016
    n_ctx = 4096  # min(131072, 4096)
    kv = n_ctx * 131072  # 512 MiB
    compute, output = llama3_fixed_overhead()
    assert est["context_length"] == n_ctx and est["max_context_length"] == 131072
    assert (est["weights_bytes"], est["kv_cache_bytes"]) == (weights, kv)
    assert (est["compute_bytes"], est["output_bytes"]) == (compute, output)
    assert est["overhead_bytes"] == compute + output
    assert est["recurrent_state_bytes"] == 0
    assert est["total_bytes"] == weights + kv + compute + output
    assert est["total_gb"] == pytest.approx((weights + kv + compute + output) / 1e9)
    assert est["supported"] and est["reason"] is None
    assert (est["n_layers"], est["kv_heads"], est["key_length"]) == (32, 8, 128)
    assert est["effective_bpw"] == pytest.approx(4.902, abs=0.001)
    assert est["flash_attention"] is True and est["kv_cells"] == 4096


def test_context_is_padded_to_256_cells_and_slots_multiply_it() -> None:
    est = estimate_memory(meta(), context_length=5000)
    assert est["kv_cells"] == 5120 and est["kv_cache_bytes"] == 5120 * 131072
    two = estimate_memory(meta(), context_length=4096, num_parallel=2)
    assert (two["kv_cells"], two["kv_streams"]) == (4096, 2)
    assert two["kv_cache_bytes"] == 2 * 4096 * 131072
    assert two["output_bytes"] == 2 * 4 * 128256
    shared = estimate_memory(meta(), context_length=4096, num_parallel=4, kv_unified=True)
    assert shared["kv_cache_bytes"] == 4096 * 131072  # one stream the slots share


def test_compute_buffer_grows_with_context_without_flash_attention() -> None:
    # Mistral-7B (vocab 32000): 164 MiB at 2k and 2144 MiB at 32k, as logged (issue 11)
    m = meta(vocab_size=32000, context_length=32768)
    for n_ctx, mib in ((2048, 164), (32768, 2144)):
        est = estimate_memory(m, context_length=n_ctx, flash_attention=False)
        assert round(est["compute_bytes"] / 2**20) == mib
    fa = estimate_memory(m, context_length=32768, flash_attention=True)
    assert fa["compute_bytes"] < 200 * 2**20


def test_quantized_v_cache_needs_flash_attention() -> None:
    with pytest.raises(ValueError, match="needs flash attention"):
        estimate_memory(meta(), kv_cache_type="q8_0", flash_attention=False)
    assert estimate_memory(meta(), kv_cache_type="q8_0")["kv_cache_bytes"] == 4096 * 69632


def test_context_length_default_and_override() -> None:
    assert estimate_memory(meta(context_length=2048))["context_length"] == 2048
    assert estimate_memory(meta(context_length=None))["context_length"] == 4096
    est = estimate_memory(meta(context_length=2048), context_length=4096)
    assert est["context_length"] == 4096
    assert "above the model's trained 2048" in est["notes"][0]
    with pytest.raises(ValueError, match="kv_cache_type"):
        estimate_memory(meta(), kv_cache_type="q3_k")


def test_file_size_overrides_weights() -> None:
    est = estimate_memory(meta(), file_size=8_540_000_000)
    assert est["weights_bytes"] == 8_540_000_000
    assert est["effective_bpw"] == pytest.approx(8.508, abs=0.001)


def test_per_layer_kv_heads_with_zero_layers() -> None:
    # OpenELM-like: KV heads grow with depth; a layer with 0 KV heads (recurrent) adds nothing.
    m = meta(block_count=6, head_count_kv=[3, 3, 4, 4, 0, 5], key_length=64, value_length=64)
    assert kv_cache_bytes_per_token(m) == (3 + 3 + 4 + 4 + 0 + 5) * (64 + 64) * 2 == 4864
    short = meta(block_count=4, head_count_kv=[2, 2], key_length=64, value_length=64)
    assert kv_cache_bytes_per_token(short) == (2 + 2) * 128 * 2  # missing layers count as 0


def test_no_gqa_uses_head_count() -> None:
    m = meta(head_count_kv=None, head_count=32)
    assert kv_cache_bytes_per_token(m) == 32 * 32 * 256 * 2


def test_moe_kv_depends_on_attention_only() -> None:
    # Qwen3-30B-A3B: 48 layers, 4 KV heads, head dim 128; experts don't change the KV cache.
    m = meta(block_count=48, head_count=32, head_count_kv=4, expert_count=128, expert_used_count=8)
    assert kv_cache_bytes_per_token(m) == 48 * 4 * 256 * 2 == 96 * KIB


def test_mamba2_state_is_fixed_per_sequence() -> None:
    # Mamba-2 style keys: conv kernel 4, inner 4096, 1 group, state 128, 48 layers
    keys = {"mamba2.ssm.conv_kernel": 4, "mamba2.ssm.inner_size": 4096}
    keys |= {"mamba2.ssm.group_count": 1, "mamba2.ssm.state_size": 128}
    m = meta(architecture="mamba2", head_count=None, head_count_kv=None, block_count=48, kv=keys)
    per_layer = 4 * ((4 - 1) * (4096 + 2 * 1 * 128) + 128 * 4096)
    one = estimate_memory(m, context_length=4096)
    assert one["supported"] and one["kv_cache_bytes"] == 0
    assert one["recurrent_state_bytes"] == 48 * per_layer
    long = estimate_memory(m, context_length=65536, num_parallel=2)
    assert long["recurrent_state_bytes"] == 2 * 48 * per_layer  # independent of the context


def test_missing_attention_keys_are_unsupported_not_zero() -> None:
    est = estimate_memory(meta(block_count=None))
    assert est["supported"] is False and est["total_bytes"] is None


def test_sliding_window_layers_keep_window_plus_ubatch() -> None:
    # gemma3 pattern: 5 of every 6 layers are SWA; 36 layers -> 30 SWA, 6 full
    m = meta(architecture="gemma3", block_count=36, kv={"gemma3.attention.sliding_window": 1024})
    est = estimate_memory(m, context_length=32768)
    per_cell = 8 * 256 * 2  # one layer: 8 KV heads x (128 + 128) x 2 bytes
    swa_cells = 1024 + 512  # pad(1024 + 512, 256) = 1536
    assert est["swa_cells"] == swa_cells
    assert est["kv_cache_bytes"] == (6 * 32768 + 30 * swa_cells) * per_cell
    full = estimate_memory(m, context_length=32768, swa_full=True)
    assert full["kv_cache_bytes"] == 36 * 32768 * per_cell
    assert any("sliding-window" in n for n in est["notes"])
    # an architecture llama.cpp gives no SWA keeps the full cache, whatever the header says
    plain = estimate_memory(meta(kv={"llama.attention.sliding_window": 512}), context_length=8192)
    assert plain["kv_cache_bytes"] == 8192 * 131072


def test_effective_bits_per_weight() -> None:
    # Llama-3-8B Q8_0: 7.95 GiB for 8.03e9 weights ≈ 8.5 bits (hf-hub-gguf.md §3.1).
    assert effective_bits_per_weight(7.95 * GIB, 8.03e9) == pytest.approx(8.5, abs=0.01)
    assert effective_bits_per_weight(100, 0) is None
    assert effective_bits_per_weight(None, 10) is None


@pytest.mark.parametrize(
    ("total_gb", "hw", "label"),
    [
        # RTX-class box, 32 GB RAM + 8 GB VRAM: GPU ≤ 7.2, GPU + RAM ≤ 36
        (7.2, Hardware(ram_gb=32, vram_gb=8), "full_gpu_offload"),
        (7.3, Hardware(ram_gb=32, vram_gb=8), "partial_gpu_offload"),
        (36.0, Hardware(ram_gb=32, vram_gb=8), "partial_gpu_offload"),
        (36.1, Hardware(ram_gb=32, vram_gb=8), "too_large"),
        # CPU only, 16 GB: ≤ 14.4
        (14.4, Hardware(ram_gb=16), "fits_in_ram"),
        (14.5, Hardware(ram_gb=16), "too_large"),
        # Apple, 64 GB unified: GPU budget 48 → ≤ 43.2 full; ≤ 57.6 partial
        (43.2, Hardware(ram_gb=64, unified_memory=True), "full_gpu_offload"),
        (43.3, Hardware(ram_gb=64, unified_memory=True), "partial_gpu_offload"),
        (57.6, Hardware(ram_gb=64, unified_memory=True), "partial_gpu_offload"),
        (57.7, Hardware(ram_gb=64, unified_memory=True), "too_large"),
    ],
)
def test_fit_label_thresholds(total_gb: float, hw: Hardware, label: str) -> None:
    assert fit_label(total_gb * 1e9, hw) == label
    assert label in FIT_TEXT


FILES = [
    {"path": "M-Q2_K.gguf", "size": 3_180_000_000},
    {"path": "M-Q4_K_M.gguf", "size": 4_920_734_016},
    {"path": "M-Q8_0.gguf", "size": 8_540_000_000},
    {"path": "M-F16.gguf", "size": 16_070_000_000},
    {"path": "mmproj-M-F16.gguf", "size": 600_000_000},
]


def listing() -> pd.DataFrame:
    return gguf_dataframe(FILES, "o/M-GGUF", include_sidecars=True)


def test_add_fit_columns() -> None:
    hw = Hardware(ram_gb=32, vram_gb=8)
    df = add_fit_columns(listing(), meta(), hw)
    kv = 4096 * 131072
    fixed = sum(llama3_fixed_overhead())  # compute + output buffers
    by_file = df.set_index("filename")
    for name, size in [(f["path"], f["size"]) for f in FILES[:4]]:
        row = by_file.loc[name]
        total = size + kv + fixed
        assert row["est_memory_bytes"] == total
        assert row["kv_cache_bytes"] == kv
        assert row["est_memory_gb"] == pytest.approx(total / 1e9, abs=0.005)
        assert row["effective_bpw"] == pytest.approx(size * 8 / 8_030_261_248, abs=0.005)
    assert by_file.loc["M-Q2_K.gguf", "fit"] == "full_gpu_offload"  # 4.1 GB
    assert by_file.loc["M-Q4_K_M.gguf", "fit"] == "full_gpu_offload"  # 6.0 GB
    assert by_file.loc["M-Q8_0.gguf", "fit"] == "partial_gpu_offload"  # 9.8 GB
    assert by_file.loc["M-Q8_0.gguf", "fit_text"] == "Partial GPU offload"
    assert by_file.loc["M-F16.gguf", "fit"] == "partial_gpu_offload"  # 17.4 GB ≤ 0.9 × 40
    sidecar = by_file.loc["mmproj-M-F16.gguf"]
    assert pd.isna(sidecar["est_memory_bytes"]) and pd.isna(sidecar["fit"])
    assert len(df) == len(listing())  # rows and order kept
    assert list(df["filename"]) == list(listing()["filename"])


def test_add_fit_columns_without_hardware() -> None:
    df = add_fit_columns(listing(), meta(), None, context_length=8192, kv_cache_type="q8_0")
    assert set(df["fit"].dropna()) == set()
    assert df["kv_cache_bytes"].dropna().unique().tolist() == [8192 * 69632]


def test_select_fitting_prefers_the_best_tier() -> None:
    hw = Hardware(ram_gb=32, vram_gb=8)
    df = add_fit_columns(listing(), meta(), hw)
    assert sorted(select_fitting(df)["filename"]) == ["M-Q2_K.gguf", "M-Q4_K_M.gguf"]
    cpu = add_fit_columns(listing(), meta(), Hardware(ram_gb=12))
    # 12 GB CPU only: ≤ 10.8 GB fits (Q2_K, Q4_K_M, Q8_0 at ~9.8 GB)
    assert sorted(select_fitting(cpu)["filename"]) == [
        "M-Q2_K.gguf",
        "M-Q4_K_M.gguf",
        "M-Q8_0.gguf",
    ]
    tiny = add_fit_columns(listing(), meta(), Hardware(ram_gb=2))
    assert select_fitting(tiny).empty
    only_gpu = select_fitting(df, allow=("partial_gpu_offload",))
    assert list(only_gpu["filename"]) == ["M-Q8_0.gguf", "M-F16.gguf"]  # F16: ~17.4 GB ≤ 36


# --- from real headers served by FakeHub ---------------------------------------------------


@pytest.fixture(scope="module")
def hub() -> Any:
    from hfollama_widgets.hub import Hub
    from hfollama_widgets.testing import FakeHub

    with FakeHub() as srv:
        yield Hub(endpoint=srv.url, token=False)


def test_llama3_8b_from_the_hub(hub: Any) -> None:
    repo = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
    est = hub.estimate_memory(repo, "Q4_K_M", context_length=8192)
    assert est["kv_bytes_per_token"] == 128 * KIB
    assert est["kv_cache_bytes"] == 1 * GIB
    size = hub.list_gguf_files(repo).set_index("quantization").loc["Q4_K_M", "size_bytes"]
    assert est["weights_bytes"] == size
    assert est["total_bytes"] == size + GIB + sum(llama3_fixed_overhead(8192))


def test_openelm_per_layer_kv_from_the_hub(hub: Any) -> None:
    from hfollama_widgets.testing.catalogue import load_catalogue

    repo = "bartowski/OpenELM-270M-Instruct-GGUF"
    md = load_catalogue().get(repo).metadata
    heads = md["openelm.attention.head_count_kv"]
    k, v = md["openelm.attention.key_length"], md["openelm.attention.value_length"]
    est = hub.estimate_memory(repo, "Q4_K_M")
    assert est["kv_bytes_per_token"] == sum(heads) * (k + v) * 2
    assert est["context_length"] == min(md["openelm.context_length"], 4096)


def test_moe_and_sliding_window_from_the_hub(hub: Any) -> None:
    qwen = hub.estimate_memory("unsloth/Qwen3-30B-A3B-GGUF", "Q4_K_M")
    assert qwen["kv_bytes_per_token"] == 48 * 4 * (128 + 128) * 2
    gpt = hub.estimate_memory("ggml-org/gpt-oss-20b-GGUF", "gpt-oss-20b-mxfp4.gguf")
    assert gpt["kv_bytes_per_token"] == 24 * 8 * (64 + 64) * 2
    assert any("sliding-window" in n for n in gpt["notes"])


def test_split_deepseek_from_the_hub(hub: Any) -> None:
    repo = "unsloth/DeepSeek-V3-0324-GGUF"
    row = hub.list_gguf_files(repo).set_index("quantization").loc["UD-IQ1_S"]
    est = hub.estimate_memory(repo, "UD-IQ1_S")
    assert est["weights_bytes"] == row["size_bytes"]  # every shard
    assert est["kv_bytes_per_token"] == 61 * 128 * (192 + 128) * 2
    assert any("MLA" in n for n in est["notes"])
    assert fit_label(est["total_bytes"], Hardware(ram_gb=128, vram_gb=48)) == "too_large"


def test_fit_columns_on_a_hub_listing(hub: Any) -> None:
    repo = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
    df = hub.list_gguf_files(repo)
    meta = hub.gguf_metadata(repo, "Q4_K_M")
    out = add_fit_columns(df, meta, Hardware(ram_gb=16, vram_gb=8), context_length=8192)
    assert (out["kv_cache_bytes"] == GIB).all()
    # Files spend about the nominal bits per weight or more (mixes keep some tensors wider);
    # IQ3_XS is nominally 3.4375 (its block type) but a ~3.3 bpw mix, hence the 5% margin.
    assert (out["effective_bpw"] >= out["bits_per_weight"] * 0.95).all()
    q4 = out.set_index("quantization").loc["Q4_K_M"]
    assert q4["effective_bpw"] == pytest.approx(
        q4["size_bytes"] * 8 / meta.parameter_count, abs=0.01
    )
    fits = set(out["fit"])
    assert {"full_gpu_offload", "partial_gpu_offload", "too_large"} <= fits
    picked = select_fitting(out)
    assert (picked["fit"] == "full_gpu_offload").all() and len(picked) > 3


def test_fit_listing_reads_the_smallest_files_header(hub: Any) -> None:
    from hfollama_widgets.hub.fit import fit_listing

    repo = "bartowski/Llama-3.2-1B-Instruct-GGUF"
    df = hub.list_gguf_files(repo)
    out = fit_listing(hub, df, repo, Hardware(ram_gb=8, vram_gb=2))
    assert out["fit"].notna().all() and (out["est_memory_bytes"] > out["size_bytes"]).all()
    assert list(out["filename"]) == list(df["filename"])


@pytest.mark.parametrize(
    ("hw", "quant", "fit"),
    [
        (Hardware(ram_gb=16, vram_gb=8), "Q4_K_M", "full_gpu_offload"),
        (Hardware(ram_gb=16, vram_gb=3), "Q4_K_M", "partial_gpu_offload"),
        # CPU only, 6 GB: ≤ 5.4 GB fits; no Q4_*/Q5_*/Q6/Q8 does, IQ4_XS (4.4 GB + 0.5 GB KV
        # + 0.1 GB compute) does
        (Hardware(ram_gb=6), "IQ4_XS", "fits_in_ram"),
    ],
)
def test_select_fitting_row(hub: Any, hw: Hardware, quant: str, fit: str) -> None:
    from hfollama_widgets.hub.fit import select_fitting_row

    repo = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
    row = select_fitting_row(hub, hub.list_gguf_files(repo), repo_id=repo, hardware=hw)
    assert (row["quantization"], row["fit"]) == (quant, fit)


def test_select_fitting_row_when_nothing_fits(hub: Any) -> None:
    from hfollama_widgets.errors import NoQuantFitsError, SplitOnlyError
    from hfollama_widgets.hub.fit import select_fitting_row

    repo = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
    with pytest.raises(NoQuantFitsError, match=r"IQ2_M, needs about 3\.\d GB plus 10% headroom"):
        select_fitting_row(hub, hub.list_gguf_files(repo), repo_id=repo, hardware=Hardware(2))
    with pytest.raises(NoQuantFitsError, match="max_size_gb=1"):
        select_fitting_row(
            hub, hub.list_gguf_files(repo), repo_id=repo, hardware=Hardware(64), max_size_gb=1
        )
    row = select_fitting_row(
        hub, hub.list_gguf_files(repo), repo_id=repo, hardware=Hardware(64), max_size_gb=4
    )
    assert row["size_gb"] <= 4 and row["fit"] == "fits_in_ram"
    deepseek = "unsloth/DeepSeek-V3-0324-GGUF"
    with pytest.raises(SplitOnlyError):
        select_fitting_row(
            hub, hub.list_gguf_files(deepseek), repo_id=deepseek, hardware=Hardware(2048, 640)
        )


@pytest.mark.parametrize("bad", ["16GB", 16, {"ram_gb": 16}])
def test_hardware_of_the_wrong_type_is_refused(hub: Any, bad: Any) -> None:
    # not silently ignored (no fit columns) nor an AssertionError that vanishes under -O
    repo = "bartowski/Llama-3.2-1B-Instruct-GGUF"
    with pytest.raises(TypeError, match=r"Hardware\(ram_gb=\.\.\., vram_gb=\.\.\.\)"):
        hub.list_gguf_files(repo, hardware=bad)
    with pytest.raises(TypeError, match="Hardware"):
        hub.auto_select(repo, hardware=bad)
