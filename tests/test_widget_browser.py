"""GGUFBrowser logic against FakeHub + FakeOllama over real HTTP (no browser).

Front-end actions are delivered the way the comm delivers them (``_handle_custom_msg``) or as
trait changes (what ``model.set(...); model.save_changes()`` does), so the same code paths run.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

import hfollama_widgets as hfw
from hfollama_widgets.hardware import Hardware
from hfollama_widgets.widgets.browser import GGUFBrowser

LLAMA = "bartowski/Llama-3.2-1B-Instruct-GGUF"
GATED = "example-org/Gated-Llama-GGUF"
PRIVATE = "example-org/Private-Model-GGUF"
NO_GGUF = "google-bert/bert-base-uncased"
XSS = "example-org/XSS-Test-GGUF"


@pytest.fixture()
def hub(fake_hub: Any) -> Any:
    return hfw.Hub(endpoint=fake_hub.url)


@pytest.fixture()
def client(fake_ollama: Any) -> Any:
    return hfw.Client(fake_ollama.url)


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def _msg(browser: GGUFBrowser, content: dict[str, Any]) -> None:
    """Deliver a front-end custom message like the comm does."""
    browser._handle_custom_msg(content, [])


def _browser(*args: Any, **kwargs: Any) -> GGUFBrowser:
    kwargs.setdefault("hardware", Hardware(ram_gb=16, vram_gb=8))
    return GGUFBrowser(*args, **kwargs).wait()


# --- loading --------------------------------------------------------------------------------


def test_load_shows_listing_header_and_recommendation(hub: Any, client: Any) -> None:
    listing = hub.list_gguf_files(LLAMA, include_sidecars=True)
    info = hub.model_info(LLAMA)
    browser = _browser(LLAMA, hub=hub, client=client)

    assert browser.status == "ready"
    assert browser.error is None
    assert [r["filename"] for r in browser.rows] == list(listing["filename"])
    assert [r["size"] for r in browser.rows] == [int(s) for s in listing["size_bytes"]]
    assert browser.info["downloads"] == info.downloads
    assert browser.info["likes"] == info.likes
    assert browser.info["url"].startswith(hub.endpoint.rstrip("/"))
    assert browser.info["url"].endswith(LLAMA)
    ref, _row = hub.auto_select(LLAMA)
    assert [r["ref"] for r in browser.rows if r["rec"]] == [ref]
    assert browser.recommended == ref
    # the DataFrame is the listing, not synced: rows only carry the shown columns
    assert list(browser.df["filename"]) == list(listing["filename"])
    assert browser.df["recommended"].sum() == 1
    assert "df" not in browser.trait_names()


def test_synced_rows_stay_small(hub: Any) -> None:
    browser = _browser(LLAMA, hub=hub)
    size = len(json.dumps(browser.get_state(["rows", "info", "fit"])))
    print(f"synced rows+info+fit for {len(browser.rows)} files: {size} bytes")
    # ~450 bytes a row: the shown columns incl. effective bpw, +PPL, KLD, front, chart y
    assert size < 450 * len(browser.rows) + 2000


def test_in_ollama_marker_for_pulled_quant(hub: Any, client: Any) -> None:
    listing = hub.list_gguf_files(LLAMA, include_sidecars=True)
    pullable = listing[listing["ollama_pullable"] & (listing["kind"] == "model")]
    target = str(pullable["model_ref"].iloc[0])
    # pulled with a lower-case name: the marker compares case-insensitively
    client.pull(target.lower())
    browser = _browser(LLAMA, hub=hub, client=client)

    local = [r["ref"] for r in browser.rows if r["local"]]
    assert local == [target]
    assert browser.df.loc[browser.df["model_ref"] == target, "in_ollama"].all()
    assert browser.df["in_ollama"].sum() == 1
    assert browser.note == ""


def test_no_client_means_no_markers_and_a_quiet_note(hub: Any) -> None:
    browser = _browser(LLAMA, hub=hub)
    assert browser.status == "ready"
    assert browser.error is None
    assert not any(r["local"] for r in browser.rows)
    assert "client" in browser.note.lower()
    assert browser.has_client is False


def test_unreachable_ollama_is_a_note_not_an_error(hub: Any) -> None:
    browser = _browser(LLAMA, hub=hub, client=hfw.Client(_dead_url()))
    assert browser.status == "ready"
    assert browser.error is None
    assert "not reachable" in browser.note
    assert not any(r["local"] for r in browser.rows)


@pytest.mark.parametrize(
    ("repo", "error_type"),
    [
        ("example-org/No-Such-Repo-GGUF", "RepoNotFoundError"),
        (PRIVATE, "RepoNotFoundError"),  # private: invisible without a token
        (NO_GGUF, "NoGGUFFilesError"),
    ],
)
def test_errors_show_with_fix_and_browser_stays_usable(
    fake_hub: Any, repo: str, error_type: str
) -> None:
    hub = hfw.Hub(endpoint=fake_hub.url, token=False)
    browser = _browser(repo, hub=hub)
    assert browser.status == "error"
    assert browser.error is not None
    assert browser.error["type"] == error_type
    assert browser.error["message"]
    assert browser.error["fix"]
    assert browser.rows == []
    # type another repo: it loads and the error goes away
    _msg(browser, {"type": "load", "repo_id": LLAMA})
    browser.wait()
    assert browser.status == "ready"
    assert browser.error is None
    assert browser.rows


def test_gated_repo_lists_its_files_with_a_note(fake_hub: Any, client: Any) -> None:
    # The Hub lists a gated repo's files publicly; only the bytes need accepted terms.
    anonymous = hfw.Hub(endpoint=fake_hub.url, token=False)
    listing = anonymous.list_gguf_files(GATED, include_sidecars=True)
    browser = _browser(GATED, hub=anonymous, client=client)
    assert browser.status == "ready" and browser.error is None
    assert [r["filename"] for r in browser.rows] == list(listing["filename"])
    assert browser.info["gated"] == anonymous.model_info(GATED).gated
    assert "accept the terms" in browser.note and browser.info["url"] in browser.note
    # the header read (a download) is refused: the fit note says why
    assert browser.fit["available"] is False
    assert "gated" in browser.fit["note"] and "HF_TOKEN" in browser.fit["note"]
    # asking Ollama again keeps the gated note
    browser.refresh_local()
    browser.wait()
    assert "accept the terms" in browser.note
    # a repo switch clears it
    _msg(browser, {"type": "load", "repo_id": LLAMA})
    browser.wait()
    assert "accept the terms" not in browser.note


def test_gated_repo_with_access_has_the_estimate(fake_hub: Any) -> None:
    from hfollama_widgets.testing.fake_hub import DEFAULT_TOKEN

    browser = _browser(GATED, hub=hfw.Hub(endpoint=fake_hub.url, token=DEFAULT_TOKEN))
    assert browser.status == "ready" and browser.fit["available"] is True
    assert all(r["mem"] for r in browser.rows if r["kind"] == "model")
    assert "accept the terms" in browser.note  # Ollama's key still needs the terms accepted


def test_dead_hub_port(fake_hub: Any) -> None:
    browser = _browser(LLAMA, hub=hfw.Hub(endpoint=_dead_url()))
    assert browser.status == "error"
    assert browser.error["type"] == "HubUnreachableError"
    assert browser.error["fix"]


def test_invalid_repo_id_is_refused_before_any_request(hub: Any) -> None:
    browser = GGUFBrowser(hub=hub)
    _msg(browser, {"type": "load", "repo_id": "not a repo id"})
    assert browser.error is not None
    assert browser.error["type"] == "InvalidModelRefError"
    assert browser.status == "empty"


def test_cell_returns_at_once_and_kernel_stays_usable() -> None:
    from hfollama_widgets.testing import FakeHub

    with FakeHub(latency=0.4) as slow:  # every Hub answer takes 0.4 s
        hub = hfw.Hub(endpoint=slow.url)
        start = time.monotonic()
        browser = GGUFBrowser(LLAMA, hub=hub, hardware=False)
        returned = time.monotonic() - start
        # the constructor came back before the first Hub answer could have arrived
        assert browser.status == "loading"
        assert browser.rows == []
        # the kernel thread is free: other widget work runs meanwhile
        browser.set_state({"filter_text": "q4"})
        assert browser.filter_text == "q4"
        browser.wait()
        print(
            f"GGUFBrowser() returned in {returned * 1000:.1f} ms; loaded after "
            f"{time.monotonic() - start:.2f} s"
        )
    assert browser.status == "ready"
    assert browser.rows


# --- selection, filters, sort ---------------------------------------------------------------


def test_selection_sets_selected_and_selected_row(hub: Any) -> None:
    browser = _browser(LLAMA, hub=hub)
    seen: list[str | None] = []
    browser.observe(lambda change: seen.append(change["new"]), "selected")
    row = next(r for r in browser.rows if r["pullable"])
    browser.set_state({"selected": row["ref"]})  # what the front end's save_changes does
    assert browser.selected == row["ref"]
    assert seen == [row["ref"]]
    assert browser.selected_row is not None
    assert browser.selected_row["filename"] == row["filename"]
    assert int(browser.selected_row["size_bytes"]) == row["size"]


def test_filters_and_sort_match_the_table_state(hub: Any) -> None:
    browser = _browser(LLAMA, hub=hub)
    sizes = sorted(r["size"] for r in browser.rows if r["kind"] == "model")
    limit_gb = sizes[len(sizes) // 2] / 1e9
    browser.set_state({"max_size_gb": limit_gb, "sort_by": "size", "sort_desc": True})
    shown = browser.filtered_df
    assert len(shown) == sum(1 for r in browser.rows if r["size"] <= limit_gb * 1e9)
    assert list(shown["size_bytes"]) == sorted(shown["size_bytes"], reverse=True)

    browser.set_state({"max_size_gb": None, "filter_text": "q8"})
    shown = browser.filtered_df
    assert len(shown) >= 1
    texts = (shown["quantization"].astype(str) + " " + shown["filename"]).str.lower()
    assert texts.str.contains("q8").all()


def test_max_size_moves_the_recommendation(hub: Any) -> None:
    browser = _browser(LLAMA, hub=hub)
    first = browser.recommended
    assert first is not None
    size = int(browser.df.loc[browser.df["model_ref"] == first, "size_bytes"].iloc[0])
    limit = (size - 1) / 1e9
    browser.set_state({"max_size_gb": limit})
    browser.wait()
    expected, _row = hub.auto_select(LLAMA, max_size_gb=limit)
    assert expected != first
    assert browser.recommended == expected
    assert [r["ref"] for r in browser.rows if r["rec"]] == [expected]


# --- sidecars / split ------------------------------------------------------------------------


def _repo_with(hub: Any, predicate: Callable[[Any], Any]) -> str:
    from hfollama_widgets.testing.catalogue import load_catalogue

    for repo in load_catalogue():
        try:
            df = hub.list_gguf_files(repo, include_sidecars=True)
        except hfw.HFOllamaError:
            continue
        if predicate(df).any():
            return str(repo)
    raise AssertionError("no catalogue repo matches")


def test_split_and_sidecar_rows_are_shown_but_not_pullable(hub: Any, client: Any) -> None:
    repo = _repo_with(hub, lambda df: ~df["ollama_pullable"] & (df["kind"] == "model"))
    browser = _browser(repo, hub=hub, client=client)
    split = [r for r in browser.rows if r["kind"] == "model" and r["shards"] > 1]
    assert split, "the split group is listed"
    assert all(not r["pullable"] and "split" in r["why"].lower() for r in split)
    assert not any(r["rec"] or r["local"] for r in split)

    repo = _repo_with(hub, lambda df: df["kind"] == "mmproj")
    browser.load(repo)
    browser.wait()
    sidecars = [r for r in browser.rows if r["kind"] == "mmproj"]
    assert sidecars, "the projector is listed"
    assert all(not r["pullable"] and "projector" in r["why"] for r in sidecars)
    assert any(r["pullable"] for r in browser.rows)
    # a sidecar cannot become the selection's pull target
    name = sidecars[0]["filename"]
    with pytest.raises(hfw.InvalidModelRefError):
        browser.pull(f"hf.co/{repo}:{name}")


# --- pull and chat ----------------------------------------------------------------------------


def test_pull_then_chat_from_the_table(hub: Any, client: Any, fake_ollama: Any) -> None:
    fake_ollama.pull_speed = 2e9
    browser = _browser(LLAMA, hub=hub, client=client)
    ref = browser.recommended
    assert ref is not None
    _msg(browser, {"type": "pull", "ref": ref})
    pull = browser.pull_widgets[ref]
    assert browser.panel.children == ()  # shown inside the browser's own view instead
    assert pull.wait(timeout=60)["status"] == "success"
    _until(lambda: browser.pulls.get(ref) == "success")
    # the pull's synced state is relayed into the browser's children
    _until(lambda: browser.children[f"pull:{ref}"]["state"]["state"] == "success")
    entry = browser.children[f"pull:{ref}"]
    assert entry["kind"] == "pull" and entry["ref"] == ref
    assert entry["state"]["model"] == ref and entry["state"]["progress"] == pull.progress
    row = next(r for r in browser.rows if r["ref"] == ref)
    assert row["local"] is True
    # and the server really has it
    assert ref.lower() in {m["name"].lower() for m in client.list()["models"]}

    _msg(browser, {"type": "chat", "ref": ref})
    chat = browser.chat_widgets[ref]
    assert type(chat).__name__ == "ChatWidget"
    assert browser.panel.children == ()
    assert chat.model == ref
    assert list(browser.children) == [f"pull:{ref}", f"chat:{ref}"]
    assert chat.history == [] and "history" not in browser.children[f"chat:{ref}"]["state"]


def test_pull_without_client_explains_the_fix(hub: Any) -> None:
    browser = _browser(LLAMA, hub=hub)
    _msg(browser, {"type": "pull", "ref": browser.recommended})
    assert browser.error is not None
    assert "client" in browser.error["fix"]


# --- search -----------------------------------------------------------------------------------


def test_search_lists_gguf_repos(hub: Any) -> None:
    browser = GGUFBrowser(hub=hub)
    _msg(browser, {"type": "search", "query": "llama"})
    browser.wait()
    ids = [r["id"] for r in browser.search_results]
    assert LLAMA in ids
    assert len(ids) <= 20
    assert browser.searching is False
    expected = list(hub.search_models("llama", limit=20)["id"])
    assert ids == expected


# --- fit columns (issue 4) --------------------------------------------------------------------


def test_fit_columns_and_context_length(hub: Any) -> None:
    browser = _browser(LLAMA, hub=hub, hardware=Hardware(ram_gb=16, vram_gb=8))
    assert browser.fit.get("available") is True
    models = [r for r in browser.rows if r["kind"] == "model"]
    assert all(r["mem"] and r["mem"] > r["size"] for r in models)
    assert all(r["fit"] == "full_gpu_offload" for r in models if r["mem"] < 0.9 * 8e9)
    before = {r["key"]: r["mem"] for r in models}
    top = browser.fit["model_context"]
    assert top and top in browser.fit["choices"]
    browser.set_state({"context_length": top})
    after = {r["key"]: r["mem"] for r in browser.rows if r["kind"] == "model"}
    assert all(after[k] > before[k] for k in before)
    assert "est_memory_bytes" in browser.df.columns


def test_fit_skipped_quietly_when_header_unreadable(hub: Any) -> None:
    browser = _browser(XSS, hub=hub)
    # whatever the header, the listing loads; fit is either there or a note, never an error
    assert browser.status == "ready"
    assert browser.error is None
    assert browser.fit.get("available") in (True, False)


def test_hardware_false_disables_fit(hub: Any) -> None:
    browser = _browser(LLAMA, hub=hub, hardware=False)
    assert browser.fit == {}
    assert all("mem" not in r for r in browser.rows)


# --- display ----------------------------------------------------------------------------------


def test_repr_and_display_bundle(hub: Any) -> None:
    browser = _browser(LLAMA, hub=hub)
    text = repr(browser)
    assert LLAMA in text and "files" in text
    data, _meta = browser._repr_mimebundle_()
    assert data["text/plain"] == text
    # just the browser: Pull / Chat open inside its own view (no ipywidgets container)
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == browser.model_id


def test_xss_names_are_kept_verbatim_as_data(hub: Any) -> None:
    browser = _browser(XSS, hub=hub)
    names = [r["filename"] for r in browser.rows]
    assert any("<" in n for n in names)  # the payloads arrive as plain text for textContent
