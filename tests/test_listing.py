"""Tree listings -> one row per GGUF file group, and choosing what to pull (pure)."""

from __future__ import annotations

import json
import random
from typing import Any

import pandas as pd
import pytest
from huggingface_hub.hf_api import RepoFile, RepoFolder

from hfollama_widgets.errors import (
    InvalidModelRefError,
    NoGGUFFilesError,
    NoQuantFitsError,
    QuantizationNotFoundError,
    SelectionError,
    SplitOnlyError,
)
from hfollama_widgets.listing import (
    COLUMNS,
    DEFAULT_PREFERENCE,
    best_quantization,
    candidates,
    gguf_dataframe,
    select_row,
    to_records,
)

GB = 1_000_000_000


def _files(prefix: str, sizes_gb: dict[str, float]) -> list[dict[str, Any]]:
    return [{"path": f"{prefix}{q}.gguf", "size": int(s * GB)} for q, s in sizes_gb.items()]


# bartowski: dash style, _L variants with Q8_0 embeddings, ARM repacks, an f16.
BARTOWSKI = "bartowski/Llama-3.2-1B-Instruct-GGUF"
BARTOWSKI_FILES = [
    {"path": ".gitattributes", "size": 2400},
    {"path": "README.md", "size": 9100},
    {"path": "Llama-3.2-1B-Instruct.imatrix", "size": 1_100_000},
    *_files(
        "Llama-3.2-1B-Instruct-",
        {
            "f16": 2.48, "Q8_0": 1.32, "Q6_K_L": 1.09, "Q6_K": 1.02, "Q5_K_L": 0.98,
            "Q5_K_M": 0.91, "Q5_K_S": 0.89, "Q4_K_L": 0.87, "Q4_K_M": 0.81, "Q4_K_S": 0.78,
            "Q4_0": 0.771, "Q4_0_4_4": 0.772, "Q4_0_4_8": 0.773, "Q4_0_8_8": 0.774,
            "IQ4_XS": 0.74, "Q3_K_XL": 0.80, "Q3_K_L": 0.73, "IQ3_M": 0.66,
        },
    ),
]  # fmt: skip

# TheBloke: dotted style, no K_L variants.
THEBLOKE = "TheBloke/Mistral-7B-Instruct-v0.2-GGUF"
THEBLOKE_FILES = [
    {"path": "config.json", "size": 31},
    {"path": "README.md", "size": 50_000},
    *_files(
        "mistral-7b-instruct-v0.2.",
        {
            "Q2_K": 3.08, "Q3_K_S": 3.16, "Q3_K_M": 3.52, "Q3_K_L": 3.82, "Q4_0": 4.11,
            "Q4_K_S": 4.14, "Q4_K_M": 4.37, "Q5_0": 5.00, "Q5_K_S": 5.001, "Q5_K_M": 5.13,
            "Q6_K": 5.94, "Q8_0": 7.70,
        },
    ),
]  # fmt: skip

# unsloth: UD- dynamic quants, BF16 split into a per-quant folder, mmproj sidecars.
UNSLOTH = "unsloth/Qwen3-4B-GGUF"
UNSLOTH_FILES = [
    {"path": "README.md", "size": 3000},
    *_files(
        "Qwen3-4B-",
        {
            "UD-IQ1_S": 1.23, "UD-Q2_K_XL": 1.67, "Q3_K_M": 2.08, "Q4_0": 2.38,
            "IQ4_NL": 2.38 + 1e-3, "Q4_K_M": 2.50, "UD-Q4_K_XL": 2.55, "Q8_0": 4.28,
        },
    ),
    {"path": "BF16/Qwen3-4B-BF16-00002-of-00002.gguf", "size": 3 * GB},
    {"path": "BF16/Qwen3-4B-BF16-00001-of-00002.gguf", "size": 5 * GB},
    {"path": "mmproj-F16.gguf", "size": int(0.84 * GB)},
    {"path": "mmproj-BF16.gguf", "size": int(0.84 * GB)},
]  # fmt: skip

# Qwen: all lower case, every quant split.
QWEN = "Qwen/Qwen2.5-7B-Instruct-GGUF"
QWEN_FILES = [
    {"path": f"qwen2.5-7b-instruct-{q}-{i:05d}-of-{n:05d}.gguf", "size": int(s / n * GB)}
    for q, s, n in (("q4_k_m", 4.68, 2), ("q5_k_m", 5.44, 2), ("q8_0", 8.1, 3), ("fp16", 15.2, 4))
    for i in range(1, n + 1)
]


def _by_file(df: pd.DataFrame) -> dict[str, pd.Series]:
    return {row["filename"]: row for _, row in df.iterrows()}


#: The columns docs/architecture.md promises, in order (written out: the contract, not the code).
DOCUMENTED_COLUMNS = (
    "quantization", "filename", "files", "shards", "size_bytes", "size_gb", "size_gib",
    "bits_per_weight", "effective_bpw", "quality_rank", "quality", "ppl_delta", "kld", "pareto",
    "ollama_tag", "model_ref", "ollama_pullable", "kind", "note",
)  # fmt: skip


class TestDataFrame:
    def test_columns_and_dtypes(self) -> None:
        df = gguf_dataframe(BARTOWSKI_FILES, BARTOWSKI)
        assert tuple(df.columns) == COLUMNS == DOCUMENTED_COLUMNS
        assert df["shards"].dtype == "int64"
        assert df["size_bytes"].dtype == "int64"
        assert df["size_gb"].dtype == "float64"
        assert df["size_gib"].dtype == "float64"
        assert df["bits_per_weight"].dtype == "float64"
        assert df["quality_rank"].dtype == "Int64"
        assert df["ollama_pullable"].dtype == bool
        assert isinstance(df.index, pd.RangeIndex) and df.index.start == 0

    def test_empty(self) -> None:
        df = gguf_dataframe([{"path": "README.md", "size": 1}], BARTOWSKI)
        assert df.empty and tuple(df.columns) == COLUMNS
        assert df["quality_rank"].dtype == "Int64"

    def test_bartowski(self) -> None:
        df = gguf_dataframe(BARTOWSKI_FILES, BARTOWSKI)
        assert len(df) == 18  # no README, .gitattributes or .imatrix
        assert list(df["size_bytes"]) == sorted(df["size_bytes"])
        rows = _by_file(df)
        q4 = rows["Llama-3.2-1B-Instruct-Q4_K_M.gguf"]
        assert q4["quantization"] == "Q4_K_M"
        assert q4["ollama_tag"] == "Q4_K_M"
        assert q4["model_ref"] == f"hf.co/{BARTOWSKI}:Q4_K_M"
        assert q4["ollama_pullable"] and q4["kind"] == "model"
        assert q4["size_gb"] == pytest.approx(0.81)
        assert q4["size_gib"] == pytest.approx(0.81 * GB / 2**30)
        assert q4["bits_per_weight"] == 4.5 and q4["quality"] == "Good"
        assert rows["Llama-3.2-1B-Instruct-f16.gguf"]["ollama_tag"] == "F16"
        assert rows["Llama-3.2-1B-Instruct-Q6_K_L.gguf"]["ollama_tag"] == "Q6_K_L"
        assert rows["Llama-3.2-1B-Instruct-Q3_K_XL.gguf"]["quality"] == "Lower"

    def test_tags_are_the_label_that_ends_the_name(self) -> None:
        # huggingface.js reads Q4_0, Q4_0_4_4, Q4_0_4_8 and Q4_0_8_8 all as "Q4_0", but the Hub
        # matches a tag against the end of the name (hub_tags), so each label names its file.
        rows = _by_file(gguf_dataframe(BARTOWSKI_FILES, BARTOWSKI))
        for quant in ("Q4_0", "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8"):
            name = f"Llama-3.2-1B-Instruct-{quant}.gguf"
            assert rows[name]["quantization"] == quant  # rows are file groups, not labels
            assert rows[name]["ollama_tag"] == quant
            assert rows[name]["model_ref"] == f"hf.co/{BARTOWSKI}:{quant}"

    def test_thebloke_dotted(self) -> None:
        df = gguf_dataframe(THEBLOKE_FILES, THEBLOKE)
        assert len(df) == 12
        assert set(df["quantization"]) == {
            "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_0", "Q4_K_S", "Q4_K_M", "Q5_0", "Q5_K_S",
            "Q5_K_M", "Q6_K", "Q8_0",
        }  # fmt: skip
        assert (df["ollama_tag"] == df["quantization"]).all()
        assert df["ollama_pullable"].all()

    def test_unsloth_split_folder_and_sidecars(self) -> None:
        df = gguf_dataframe(UNSLOTH_FILES, UNSLOTH)
        assert set(df["kind"]) == {"model"}
        rows = _by_file(df)
        bf16 = rows["BF16/Qwen3-4B-BF16-00001-of-00002.gguf"]
        assert bf16["quantization"] == "BF16"
        assert bf16["files"] == (
            "BF16/Qwen3-4B-BF16-00001-of-00002.gguf",
            "BF16/Qwen3-4B-BF16-00002-of-00002.gguf",
        )
        assert bf16["shards"] == 2 and bf16["size_bytes"] == 8 * GB
        assert not bf16["ollama_pullable"]
        assert bf16["ollama_tag"] is None and bf16["model_ref"] is None
        ud = rows["Qwen3-4B-UD-Q2_K_XL.gguf"]
        assert ud["quantization"] == "UD-Q2_K_XL" and ud["ollama_tag"] == "UD-Q2_K_XL"
        assert ud["model_ref"] == f"hf.co/{UNSLOTH}:UD-Q2_K_XL"
        assert ud["bits_per_weight"] == 2.625

        full = gguf_dataframe(UNSLOTH_FILES, UNSLOTH, include_sidecars=True)
        side = full[full["kind"] != "model"]
        assert sorted(side["filename"]) == ["mmproj-BF16.gguf", "mmproj-F16.gguf"]
        assert set(side["kind"]) == {"mmproj"}
        assert not side["ollama_pullable"].any()
        assert side["ollama_tag"].isna().all() and side["model_ref"].isna().all()
        assert list(full["size_bytes"]) == sorted(full["size_bytes"])

    def test_qwen_all_split_any_order(self) -> None:
        shuffled = list(QWEN_FILES)
        random.Random(7).shuffle(shuffled)
        df = gguf_dataframe(shuffled, QWEN)
        assert list(df["quantization"]) == ["Q4_K_M", "Q5_K_M", "Q8_0", "F16"]
        assert list(df["shards"]) == [2, 2, 3, 4]
        assert all(f.endswith("-00001-of-0000" + str(n) + ".gguf") for f, n in
                   zip(df["filename"], df["shards"], strict=True))  # fmt: skip
        assert [len(files) for files in df["files"]] == [2, 2, 3, 4]
        assert not df["ollama_pullable"].any()
        assert df["model_ref"].isna().all()

    def test_incomplete_shard_set_is_one_group(self) -> None:
        entries = [
            {"path": "M-Q8_0-00003-of-00003.gguf", "size": 3},
            {"path": "M-Q8_0-00001-of-00003.gguf", "size": 5},
        ]
        row = gguf_dataframe(entries, "o/M-GGUF").iloc[0]
        assert row["shards"] == 3 and len(row["files"]) == 2  # two of three present
        assert row["filename"] == "M-Q8_0-00001-of-00003.gguf"
        assert row["size_bytes"] == 8 and not row["ollama_pullable"]

    def test_single_of_one_is_a_single_file(self) -> None:
        row = gguf_dataframe([{"path": "M-Q8_0-00001-of-00001.gguf", "size": 5}], "o/M").iloc[0]
        assert row["shards"] == 1 and row["ollama_pullable"]

    def test_same_prefix_different_totals_are_different_groups(self) -> None:
        entries = [
            {"path": "M-Q8_0-00001-of-00002.gguf", "size": 1},
            {"path": "M-Q8_0-00002-of-00002.gguf", "size": 1},
            {"path": "M-Q8_0-00001-of-00003.gguf", "size": 1},
        ]
        assert len(gguf_dataframe(entries, "o/M")) == 2

    def test_per_quant_folders(self) -> None:
        entries = [
            {"path": "Q8_0/model-00001-of-00002.gguf", "size": 4},
            {"path": "Q8_0/model-00002-of-00002.gguf", "size": 4},
            {"path": "Model-Q4_K_M/Model-Q4_K_M-00001-of-00002.gguf", "size": 2},
            {"path": "Model-Q4_K_M/Model-Q4_K_M-00002-of-00002.gguf", "size": 2},
        ]
        df = gguf_dataframe(entries, "o/M")
        assert list(df["quantization"]) == ["Q4_K_M", "Q8_0"]

    def test_hf_objects_and_folders(self) -> None:
        entries = [
            RepoFolder(path="BF16", oid="t1"),
            RepoFile(path="BF16/M-BF16-00001-of-00002.gguf", size=7, oid="b1"),
            RepoFile(path="BF16/M-BF16-00002-of-00002.gguf", size=3, oid="b2"),
            RepoFile(path="M-Q4_K_M.gguf", size=4, oid="b3"),
            RepoFile(path="README.md", size=1, oid="b4"),
            {"path": "dir.gguf", "type": "directory"},
            {"path": "M-Q4_K_M.gguf", "size": 4},  # duplicate entry
            {"path": "M-Q5_K_M.GGUF", "size": 5, "type": "file"},
        ]
        df = gguf_dataframe(entries, "o/M-GGUF")
        assert list(df["filename"]) == [
            "M-Q4_K_M.gguf",
            "M-Q5_K_M.GGUF",
            "BF16/M-BF16-00001-of-00002.gguf",
        ]
        assert list(df["size_bytes"]) == [4, 5, 10]

    def test_missing_size_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="no size"):
            gguf_dataframe([{"path": "M-Q4_K_M.gguf"}], "o/M")

    def test_unknown_label_file_uses_its_name_as_tag(self) -> None:
        df = gguf_dataframe([{"path": "Codestral-22B-v0.1.gguf", "size": 44 * GB}], "o/C-GGUF")
        row = df.iloc[0]
        assert row["quantization"] is None and row["quality"] is None
        assert pd.isna(row["quality_rank"]) and pd.isna(row["bits_per_weight"])
        assert row["ollama_tag"] == "Codestral-22B-v0.1.gguf"
        assert row["model_ref"] == "hf.co/o/C-GGUF:Codestral-22B-v0.1.gguf"

    def test_fp16_is_f16_but_tagged_by_file_name(self) -> None:
        # The Hub's regex does not read "fp16", so only the file name works as a tag.
        row = gguf_dataframe([{"path": "m-fp16.gguf", "size": 1}], "o/m").iloc[0]
        assert row["quantization"] == "F16" and row["ollama_tag"] == "m-fp16.gguf"

    def test_same_base_name_in_two_folders_is_not_pullable(self) -> None:
        entries = [{"path": "a/M.gguf", "size": 1}, {"path": "b/M.gguf", "size": 2}]
        df = gguf_dataframe(entries, "o/M")
        assert not df["ollama_pullable"].any()

    def test_name_that_is_no_ollama_tag(self) -> None:
        row = gguf_dataframe([{"path": "my model+v2.gguf", "size": 1}], "o/M").iloc[0]
        assert row["ollama_tag"] is None and not row["ollama_pullable"]

    def test_repo_ollama_cannot_name(self) -> None:
        df = gguf_dataframe(THEBLOKE_FILES, "mistral.ai/Mistral-GGUF")
        assert not df["ollama_pullable"].any() and df["model_ref"].isna().all()
        assert (df["ollama_tag"] == df["quantization"]).all()

    def test_sidecar_kinds(self) -> None:
        entries = [
            {"path": "M-Q4_K_M.gguf", "size": 10},
            {"path": "imatrix.gguf", "size": 1},
            {"path": "mtp-M-Q8_0.gguf", "size": 2},
            {"path": "llava-v1.5-7b-mmproj-model-f16.gguf", "size": 3},
        ]
        kinds = dict(zip(*[gguf_dataframe(entries, "o/M", include_sidecars=True)[c]
                           for c in ("filename", "kind")], strict=True))  # fmt: skip
        assert kinds == {
            "M-Q4_K_M.gguf": "model",
            "imatrix.gguf": "imatrix",
            "mtp-M-Q8_0.gguf": "mtp",
            "llava-v1.5-7b-mmproj-model-f16.gguf": "mmproj",
        }

    def test_filter_and_plot_friendly(self) -> None:
        df = gguf_dataframe(UNSLOTH_FILES, UNSLOTH)
        small = df[df["quantization"].str.startswith("Q4", na=False) & (df["size_gb"] < 2.45)]
        assert list(small["quantization"]) == ["Q4_0"]
        assert df.groupby("quality")["size_gb"].max().index.tolist()

    def test_to_records_is_json_ready(self) -> None:
        df = gguf_dataframe([*UNSLOTH_FILES, {"path": "X-v1.gguf", "size": 1}], UNSLOTH)
        records = to_records(df)
        text = json.dumps(records, allow_nan=False)
        back = json.loads(text)
        assert back[0]["filename"] == "X-v1.gguf" and back[0]["quality_rank"] is None
        assert isinstance(back[-1]["files"], list) and len(back[-1]["files"]) == 2
        assert set(back[0]) == set(COLUMNS)


class TestBestQuantization:
    def test_default_preference_is_the_ollixir_order(self) -> None:
        assert DEFAULT_PREFERENCE[:4] == ("Q4_K_M", "Q4_K_S", "Q4_K", "Q4_K_L")
        assert DEFAULT_PREFERENCE[-3:] == ("F16", "BF16", "F32")
        assert len(DEFAULT_PREFERENCE) == 27

    def test_q4_k_m_first(self) -> None:
        assert best_quantization(gguf_dataframe(BARTOWSKI_FILES, BARTOWSKI)) == "Q4_K_M"
        assert best_quantization(gguf_dataframe(THEBLOKE_FILES, THEBLOKE)) == "Q4_K_M"

    def test_preference_order_not_size_decides(self) -> None:
        df = gguf_dataframe(THEBLOKE_FILES, THEBLOKE)
        # Under 4 GB: Q2_K, Q3_K_S, Q3_K_M, Q3_K_L. Q3_K_M comes first in the preference.
        assert best_quantization(df, max_size_gb=4.0) == "Q3_K_M"
        assert best_quantization(df, max_size_gb=4.2) == "Q4_K_S"

    def test_largest_fitting_when_nothing_preferred(self) -> None:
        df = gguf_dataframe(UNSLOTH_FILES, UNSLOTH)
        assert best_quantization(df, max_size_gb=2.0) == "UD-Q2_K_XL"
        assert best_quantization(df, max_size_gb=1.5) == "UD-IQ1_S"
        assert best_quantization(df, max_size_gb=1.0) is None

    def test_unknown_label_fallback_returns_the_tag(self) -> None:
        df = gguf_dataframe(
            [{"path": "Codestral-22B-v0.1.gguf", "size": 9}, {"path": "C-IQ1_M.gguf", "size": 3}],
            "o/C",
        )
        assert best_quantization(df) == "Codestral-22B-v0.1.gguf"

    def test_custom_preference(self) -> None:
        df = gguf_dataframe(THEBLOKE_FILES, THEBLOKE)
        assert best_quantization(df, preference=["q8_0", "Q6_K"]) == "Q8_0"
        assert best_quantization(df, preference="Q6_K") == "Q6_K"
        assert best_quantization(df, preference=["IQ2_M"]) == "Q8_0"  # largest

    def test_split_and_sidecars_are_never_candidates(self) -> None:
        df = gguf_dataframe([*UNSLOTH_FILES, *QWEN_FILES], UNSLOTH, include_sidecars=True)
        names = set(candidates(df)["filename"])
        assert not any("mmproj" in n or "-of-" in n for n in names)
        assert best_quantization(gguf_dataframe(QWEN_FILES, QWEN)) is None

    def test_mmproj_alone_gives_none(self) -> None:
        df = gguf_dataframe([{"path": "mmproj-F16.gguf", "size": 1}], "o/M", include_sidecars=True)
        assert best_quantization(df) is None

    def test_candidates_size_limit_is_inclusive(self) -> None:
        df = gguf_dataframe(THEBLOKE_FILES, THEBLOKE)
        assert candidates(df, max_size_gb=3.08)["quantization"].tolist() == ["Q2_K"]


class TestSelectRow:
    def test_auto(self) -> None:
        row = select_row(gguf_dataframe(BARTOWSKI_FILES, BARTOWSKI), repo_id=BARTOWSKI)
        assert row["quantization"] == "Q4_K_M"
        assert row["model_ref"] == f"hf.co/{BARTOWSKI}:Q4_K_M"

    def test_auto_with_limit(self) -> None:
        df = gguf_dataframe(BARTOWSKI_FILES, BARTOWSKI)
        assert select_row(df, repo_id=BARTOWSKI, max_size_gb=0.75)["quantization"] == "IQ4_XS"
        assert select_row(df, repo_id=BARTOWSKI, max_size_gb=0.7)["quantization"] == "IQ3_M"

    @pytest.mark.parametrize(
        ("asked", "filename"),
        [
            ("Q8_0", "Llama-3.2-1B-Instruct-Q8_0.gguf"),
            ("q8_0", "Llama-3.2-1B-Instruct-Q8_0.gguf"),
            ("f16", "Llama-3.2-1B-Instruct-f16.gguf"),
            ("fp16", "Llama-3.2-1B-Instruct-f16.gguf"),
            ("Q4_0_4_4", "Llama-3.2-1B-Instruct-Q4_0_4_4.gguf"),
            ("q4_0", "Llama-3.2-1B-Instruct-Q4_0.gguf"),
            ("Llama-3.2-1B-Instruct-Q6_K_L.gguf", "Llama-3.2-1B-Instruct-Q6_K_L.gguf"),
            ("llama-3.2-1b-instruct-q6_k.gguf", "Llama-3.2-1B-Instruct-Q6_K.gguf"),
        ],
    )
    def test_forced(self, asked: str, filename: str) -> None:
        df = gguf_dataframe(BARTOWSKI_FILES, BARTOWSKI)
        assert select_row(df, repo_id=BARTOWSKI, quantization=asked)["filename"] == filename

    def test_a_label_inside_another_is_not_its_tag(self) -> None:
        # Only a Q4_0_4_4 file: "Q4_0" does not end its name, so the Hub refuses that tag.
        df = gguf_dataframe([{"path": "M-Q4_0_4_4.gguf", "size": 1}], "o/M")
        assert to_records(df)[0]["ollama_tag"] == "Q4_0_4_4"
        with pytest.raises(QuantizationNotFoundError, match="Q4_0_4_4"):
            select_row(df, repo_id="o/M", quantization="Q4_0")

    def test_forced_ud(self) -> None:
        df = gguf_dataframe(UNSLOTH_FILES, UNSLOTH)
        row = select_row(df, repo_id=UNSLOTH, quantization="ud-q4_k_xl")
        assert row["model_ref"] == f"hf.co/{UNSLOTH}:UD-Q4_K_XL"

    def test_latest_means_auto(self) -> None:
        df = gguf_dataframe(THEBLOKE_FILES, THEBLOKE)
        assert select_row(df, repo_id=THEBLOKE, quantization="latest")["quantization"] == "Q4_K_M"

    def test_forced_missing_lists_what_the_repo_has(self) -> None:
        df = gguf_dataframe(THEBLOKE_FILES, THEBLOKE)
        with pytest.raises(QuantizationNotFoundError) as info:
            select_row(df, repo_id=THEBLOKE, quantization="IQ4_XS")
        message = str(info.value)
        assert THEBLOKE in message and "'IQ4_XS'" in message
        for label in ("Q2_K", "Q4_K_M", "Q8_0"):
            assert label in message
        assert info.value.repo_id == THEBLOKE
        assert isinstance(info.value, LookupError) and isinstance(info.value, SelectionError)

    def test_forced_sidecar_is_not_found(self) -> None:
        df = gguf_dataframe(UNSLOTH_FILES, UNSLOTH, include_sidecars=True)
        with pytest.raises(QuantizationNotFoundError):
            select_row(df, repo_id=UNSLOTH, quantization="mmproj-F16.gguf")

    def test_forced_split(self) -> None:
        df = gguf_dataframe(UNSLOTH_FILES, UNSLOTH)
        with pytest.raises(SplitOnlyError) as info:
            select_row(df, repo_id=UNSLOTH, quantization="bf16")
        message = str(info.value)
        assert "5245" in message and UNSLOTH in message and "split" in message
        assert "Q4_K_M" in message  # what can be pulled instead
        assert "llama-gguf-split --merge" in (info.value.fix or "")
        assert "ollama create" in (info.value.fix or "")
        assert info.value.repo_id == UNSLOTH

    def test_forced_too_big(self) -> None:
        df = gguf_dataframe(THEBLOKE_FILES, THEBLOKE)
        with pytest.raises(NoQuantFitsError) as info:
            select_row(df, repo_id=THEBLOKE, quantization="Q8_0", max_size_gb=4)
        assert "7.70 GB" in str(info.value)

    def test_nothing_fits_gives_the_smallest(self) -> None:
        df = gguf_dataframe(THEBLOKE_FILES, THEBLOKE)
        with pytest.raises(NoQuantFitsError) as info:
            select_row(df, repo_id=THEBLOKE, max_size_gb=2)
        message = str(info.value)
        assert "Q2_K" in message and "3.08 GB" in message and THEBLOKE in message
        assert info.value.repo_id == THEBLOKE

    def test_all_split(self) -> None:
        df = gguf_dataframe(QWEN_FILES, QWEN)
        with pytest.raises(SplitOnlyError) as info:
            select_row(df, repo_id=QWEN, max_size_gb=100)
        message = str(info.value)
        assert "5245" in message and QWEN in message
        assert "Q4_K_M" in message and "split in 2" in message
        fix = info.value.fix or ""
        assert "llama-gguf-split --merge" in fix and "ollama create" in fix
        assert f"hf download {QWEN}" in fix

    @pytest.mark.parametrize(
        "entries",
        [
            [{"path": "README.md", "size": 1}],
            [{"path": "mmproj-F16.gguf", "size": 1}, {"path": "imatrix.gguf", "size": 1}],
        ],
    )
    def test_no_gguf(self, entries: list[dict[str, Any]]) -> None:
        for include in (False, True):
            df = gguf_dataframe(entries, "o/M", include_sidecars=include)
            with pytest.raises(NoGGUFFilesError) as info:
                select_row(df, repo_id="o/M")
            assert "o/M" in str(info.value) and info.value.repo_id == "o/M"

    def test_repo_ollama_cannot_name(self) -> None:
        df = gguf_dataframe(THEBLOKE_FILES, "mistral.ai/Mistral-GGUF")
        with pytest.raises(InvalidModelRefError, match="dot"):
            select_row(df, repo_id="mistral.ai/Mistral-GGUF")

    def test_two_files_with_one_label_pick_the_smaller_fitting(self) -> None:
        entries = [
            {"path": "a/M-Q4_K_M.gguf", "size": 9 * GB},
            {"path": "M-v2-Q4_K_M.gguf", "size": 5 * GB},
        ]
        df = gguf_dataframe(entries, "o/M")
        assert select_row(df, repo_id="o/M")["filename"] == "M-v2-Q4_K_M.gguf"
        assert (
            select_row(df, repo_id="o/M", quantization="Q4_K_M")["filename"] == "M-v2-Q4_K_M.gguf"
        )

    def test_row_order_of_the_input_frame_does_not_matter(self) -> None:
        df = gguf_dataframe(THEBLOKE_FILES, THEBLOKE)
        shuffled = df.sample(frac=1, random_state=3).reset_index(drop=True)
        assert select_row(shuffled, repo_id=THEBLOKE, max_size_gb=4)["quantization"] == "Q3_K_M"
        assert best_quantization(shuffled, preference=["IQ2_M"]) == "Q8_0"
        assert list(candidates(shuffled)["quantization"]) == list(df["quantization"])
        with pytest.raises(NoQuantFitsError, match=r"Q2_K at 3\.08 GB"):
            select_row(shuffled, repo_id=THEBLOKE, max_size_gb=1)
