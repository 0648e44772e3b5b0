"""Hub against FakeHub over real HTTP: listings of real-shaped repos, caching, search,
auto-selection, every error, and the token never showing."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator

import pandas as pd
import pytest
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_url

import hfollama_widgets as hfw
from hfollama_widgets.errors import (
    GatedRepoError,
    HubError,
    HubUnreachableError,
    InvalidModelRefError,
    InvalidTokenError,
    NoGGUFFilesError,
    NoQuantFitsError,
    QuantizationNotFoundError,
    RateLimitedError,
    RepoNotFoundError,
    RevisionNotFoundError,
    SplitOnlyError,
)
from hfollama_widgets.hub import SEARCH_COLUMNS, Hub, RepoInfo
from hfollama_widgets.hub.errors import hub_errors
from hfollama_widgets.listing import COLUMNS
from hfollama_widgets.testing import FakeHub
from hfollama_widgets.testing.catalogue import load_catalogue
from hfollama_widgets.testing.fake_hub import DEFAULT_TOKEN, NO_ACCESS_TOKEN

CAT = load_catalogue()
L1B = "bartowski/Llama-3.2-1B-Instruct-GGUF"
GATED = "example-org/Gated-Llama-GGUF"
PRIVATE = "example-org/Private-Model-GGUF"
QWEN25 = "Qwen/Qwen2.5-7B-Instruct-GGUF"


@pytest.fixture(autouse=True)
def _no_ambient_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture()
def hub(fake_hub: FakeHub) -> Hub:
    return Hub(endpoint=fake_hub.url, token=False)


@pytest.fixture()
def own() -> Iterator[FakeHub]:
    with FakeHub() as fake:
        yield fake


def _trees(fake: FakeHub) -> list[dict]:
    return [r for r in fake.requests if "/tree/" in r["path"]]


def _sizes(repo_id: str) -> dict[str, int]:
    return {f.path: f.size for f in CAT[repo_id].files}


# --- listings -----------------------------------------------------------------------------


def test_bartowski_listing(hub: Hub) -> None:
    df = hub.list_gguf_files(L1B)
    assert tuple(df.columns) == COLUMNS
    gguf = {p: s for p, s in _sizes(L1B).items() if p.endswith(".gguf")}
    assert len(df) == len(gguf) == 18
    assert list(df["size_bytes"]) == sorted(df["size_bytes"])
    assert dict(zip(df["filename"], df["size_bytes"], strict=True)) == gguf
    row = df.set_index("quantization").loc["Q4_K_M"]
    assert row["filename"] == "Llama-3.2-1B-Instruct-Q4_K_M.gguf" and row["shards"] == 1
    assert row["size_gb"] == pytest.approx(row["size_bytes"] / 1e9)
    assert row["size_gib"] == pytest.approx(row["size_bytes"] / 2**30)
    assert row["model_ref"] == f"hf.co/{L1B}:Q4_K_M" and row["ollama_pullable"]
    # Q4_0 and the ARM repacks: separate rows, each tagged by the label that ends its name
    # (the Hub matches the end of the file name; hub_tags.py)
    q4_0 = df[df["quantization"].isin(["Q4_0", "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8"])]
    assert len(q4_0) == 4
    assert list(q4_0["ollama_tag"]) == list(q4_0["quantization"])
    assert set(df["kind"]) == {"model"}
    assert "F16" in set(df["quantization"])  # "...-f16.gguf"


def test_dotted_lowercase_and_ud_names(hub: Hub) -> None:
    mistral = hub.list_gguf_files("TheBloke/Mistral-7B-Instruct-v0.2-GGUF")
    assert "Q4_K_M" in set(mistral["quantization"]) and len(mistral) == 12
    qwen3 = hub.list_gguf_files("unsloth/Qwen3-4B-GGUF")
    assert "UD-Q2_K_XL" in set(qwen3["quantization"])
    ud = qwen3.set_index("quantization").loc["UD-Q2_K_XL"]
    assert ud["model_ref"] == "hf.co/unsloth/Qwen3-4B-GGUF:UD-Q2_K_XL"
    bf16 = qwen3.set_index("quantization").loc["BF16"]
    assert bf16["shards"] == 2 and not bf16["ollama_pullable"] and bf16["model_ref"] is None
    assert bf16["files"] == (
        "BF16/Qwen3-4B-BF16-00001-of-00002.gguf",
        "BF16/Qwen3-4B-BF16-00002-of-00002.gguf",
    )


def test_split_groups_sum_their_shards(hub: Hub) -> None:
    df = hub.list_gguf_files(QWEN25).set_index("quantization")
    sizes = _sizes(QWEN25)
    q4km = df.loc["Q4_K_M"]
    assert q4km["shards"] == 2 and q4km["filename"].endswith("-00001-of-00002.gguf")
    assert q4km["size_bytes"] == sum(sizes[p] for p in q4km["files"])
    assert not q4km["ollama_pullable"]
    assert df.loc["Q4_0"]["ollama_pullable"] and df.loc["Q4_0"]["shards"] == 1
    assert df.loc["F16"]["shards"] == 4  # "fp16"


def test_sidecars_only_on_request(hub: Hub) -> None:
    llava = hub.list_gguf_files("mys/ggml_llava-v1.5-7b")
    assert "mmproj-model-f16.gguf" not in set(llava["filename"]) and len(llava) == 3
    with_side = hub.list_gguf_files("mys/ggml_llava-v1.5-7b", include_sidecars=True)
    assert with_side.set_index("filename").loc["mmproj-model-f16.gguf"]["kind"] == "mmproj"
    moe = hub.list_gguf_files("unsloth/Qwen3-30B-A3B-GGUF", include_sidecars=True)
    assert moe.set_index("filename").loc["imatrix_unsloth.gguf"]["kind"] == "imatrix"


def test_one_tree_request_then_cached(own: FakeHub) -> None:
    hub = Hub(endpoint=own.url, token=False)
    hub.list_gguf_files(L1B)
    (tree,) = _trees(own)
    assert tree["query"].get("recursive") == ["True"] or tree["query"].get("recursive") == ["true"]
    assert tree["query"].get("expand", ["False"])[0].lower() == "false"
    hub.list_gguf_files(L1B, include_sidecars=True)
    hub.auto_select(L1B)
    assert len(_trees(own)) == 1
    hub.list_gguf_files(L1B, refresh=True)
    assert len(_trees(own)) == 2
    hub.clear_cache(L1B)
    hub.list_gguf_files(L1B)
    assert len(_trees(own)) == 3
    Hub(endpoint=own.url, token=False).list_gguf_files(L1B)  # another Hub: the disk cache
    assert len(_trees(own)) == 3
    hub.list_gguf_files(L1B, revision=CAT[L1B].sha)  # the sha main resolved to: on disk too
    assert len(_trees(own)) == 3
    memory_only = Hub(endpoint=own.url, token=False, cache_dir=False)
    memory_only.list_gguf_files(L1B)  # no disk cache: its own memory only
    assert len(_trees(own)) == 4
    memory_only.list_gguf_files(L1B, revision=CAT[L1B].sha)  # another revision: another key
    assert len(_trees(own)) == 5


def test_pagination_is_followed(own: FakeHub) -> None:
    df = Hub(endpoint=own.url, token=False).list_gguf_files("example-org/Many-Files-GGUF")
    assert set(df["filename"]) == {
        "Many-Files-Q8_0.gguf",
        "weights/Many-Files-Q4_K_M.gguf",
        "weights/Many-Files-Q2_K.gguf",
    }
    assert len(_trees(own)) == 2


def test_xss_names_are_data(hub: Hub) -> None:
    df = hub.list_gguf_files("example-org/XSS-Test-GGUF")
    assert "XSS-<img src=x onerror=window.__xss=1>-Q4_K_M.gguf" in set(df["filename"])


# --- model info / search ------------------------------------------------------------------


def test_model_info(hub: Hub) -> None:
    info = hub.model_info("unsloth/Qwen3-30B-A3B-GGUF")
    repo = CAT["unsloth/Qwen3-30B-A3B-GGUF"]
    assert isinstance(info, RepoInfo)
    assert (info.id, info.author, info.downloads, info.likes) == (
        repo.id,
        "unsloth",
        repo.downloads,
        repo.likes,
    )
    assert info.architecture == "qwen3moe" and info.context_length == 40960
    assert info.parameters == pytest.approx(30.5e9, rel=0.01)
    assert info.gated is False and info.private is False and info.license == "apache-2.0"
    assert info.last_modified is not None and info.last_modified.year == 2025
    data = info.to_dict()
    json.dumps(data)
    assert (
        data["last_modified"].startswith("2025-06-02")
        and "<think>" in data["gguf"]["chat_template"]
    )


def test_model_info_of_gated_and_non_gguf(hub: Hub) -> None:
    assert hub.model_info(GATED).gated == "manual"
    bert = hub.model_info("google-bert/bert-base-uncased")
    assert bert.gguf is None and bert.parameters is None and bert.pipeline_tag == "fill-mask"


def test_search_models(hub: Hub) -> None:
    df = hub.search_models(sort="likes", limit=50)
    assert tuple(df.columns) == SEARCH_COLUMNS
    public_gguf = {r.id: r.likes for r in CAT.values() if "gguf" in r.tags and not r.private}
    assert set(df["id"]) == set(public_gguf)
    assert list(df["likes"]) == sorted(public_gguf.values(), reverse=True)
    top = hub.search_models(limit=3)
    assert len(top) == 3 and list(top["downloads"]) == sorted(top["downloads"], reverse=True)
    qwen = hub.search_models("qwen3")
    assert set(qwen["id"]) == {"unsloth/Qwen3-4B-GGUF", "unsloth/Qwen3-30B-A3B-GGUF"}
    assert set(hub.search_models(author="bartowski")["author"]) == {"bartowski"}
    assert hub.search_models("no-such-model-anywhere").empty
    assert PRIVATE not in set(hub.search_models(author="example-org")["id"])
    with pytest.raises(ValueError):
        hub.search_models(sort="popularity")


def test_search_sees_private_repos_with_a_token(fake_hub: FakeHub) -> None:
    authed = Hub(endpoint=fake_hub.url, token=DEFAULT_TOKEN)
    assert PRIVATE in set(authed.search_models(author="example-org")["id"])


# --- auto_select ----------------------------------------------------------------------------


def test_auto_select(hub: Hub) -> None:
    ref, row = hub.auto_select(L1B)
    assert ref == f"hf.co/{L1B}:Q4_K_M" and row["quantization"] == "Q4_K_M"
    ref, row = hub.auto_select(L1B, max_size_gb=0.72)
    assert row["size_bytes"] <= 0.72e9 and row["quantization"] == "Q4_K_S"
    ref, _ = hub.auto_select(L1B, quantization="q8_0")
    assert ref == f"hf.co/{L1B}:Q8_0"
    ref, _ = hub.auto_select(QWEN25)  # Q4_K_M is split: the next preferred single file
    assert ref.startswith(f"hf.co/{QWEN25}:") and ":Q4_K_M" not in ref


def test_auto_select_errors(hub: Hub) -> None:
    with pytest.raises(QuantizationNotFoundError) as missing:
        hub.auto_select(L1B, quantization="Q2_K")
    assert "Q4_K_M" in str(missing.value)
    with pytest.raises(NoQuantFitsError) as small:
        hub.auto_select(L1B, max_size_gb=0.1)
    assert small.value.repo_id == L1B
    with pytest.raises(SplitOnlyError):
        hub.auto_select("unsloth/DeepSeek-V3-0324-GGUF")
    with pytest.raises(NoGGUFFilesError):
        hub.auto_select("google-bert/bert-base-uncased")


def test_hardware_aware_listing_and_selection(hub: Hub) -> None:
    from hfollama_widgets.hardware import Hardware

    df = hub.list_gguf_files(L1B, hardware=Hardware(ram_gb=64), context_length=4096)
    assert {"fit", "est_memory_bytes", "effective_bpw"} <= set(df.columns)
    assert set(df["fit"]) == {"fits_in_ram"}
    assert (df["est_memory_bytes"] > df["size_bytes"]).all()
    ref, _ = hub.auto_select(L1B, hardware=Hardware(ram_gb=64))
    assert ref == f"hf.co/{L1B}:Q4_K_M"
    _, row = hub.auto_select(L1B, hardware=Hardware(ram_gb=64, vram_gb=0.8), context_length=2048)
    assert row["size_bytes"] < 0.8e9  # the preferred quant that still fits the GPU
    with pytest.raises(NoQuantFitsError):
        hub.auto_select(L1B, hardware=Hardware(ram_gb=0.3))


# --- errors -------------------------------------------------------------------------------


def test_repo_not_found_and_private(hub: Hub, fake_hub: FakeHub) -> None:
    with pytest.raises(RepoNotFoundError) as exc:
        hub.list_gguf_files("nobody/nothing-here")
    assert exc.value.repo_id == "nobody/nothing-here" and fake_hub.url in str(exc.value)
    with pytest.raises(RepoNotFoundError) as private:
        hub.list_gguf_files(PRIVATE)
    assert "HF_TOKEN" in str(private.value)
    with pytest.raises(RepoNotFoundError):
        hub.model_info(PRIVATE)
    assert len(Hub(endpoint=fake_hub.url, token=DEFAULT_TOKEN).list_gguf_files(PRIVATE)) == 2


def test_gated_repo_lists_publicly_downloads_need_access(hub: Hub, fake_hub: FakeHub) -> None:
    # As on the real Hub: info and the file listing of a gated repo are public ...
    files = {f.path for f in CAT[GATED].files if f.path.endswith(".gguf")}
    no_access = Hub(endpoint=fake_hub.url, token=NO_ACCESS_TOKEN)
    for h in (hub, no_access):
        assert set(h.list_gguf_files(GATED)["filename"]) == files
        assert h.model_info(GATED).gated == "manual"
        ref, _ = h.auto_select(GATED)
        assert ref.startswith(f"hf.co/{GATED}:")
    # ... reading the bytes (a GGUF header) is not
    for h in (hub, no_access):
        with pytest.raises(GatedRepoError) as exc:
            hfw.gguf_metadata(GATED, "Q4_K_M", hub=h)
        assert exc.value.repo_id == GATED
    authed = Hub(endpoint=fake_hub.url, token=DEFAULT_TOKEN)
    assert hfw.gguf_metadata(GATED, "Q4_K_M", hub=authed).architecture == "llama"


def test_hub_gguf_metadata_reads_the_header_by_range(own: FakeHub) -> None:
    hub = Hub(endpoint=own.url, token=False)
    meta = hub.gguf_metadata(L1B, "Q4_K_M", refresh=True)
    row = hub.list_gguf_files(L1B).set_index("quantization").loc["Q4_K_M"]
    expected = CAT[L1B].metadata
    assert meta.filename == row["filename"] and meta.repo_id == L1B
    assert meta.architecture == expected["general.architecture"]
    assert meta.block_count == expected["llama.block_count"]
    gets = [r for r in own.requests if r["method"] == "GET" and r["path"].endswith(row["filename"])]
    assert gets[0]["status"] == 302  # resolve redirects to FakeHub's CDN, as the Hub does
    reads = [r for r in gets if r["path"].startswith("/cdn/")]
    assert reads and all(r["range"] and r["status"] == 206 for r in reads)
    assert sum(r["bytes"] for r in reads) < int(row["size_bytes"]) / 10
    # the same call as the module-level function with hub=, cached per file
    own.clear_requests()
    assert hfw.gguf_metadata(L1B, "Q4_K_M", hub=hub) == meta
    assert not [r for r in own.requests if "/resolve/" in r["path"]]
    hub.gguf_metadata(L1B, "Q4_K_M", refresh=True)
    assert [r for r in own.requests if "/resolve/" in r["path"]]


def test_hub_gguf_metadata_says_why_the_bytes_were_refused(fake_hub: FakeHub) -> None:
    gguf = next(f.path for f in CAT[GATED].files if f.path.endswith(".gguf"))
    page = f"{fake_hub.url}/{GATED}"
    # refresh=True: gguf_meta's cache is keyed by endpoint+file, not by token
    with pytest.raises(GatedRepoError) as anonymous:
        Hub(endpoint=fake_hub.url, token=False).gguf_metadata(GATED, gguf, refresh=True)
    assert page in (anonymous.value.fix or "") and "HF_TOKEN" in (anonymous.value.fix or "")
    with pytest.raises(GatedRepoError) as no_access:
        Hub(endpoint=fake_hub.url, token=NO_ACCESS_TOKEN).gguf_metadata(GATED, gguf, refresh=True)
    assert "not been granted" in no_access.value.message and page in (no_access.value.fix or "")
    authed = Hub(endpoint=fake_hub.url, token=DEFAULT_TOKEN)
    assert authed.gguf_metadata(GATED, gguf, refresh=True).architecture == "llama"
    private = next(f.path for f in CAT[PRIVATE].files if f.path.endswith(".gguf"))
    with pytest.raises(RepoNotFoundError) as hidden:
        Hub(endpoint=fake_hub.url, token=False).gguf_metadata(PRIVATE, private, refresh=True)
    assert not isinstance(hidden.value, GatedRepoError) and hidden.value.repo_id == PRIVATE
    with pytest.raises(InvalidTokenError):
        Hub(endpoint=fake_hub.url, token="hf_notAKnownToken123").gguf_metadata(
            L1B, "Llama-3.2-1B-Instruct-Q8_0.gguf", refresh=True
        )


def test_revision_not_found(hub: Hub) -> None:
    with pytest.raises(RevisionNotFoundError) as exc:
        hub.list_gguf_files(L1B, revision="v99")
    assert "v99" in str(exc.value) and exc.value.repo_id == L1B


def test_no_gguf_files(hub: Hub) -> None:
    with pytest.raises(NoGGUFFilesError) as exc:
        hub.list_gguf_files("google-bert/bert-base-uncased")
    assert "safetensors" in str(exc.value) and "search_models" in str(exc.value)


def test_invalid_repo_id_sends_nothing(own: FakeHub) -> None:
    hub = Hub(endpoint=own.url, token=False)
    for bad in ("no-slash", "a/b/c", "owner/name--x", "owner/.git"):
        with pytest.raises(InvalidModelRefError):
            hub.list_gguf_files(bad)
        with pytest.raises(InvalidModelRefError):
            hub.model_info(bad)
    assert own.requests == []


def test_unreachable_hub_names_the_endpoint() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    endpoint = f"http://127.0.0.1:{port}"
    hub = Hub(endpoint=endpoint, token=False)
    for call in (
        lambda: hub.list_gguf_files(L1B),
        lambda: hub.model_info(L1B),
        lambda: hub.search_models("x"),
    ):
        with pytest.raises(HubUnreachableError) as exc:
            call()
        assert endpoint in str(exc.value) and "HF_ENDPOINT" in str(exc.value)


def test_rejected_token_is_invalid_token_error(fake_hub: FakeHub) -> None:
    bad = Hub(endpoint=fake_hub.url, token="hf_unknownToken0000000")
    for call in (
        lambda: bad.list_gguf_files(L1B),
        lambda: bad.model_info(L1B),
        lambda: bad.search_models("llama"),
    ):
        with pytest.raises(InvalidTokenError) as exc:
            call()
        err = exc.value
        assert "rejected the token" in err.message and fake_hub.url in err.message
        assert f"{fake_hub.url}/settings/tokens" in (err.fix or "")
        assert "None" not in err.message and "hf_unknownToken" not in str(err)


def test_rate_limited_is_rate_limited_error(own: FakeHub) -> None:
    hub = Hub(endpoint=own.url, token=False)
    own.rate_limit(2, reset_seconds=42)
    with pytest.raises(RateLimitedError) as info:
        hub.model_info(L1B)
    with pytest.raises(RateLimitedError) as listing:
        hub.list_gguf_files(L1B)
    for err in (info.value, listing.value):
        assert "42" in err.message and own.url in err.message and err.repo_id == L1B
        assert "42 seconds" in (err.fix or "")
    assert [r["status"] for r in own.requests] == [429, 429]
    assert hub.model_info(L1B).id == L1B  # the limit lifted: the next request works


@pytest.mark.parametrize(("token", "granted"), [(False, False), (NO_ACCESS_TOKEN, True)])
def test_gated_error_fix_points_at_the_endpoint_in_use(
    fake_hub: FakeHub, token: str | bool, granted: bool
) -> None:
    # the Hub answers GatedRepo (401 / 403) to downloads and auth-check, as huggingface_hub
    # raises it; the fix names the repo page on the endpoint in use, not huggingface.co
    api = HfApi(endpoint=fake_hub.url, token=token)
    url = hf_hub_url(GATED, "README.md", endpoint=fake_hub.url)
    for call in (lambda: api.auth_check(GATED), lambda: get_hf_file_metadata(url, token=token)):
        with pytest.raises(GatedRepoError) as exc, hub_errors(endpoint=fake_hub.url, repo_id=GATED):
            call()
        fix = exc.value.fix or ""
        assert f"{fake_hub.url}/{GATED}" in fix and "huggingface.co" not in fix
        assert ("not been granted" in exc.value.message) is granted
        assert exc.value.repo_id == GATED


@pytest.mark.parametrize(
    "secret", ["hf_SecretTokenValue1234567890", "plain-secret-not-hf-shaped-42"]
)
def test_token_never_appears(secret: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeHub(tokens=(secret,), no_access_tokens=()) as fake:
        hub = Hub(endpoint=fake.url, token=secret)
        assert secret not in repr(hub)
        assert len(hub.list_gguf_files(PRIVATE)) == 2  # the token works...
        assert hub.request_headers()["authorization"] == f"Bearer {secret}"
        errors: list[HubError] = []
        for call in (
            lambda: hub.list_gguf_files("nobody/nothing"),
            lambda: hub.list_gguf_files(L1B, revision="nope"),
            lambda: Hub(endpoint=fake.url, token=secret + "x").list_gguf_files(GATED),
            lambda: hub.auto_select(L1B, quantization="Q1_0"),
        ):
            with pytest.raises(HubError) as exc:
                call()
            errors.append(exc.value)
        text = " ".join(f"{e} {e!r} {json.dumps(e.to_dict())}" for e in errors)
        assert secret not in text
        assert secret not in caplog.text
        assert secret not in json.dumps(fake.requests)


# --- environment and the default hub -----------------------------------------------------


def test_env_is_read_at_call_time(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = Hub()
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    assert hub.endpoint == fake_hub.url
    with pytest.raises(RepoNotFoundError):
        hub.list_gguf_files(PRIVATE)
    monkeypatch.setenv("HF_TOKEN", DEFAULT_TOKEN)
    assert len(hub.list_gguf_files(PRIVATE)) == 2
    assert hub.request_headers()["authorization"] == f"Bearer {DEFAULT_TOKEN}"
    assert "authorization" not in Hub(endpoint=fake_hub.url, token=False).request_headers()


def test_default_hub_and_module_functions(fake_hub: FakeHub) -> None:
    previous = hfw.default_hub()
    try:
        mine = Hub(endpoint=fake_hub.url, token=False)
        hfw.set_default_hub(mine)
        assert hfw.default_hub() is mine
        assert isinstance(hfw.list_gguf_files(L1B), pd.DataFrame)
        assert hfw.model_info(L1B).id == L1B
        assert hfw.auto_select(L1B)[0] == f"hf.co/{L1B}:Q4_K_M"
        assert not hfw.search_models("llama").empty
        hfw.set_default_hub(None)
        assert hfw.default_hub() is not mine
    finally:
        hfw.set_default_hub(previous)


def test_file_url_reads_through_the_range_api(fake_hub: FakeHub) -> None:
    import httpx

    hub = Hub(endpoint=fake_hub.url, token=DEFAULT_TOKEN)
    url = hub.file_url(GATED, "Gated-Llama-3.2-1B-Q4_K_M.gguf")
    assert url == f"{fake_hub.url}/{GATED}/resolve/main/Gated-Llama-3.2-1B-Q4_K_M.gguf"
    r = httpx.get(
        url, headers={**hub.request_headers(), "Range": "bytes=0-3"}, follow_redirects=True
    )
    assert r.status_code == 206 and r.content == b"GGUF" and r.history[0].status_code == 302
    assert httpx.get(url, headers={"Range": "bytes=0-3"}).status_code == 401
