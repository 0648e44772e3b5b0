"""Shard and name styles of real repos in the listing (issue 10, point 6) and the tag rule.

Each case is a file-name style seen on the Hub; the sources are in hfollama_widgets/splits.py,
quants.py (labels, IMATRIX_MAX_BYTES) and hub_tags.py (the tag rule).
"""

from __future__ import annotations

from typing import Any

import pytest

from hfollama_widgets.hub_tags import hub_tag, tag_matches
from hfollama_widgets.listing import gguf_dataframe, to_records
from hfollama_widgets.quants import IMATRIX_MAX_BYTES, QUANT_TYPES, quant_info

GB = 1_000_000_000


def _rows(files: list[tuple[str, int]], repo: str = "o/M-GGUF") -> dict[str, dict[str, Any]]:
    df = gguf_dataframe([{"path": p, "size": s} for p, s in files], repo)
    return {r["filename"]: r for r in to_records(df)}


def test_mradermacher_part_files_are_one_row_not_pullable() -> None:
    rows = _rows(
        [
            ("Llama-70B.Q6_K.gguf.part2of2", 20 * GB),
            ("Llama-70B.Q6_K.gguf.part1of2", 37 * GB),
            ("Llama-70B.Q4_K_M.gguf", 42 * GB),
        ]
    )
    assert len(rows) == 2
    split = rows["Llama-70B.Q6_K.gguf.part1of2"]
    assert split["files"] == ["Llama-70B.Q6_K.gguf.part1of2", "Llama-70B.Q6_K.gguf.part2of2"]
    assert split["size_bytes"] == 57 * GB and split["shards"] == 2
    assert split["quantization"] == "Q6_K" and split["bits_per_weight"] == 6.5625
    assert split["ollama_pullable"] is False and split["ollama_tag"] is None
    assert (
        split["model_ref"] is None
        and "cat" in split["note"]
        and "Llama-70B.Q6_K.gguf" in split["note"]
    )
    assert rows["Llama-70B.Q4_K_M.gguf"]["ollama_tag"] == "Q4_K_M"
    assert rows["Llama-70B.Q4_K_M.gguf"]["note"] is None


def test_thebloke_split_letters_are_one_row_not_pullable() -> None:
    rows = _rows(
        [
            ("falcon-180b-chat.Q6_K.gguf-split-b", 60 * GB),
            ("falcon-180b-chat.Q6_K.gguf-split-a", 50 * GB),
        ]
    )
    (row,) = rows.values()
    assert row["filename"] == "falcon-180b-chat.Q6_K.gguf-split-a"
    assert row["shards"] == 2 and row["size_bytes"] == 110 * GB
    assert row["quantization"] == "Q6_K" and not row["ollama_pullable"]
    assert "2 parts" in row["note"]


def test_gguf_shards_say_why_they_are_not_pullable() -> None:
    rows = _rows([("Q8_0/M-Q8_0-00001-of-00002.gguf", 5), ("Q8_0/M-Q8_0-00002-of-00002.gguf", 5)])
    (row,) = rows.values()
    assert not row["ollama_pullable"] and "5245" in row["note"]


@pytest.mark.parametrize(
    ("name", "label", "base"),
    [
        ("M-Q6_K_S.gguf", "Q6_K_S", "Q6_K"),  # bartowski, unsloth UD-Q6_K_S
        ("M-Q8_K_P.gguf", "Q8_K_P", "Q8_0"),  # HauhauCS _P quants
        ("M-Q2_K_Mixed.gguf", "Q2_K_MIXED", "Q2_K"),  # intel/auto-round GGUF:Q2_K_MIXED
        ("ggml-model-i2_s.gguf", "I2_S", "I2_S"),  # microsoft/BitNet
        ("M-UD-IQ4_NL_XL.gguf", "UD-IQ4_NL_XL", "IQ4_NL"),  # unsloth dynamic
    ],
)
def test_new_labels_are_kept_and_read_as_their_base(name: str, label: str, base: str) -> None:
    (row,) = _rows([(name, 3 * GB)]).values()
    assert row["quantization"] == label
    info, base_info = quant_info(label), QUANT_TYPES[base]
    assert info is not None and info.name == label
    assert row["bits_per_weight"] == base_info.bits_per_weight
    assert row["quality"] == base_info.quality and row["quality_rank"] == base_info.quality_rank


def test_label_in_the_folder_only() -> None:
    (row,) = _rows([("BF16/Model-16.gguf", 8 * GB)]).values()
    assert row["quantization"] == "BF16" and row["bits_per_weight"] == 16.0
    # the name does not end with BF16, so the safe tag is the file name
    assert row["ollama_tag"] == "Model-16.gguf" and row["ollama_pullable"]


def test_a_multi_gb_imatrix_name_is_a_model_a_small_one_calibration() -> None:
    files = [("M-Q4_K_M-imatrix.gguf", 4_900_000_000), ("imatrix.gguf", 5_000_000)]
    df = gguf_dataframe(
        [{"path": p, "size": s} for p, s in files], "o/M-GGUF", include_sidecars=True
    )
    kinds = dict(zip(df["filename"], df["kind"], strict=True))
    assert kinds == {"M-Q4_K_M-imatrix.gguf": "model", "imatrix.gguf": "imatrix"}
    assert IMATRIX_MAX_BYTES > 1_500_000_000  # above the largest calibration file (Kimi-K2)
    model = to_records(df[df["kind"] == "model"])[0]
    assert model["quantization"] == "Q4_K_M" and model["ollama_tag"] == "M-Q4_K_M-imatrix.gguf"


@pytest.mark.parametrize(
    ("name", "tag"),
    [
        ("Model-Q4_K_M.gguf", "Q4_K_M"),
        ("model.Q4_K_M.gguf", "Q4_K_M"),  # TheBloke dots
        ("Model.i1-IQ4_XS.gguf", "IQ4_XS"),  # mradermacher i1
        ("Qwen3-4B-UD-Q2_K_XL.gguf", "UD-Q2_K_XL"),
        ("M-MAX-NEO-D_AU-IQ3_S-imat.gguf", "M-MAX-NEO-D_AU-IQ3_S-imat.gguf"),  # Qiita report
        ("Q4_K_M-KAT-Coder.gguf", "Q4_K_M-KAT-Coder.gguf"),  # quant first
        ("model-fp16.gguf", "model-fp16.gguf"),  # label spelled otherwise than the tag
        ("model_q4_k_m.gguf", "model_q4_k_m.gguf"),  # not after '-' or '.'
    ],
)
def test_tags_are_ones_the_hub_accepts(name: str, tag: str) -> None:
    assert hub_tag(name) == tag
    assert tag_matches(name, tag)  # the rule FakeHub applies too (test_fake_hub)


def test_a_label_two_files_end_with_falls_back_to_the_file_name() -> None:
    rows = _rows([("M-Q4_K_M.gguf", 5), ("M-UD-Q4_K_M.gguf", 6)])
    assert rows["M-Q4_K_M.gguf"]["ollama_tag"] == "M-Q4_K_M.gguf"
    assert rows["M-UD-Q4_K_M.gguf"]["ollama_tag"] == "UD-Q4_K_M"
