"""FakeHub checked with clients we did not write: huggingface_hub's HfApi and plain httpx.

Expected values come from the catalogue data (the test fixture), never from FakeHub's code.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gguf import GGUFReader
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub import errors as hf_errors
from huggingface_hub.hf_api import RepoFile

from hfollama_widgets.testing import FakeHub
from hfollama_widgets.testing._hub.registry_routes import CHALLENGE, NOT_GGUF, SPLIT_ONLY
from hfollama_widgets.testing.catalogue import load_catalogue
from hfollama_widgets.testing.fake_hub import DEFAULT_TOKEN, NO_ACCESS_TOKEN

CAT = load_catalogue()
L1B = "bartowski/Llama-3.2-1B-Instruct-GGUF"
GATED = "example-org/Gated-Llama-GGUF"
PRIVATE = "example-org/Private-Model-GGUF"
MANY = "example-org/Many-Files-GGUF"


@pytest.fixture()
def api(fake_hub: FakeHub) -> HfApi:
    return HfApi(endpoint=fake_hub.url, token=False)


@pytest.fixture()
def authed(fake_hub: FakeHub) -> HfApi:
    return HfApi(endpoint=fake_hub.url, token=DEFAULT_TOKEN)


@pytest.fixture()
def own_hub() -> Iterator[FakeHub]:
    with FakeHub() as hub:
        yield hub


def _count(hub: FakeHub, fragment: str) -> int:
    return sum(1 for r in hub.requests if fragment in r["path"])


# --- model info --------------------------------------------------------------------------


def test_model_info_default_fields(api: HfApi) -> None:
    info = api.model_info(L1B)
    repo = CAT[L1B]
    assert info.id == L1B and info.author == "bartowski" and info.sha == repo.sha
    assert info.downloads == repo.downloads and info.likes == repo.likes
    assert "gguf" in (info.tags or []) and info.gated is False and info.private is False
    assert info.gguf is not None and info.gguf["architecture"] == "llama"
    assert info.gguf["context_length"] == 131072 and info.gguf["total"] > 1e9
    assert sorted(s.rfilename for s in info.siblings or []) == sorted(f.path for f in repo.files)
    assert info.last_modified is not None and info.created_at is not None


def test_model_info_expand_returns_only_what_was_asked(fake_hub: FakeHub) -> None:
    r = httpx.get(
        f"{fake_hub.url}/api/models/{L1B}", params=[("expand", "downloads"), ("expand", "gguf")]
    )
    assert r.status_code == 200
    assert set(r.json()) == {"_id", "id", "downloads", "gguf"}
    assert r.json()["gguf"]["chat_template"].startswith("{{- bos_token }}")


def test_model_info_expand_with_hfapi_and_unknown_value(api: HfApi) -> None:
    info = api.model_info(L1B, expand=["likes", "gguf"])
    assert info.likes == CAT[L1B].likes and info.downloads is None and info.gguf is not None
    with pytest.raises(hf_errors.BadRequestError):
        api.model_info(L1B, expand=["notAProperty"])  # type: ignore[list-item]


def test_files_metadata_gives_sizes_and_lfs(api: HfApi) -> None:
    info = api.model_info(L1B, files_metadata=True)
    by_name = {s.rfilename: s for s in info.siblings or []}
    q4 = CAT[L1B].file("Llama-3.2-1B-Instruct-Q4_K_M.gguf")
    assert q4 is not None
    sib = by_name[q4.path]
    assert sib.size == q4.size and sib.lfs is not None and sib.lfs.size == q4.size
    assert len(sib.lfs.sha256) == 64
    assert by_name["README.md"].lfs is None


def test_revisions(api: HfApi) -> None:
    sha = CAT[L1B].sha
    assert api.model_info(L1B, revision=sha).sha == sha
    assert api.model_info(L1B, revision="main").sha == sha
    with pytest.raises(hf_errors.RevisionNotFoundError):
        api.model_info(L1B, revision="v9-does-not-exist")
    with pytest.raises(hf_errors.RevisionNotFoundError):
        list(api.list_repo_tree(L1B, revision="nope"))


def test_repo_ids_are_case_insensitive(api: HfApi) -> None:
    assert api.model_info(L1B.upper()).id == L1B


# --- tree ---------------------------------------------------------------------------------


def test_tree_recursive_paginates_past_1000_entries(api: HfApi, own_hub: FakeHub) -> None:
    own_api = HfApi(endpoint=own_hub.url, token=False)
    entries = list(own_api.list_repo_tree(MANY, recursive=True))
    repo = CAT[MANY]
    files = [e for e in entries if hasattr(e, "blob_id")]
    assert len(files) == len(repo.files) > 1000
    assert {e.path for e in entries if not hasattr(e, "blob_id")} == {"data", "weights"}
    trees = [r for r in own_hub.requests if "/tree/" in r["path"]]
    assert len(trees) == math.ceil(len(entries) / 1000) == 2
    assert "cursor" in trees[1]["query"]
    assert {"weights/Many-Files-Q4_K_M.gguf", "weights/Many-Files-Q2_K.gguf"} <= {
        e.path for e in files
    }


def test_tree_with_expand_pages_by_50_and_adds_last_commit(own_hub: FakeHub) -> None:
    api = HfApi(endpoint=own_hub.url, token=False)
    entries = list(api.list_repo_tree("unsloth/DeepSeek-V3-0324-GGUF", recursive=True, expand=True))
    assert len(entries) > 50
    assert _count(own_hub, "/tree/") == math.ceil(len(entries) / 50)
    assert all(e.last_commit is not None for e in entries)


def test_tree_entries_shape(api: HfApi) -> None:
    top = list(api.list_repo_tree("unsloth/Qwen3-4B-GGUF"))
    assert "BF16" in {e.path for e in top if not hasattr(e, "blob_id")}
    assert not any("/" in e.path for e in top)
    inside = [
        e
        for e in api.list_repo_tree("unsloth/Qwen3-4B-GGUF", path_in_repo="BF16")
        if isinstance(e, RepoFile)
    ]
    expect = {
        f.path: f.size for f in CAT["unsloth/Qwen3-4B-GGUF"].files if f.path.startswith("BF16/")
    }
    assert {e.path: e.size for e in inside} == expect
    for e in inside:
        assert e.lfs is not None and e.lfs.size == e.size and len(e.blob_id) == 40


def test_tree_of_a_missing_folder(api: HfApi) -> None:
    with pytest.raises(hf_errors.RemoteEntryNotFoundError):
        list(api.list_repo_tree(L1B, path_in_repo="no/such/folder"))


def test_paths_info_ignores_missing_paths(api: HfApi) -> None:
    got = api.get_paths_info("unsloth/Qwen3-4B-GGUF", ["BF16", "Qwen3-4B-Q4_K_M.gguf", "nope.gguf"])
    assert [type(x).__name__ for x in got] == ["RepoFolder", "RepoFile"]
    q4 = CAT["unsloth/Qwen3-4B-GGUF"].file("Qwen3-4B-Q4_K_M.gguf")
    assert q4 is not None and isinstance(got[1], RepoFile) and got[1].size == q4.size


def test_xss_file_names_round_trip(api: HfApi) -> None:
    paths = {e.path for e in api.list_repo_tree("example-org/XSS-Test-GGUF", recursive=True)}
    assert "XSS-<img src=x onerror=window.__xss=1>-Q4_K_M.gguf" in paths
    assert "XSS-\"quote\"&amp;'apos'-Q8_0.gguf" in paths


# --- search -------------------------------------------------------------------------------


def test_search_filters_gguf_and_sorts(api: HfApi) -> None:
    ids = [m.id for m in api.list_models(filter="gguf", sort="likes")]
    public_gguf = [r for r in CAT.values() if "gguf" in r.tags and not r.private]
    assert set(ids) == {r.id for r in public_gguf}
    assert "google-bert/bert-base-uncased" not in ids
    likes = {r.id: r.likes for r in public_gguf}
    assert [likes[i] for i in ids] == sorted(likes.values(), reverse=True)


def test_search_query_author_limit_and_private(api: HfApi, authed: HfApi) -> None:
    qwen = [m.id for m in api.list_models(filter="gguf", search="qwen")]
    assert set(qwen) == {r.id for r in CAT.values() if "qwen" in r.id.lower()}
    assert {m.id for m in api.list_models(author="bartowski")} == {
        r for r in CAT if r.startswith("bartowski/")
    }
    assert len(list(api.list_models(filter="gguf", sort="downloads", limit=3))) == 3
    assert PRIVATE not in {m.id for m in api.list_models(author="example-org")}
    assert PRIVATE in {m.id for m in authed.list_models(author="example-org")}


def test_search_pages_follow_link(fake_hub: FakeHub) -> None:
    r = httpx.get(
        f"{fake_hub.url}/api/models", params={"filter": "gguf", "limit": 2, "sort": "downloads"}
    )
    assert len(r.json()) == 2 and "next" in r.links
    r2 = httpx.get(r.links["next"]["url"])
    assert len(r2.json()) == 2 and {m["id"] for m in r2.json()}.isdisjoint(
        {m["id"] for m in r.json()}
    )


# --- resolve ------------------------------------------------------------------------------


def test_head_metadata(fake_hub: FakeHub) -> None:
    f = CAT[L1B].file("Llama-3.2-1B-Instruct-Q4_K_M.gguf")
    assert f is not None
    url = hf_hub_url(L1B, f.path, endpoint=fake_hub.url)
    meta = get_hf_file_metadata(url, token=False)
    assert (
        meta.size is not None
        and meta.size == f.size
        and meta.commit_hash == CAT[L1B].sha
        and meta.etag == f.sha256
    )


def test_download_small_file(fake_hub: FakeHub, tmp_path: Path) -> None:
    path = hf_hub_download(L1B, "README.md", endpoint=fake_hub.url, cache_dir=tmp_path, token=False)
    readme = CAT[L1B].file("README.md")
    assert readme is not None and Path(path).read_bytes() == readme.content


def test_range_reads(fake_hub: FakeHub) -> None:
    f = CAT[L1B].file("Llama-3.2-1B-Instruct-Q4_K_M.gguf")
    assert f is not None
    url = f"{fake_hub.url}/{L1B}/resolve/main/{f.path}"
    with httpx.Client(follow_redirects=True) as c:
        r = c.get(url, headers={"Range": "bytes=0-7"})
        assert r.status_code == 206 and r.content[:4] == b"GGUF" and len(r.content) == 8
        assert r.headers["content-range"] == f"bytes 0-7/{f.size}"
        assert int.from_bytes(r.content[4:8], "little") == 3
        tail = c.get(url, headers={"Range": "bytes=-10"})
        assert tail.status_code == 206 and len(tail.content) == 10
        assert tail.headers["content-range"] == f"bytes {f.size - 10}-{f.size - 1}/{f.size}"
        open_end = c.get(url, headers={"Range": f"bytes={f.size - 4}-"})
        assert open_end.content == tail.content[-4:]
        assert c.get(url, headers={"Range": f"bytes={f.size}-"}).status_code == 416
        head = c.head(url)
        assert (
            head.headers["accept-ranges"] == "bytes"
            and int(head.headers["content-length"]) == f.size
        )
        assert head.history[0].headers["x-linked-size"] == str(f.size)
        missing = c.get(f"{fake_hub.url}/{L1B}/resolve/main/nope.gguf")
        assert missing.status_code == 404 and missing.headers["x-error-code"] == "EntryNotFound"


def test_full_get_streams_the_declared_size(fake_hub: FakeHub) -> None:
    f = CAT[MANY].file("weights/Many-Files-Q2_K.gguf")
    assert f is not None
    total = 0
    url = f"{fake_hub.url}/{MANY}/resolve/main/{f.path}"
    with httpx.stream("GET", url, follow_redirects=True) as r:
        for chunk in r.iter_bytes():
            total += len(chunk)
    assert total == f.size


def test_header_read_over_http_parses_with_ggufreader(fake_hub: FakeHub, tmp_path: Path) -> None:
    repo = CAT["bartowski/OpenELM-270M-Instruct-GGUF"]
    f = repo.file("OpenELM-270M-Instruct-Q4_K_M.gguf")
    assert f is not None
    r = httpx.get(
        f"{fake_hub.url}/{repo.id}/resolve/main/{f.path}",
        headers={"Range": "bytes=0-2097151"},
        follow_redirects=True,
    )
    target = tmp_path / "h.gguf"
    with target.open("wb") as fh:
        fh.write(r.content)
        fh.truncate(f.size)
    reader = GGUFReader(target)
    assert reader.fields["openelm.block_count"].contents() == 16
    assert reader.fields["openelm.attention.head_count_kv"].contents()[-1] == 5


# --- access control -----------------------------------------------------------------------


def test_gated_repo_info_and_listing_are_public(api: HfApi, fake_hub: FakeHub) -> None:
    # The real Hub lists a gated repo's files without a token (huggingface.js#945);
    # only the bytes (resolve) and auth-check need a token with access.
    repo = CAT[GATED]
    no_access = HfApi(endpoint=fake_hub.url, token=NO_ACCESS_TOKEN)
    for client in (api, no_access):
        assert client.model_info(GATED).gated == "manual"
        tree = [e for e in client.list_repo_tree(GATED, recursive=True) if isinstance(e, RepoFile)]
        assert {(e.path, e.size) for e in tree} == {(f.path, f.size) for f in repo.files}
        model = next(f for f in repo.files if f.path.endswith(".gguf"))
        [info] = client.get_paths_info(GATED, [model.path])
        assert isinstance(info, RepoFile) and info.size == model.size


def test_gated_repo_downloads_need_access(api: HfApi, fake_hub: FakeHub) -> None:
    url = hf_hub_url(GATED, "README.md", endpoint=fake_hub.url)
    with pytest.raises(hf_errors.GatedRepoError) as e401:
        get_hf_file_metadata(url, token=False)
    assert e401.value.response.status_code == 401
    with pytest.raises(hf_errors.GatedRepoError) as e403:
        get_hf_file_metadata(url, token=NO_ACCESS_TOKEN)
    assert e403.value.response.status_code == 403
    assert (get_hf_file_metadata(url, token=DEFAULT_TOKEN).size or 0) > 0
    model = next(f for f in CAT[GATED].files if f.path.endswith(".gguf"))
    ranged = httpx.get(
        hf_hub_url(GATED, model.path, endpoint=fake_hub.url), headers={"Range": "bytes=0-3"}
    )
    assert ranged.status_code == 401 and ranged.headers["X-Error-Code"] == "GatedRepo"
    assert ranged.content[:4] != b"GGUF"
    with pytest.raises(hf_errors.GatedRepoError):
        api.auth_check(GATED)
    with pytest.raises(hf_errors.GatedRepoError):
        HfApi(endpoint=fake_hub.url, token=NO_ACCESS_TOKEN).auth_check(GATED)
    HfApi(endpoint=fake_hub.url, token=DEFAULT_TOKEN).auth_check(GATED)  # no error


def test_private_repo_is_invisible_without_a_token(
    api: HfApi, authed: HfApi, fake_hub: FakeHub
) -> None:
    with pytest.raises(hf_errors.RepositoryNotFoundError) as exc:
        api.model_info(PRIVATE)
    assert not isinstance(exc.value, hf_errors.GatedRepoError)
    with pytest.raises(hf_errors.RepositoryNotFoundError):
        HfApi(endpoint=fake_hub.url, token=NO_ACCESS_TOKEN).model_info(PRIVATE)
    assert authed.model_info(PRIVATE).private is True
    for client in (api, HfApi(endpoint=fake_hub.url, token=NO_ACCESS_TOKEN)):
        with pytest.raises(hf_errors.RepositoryNotFoundError) as tree:
            list(client.list_repo_tree(PRIVATE))
        assert not isinstance(tree.value, hf_errors.GatedRepoError)
    assert len(list(authed.list_repo_tree(PRIVATE))) == len(CAT[PRIVATE].files)


def test_missing_repo_and_invalid_token(api: HfApi, fake_hub: FakeHub) -> None:
    with pytest.raises(hf_errors.RepositoryNotFoundError):
        api.model_info("nobody/nothing-here")
    bad = HfApi(endpoint=fake_hub.url, token="hf_not_a_known_token_123")
    with pytest.raises(hf_errors.HfHubHTTPError) as exc:
        bad.model_info(L1B)
    assert exc.value.response.status_code == 401
    assert not isinstance(exc.value, hf_errors.RepositoryNotFoundError)


def test_rate_limit_answers_429_as_huggingface_hub_reads_it(own_hub: FakeHub) -> None:
    api = HfApi(endpoint=own_hub.url, token=False)
    own_hub.rate_limit(1, reset_seconds=7)
    with pytest.raises(hf_errors.HfHubHTTPError) as exc:
        api.model_info(L1B)
    assert exc.value.response.status_code == 429
    assert "Retry after 7 seconds" in str(exc.value)  # huggingface_hub parsed RateLimit
    assert api.model_info(L1B).id == L1B


# --- Ollama registry ----------------------------------------------------------------------


def _manifest(hub: FakeHub, repo: str, tag: str, token: str | None = None) -> httpx.Response:
    headers = {"Accept": "application/vnd.docker.distribution.manifest.v2+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.get(f"{hub.url}/v2/{repo}/manifests/{tag}", headers=headers)


def _model_layer(body: dict[str, Any]) -> dict[str, Any]:
    return next(x for x in body["layers"] if x["mediaType"].endswith(".model"))


@pytest.mark.parametrize("tag", ["latest", "Q4_K_M", "q4_k_m", "Llama-3.2-1B-Instruct-Q4_K_M.gguf"])
def test_manifest_resolves_tags_to_the_q4_k_m_file(fake_hub: FakeHub, tag: str) -> None:
    r = _manifest(fake_hub, L1B, tag)
    assert r.status_code == 200
    body = r.json()
    assert body["schemaVersion"] == 2 and body["mediaType"].endswith("manifest.v2+json")
    f = CAT[L1B].file("Llama-3.2-1B-Instruct-Q4_K_M.gguf")
    assert f is not None and _model_layer(body)["size"] == f.size
    kinds = [x["mediaType"].rsplit(".", 1)[-1] for x in body["layers"]]
    assert kinds == ["model", "template", "params"]


def test_manifest_digests_are_deterministic(fake_hub: FakeHub) -> None:
    a, b = _manifest(fake_hub, L1B, "Q8_0").json(), _manifest(fake_hub, L1B, "q8_0").json()
    assert (
        a == b
        and _model_layer(a)["digest"]
        != _model_layer(_manifest(fake_hub, L1B, "Q4_K_M").json())["digest"]
    )


def test_shared_label_and_file_name_tags(fake_hub: FakeHub) -> None:
    plain = CAT[L1B].file("Llama-3.2-1B-Instruct-Q4_0.gguf")
    arm = CAT[L1B].file("Llama-3.2-1B-Instruct-Q4_0_4_4.gguf")
    assert plain is not None and arm is not None
    by_label = _model_layer(_manifest(fake_hub, L1B, "Q4_0").json())
    by_name = _model_layer(_manifest(fake_hub, L1B, "Llama-3.2-1B-Instruct-Q4_0_4_4.gguf").json())
    assert by_label["digest"] == "sha256:" + plain.sha256
    assert by_name["digest"] == "sha256:" + arm.sha256


def test_tags_match_the_end_of_the_file_name(fake_hub: FakeHub) -> None:
    # The Hub matches a tag against the end of the file name (the suffix rule in
    # registry_routes): `UD-Q4_K_XL` and its tail `Q4_K_XL` both end `Qwen3-4B-UD-Q4_K_XL`,
    # a piece from the middle of a name (`4B`, `Qwen3`) or not after `-`/`.` (`K_XL`) does not.
    ud = CAT["unsloth/Qwen3-4B-GGUF"].file("Qwen3-4B-UD-Q4_K_XL.gguf")
    assert ud is not None
    for tag in ("UD-Q4_K_XL", "ud-q4_k_xl", "Q4_K_XL", "Qwen3-4B-UD-Q4_K_XL"):
        r = _manifest(fake_hub, "unsloth/Qwen3-4B-GGUF", tag)
        assert r.status_code == 200 and _model_layer(r.json())["digest"] == "sha256:" + ud.sha256
    for tag in ("Qwen3", "4B", "K_XL", "4_K_XL"):
        r = _manifest(fake_hub, "unsloth/Qwen3-4B-GGUF", tag)
        assert r.status_code == 400 and "not available" in r.json()["error"]


def test_manifest_refusals(fake_hub: FakeHub) -> None:
    unknown = _manifest(fake_hub, L1B, "Q7_K_Z")
    assert unknown.status_code == 400 and "not available" in unknown.json()["error"]
    sharded = _manifest(fake_hub, "Qwen/Qwen2.5-7B-Instruct-GGUF", "q4_k_m")
    assert sharded.status_code == 400 and "sharded GGUF" in sharded.json()["error"]
    assert "ollama/issues/5245" in sharded.json()["error"]
    for tag in ("latest", "UD-IQ1_S", "Q4_0"):  # shards-only: the same text for any tag
        split_only = _manifest(fake_hub, "unsloth/DeepSeek-V3-0324-GGUF", tag)
        assert split_only.status_code == 400 and split_only.json()["error"] == SPLIT_ONLY
    not_gguf = _manifest(fake_hub, "google-bert/bert-base-uncased", "latest")
    assert not_gguf.status_code == 400 and not_gguf.text == NOT_GGUF


def test_latest_falls_back_to_a_single_file_quant(fake_hub: FakeHub) -> None:
    body = _manifest(fake_hub, "Qwen/Qwen2.5-7B-Instruct-GGUF", "latest").json()
    q4_0 = CAT["Qwen/Qwen2.5-7B-Instruct-GGUF"].file("qwen2.5-7b-instruct-q4_0.gguf")
    assert q4_0 is not None and _model_layer(body)["digest"] == "sha256:" + q4_0.sha256


@pytest.mark.parametrize("repo", [GATED, PRIVATE, "nobody/No-Such-Repo-GGUF"])
def test_manifest_challenges_private_gated_and_missing_repos(fake_hub: FakeHub, repo: str) -> None:
    # hf.co answers 401 with a Bearer challenge whose realm is on huggingface.co (ollama/ollama
    # PR #16180, issue #15661), also for a missing repo without credentials.
    for token in (None, NO_ACCESS_TOKEN):
        r = _manifest(fake_hub, repo, "latest", token=token)
        assert r.status_code == 401 and r.json() == {"error": "Invalid username or password."}
        assert r.headers["www-authenticate"] == CHALLENGE
        assert CHALLENGE == 'Bearer realm="https://huggingface.co/v2/token"'
    authed = _manifest(fake_hub, repo, "latest", token=DEFAULT_TOKEN)
    assert authed.status_code == (404 if repo.startswith("nobody/") else 200)


def test_blobs_config_template_params_and_projector(fake_hub: FakeHub) -> None:
    repo = CAT["mys/ggml_llava-v1.5-7b"]
    body = _manifest(fake_hub, repo.id, "latest").json()
    kinds = {x["mediaType"].rsplit(".", 1)[-1]: x for x in body["layers"]}
    mmproj = repo.file("mmproj-model-f16.gguf")
    assert mmproj is not None and kinds["projector"]["size"] == mmproj.size
    base = f"{fake_hub.url}/v2/{repo.id}/blobs/"
    config = httpx.get(base + body["config"]["digest"]).json()
    assert config["model_format"] == "gguf" and config["model_family"] == "llama"
    assert config["model_type"] == "6.7B"
    template = httpx.get(base + kinds["template"]["digest"])
    assert template.text == repo.raw["ollama"]["template"]
    params = httpx.get(base + kinds["params"]["digest"]).json()
    assert params == repo.raw["ollama"]["params"]
    redirect = httpx.get(base + kinds["model"]["digest"])
    assert redirect.status_code == 307 and "/resolve/" in redirect.headers["location"]
    assert httpx.get(base + "sha256:" + "0" * 64).status_code == 404


def test_embedding_repo_has_no_template_layer(fake_hub: FakeHub) -> None:
    body = _manifest(fake_hub, "nomic-ai/nomic-embed-text-v1.5-GGUF", "latest").json()
    assert [x["mediaType"].rsplit(".", 1)[-1] for x in body["layers"]] == ["model"]


# --- the server itself --------------------------------------------------------------------


def test_request_log_latency_and_clear(own_hub: FakeHub) -> None:
    own_hub.clear_requests()
    httpx.get(f"{own_hub.url}/{L1B}/resolve/main/README.md", headers={"Range": "bytes=0-9",
              "Authorization": f"Bearer {DEFAULT_TOKEN}"})  # fmt: skip
    (entry,) = own_hub.requests
    assert entry["method"] == "GET" and entry["status"] == 206 and entry["bytes"] == 10
    assert entry["range"] == "bytes=0-9" and entry["auth"] == "valid"
    assert DEFAULT_TOKEN not in json.dumps(own_hub.requests)
    own_hub.latency = 0.3
    start = time.perf_counter()
    httpx.get(f"{own_hub.url}/api/models/{L1B}")
    assert time.perf_counter() - start >= 0.3
    own_hub.latency = 0.0
    own_hub.clear_requests()
    assert own_hub.requests == []


def test_keep_alive_connection_serves_many_requests(fake_hub: FakeHub) -> None:
    with httpx.Client() as c:
        for _ in range(5):
            assert c.get(f"{fake_hub.url}/api/models/{L1B}?expand=sha").status_code == 200


def test_command_line_prints_the_url() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hfollama_widgets.testing.fake_hub", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/api/models/{L1B}", timeout=10).json()["id"] == L1B
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_resolve_redirects_lfs_files_to_the_cdn_as_the_hub_does(own_hub: FakeHub) -> None:
    # The Hub answers 302 to its CDN for LFS/Xet files with X-Linked-Size/X-Linked-Etag/
    # X-Repo-Commit on the redirect (huggingface_hub file_download.get_hf_file_metadata).
    f = CAT[GATED].file("Gated-Llama-3.2-1B-Q4_K_M.gguf")
    assert f is not None
    url = hf_hub_url(GATED, f.path, endpoint=own_hub.url)
    meta = get_hf_file_metadata(url, token=DEFAULT_TOKEN)
    assert meta.size == f.size and meta.etag == f.sha256 and meta.commit_hash == CAT[GATED].sha
    assert meta.location.startswith(own_hub.url.replace("127.0.0.1", "localhost") + "/cdn/")
    own_hub.clear_requests()
    r = httpx.get(url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}", "Range": "bytes=0-3"},
                  follow_redirects=True)  # fmt: skip
    assert r.status_code == 206 and r.content == b"GGUF" and r.history[0].status_code == 302
    time.sleep(0.2)
    cdn = [x for x in own_hub.requests if x["path"].startswith("/cdn/")]
    assert cdn and cdn[0]["auth"] == "none"  # httpx drops the token on the cross-origin hop
    bad = httpx.get(meta.location.split("?")[0] + "?sig=0")
    assert bad.status_code == 403
