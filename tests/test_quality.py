"""Quality columns (effective_bpw, ppl_delta, kld, pareto) of the listing, over real HTTP to
FakeHub: every row gets them, and they cost one model-info request per repo, shared."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from hfollama_widgets import quality
from hfollama_widgets.hub import Hub
from hfollama_widgets.listing import COLUMNS, gguf_dataframe, to_records
from hfollama_widgets.quants import QUANT_TYPES
from hfollama_widgets.testing import FakeHub
from hfollama_widgets.testing.catalogue import load_catalogue

CAT = load_catalogue()
L8B = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"


@pytest.fixture()
def own() -> Iterator[FakeHub]:
    with FakeHub() as fake:
        yield fake


def _info_requests(fake: FakeHub) -> list[dict]:
    return [
        r
        for r in fake.requests
        if r["path"].startswith("/api/models/") and "/tree/" not in r["path"]
    ]


def test_every_row_has_effective_bpw_from_gguf_total(own: FakeHub) -> None:
    hub = Hub(endpoint=own.url, token=False)
    df = hub.list_gguf_files(L8B)
    total = CAT[L8B].gguf["total"]
    assert tuple(df.columns) == COLUMNS
    assert df["effective_bpw"].notna().all()
    for _, row in df.iterrows():
        assert row["effective_bpw"] == pytest.approx(row["size_bytes"] * 8 / total, abs=0.006)
    q4 = df[df["quantization"] == "Q4_K_M"].iloc[0]
    # a real Q4_K_M spends more than its 4.5 block bpw (Q6_K tensors, F32 norms)
    assert q4["bits_per_weight"] == 4.5 and 4.6 < q4["effective_bpw"] < 5.2


def test_one_model_info_request_shared_with_the_header(own: FakeHub) -> None:
    hub = Hub(endpoint=own.url, token=False, cache_dir=False)
    hub.list_gguf_files(L8B)
    hub.model_info(L8B)  # what the GGUFBrowser's header asks for next
    hub.list_gguf_files(L8B)
    assert len(_info_requests(own)) == 1
    assert not [r for r in own.requests if "/resolve/" in r["path"]]  # no header read


def test_with_the_persistent_cache_the_count_comes_with_the_sha(
    own: FakeHub, tmp_path: Path
) -> None:
    """The listing's sha request asks for ``gguf`` too, so the column costs no request of its
    own, and a new Hub on the same cache has it without any request."""
    without = Hub(endpoint=own.url, token=False, cache_dir=tmp_path / "a")
    assert without.list_gguf_files(L8B, parameter_count=False)["effective_bpw"].isna().all()
    plain = len(own.requests)
    own.clear_requests()
    df = Hub(endpoint=own.url, token=False, cache_dir=tmp_path / "b").list_gguf_files(L8B)
    assert df["effective_bpw"].notna().all() and len(own.requests) == plain
    own.clear_requests()
    again = Hub(endpoint=own.url, token=False, cache_dir=tmp_path / "b").list_gguf_files(L8B)
    assert own.requests == [] and again["effective_bpw"].tolist() == df["effective_bpw"].tolist()


def test_without_parameter_count_no_info_request(own: FakeHub) -> None:
    hub = Hub(endpoint=own.url, token=False, cache_dir=False)
    df = hub.list_gguf_files(L8B, parameter_count=False)
    assert _info_requests(own) == [] and df["effective_bpw"].isna().all()
    assert df["ppl_delta"].notna().any()  # the tables need no request


def test_published_figures_per_row(own: FakeHub) -> None:
    df = Hub(endpoint=own.url, token=False).list_gguf_files(L8B)
    rows = {r["quantization"]: r for r in to_records(df)}
    # tools/quantize/quantize.cpp QUANT_OPTIONS: "Q4_K_M : 4.58G, +0.1754 ppl @ Llama-3-8B"
    assert rows["Q4_K_M"]["ppl_delta"] == 0.1754
    assert rows["Q8_0"]["ppl_delta"] == 0.0026
    assert rows["Q4_K_M"]["kld"] == 0.031273
    for label, rec in rows.items():
        assert rec["ppl_delta"] == quality.ppl_delta(label)
        assert rec["kld"] == quality.kld(label)


def test_pareto_front_is_exactly_the_undominated_rows(own: FakeHub) -> None:
    df = Hub(endpoint=own.url, token=False).list_gguf_files(L8B)
    losses = [
        quality.quality_loss(q, t)[0]
        for q, t in zip(df["quantization"], df["quality"], strict=True)
    ]
    sizes = list(df["size_bytes"])
    assert df["pareto"].any() and not df["pareto"].all()
    for i, flag in enumerate(df["pareto"]):
        beaten = any(
            sizes[j] <= sizes[i]
            and losses[j] <= losses[i]
            and (sizes[j], losses[j]) != (sizes[i], losses[i])
            for j in range(len(df))
        )
        assert bool(flag) == (not beaten), df.iloc[i]["filename"]
    # Q4_1 (bigger than Q4_K_M, +0.45 vs +0.18 ppl) is never on the front next to Q4_K_M
    q41 = df[df["quantization"] == "Q4_1"]
    if not q41.empty and (df["quantization"] == "Q4_K_M").any():
        assert not q41["pareto"].iloc[0]


def test_sidecars_are_never_on_the_front() -> None:
    entries = [{"path": "mmproj-f16.gguf", "size": 1}, {"path": "M-Q8_0.gguf", "size": 9}]
    df = gguf_dataframe(entries, "o/M-GGUF", include_sidecars=True, parameters=10)
    by_kind = dict(zip(df["kind"], df["pareto"], strict=True))
    assert by_kind == {"mmproj": False, "model": True}


def test_tables_name_only_known_types() -> None:
    names = set(QUANT_TYPES)
    assert set(quality.PPL_DELTA) <= names and set(quality.KLD) <= names
    # the no-imatrix scoreboard rows rank the types the same way by ppl and by kld
    both = sorted(set(quality.PPL_DELTA) & set(quality.KLD), key=quality.PPL_DELTA.__getitem__)
    klds = [quality.KLD[n] for n in both]
    assert sum(a > b for a, b in itertools.pairwise(klds)) <= 2  # Q5_1/Q5_K_S, Q4_1/Q4_0 swap


def test_unknown_parameters_leave_effective_bpw_empty() -> None:
    df = gguf_dataframe([{"path": "M-Q4_K_M.gguf", "size": 8}], "o/M-GGUF")
    assert df["effective_bpw"].dtype == "Float64" and pd.isna(df["effective_bpw"][0])
