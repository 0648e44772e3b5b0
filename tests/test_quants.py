"""The quant table and GGUF file-name parsing (pure)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfollama_widgets.quants import (
    QUANT_TYPES,
    canonical_label,
    file_kind,
    hub_quant_label,
    is_gguf,
    parse_quant_label,
    parse_shard,
    quant_info,
)

# Every type the issue names, with its nominal block bpw from hf-hub-gguf.md §3.1.
REQUIRED_BPW = {
    "F32": 32,
    "BF16": 16,
    "F16": 16,
    "Q8_0": 8.5,
    "Q6_K": 6.5625,
    "Q5_K_M": 5.5,
    "Q5_K_S": 5.5,
    "Q5_0": 5.5,
    "Q5_1": 6.0,
    "Q4_K_M": 4.5,
    "Q4_K_S": 4.5,
    "Q4_0": 4.5,
    "Q4_1": 5.0,
    "IQ4_NL": 4.5,
    "IQ4_XS": 4.25,
    "MXFP4": 4.25,
    "MXFP4_MOE": 4.25,
    "Q3_K_L": 3.4375,
    "Q3_K_M": 3.4375,
    "Q3_K_S": 3.4375,
    "IQ3_M": 3.4375,
    "IQ3_S": 3.4375,
    "IQ3_XS": 3.4375,
    "IQ3_XXS": 3.0625,
    "Q2_K": 2.625,
    "Q2_K_S": 2.625,
    "IQ2_M": 2.5625,
    "IQ2_S": 2.5625,
    "IQ2_XS": 2.3125,
    "IQ2_XXS": 2.0625,
    "IQ1_M": 1.75,
    "IQ1_S": 1.5625,
    "TQ1_0": 1.6875,
    "TQ2_0": 2.0625,
    "Q6_K_L": 6.5625,
    "Q5_K_L": 5.5,
    "Q4_K_L": 4.5,
    "Q3_K_XL": 3.4375,
    "Q2_K_L": 2.625,
    "Q3_K": 3.4375,
    "Q4_K": 4.5,
    "Q5_K": 5.5,
    "Q4_0_4_4": 4.5,
    "Q4_0_4_8": 4.5,
    "Q4_0_8_8": 4.5,
}
# general.file_type codes (huggingface.js GGMLFileQuantizationType).
FILE_TYPES = {
    "F32": 0,
    "F16": 1,
    "Q4_0": 2,
    "Q4_1": 3,
    "Q8_0": 7,
    "Q5_0": 8,
    "Q5_1": 9,
    "Q2_K": 10,
    "Q3_K_S": 11,
    "Q3_K_M": 12,
    "Q3_K_L": 13,
    "Q4_K_S": 14,
    "Q4_K_M": 15,
    "Q5_K_S": 16,
    "Q5_K_M": 17,
    "Q6_K": 18,
    "IQ2_XXS": 19,
    "IQ2_XS": 20,
    "Q2_K_S": 21,
    "IQ3_XS": 22,
    "IQ3_XXS": 23,
    "IQ1_S": 24,
    "IQ4_NL": 25,
    "IQ3_S": 26,
    "IQ3_M": 27,
    "IQ2_S": 28,
    "IQ2_M": 29,
    "IQ4_XS": 30,
    "IQ1_M": 31,
    "BF16": 32,
    "Q4_0_4_4": 33,
    "Q4_0_4_8": 34,
    "Q4_0_8_8": 35,
    "TQ1_0": 36,
    "TQ2_0": 37,
    "MXFP4_MOE": 38,
}
TIERS = {
    "F32": "Original",
    "BF16": "Original",
    "F16": "Original",
    "Q8_0": "Very High",
    "Q6_K": "High",
    "Q6_K_L": "High",
    "Q5_K_M": "Better",
    "Q5_0": "Better",
    "Q5_K_L": "Better",
    "Q4_K_M": "Good",
    "Q4_0": "Good",
    "IQ4_XS": "Good",
    "IQ4_NL": "Good",
    "MXFP4": "Good",
    "Q4_0_4_4": "Good",
    "Q3_K_M": "Lower",
    "IQ3_M": "Lower",
    "Q2_K": "Lower",
    "IQ1_S": "Lower",
    "TQ1_0": "Lower",
}


class TestTable:
    @pytest.mark.parametrize(("name", "bpw"), sorted(REQUIRED_BPW.items()))
    def test_every_required_type_with_its_bpw(self, name: str, bpw: float) -> None:
        info = QUANT_TYPES[name]
        assert info.name == name
        assert info.bits_per_weight == bpw
        assert info.use_case

    @pytest.mark.parametrize(("name", "code"), sorted(FILE_TYPES.items()))
    def test_file_type_codes(self, name: str, code: int) -> None:
        assert QUANT_TYPES[name].file_type == code

    @pytest.mark.parametrize(("name", "tier"), sorted(TIERS.items()))
    def test_quality_tiers(self, name: str, tier: str) -> None:
        assert QUANT_TYPES[name].quality == tier

    def test_aliases_carry_the_m_variant_data_under_their_own_name(self) -> None:
        for alias in ("Q3_K", "Q4_K", "Q5_K"):
            info, medium = QUANT_TYPES[alias], QUANT_TYPES[alias + "_M"]
            assert info.name == alias
            assert (info.bits_per_weight, info.quality, info.file_type) == (
                medium.bits_per_weight,
                medium.quality,
                medium.file_type,
            )

    def test_ranks_are_unique_and_start_at_one(self) -> None:
        ranks = sorted(info.quality_rank for info in QUANT_TYPES.values())
        assert ranks == list(range(1, len(ranks) + 1))

    def test_rank_follows_the_hubs_largest_to_smallest_order(self) -> None:
        # huggingface.js GGUF_QUANT_ORDER (subset), largest first.
        hub_order = [
            "F32", "BF16", "F16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q5_0", "Q5_1",
            "Q4_K_M", "Q4_K_S", "IQ4_NL", "IQ4_XS", "Q4_0", "Q4_1", "MXFP4_MOE",
            "Q3_K_L", "Q3_K_M", "Q3_K_S", "IQ3_M", "IQ3_S", "IQ3_XS", "IQ3_XXS",
            "Q2_K", "Q2_K_S", "IQ2_M", "IQ2_S", "IQ2_XS", "IQ2_XXS",
            "IQ1_S", "IQ1_M", "TQ1_0", "TQ2_0",
        ]  # fmt: skip
        ranks = [QUANT_TYPES[name].quality_rank for name in hub_order]
        assert ranks == sorted(ranks)

    @pytest.mark.parametrize(
        ("variant", "base"),
        [("Q6_K_L", "Q6_K"), ("Q5_K_L", "Q5_K_M"), ("Q4_K_L", "Q4_K_M"), ("Q3_K_XL", "Q3_K_L"),
         ("Q2_K_L", "Q2_K")],
    )  # fmt: skip
    def test_large_variants_sit_just_above_their_base(self, variant: str, base: str) -> None:
        above = QUANT_TYPES[variant].quality_rank
        assert above < QUANT_TYPES[base].quality_rank
        # Nothing of a different family between them.
        between = [
            q.name
            for q in QUANT_TYPES.values()
            if above < q.quality_rank < QUANT_TYPES[base].quality_rank
        ]
        prefix = base[:2]
        assert all(name.startswith(prefix) for name in between), between

    def test_bpw_never_increases_down_a_k_family(self) -> None:
        for family in ("Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"):
            members = [q for q in QUANT_TYPES.values() if q.name.startswith(family)]
            assert len({q.bits_per_weight for q in members}) == 1, family


class TestQuantInfo:
    def test_case_insensitive(self) -> None:
        info = quant_info("q4_k_m")
        assert info is not None and info.name == "Q4_K_M"

    @pytest.mark.parametrize(
        ("spelling", "name"), [("fp16", "F16"), ("FP32", "F32"), ("bfloat16", "BF16")]
    )
    def test_other_spellings(self, spelling: str, name: str) -> None:
        info = quant_info(spelling)
        assert info is not None and info.name == name

    @pytest.mark.parametrize(
        ("label", "base"),
        [("UD-Q4_K_XL", "Q4_K_XL"), ("UD-Q2_K_XL", "Q2_K_XL"), ("UD-IQ1_S", "IQ1_S"),
         ("UD-TQ1_0", "TQ1_0"), ("ud-q8_k_xl", "Q8_K_XL")],
    )  # fmt: skip
    def test_unsloth_dynamic_labels_keep_their_name(self, label: str, base: str) -> None:
        info = quant_info(label)
        assert info is not None
        assert info.name == label.upper()
        assert info.bits_per_weight == QUANT_TYPES[base].bits_per_weight
        assert info.quality == QUANT_TYPES[base].quality

    @pytest.mark.parametrize(("label", "base"), [("Q4_0_L", "Q4_0"), ("IQ4_XS_XL", "IQ4_XS")])
    def test_unknown_large_variants_take_base_data(self, label: str, base: str) -> None:
        info = quant_info(label)
        assert info is not None and info.name == label
        assert info.quality_rank == QUANT_TYPES[base].quality_rank

    @pytest.mark.parametrize("label", ["", "Q4", "Q9_K", "LATEST", "Q4_K_MM", "UD-", "FOO_XL"])
    def test_unknown(self, label: str) -> None:
        assert quant_info(label) is None


# (path, our canonical label, the Hub's label)
NAMES = [
    ("Llama-3.2-1B-Instruct-Q4_K_M.gguf", "Q4_K_M", "Q4_K_M"),
    ("subdir/Llama-3.2-1B-Instruct-Q4_K_M.gguf", "Q4_K_M", "Q4_K_M"),
    ("Llama-3.2-1B-Instruct-f16.gguf", "F16", "F16"),
    ("Llama-3.2-1B-Instruct-bf16.gguf", "BF16", "BF16"),
    ("mistral-7b-instruct-v0.2.Q4_K_M.gguf", "Q4_K_M", "Q4_K_M"),
    ("mistral-7b-instruct-v0.2.Q2_K.gguf", "Q2_K", "Q2_K"),
    ("qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf", "Q4_K_M", "Q4_K_M"),
    ("qwen2.5-0.5b-instruct-fp16.gguf", "F16", None),
    ("model-FP32.gguf", "F32", None),
    ("Qwen3-4B-UD-Q2_K_XL.gguf", "UD-Q2_K_XL", "UD-Q2_K_XL"),
    ("Qwen3-4B-UD-IQ1_S.gguf", "UD-IQ1_S", "UD-IQ1_S"),
    ("Qwen3-4B-Q4_K_XL.gguf", "Q4_K_XL", "Q4_K_XL"),
    ("Meta-Llama-3.1-8B-Instruct-Q6_K_L.gguf", "Q6_K_L", "Q6_K_L"),
    ("Meta-Llama-3.1-8B-Instruct-Q3_K_XL.gguf", "Q3_K_XL", "Q3_K_XL"),
    ("gpt-oss-20b-MXFP4.gguf", "MXFP4", "MXFP4"),
    ("gpt-oss-120b-MXFP4_MOE.gguf", "MXFP4_MOE", "MXFP4_MOE"),
    ("Llama-3.2-1B-Instruct-Q4_0_4_4.gguf", "Q4_0_4_4", "Q4_0"),
    ("Llama-3.2-1B-Instruct-Q4_0_8_8.gguf", "Q4_0_8_8", "Q4_0"),
    ("ggml-model-q4_k.gguf", "Q4_K", None),
    ("ggml-model-q4_0.gguf", "Q4_0", "Q4_0"),
    ("Codestral-22B-v0.1.gguf", None, None),
    ("Codestral-22B-v0.1-hf-F32-Q2_K.gguf", "Q2_K", "Q2_K"),
    ("Model-Q8_0/Model-Q8_0-00001-of-00002.gguf", "Q8_0", "Q8_0"),
    ("Q8_0/model-00001-of-00002.gguf", "Q8_0", "Q8_0"),
    ("BF16/Qwen3-Coder-30B-A3B-Instruct-BF16-00001-of-00002.gguf", "BF16", "BF16"),
    ("Qwen3-4B.gguf", None, None),
    ("Qwen3-30B-A3B.gguf", None, None),
    ("Mixtral-8x7B-Instruct-v0.1.gguf", None, None),
    ("phi-3-mini-4k-instruct.IQ3_XXS.gguf", "IQ3_XXS", "IQ3_XXS"),
    ("Llama-3.2-3B-Instruct-IQ3_M.gguf", "IQ3_M", "IQ3_M"),
    ("model_iq4_nl.gguf", "IQ4_NL", "IQ4_NL"),
    ("model Q5_K_S.gguf", "Q5_K_S", "Q5_K_S"),
    ("LiquidIQ4_XS-thing.gguf", None, "IQ4_XS"),  # IQ inside a word is not a label for us
    ("BitNet-b1.58-2B-TQ1_0.gguf", "TQ1_0", "TQ1_0"),
    ("Model-IQ3_S-imat.gguf", "IQ3_S", "IQ3_S"),
]


class TestParseQuantLabel:
    @pytest.mark.parametrize(("path", "label", "_hub"), NAMES)
    def test_naming_styles(self, path: str, label: str | None, _hub: str | None) -> None:
        assert parse_quant_label(path) == label

    @pytest.mark.parametrize(("path", "_label", "hub"), NAMES)
    def test_hub_label(self, path: str, _label: str | None, hub: str | None) -> None:
        assert hub_quant_label(path) == hub

    def test_percentage_mixed_names_give_the_dominant_part(self) -> None:
        name = "Model-55IQ2_XXS-34Q2_K-07Q8_0-03F16.gguf"
        assert hub_quant_label(name) == "IQ2_XXS"
        assert parse_quant_label(name) == "IQ2_XXS"

    @pytest.mark.parametrize("value", [None, 3, b"Q4_K_M.gguf"])
    def test_non_strings(self, value: object) -> None:
        assert parse_quant_label(value) is None  # type: ignore[arg-type]
        assert hub_quant_label(value) is None  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("text", "label"),
        [("fp16", "F16"), ("ud-q2_k_xl", "UD-Q2_K_XL"), ("Q4_K_M", "Q4_K_M"), (" q8_0 ", "Q8_0"),
         ("IQ3_S-imat", None), ("Model-Q4_K_M.gguf", None), ("latest", None)],
    )  # fmt: skip
    def test_canonical_label(self, text: str, label: str | None) -> None:
        assert canonical_label(text) == label


# --- properties ---------------------------------------------------------------------------

LABELS = [*sorted(QUANT_TYPES), "UD-Q4_K_XL", "UD-Q2_K_XL", "UD-IQ1_S", "UD-Q3_K_XL", "UD-IQ2_M"]
SEPARATORS = ["-", ".", "_", "/", " "]
# No letter that can start a label (F B Q I M N T) and no U (the UD- prefix).
LABEL_FREE = "acdeghjklopsvwxyzACDEGHJKLOPSVWXYZ0123456789-._/ "


def _random_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.lower() if flip else c.upper() for c, flip in zip(text, flips, strict=True))


@st.composite
def labelled_names(draw: st.DrawFn) -> tuple[str, str]:
    label = draw(st.sampled_from(LABELS))
    prefix = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-.", max_size=20))
    tokens = [t for t in re.split(r"[-._/ ]", prefix) if t]
    if parse_quant_label(prefix) is not None or (tokens and tokens[-1].lower() == "ud"):
        prefix = "model"
    sep = draw(st.sampled_from(SEPARATORS)) if prefix else ""
    shard = draw(st.sampled_from(["", "-00001-of-00003", "-00002-of-00002"]))
    extension = draw(st.sampled_from([".gguf", ".GGUF"]))
    folder = draw(st.sampled_from(["", "sub/", "Q8_0/"])) if not prefix.startswith("/") else ""
    return folder + prefix + sep + _random_case(draw, label) + shard + extension, label


@settings(max_examples=400, deadline=None)
@given(labelled_names())
def test_any_known_label_comes_back_canonical(case: tuple[str, str]) -> None:
    name, label = case
    assert parse_quant_label(name) == label


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_never_raises(text: str) -> None:
    result = parse_quant_label(text)
    assert result is None or quant_info(result) is not None
    hub = hub_quant_label(text)
    assert hub is None or hub == hub.upper()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=LABEL_FREE, max_size=60))
def test_names_without_a_label_give_none(text: str) -> None:
    assert parse_quant_label(text + ".gguf") is None


# --- kinds and shards -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("Llama-3.2-1B-Instruct-Q4_K_M.gguf", "model"),
        ("mmproj-model-f16.gguf", "mmproj"),
        ("llava-v1.5-7b-mmproj-model-f16.gguf", "mmproj"),
        ("Qwen2.5-VL-7B-Instruct-mmproj-F16.gguf", "mmproj"),
        ("MMPROJ-BF16.gguf", "mmproj"),
        ("imatrix.gguf", "imatrix"),
        ("Llama-3.2-1B-Instruct-imatrix.gguf", "imatrix"),
        ("mtp-GLM-4.5-Air-Q8_0.gguf", "mtp"),
        ("sub/mtp-x.gguf", "mtp"),
        ("GLM-mtp-Q8_0.gguf", "model"),
        ("mmproj/Model-Q4_K_M.gguf", "model"),  # only the base name counts
    ],
)
def test_file_kind(path: str, kind: str) -> None:
    assert file_kind(path) == kind


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf", ("qwen2.5-7b-instruct-q4_k_m", 1, 2)),
        ("BF16/Model-BF16-00002-of-00003.gguf", ("BF16/Model-BF16", 2, 3)),
        ("Model-Q8_0-00001-OF-00002.GGUF", ("Model-Q8_0", 1, 2)),
        ("Model-Q8_0.gguf", None),
        ("Model-Q8_0-0001-of-0002.gguf", None),
        ("Model-00001-of-00002.bin", None),
        ("-00001-of-00002.gguf", None),
    ],
)
def test_parse_shard(path: str, expected: tuple[str, int, int] | None) -> None:
    assert parse_shard(path) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [("a.gguf", True), ("A.GGUF", True), ("a.gguf.md", False), ("README.md", False), ("", False)],
)
def test_is_gguf(path: str, expected: bool) -> None:
    assert is_gguf(path) is expected
