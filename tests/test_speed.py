"""Decode-speed ceiling and bandwidth: real synthetic headers against the formula worked by hand."""

from __future__ import annotations

import pytest

from hfollama_widgets.bandwidth import lookup_bandwidth_gbs, measure_ram_bandwidth_gbs
from hfollama_widgets.gguf.header import HeaderParser
from hfollama_widgets.gguf.memory import estimate_memory
from hfollama_widgets.gguf.metadata import GGUFMetadata, metadata_from_parser
from hfollama_widgets.gguf.speed import decode_bytes_per_token, decode_ceiling_tokens_per_s
from hfollama_widgets.hardware import GPU, Hardware
from hfollama_widgets.testing.catalogue import load_catalogue
from hfollama_widgets.testing.gguf_synth import header_bytes, natural_size, tensor_plan


def synth(repo_id: str, quant: str) -> tuple[GGUFMetadata, dict[str, int]]:
    """A catalogue file's real GGUF header, parsed by us, and its tensor bytes by role (from the
    synthesizer's own plan, independent of our parser)."""
    repo = load_catalogue()[repo_id]
    file = next(f for f in repo.files if f.quant == quant or quant in f.path)
    parser = HeaderParser()
    data = header_bytes(repo, file)
    parser.feed(data)
    meta = metadata_from_parser(
        parser, file_size=natural_size(repo, file), bytes_read=len(data), requests=1
    )
    roles = {"embd": 0, "output": 0, "experts": 0, "other": 0}
    for t in tensor_plan(repo, file):
        if t.name == "token_embd.weight":
            roles["embd"] += t.nbytes
        elif t.name == "output.weight":
            roles["output"] += t.nbytes
        elif "_exps." in t.name:
            roles["experts"] += t.nbytes
        else:
            roles["other"] += t.nbytes
    return meta, roles


def test_moe_reads_only_the_experts_it_uses() -> None:
    meta, roles = synth("unsloth/Qwen3-30B-A3B-GGUF", "Q4_K_M")
    assert (meta.expert_count, meta.expert_used_count) == (128, 8)
    read = decode_bytes_per_token(meta, context_length=4096)
    assert read is not None
    scale = meta.file_size / sum(roles.values())  # header + padding spread over the tensors
    tied = roles["output"] == 0
    by_hand = (
        roles["other"]
        + roles["output"]
        + roles["experts"] * 8 / 128
        + (roles["embd"] if tied else 0)
    ) * scale
    assert read["weights"] == pytest.approx(by_hand, rel=1e-6)
    assert read["weights"] < 0.2 * meta.file_size  # ~3B of 30B parameters are active
    kv = 4096 * 48 * 4 * (128 + 128) * 2  # 48 layers x 4 KV heads x (K + V) x f16
    assert read["kv"] == kv
    gpu = Hardware(ram_gb=64, vram_gb=48, memory_bandwidth_gbs=1000)
    ceiling = decode_ceiling_tokens_per_s(meta, gpu, context_length=4096)
    assert ceiling == pytest.approx(1000e9 / (by_hand + kv), abs=0.05)


def test_dense_model_full_and_partial_offload() -> None:
    meta, roles = synth("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Q4_K_M")
    read = decode_bytes_per_token(meta, context_length=8192)
    assert read is not None
    scale = meta.file_size / sum(roles.values())
    weights = (roles["other"] + roles["output"]) * scale  # untied: one row of token_embd only
    kv = 8192 * 128 * 1024  # 128 KiB per token
    assert read["weights"] == pytest.approx(weights, rel=1e-6)
    total = weights + kv
    cpu = Hardware(ram_gb=32, memory_bandwidth_gbs=80)
    assert decode_ceiling_tokens_per_s(meta, cpu, context_length=8192) == pytest.approx(
        80e9 / total, abs=0.05
    )
    # 4 GB of VRAM at 360 GB/s, RAM at 60 GB/s: the weights that fit after KV and buffers
    hw = Hardware(ram_gb=32, vram_gb=4, memory_bandwidth_gbs=360, ram_bandwidth_gbs=60)
    est = estimate_memory(meta, context_length=8192)
    share = (0.9 * 4e9 - (est["total_bytes"] - est["weights_bytes"])) / est["weights_bytes"]
    seconds = share * total / 360e9 + (1 - share) * total / 60e9
    assert decode_ceiling_tokens_per_s(meta, hw, context_length=8192) == pytest.approx(
        1 / seconds,
        abs=0.05,  # rounded to 0.1 tokens/s
    )
    unknown = Hardware(ram_gb=32, vram_gb=4)
    assert decode_ceiling_tokens_per_s(meta, unknown) is None  # no bandwidth, no number


def test_another_quant_from_one_header_scales_with_its_size() -> None:
    meta, _ = synth("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Q4_K_M")
    hw = Hardware(ram_gb=64, vram_gb=24, memory_bandwidth_gbs=1008)
    small = decode_bytes_per_token(meta, context_length=4096)
    big = decode_bytes_per_token(meta, context_length=4096, file_size=2 * meta.file_size)
    assert small and big and big["weights"] == pytest.approx(2 * small["weights"], rel=1e-6)
    fast = decode_ceiling_tokens_per_s(meta, hw, context_length=4096)
    slow = decode_ceiling_tokens_per_s(meta, hw, context_length=4096, file_size=2 * meta.file_size)
    assert fast and slow and slow < fast


def test_published_bandwidths_by_name() -> None:
    assert lookup_bandwidth_gbs("NVIDIA GeForce RTX 3090") == 936.0
    assert lookup_bandwidth_gbs("NVIDIA GeForce RTX 3090 Ti") == 1008.0  # the longer name wins
    assert lookup_bandwidth_gbs("NVIDIA A100-SXM4-80GB") == 2039.0
    assert lookup_bandwidth_gbs("Apple M3 Max") == 400.0
    assert lookup_bandwidth_gbs("Apple M3") == 100.0
    assert lookup_bandwidth_gbs("NVIDIA RTX A2000 12GB") is None


def test_multi_gpu_bandwidth_and_measured_ram() -> None:
    hw = Hardware(ram_gb=64, gpus=(GPU("a", 24, 1008.0), GPU("b", 12, 360.0)))
    assert hw.gpu_bandwidth_gbs == pytest.approx(36 / (24 / 1008 + 12 / 360), abs=0.05)
    measured = measure_ram_bandwidth_gbs()
    assert measured > 0.5 and measured_is_cached(measured)
    with pytest.raises(ValueError, match="memory_bandwidth_gbs"):
        Hardware(ram_gb=8, memory_bandwidth_gbs=-1)


def measured_is_cached(first: float) -> bool:
    return measure_ram_bandwidth_gbs() == first


def test_listing_with_hardware_has_the_speed_column(fake_hub: object) -> None:
    """``list_gguf_files(hardware=…)`` gives each model row its ceiling from the repo's one header
    and the row's own size: smaller quants read fewer bytes a token, so they are faster."""
    from hfollama_widgets import Hub

    hub = Hub(fake_hub.url, cache_dir=False)  # type: ignore[attr-defined]
    hw = Hardware(ram_gb=64, vram_gb=48, memory_bandwidth_gbs=1000)
    df = hub.list_gguf_files("bartowski/Llama-3.2-1B-Instruct-GGUF", hardware=hw)
    speeds = df.set_index("quantization")["est_tokens_per_s"]
    assert speeds.notna().all()
    assert speeds["Q4_K_M"] > speeds["Q8_0"] > 0
    meta = hub.gguf_metadata("bartowski/Llama-3.2-1B-Instruct-GGUF", "Q4_K_M")
    q8 = df[df["quantization"] == "Q8_0"].iloc[0]
    expected = decode_ceiling_tokens_per_s(meta, hw, file_size=int(q8["size_bytes"]))
    assert expected is not None and float(q8["est_tokens_per_s"]) == round(expected, 1)
    unknown = hub.list_gguf_files("bartowski/Llama-3.2-1B-Instruct-GGUF", hardware=Hardware(64))
    assert unknown["est_tokens_per_s"].isna().all()  # no bandwidth known: no made-up figure
