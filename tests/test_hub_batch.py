"""Many repos at once against FakeHub over real HTTP: one DataFrame, error rows, shared
requests, 429 waits (the Hub's RateLimit header), the progress bar, scan and the module twins."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pandas as pd
import pytest

import hfollama_widgets as hfw
from hfollama_widgets.errors import RateLimitedError, RepoNotFoundError
from hfollama_widgets.hub import Hub
from hfollama_widgets.listing import COLUMNS
from hfollama_widgets.testing import FakeHub
from hfollama_widgets.testing.catalogue import load_catalogue, synthetic_catalogue

CAT = load_catalogue()
L1B = "bartowski/Llama-3.2-1B-Instruct-GGUF"
QWEN = "unsloth/Qwen3-4B-GGUF"
PRIVATE = "example-org/Private-Model-GGUF"
BERT = "google-bert/bert-base-uncased"


@pytest.fixture(autouse=True)
def _no_ambient_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture()
def own() -> Iterator[FakeHub]:
    with FakeHub() as fake:
        yield fake


def _trees(fake: FakeHub) -> list[dict[str, object]]:
    return [r for r in fake.requests if "/tree/" in r["path"]]


def test_the_whole_catalogue_in_one_frame_with_error_rows(own: FakeHub) -> None:
    hub = Hub(own.url, token=False)
    df = hub.list_gguf_files_many(list(CAT), progress=False)
    first_pages = [r for r in _trees(own) if "cursor" not in r["query"]]
    assert len(first_pages) == len(CAT)  # one tree request per repo (plus Link pages)
    assert list(df.columns[: 1 + len(COLUMNS)]) == ["repo_id", *COLUMNS]
    assert list(dict.fromkeys(df["repo_id"])) == list(CAT)  # input order kept
    failed = df[df["error"].notna()].set_index("repo_id")
    assert failed.loc[PRIVATE, "error_type"] == "RepoNotFoundError"
    assert failed.loc[BERT, "error_type"] == "NoGGUFFilesError"
    assert "Pick a repo that ships .gguf" in failed.loc[BERT, "error"]  # the fix is in the row
    ok = df[df["error"].isna()]
    single = Hub(own.url, token=False, cache_dir=False).list_gguf_files(L1B)
    assert ok[ok["repo_id"] == L1B]["filename"].tolist() == single["filename"].tolist()


def test_errors_raise_raises_the_typed_error(own: FakeHub) -> None:
    with pytest.raises(RepoNotFoundError) as info:
        Hub(own.url, token=False).list_gguf_files_many(
            [L1B, PRIVATE], errors="raise", progress=False
        )
    assert info.value.repo_id == PRIVATE


def test_search_frame_urls_and_duplicates_are_accepted(own: FakeHub) -> None:
    hub = Hub(own.url, token=False)
    found = hub.search_models(author="unsloth", limit=10)
    df = hub.list_gguf_files_many(found, progress=False)
    assert set(df["repo_id"]) == set(found["id"]) and df["error"].isna().all()
    own.clear_requests()
    typed = [f"https://huggingface.co/{L1B}", L1B, f"hf.co/{L1B}", L1B] * 5
    df2 = Hub(own.url, token=False, cache_dir=False).list_gguf_files_many(typed, progress=False)
    assert len(_trees(own)) == 1  # identical requests shared
    assert set(df2["repo_id"]) == {L1B}


def test_a_bad_id_is_an_error_row_not_a_crash(own: FakeHub) -> None:
    df = Hub(own.url, token=False).list_gguf_files_many([L1B, "not a repo id"], progress=False)
    bad = df[df["error"].notna()]
    assert bad["repo_id"].tolist() == ["not a repo id"]
    assert bad["error_type"].iloc[0].startswith("Invalid")


def test_429_waits_for_the_ratelimit_reset_then_finishes(
    own: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = Hub(own.url, token=False)
    own.rate_limit(3, reset_seconds=1)  # RateLimit: "api";r=0;t=1
    started = time.monotonic()
    df = hub.list_gguf_files_many([L1B, QWEN], concurrency=2, progress=True)
    elapsed = time.monotonic() - started
    assert df["error"].isna().all(), df["error"].tolist()
    assert elapsed >= 1.0  # it waited the reset time
    assert any(r["status"] == 429 for r in own.requests)
    bar = capsys.readouterr().err
    assert "rate-limited: waiting" in bar and "2/2" in bar and "errors=0" in bar


def test_429_waits_are_bounded(own: FakeHub) -> None:
    own.rate_limit(100, reset_seconds=120)
    started = time.monotonic()
    df = Hub(own.url, token=False).list_gguf_files_many(
        [L1B, QWEN], progress=False, max_rate_limit_wait=0.5
    )
    assert time.monotonic() - started < 10
    assert set(df["error_type"]) == {"RateLimitedError"}
    assert "Wait 120 seconds" in df["error"].iloc[0]


def test_a_single_call_still_raises_rate_limited(own: FakeHub) -> None:
    own.rate_limit(1, reset_seconds=55)
    with pytest.raises(RateLimitedError) as info:
        Hub(own.url, token=False).list_gguf_files(L1B)
    assert info.value.retry_after == 55


def test_progress_counts_requests_cache_hits_and_errors(
    own: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = Hub(own.url, token=False)
    hub.list_gguf_files_many([L1B, PRIVATE], progress=True)
    first = capsys.readouterr().err
    assert "2/2" in first and "errors=1" in first and "requests=" in first
    hub.list_gguf_files_many([L1B], progress=True)
    again = capsys.readouterr().err
    assert "requests=0" in again and "cache_hits=1" in again


def test_scan_and_the_module_level_twins(own: FakeHub) -> None:
    hfw.set_default_hub(Hub(own.url, token=False))
    try:
        scanned = hfw.scan(author="bartowski", limit=2, progress=False)
        many = hfw.list_gguf_files_many([L1B], progress=False)
    finally:
        hfw.set_default_hub(None)
    top = Hub(own.url, token=False).search_models(author="bartowski", limit=2)["id"].tolist()
    assert list(dict.fromkeys(scanned["repo_id"])) == top
    assert set(many["repo_id"]) == {L1B}


def test_two_hundred_generated_repos(tmp_path: object) -> None:
    with FakeHub(synthetic_catalogue(200, include_bundled=False)) as fake:
        df = Hub(fake.url, token=False).scan(limit=200, progress=False, concurrency=16)
    assert df["repo_id"].nunique() == 200 and df["error"].isna().all()
    assert isinstance(df, pd.DataFrame)


def test_hardware_adds_the_fit_columns_to_every_repo(own: FakeHub) -> None:
    laptop = hfw.Hardware(ram_gb=16, vram_gb=8)
    df = Hub(own.url, token=False).list_gguf_files_many(
        [L1B, QWEN], hardware=laptop, context_length=4096, progress=False
    )
    single = Hub(own.url, token=False, cache_dir=False).list_gguf_files(
        QWEN, hardware=laptop, context_length=4096
    )
    assert "fit_text" in df.columns and df["fit_text"].notna().all()
    assert df[df["repo_id"] == QWEN]["fit_text"].tolist() == single["fit_text"].tolist()
