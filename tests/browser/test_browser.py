"""GGUFBrowser in a real JupyterLab 4 / Notebook 7 page (Chromium), against FakeHub + FakeOllama.

The stand-ins run in the test process; notebook cells connect to their URLs.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import pytest

import hfollama_widgets as hfw

from ._harness import NotebookSession

LLAMA = "bartowski/Llama-3.2-1B-Instruct-GGUF"
GATED = "example-org/Gated-Llama-GGUF"
MISSING = "example-org/No-Such-Repo-GGUF"
XSS = "example-org/XSS-Test-GGUF"
SPLIT = "Qwen/Qwen2.5-7B-Instruct-GGUF"  # split quants and single files


def _cells(hub_url: str, ollama_url: str, repo: str | None, **kwargs: str) -> list[str]:
    args = [repr(repo)] if repo else []
    args += ["hub=hub", "client=client", "hardware=Hardware(ram_gb=16, vram_gb=8)"]
    args += [f"{k}={v}" for k, v in kwargs.items()]
    return [
        "import hfollama_widgets as hfw\n"
        "from hfollama_widgets.hardware import Hardware\n"
        f"hub = hfw.Hub(endpoint={hub_url!r})\n"
        f"client = hfw.Client({ollama_url!r})",
        f"b = hfw.GGUFBrowser({', '.join(args)})\nb",
    ]


def _open(
    notebook: Any,
    fake_hub: Any,
    fake_ollama: Any,
    repo: str | None,
    *,
    ui: str = "lab",
    **kwargs: str,
) -> tuple[NotebookSession, Any]:
    nb: NotebookSession = notebook(_cells(fake_hub.url, fake_ollama.url, repo, **kwargs), ui=ui)
    root = nb.output(1).get_by_test_id("gguf-browser")
    root.wait_for(state="visible")
    if repo:
        nb.eval("b.wait() and None")
    return nb, root


def _py(nb: NotebookSession, expr: str) -> Any:
    """A Python value from the notebook's kernel (its repr, parsed as a literal)."""
    return ast.literal_eval(nb.eval(expr))


def _rows(root: Any) -> Any:
    return root.get_by_test_id("row")


def _wait_rows(nb: NotebookSession, root: Any) -> int:
    expected = int(nb.eval("len(b.rows)"))
    rows = _rows(root)
    rows.nth(expected - 1).wait_for(state="attached")
    assert rows.count() == expected
    return expected


def _dom_refs(root: Any) -> list[str]:
    return _rows(root).evaluate_all("rows => rows.map(r => r.dataset.key)")


def test_renders_header_table_sort_select_filter(
    notebook: Any, fake_hub: Any, fake_ollama: Any
) -> None:
    nb, root = _open(notebook, fake_hub, fake_ollama, LLAMA)
    n = _wait_rows(nb, root)
    assert n > 3

    header = root.get_by_test_id("header")
    assert LLAMA in header.inner_text()
    link = header.get_by_test_id("hub-link")
    assert link.get_attribute("href") == f"{fake_hub.url.rstrip('/')}/{LLAMA}"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert header.get_by_test_id("info-downloads").is_visible()

    # recommended badge on the auto_select pick
    rec = nb.eval("b.recommended").strip("'")
    rec_row = root.locator(f'[data-testid="row"][data-ref="{rec}"]')
    assert rec_row.get_by_test_id("badge-recommended").is_visible()
    nb.screenshot("browser-loaded", root)

    # sort: size ascending by default -> click -> descending; numeric, not lexical
    def dom_sizes() -> list[int]:
        keys = [int(k) for k in _dom_refs(root)]
        sizes = {r["key"]: r["size"] for r in _py(nb, "b.rows")}
        return [sizes[k] for k in keys]

    assert dom_sizes() == sorted(dom_sizes())
    root.get_by_test_id("sort-size").click()
    nb.eval_until("b.sort_desc", "True")
    assert dom_sizes() == sorted(dom_sizes(), reverse=True)
    root.get_by_test_id("sort-bpw").click()
    nb.eval_until("b.sort_by", "'bpw'")
    bpw = _rows(root).locator('[data-col="bpw"]').all_inner_texts()
    numbers = [float(x) for x in bpw if x != "–"]
    assert numbers == sorted(numbers)
    assert len(numbers) >= 3
    # the Python view sorts the same way
    py_keys = _py(nb, "list(b.filtered_df.index)")
    assert len(py_keys) == n

    # select a row -> Python trait
    selectable = root.locator('[data-testid="row"].hfw-selectable')
    pick = selectable.nth(1)
    ref = pick.get_attribute("data-ref")
    pick.locator("td").first.click()  # the quant cell (not the Pull button)
    nb.eval_until("b.selected", repr(ref))
    nb.eval_until("b.selected_row['model_ref']", repr(ref))
    assert pick.get_attribute("aria-selected") == "true"

    # max-size filter: only rows at most the limit remain, and Python knows the limit
    sizes = sorted(r["size"] for r in _py(nb, "b.rows"))
    limit = round(sizes[len(sizes) // 2] / 1e9, 1) + 0.05
    box = root.get_by_test_id("max-size")
    box.fill(f"{limit}")
    box.press("Enter")
    box.blur()
    nb.eval_until("b.max_size_gb", repr(limit))
    expected = sum(1 for s in sizes if s <= limit * 1e9)
    assert _rows(root).count() == expected
    assert expected < n
    nb.screenshot("browser-max-size", root)

    # text filter
    root.get_by_test_id("max-size-clear").click()
    nb.eval_until("b.max_size_gb is None", "True")
    root.get_by_test_id("filter-text").fill("q8")
    nb.eval_until("b.filter_text", "'q8'")
    quants = _rows(root).evaluate_all("rows => rows.map(r => r.textContent.toLowerCase())")
    assert quants and all("q8" in q for q in quants)
    assert int(nb.eval("len(b.filtered_df)")) == len(quants)

    # fit columns and the context-length control
    root.get_by_test_id("filter-text").fill("")
    assert root.get_by_test_id("context-length").is_visible()
    mem_before = _rows(root).first.locator('[data-col="mem"]').inner_text()
    top = nb.eval("b.fit['model_context']")
    root.get_by_test_id("context-length").select_option(top)
    nb.eval_until("b.context_length", top)
    root.locator('[data-testid="row"]').first.locator('[data-col="mem"]').filter(
        has_not_text=mem_before
    ).wait_for()
    nb.screenshot("browser-fit", root)
    nb.assert_no_errors()


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_in_ollama_marker_pull_then_chat(
    notebook: Any, fake_hub: Any, fake_ollama: Any, ui: str
) -> None:
    hub = hfw.Hub(endpoint=fake_hub.url)
    listing = hub.list_gguf_files(LLAMA, include_sidecars=True)
    pullable = listing[listing["ollama_pullable"] & (listing["kind"] == "model")]
    already = str(pullable["model_ref"].iloc[-1])
    hfw.Client(fake_ollama.url).pull(already)
    fake_ollama.pull_speed = 300e6  # a few seconds: the progress is visible

    nb, root = _open(notebook, fake_hub, fake_ollama, LLAMA, ui=ui)
    _wait_rows(nb, root)
    row = root.locator(f'[data-testid="row"][data-ref="{already}"]')
    assert row.get_by_test_id("badge-local").is_visible()
    assert row.get_by_test_id("chat-button").is_visible()
    assert root.get_by_test_id("badge-local").count() == 1

    target = str(pullable["model_ref"].iloc[0])
    trow = root.locator(f'[data-testid="row"][data-ref="{target}"]')
    trow.get_by_test_id("pull-button").click()
    out = nb.output(1)
    # what Pull / Chat open is drawn inside the browser's own view (no ipywidgets container)
    assert out.locator(".widget-vbox").count() == 0
    panel = out.get_by_test_id("browser-panel")
    progress = panel.get_by_test_id("pull-progress")
    progress.wait_for(state="visible")
    nb.screenshot(f"browser-pulling-{ui}", out)
    panel.locator('[data-testid="pull-progress"][data-state="success"]').wait_for(timeout=60_000)
    nb.eval_until(f"b.pulls.get({target!r})", "'success'")
    trow.get_by_test_id("badge-local").wait_for()
    trow.get_by_test_id("chat-button").click()
    chat = panel.get_by_test_id("chat")
    chat.wait_for(state="visible")
    nb.eval_until(f"b.chat_widgets[{target!r}].model", repr(target))
    nb.screenshot(f"browser-pull-chat-{ui}", out)
    # a reply streams into the embedded chat (deltas relayed through the browser's messages)
    fake_ollama.token_rate = 1  # crawls: the live reply is seen before it ends
    box = chat.get_by_test_id("input")
    box.fill("Hello there")
    box.press("Enter")
    chat.locator('[data-role="user"]').filter(has_text="Hello there").wait_for()
    live = chat.locator('[data-testid="message"][data-role="assistant"][data-state="streaming"]')
    live.get_by_test_id("content").filter(has_text=re.compile(r"\S")).wait_for(timeout=30_000)
    assert chat.get_by_test_id("stop").is_visible()
    fake_ollama.token_rate = 5000
    done = chat.locator('[data-testid="message"][data-role="assistant"][data-state="done"]')
    done.wait_for(timeout=30_000)
    reply = done.get_by_test_id("content").inner_text().strip()
    assert reply
    nb.eval_until(f"len(b.chat_widgets[{target!r}].history)", "2")
    assert chat.get_by_test_id("send").is_visible()
    chat.scroll_into_view_if_needed()
    nb.screenshot(f"browser-chat-{ui}", chat)
    nb.assert_no_errors()


def test_error_state_then_usable(notebook: Any, fake_hub: Any, fake_ollama: Any) -> None:
    nb, root = _open(notebook, fake_hub, fake_ollama, MISSING)
    error = root.get_by_test_id("error")
    error.wait_for(state="visible")
    assert error.get_attribute("data-error-type") == "RepoNotFoundError"
    assert root.get_by_test_id("error-fix").is_visible()
    assert _rows(root).count() == 0
    nb.screenshot("browser-error", root)

    # type another repo (one with split quants): it loads, the error goes away
    box = root.get_by_test_id("repo-input")
    box.fill(SPLIT)
    box.press("Enter")
    nb.eval_until("b.status", "'ready'")
    _wait_rows(nb, root)
    assert root.get_by_test_id("error").count() == 0
    # split groups are shown, explained on hover, and not selectable
    split = root.locator('[data-testid="row"][aria-disabled="true"]')
    assert split.count() >= 1
    assert "split" in (split.first.get_attribute("title") or "").lower()
    assert split.first.get_by_test_id("pull-button").count() == 0
    split.first.click(force=True)  # aria-disabled: Playwright would wait for it to enable
    ok = root.locator('[data-testid="row"].hfw-selectable').first
    ok.locator("td").first.click()
    nb.eval_until("b.selected", repr(ok.get_attribute("data-ref")))
    split.first.click(force=True)  # aria-disabled: Playwright would wait for it to enable
    nb.page.wait_for_timeout(300)
    assert nb.eval("b.selected") == repr(ok.get_attribute("data-ref"))
    nb.screenshot("browser-split", root)
    nb.assert_no_errors()


def test_gated_repo_lists_files_with_a_note(notebook: Any, fake_hub: Any, fake_ollama: Any) -> None:
    nb, root = _open(notebook, fake_hub, fake_ollama, GATED)
    assert _wait_rows(nb, root) > 0
    assert root.get_by_test_id("error").count() == 0
    header = root.get_by_test_id("header")
    assert header.get_by_test_id("info-gated").is_visible()
    note = root.get_by_test_id("note")
    assert note.is_visible() and "accept the terms" in note.inner_text()
    nb.eval_until("b.fit.get('available')", "False")
    fit_note = root.get_by_test_id("fit-note")
    fit_note.filter(has_text="gated").wait_for()
    nb.screenshot("browser-gated", root)
    nb.assert_no_errors()


def test_search_then_pick(notebook: Any, fake_hub: Any, fake_ollama: Any) -> None:
    nb, root = _open(notebook, fake_hub, fake_ollama, None)
    box = root.get_by_test_id("repo-input")
    box.fill("llama")
    root.get_by_test_id("search-button").click()
    result = root.locator(f'[data-testid="search-result"][data-repo="{LLAMA}"]')
    result.wait_for()
    nb.screenshot("browser-search", root)
    fake_hub.latency = 1.0  # a slow Hub: the loading state shows and the kernel stays free
    try:
        result.click()
        root.get_by_test_id("browser-status").filter(has_text="Loading").wait_for()
        assert nb.eval("b.status") == "'loading'"  # the kernel answers while loading
        nb.screenshot("browser-loading", root)
    finally:
        fake_hub.latency = 0.0
    nb.eval_until("b.repo_id", repr(LLAMA))
    nb.eval_until("b.status", "'ready'", timeout=60)
    _wait_rows(nb, root)
    nb.assert_no_errors()


def test_xss_names_render_as_text(notebook: Any, fake_hub: Any, fake_ollama: Any) -> None:
    nb, root = _open(notebook, fake_hub, fake_ollama, XSS)
    n = _wait_rows(nb, root)
    names = _py(nb, "[r['filename'] for r in b.rows]")
    assert any("<" in name for name in names)
    texts = root.locator(".hfw-file").all_inner_texts()
    assert sorted(texts) == sorted(names)
    assert len(texts) == n
    # hovering / selecting rows runs no payload either
    for i in range(min(n, 4)):
        _rows(root).nth(i).hover()
    assert nb.page.evaluate("() => window.__xss") is None
    assert root.locator("img, script, iframe").count() == 0
    # the only svg is the chart's (Observable Plot), with no markup from the Hub inside
    assert root.locator("svg").count() == root.locator("svg.hfw-chart-svg").count() <= 1
    assert root.locator("svg image, svg foreignObject, svg a, svg script").count() == 0
    assert nb.dialogs == []
    nb.screenshot("browser-xss", root)
    nb.assert_no_errors()
