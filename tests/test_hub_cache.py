"""The persistent listing cache against FakeHub over real HTTP: a new process with a warm cache,
the branch -> sha TTL, a moved branch, refresh, readers kept apart, a corrupt or unwritable
cache (a warning, never an error), the DataFrame memo, and one pooled client for header reads."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from hfollama_widgets.hub import Hub
from hfollama_widgets.hub.cache import CACHE_DIR_ENV, CacheWarning, cache_dir_setting
from hfollama_widgets.testing import FakeHub
from hfollama_widgets.testing.catalogue import Catalogue, load_catalogue
from hfollama_widgets.testing.fake_hub import DEFAULT_TOKEN

CAT = load_catalogue()
L1B = "bartowski/Llama-3.2-1B-Instruct-GGUF"
QWEN = "unsloth/Qwen3-4B-GGUF"
PRIVATE = "example-org/Private-Model-GGUF"
REPOS = [L1B, QWEN, "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"]


@pytest.fixture(autouse=True)
def _no_ambient_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture()
def own() -> Iterator[FakeHub]:
    with FakeHub() as fake:
        yield fake


def _kinds(fake: FakeHub) -> dict[str, int]:
    out = {"tree": 0, "revision": 0, "other": 0}
    for r in fake.requests:
        kind = (
            "tree"
            if "/tree/" in r["path"]
            else "revision"
            if "/revision/" in r["path"]
            else "other"
        )
        out[kind] += 1
    return out


_CHILD = """
import json, sys
from hfollama_widgets.hub import Hub
hub = Hub(sys.argv[1], token=False, revision_ttl=float(sys.argv[2]))
df = hub.list_gguf_files_many(json.loads(sys.argv[3]), progress=False)
print(json.dumps(sorted(df["filename"].tolist())))
"""


def _in_new_process(fake: FakeHub, cache: Path, ttl: float) -> list[str]:
    env = {**os.environ, CACHE_DIR_ENV: str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, fake.url, str(ttl), json.dumps(REPOS)],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    result: list[str] = json.loads(out.stdout)
    return result


def test_a_new_process_lists_from_the_warm_cache(own: FakeHub, tmp_path: Path) -> None:
    first = _in_new_process(own, tmp_path, ttl=300)
    assert _kinds(own)["tree"] == len(REPOS)
    own.clear_requests()
    assert _in_new_process(own, tmp_path, ttl=300) == first  # within the TTL: no request
    assert own.requests == []
    assert _in_new_process(own, tmp_path, ttl=0) == first  # TTL over: one small request each
    assert _kinds(own) == {"tree": 0, "revision": len(REPOS), "other": 0}
    revision = next(r for r in own.requests if "/revision/" in r["path"])
    assert revision["query"].get("expand") == ["sha", "gguf"]  # the commit and gguf.total


def test_a_moved_branch_is_listed_again(tmp_path: Path) -> None:
    raw = dict(CAT[L1B].raw)
    with FakeHub([raw]) as fake:
        before = Hub(fake.url, token=False, cache_dir=tmp_path).list_gguf_files(L1B)
        moved = {
            **raw,
            "sha": "b" * 40,
            "files": [*raw["files"], {"path": "New-Q2_K.gguf", "size": 10}],
        }
        fake.catalogue = Catalogue.from_dicts([moved])
        fake.clear_requests()
        stale = Hub(fake.url, token=False, cache_dir=tmp_path).list_gguf_files(L1B)
        assert fake.requests == [] and stale["filename"].tolist() == before["filename"].tolist()
        after = Hub(fake.url, token=False, cache_dir=tmp_path, revision_ttl=0).list_gguf_files(L1B)
        assert "New-Q2_K.gguf" in after["filename"].tolist()
        trees = [r for r in fake.requests if "/tree/" in r["path"]]
        assert [t["path"].rsplit("/", 1)[-1] for t in trees] == ["b" * 40]  # listed at the sha


def test_refresh_bypasses_both_caches(own: FakeHub, tmp_path: Path) -> None:
    Hub(own.url, token=False, cache_dir=tmp_path).list_gguf_files(L1B)
    own.clear_requests()
    Hub(own.url, token=False, cache_dir=tmp_path).list_gguf_files(L1B, refresh=True)
    assert _kinds(own) == {"tree": 1, "revision": 1, "other": 0}


def test_a_listing_seen_with_a_token_is_not_served_without_it(own: FakeHub, tmp_path: Path) -> None:
    Hub(own.url, token=DEFAULT_TOKEN, cache_dir=tmp_path).list_gguf_files(PRIVATE)
    with pytest.raises(Exception, match=r"not found|Repository"):
        Hub(own.url, token=False, cache_dir=tmp_path).list_gguf_files(PRIVATE)


def test_a_corrupt_cache_file_warns_and_lists(own: FakeHub, tmp_path: Path) -> None:
    (tmp_path / "listings.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.warns(CacheWarning, match="cannot be used"):
        df = Hub(own.url, token=False, cache_dir=tmp_path).list_gguf_files(L1B)
    assert len(df) > 0


def test_an_unwritable_cache_dir_warns_and_lists(own: FakeHub, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.warns(CacheWarning, match=CACHE_DIR_ENV):
        df = Hub(own.url, token=False, cache_dir=blocker / "cache").list_gguf_files(L1B)
    assert len(df) > 0


def test_cache_off_writes_nothing(
    own: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Hub(own.url, token=False, cache_dir=False).list_gguf_files(L1B)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv(CACHE_DIR_ENV, "off")
    assert cache_dir_setting(None) is None
    Hub(own.url, token=False).list_gguf_files(L1B)
    assert list(tmp_path.iterdir()) == []


def test_the_env_var_picks_the_folder(
    own: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "here"))
    Hub(own.url, token=False).list_gguf_files(L1B)
    assert (tmp_path / "here" / "listings.sqlite3").stat().st_size > 0


def test_a_cache_hit_is_a_copy_of_the_finished_frame(own: FakeHub) -> None:
    hub = Hub(own.url, token=False)
    first = hub.list_gguf_files(L1B)
    first.loc[0, "filename"] = "changed by the caller"
    first["mine"] = 1
    second = hub.list_gguf_files(L1B)
    assert "mine" not in second.columns and second.loc[0, "filename"] != "changed by the caller"
    started = time.perf_counter()
    for _ in range(100):
        hub.list_gguf_files(L1B)
    assert time.perf_counter() - started < 5  # sanity only; bench/many_repos.py measures


def test_header_reads_share_one_pooled_connection(own: FakeHub) -> None:
    """Ten header reads keep one connection per host: the Hub's ``resolve`` and the CDN it
    redirects to (FakeHub serves the CDN under the other loopback name, as the real Hub
    redirects to another host: real-services-2026.md section 6)."""
    hub = Hub(own.url, token=False, cache_dir=False)
    hub.list_gguf_files(L1B)
    files = hub.list_gguf_files(L1B)["filename"].tolist()
    before = own.connections
    for name in files[:5] * 2:
        hub.gguf_metadata(L1B, name, refresh=True)
    per_hub = own.connections - before
    assert 1 <= per_hub <= 2  # not one (or two) per read: 10 reads were 20 connections before
    hub.close()
    hub.gguf_metadata(L1B, files[0], refresh=True)  # a closed pool reopens on demand
    assert own.connections - before > per_hub


_HEADER_CHILD = """
import json, sys
from hfollama_widgets.hub import Hub
hub = Hub(sys.argv[1], token=False)
meta = hub.gguf_metadata(sys.argv[2], "Q4_K_M")
print(json.dumps([meta.block_count, meta.head_count_kv, meta.parameter_count, meta.filename]))
"""


def test_a_new_process_reads_a_header_from_the_warm_cache(own: FakeHub, tmp_path: Path) -> None:
    """GGUF headers are kept by commit sha too: a restarted kernel that asks for a header it
    read before sends no request at all (the listing and the header both come from disk)."""
    env = {**os.environ, CACHE_DIR_ENV: str(tmp_path)}

    def child() -> list[object]:
        out = subprocess.run(
            [sys.executable, "-c", _HEADER_CHILD, own.url, L1B],
            env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        result: list[object] = json.loads(out.stdout)
        return result

    first = child()
    assert [r for r in own.requests if "/resolve/" in r["path"] or "/cdn/" in r["path"]]
    own.clear_requests()
    assert child() == first
    assert own.requests == []
    # a damaged row is read again, not an error
    with sqlite3.connect(tmp_path / "listings.sqlite3") as db:
        db.execute("UPDATE headers SET meta = '{not json'")
    own.clear_requests()
    assert child() == first
    assert [r for r in own.requests if "/resolve/" in r["path"] or "/cdn/" in r["path"]]
