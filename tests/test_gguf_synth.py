"""The synthetic GGUF files: real headers (checked with gguf.GGUFReader, a parser we did not
write), consistent sizes, real-model hyperparameters, and lazily generated bodies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gguf import GGMLQuantizationType, GGUFReader

from hfollama_widgets.testing.catalogue import CatalogueRepo, load_catalogue, repo_from_dict
from hfollama_widgets.testing.gguf_synth import GGUFBody, file_body, header_bytes, natural_size

CAT = load_catalogue()
Parse = Callable[..., tuple[GGUFReader, int]]


def _variant(repo_id: str, vocab: int) -> CatalogueRepo:
    """The repo with a small vocabulary: same architecture, a header GGUFReader parses fast."""
    raw = dict(CAT[repo_id].raw)
    raw["vocab_size"] = vocab
    raw["special_tokens"] = {
        k: v for k, v in raw.get("special_tokens", {}).items() if int(k) < vocab
    }
    raw["metadata"] = {
        k: v for k, v in raw["metadata"].items() if not (k.endswith("_token_id") and v >= vocab)
    }
    return repo_from_dict(raw)


@pytest.fixture(scope="module")
def parse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Parse]:
    """Parse a file's header with GGUFReader (cached per file: big vocabularies parse slowly).

    The header is written, then the file is extended (sparse) to its size so the tensor data
    offsets are inside the file, as GGUFReader requires.
    """
    cache: dict[tuple[str, str, int | None], tuple[GGUFReader, int]] = {}
    folder = tmp_path_factory.mktemp("gguf")

    def _parse(repo_id: str, path: str, *, vocab: int | None = None) -> tuple[GGUFReader, int]:
        key = (repo_id, path, vocab)
        if key not in cache:
            repo = CAT[repo_id] if vocab is None else _variant(repo_id, vocab)
            f = repo.file(path)
            assert f is not None, path
            header = header_bytes(repo, f)
            target = folder / f"{len(cache)}.gguf"
            with target.open("wb") as fh:
                fh.write(header)
                fh.truncate(natural_size(repo, f))
            cache[key] = (GGUFReader(target), len(header))
        return cache[key]

    yield _parse


def _value(reader: GGUFReader, key: str) -> Any:
    return reader.fields[key].contents()


def _total(repo_id: str) -> int:
    gguf = CAT[repo_id].gguf
    assert gguf is not None
    return int(gguf["total"])


def _params(reader: GGUFReader) -> int:
    return sum(int(t.n_elements) for t in reader.tensors)


def test_every_gguf_file_size_is_header_plus_tensor_data() -> None:
    checked = 0
    for repo_id in CAT:
        repo = CAT[repo_id]
        for f in repo.files:
            if f.path.endswith(".gguf"):
                assert f.size == natural_size(repo, f), f"{repo_id}/{f.path}"
                checked += 1
    assert checked > 150
    # parameter counts of models not parsed below (their vocabularies parse slowly)
    assert _total("ggml-org/gpt-oss-20b-GGUF") == pytest.approx(20.9e9, rel=0.01)
    assert _total("bartowski/Llama-3.2-1B-Instruct-GGUF") == pytest.approx(1.236e9, rel=0.01)
    assert _total("unsloth/DeepSeek-V3-0324-GGUF") == pytest.approx(671e9, rel=0.01)


@pytest.mark.parametrize(
    ("repo_id", "path", "params", "layers"),
    [
        # parameter counts of the real models (from their model cards / GGUF viewers)
        (
            "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
            "Meta-Llama-3.1-8B-Instruct-Q8_0.gguf",
            8.03e9,
            32,
        ),
        (
            "TheBloke/Mistral-7B-Instruct-v0.2-GGUF",
            "mistral-7b-instruct-v0.2.Q4_K_M.gguf",
            7.24e9,
            32,
        ),
        ("unsloth/Qwen3-30B-A3B-GGUF", "Qwen3-30B-A3B-Q4_K_M.gguf", 30.5e9, 48),
        ("nomic-ai/nomic-embed-text-v1.5-GGUF", "nomic-embed-text-v1.5.f16.gguf", 137e6, 12),
        ("bartowski/OpenELM-270M-Instruct-GGUF", "OpenELM-270M-Instruct-Q8_0.gguf", 272e6, 16),
    ],
)
def test_header_parses_and_counts_the_real_models_parameters(
    parse: Parse, repo_id: str, path: str, params: float, layers: int
) -> None:
    reader, _ = parse(repo_id, path)
    arch = _value(reader, "general.architecture")
    assert _value(reader, f"{arch}.block_count") == layers
    assert _params(reader) == pytest.approx(params, rel=0.01)
    assert _params(reader) == _total(repo_id)
    assert len(_value(reader, "tokenizer.ggml.tokens")) == CAT[repo_id].vocab_size


def test_llama3_header_is_several_megabytes_with_its_tokenizer(parse: Parse) -> None:
    reader, size = parse(
        "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Meta-Llama-3.1-8B-Instruct-Q8_0.gguf"
    )
    assert 2_000_000 < size < 12_000_000
    tokens = _value(reader, "tokenizer.ggml.tokens")
    assert tokens[128000] == "<|begin_of_text|>" and tokens[128009] == "<|eot_id|>"
    assert _value(reader, "tokenizer.ggml.model") == "gpt2"
    assert _value(reader, "tokenizer.ggml.eos_token_id") == 128009
    assert "<|start_header_id|>" in _value(reader, "tokenizer.chat_template")
    assert len(_value(reader, "tokenizer.ggml.merges")) > 100_000
    # hyperparameters for the KV cache: 32 layers x 8 KV heads x head dim 128
    assert _value(reader, "llama.attention.head_count_kv") == 8
    embd, heads = (
        _value(reader, "llama.embedding_length"),
        _value(reader, "llama.attention.head_count"),
    )
    assert embd // heads == 128


def test_file_type_and_tensor_types_follow_the_quant(parse: Parse) -> None:
    repo = "TheBloke/Mistral-7B-Instruct-v0.2-GGUF"
    q4, _ = parse(repo, "mistral-7b-instruct-v0.2.Q4_K_M.gguf")
    assert _value(q4, "general.file_type") == 15  # MOSTLY_Q4_K_M
    types = {t.tensor_type for t in q4.tensors if len(t.shape) > 1}
    assert {GGMLQuantizationType.Q4_K, GGMLQuantizationType.Q6_K} <= types
    q8, _ = parse(repo, "mistral-7b-instruct-v0.2.Q8_0.gguf")
    assert _value(q8, "general.file_type") == 7
    assert {t.tensor_type for t in q8.tensors if len(t.shape) > 1} == {GGMLQuantizationType.Q8_0}
    f16, _ = parse("mys/ggml_llava-v1.5-7b", "ggml-model-f16.gguf")
    assert _value(f16, "general.file_type") == 1
    norms = [t for t in f16.tensors if t.name.endswith("norm.weight")]
    assert norms and all(t.tensor_type == GGMLQuantizationType.F32 for t in norms)
    q4k, _ = parse("mys/ggml_llava-v1.5-7b", "ggml-model-q4_k.gguf")  # the Q4_K alias
    assert _value(q4k, "general.file_type") == 15
    ud, _ = parse("unsloth/Qwen3-4B-GGUF", "Qwen3-4B-UD-Q2_K_XL.gguf", vocab=512)
    assert _value(ud, "general.file_type") == 10
    mx, _ = parse("ggml-org/gpt-oss-20b-GGUF", "gpt-oss-20b-mxfp4.gguf", vocab=512)
    assert _value(mx, "general.file_type") == 38
    exps = [t for t in mx.tensors if "_exps.weight" in t.name]
    assert exps and all(t.tensor_type == GGMLQuantizationType.MXFP4 for t in exps)


def test_per_layer_kv_heads_are_arrays(parse: Parse) -> None:
    reader, _ = parse("bartowski/OpenELM-270M-Instruct-GGUF", "OpenELM-270M-Instruct-Q8_0.gguf")
    kv = _value(reader, "openelm.attention.head_count_kv")
    heads = _value(reader, "openelm.attention.head_count")
    assert kv == [3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5]
    assert len(heads) == 16 and heads[0] == 12 and heads[-1] == 20
    assert isinstance(_value(reader, "openelm.feed_forward_length"), list)
    qkv = {t.name: t for t in reader.tensors}["blk.15.attn_qkv.weight"]
    assert int(qkv.shape[1]) == (20 + 2 * 5) * 64  # ne1 = (heads + 2 * kv heads) * head dim


def test_moe_expert_tensors_carry_the_expert_dimension(parse: Parse) -> None:
    reader, _ = parse("unsloth/Qwen3-30B-A3B-GGUF", "Qwen3-30B-A3B-Q4_K_M.gguf")
    assert _value(reader, "qwen3moe.expert_count") == 128
    assert _value(reader, "qwen3moe.expert_used_count") == 8
    gate = {t.name: t for t in reader.tensors}["blk.0.ffn_gate_exps.weight"]
    assert [int(x) for x in gate.shape] == [2048, 768, 128]
    assert "<think>" in _value(reader, "tokenizer.chat_template")


def test_shards_carry_split_keys_and_only_the_first_has_metadata(parse: Parse) -> None:
    repo = "unsloth/DeepSeek-V3-0324-GGUF"
    first, _ = parse(repo, "UD-Q2_K_XL/DeepSeek-V3-0324-UD-Q2_K_XL-00001-of-00008.gguf", vocab=512)
    assert _value(first, "split.no") == 0 and _value(first, "split.count") == 8
    assert _value(first, "deepseek2.expert_count") == 256
    total = _value(first, "split.tensors.count")
    seen = len(first.tensors)
    for i in range(2, 9):
        path = f"UD-Q2_K_XL/DeepSeek-V3-0324-UD-Q2_K_XL-{i:05d}-of-00008.gguf"
        shard, _ = parse(repo, path, vocab=512)
        assert _value(shard, "split.no") == i - 1
        assert "general.architecture" not in shard.fields
        seen += len(shard.tensors)
    assert seen == total


def test_sidecars_have_small_plausible_headers(parse: Parse) -> None:
    mmproj, size = parse("mys/ggml_llava-v1.5-7b", "mmproj-model-f16.gguf")
    assert size < 200_000
    assert _value(mmproj, "general.architecture") == "clip"
    assert _value(mmproj, "clip.has_llava_projector") is True
    assert _params(mmproj) == pytest.approx(0.31e9, rel=0.05)
    imatrix, _ = parse("unsloth/Qwen3-30B-A3B-GGUF", "imatrix_unsloth.gguf", vocab=512)
    assert _value(imatrix, "general.type") == "imatrix"
    assert all(t.name.endswith((".in_sum2", ".counts")) for t in imatrix.tensors)


def test_body_reads_are_consistent_lazy_and_clipped() -> None:
    repo: CatalogueRepo = CAT["bartowski/Llama-3.2-1B-Instruct-GGUF"]
    f = repo.file("Llama-3.2-1B-Instruct-Q4_K_M.gguf")
    assert f is not None
    body = file_body(repo, f)
    header = header_bytes(repo, f)
    assert body.size == f.size
    window = body.read(0, len(header) + 300_000)
    assert window[: len(header)] == header
    for start, end in [
        (0, 4),
        (len(header) - 10, len(header) + 10),
        (len(header) + 65_530, len(header) + 70_000),
    ]:
        assert body.read(start, end) == window[start:end]
    assert file_body(repo, f).read(f.size - 100, f.size) == body.read(f.size - 100, f.size)
    assert len(body.read(f.size - 5, f.size + 50)) == 5
    assert body.read(f.size, f.size + 1) == b""
    other = repo.file("Llama-3.2-1B-Instruct-Q8_0.gguf")
    assert other is not None
    assert file_body(repo, other).read(f.size - 100, f.size) != body.read(f.size - 100, f.size)
    with pytest.raises(ValueError):
        GGUFBody(b"x" * 10, 5)


def test_text_files_are_served_verbatim() -> None:
    repo = CAT["TheBloke/Mistral-7B-Instruct-v0.2-GGUF"]
    f = repo.file("config.json")
    assert f is not None and f.content is not None
    assert file_body(repo, f).read(0, f.size) == f.content
