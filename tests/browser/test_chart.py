"""The GGUFBrowser's size/quality chart in real Chromium (JupyterLab 4 and Notebook 7), against
FakeHub + FakeOllama: it renders every placeable row, marks the front and the pick, hovering a
point shows that row, clicking selects it (Python sees ``selected``), and Hub names stay text."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from xss_payloads import CHART_DANGER_JS

from ._harness import NotebookSession
from .test_browser import LLAMA, XSS, _open


def _py(nb: NotebookSession, expr: str) -> Any:
    return ast.literal_eval(nb.eval(expr))


def _points(root: Any) -> Any:
    return root.get_by_test_id("chart").locator('circle[data-testid="chart-point"]')


def _placeable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        r for r in rows if r["kind"] == "model" and r["size"] is not None and r["loss"] is not None
    ]


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_chart_renders_hover_shows_row_click_selects(
    notebook: Any, fake_hub: Any, fake_ollama: Any, ui: str
) -> None:
    nb, root = _open(notebook, fake_hub, fake_ollama, LLAMA, ui=ui)
    chart = root.get_by_test_id("chart")
    chart.wait_for(state="visible")
    rows = _py(nb, "b.rows")
    placeable = _placeable(rows)
    points = _points(root)
    assert points.count() == len(placeable) > 3
    keys = sorted(int(k) for k in points.evaluate_all("ps => ps.map(p => p.dataset.key)"))
    assert keys == sorted(r["key"] for r in placeable)
    # estimated (tier) points are exactly the rows without a published figure
    est = points.evaluate_all(
        "ps => ps.filter(p => p.dataset.estimated === 'true').map(p => +p.dataset.key)"
    )
    assert sorted(est) == sorted(r["key"] for r in placeable if r["ppl"] is None)
    # the front line is drawn through the Pareto rows; the recommended pick is ringed
    assert any(r["pareto"] for r in placeable)
    assert chart.locator(".hfw-chart-front path").count() == 1
    assert chart.locator(".hfw-chart-rec circle").count() == 1
    # fit colours follow the rows' fit labels (hardware given)
    fits = dict(points.evaluate_all("ps => ps.map(p => [+p.dataset.key, p.dataset.fit])"))
    group = {
        "full_gpu_offload": "good",
        "partial_gpu_offload": "ok",
        "fits_in_ram": "ok",
        "too_large": "bad",
    }
    assert fits == {r["key"]: group.get(r["fit"], "none") for r in placeable}
    nb.screenshot(f"browser-chart-{ui}", root)

    # hover: the tip names that row
    pick = next(r for r in placeable if r["pullable"] and not r["rec"])
    point = chart.locator(f'circle[data-key="{pick["key"]}"]')
    point.hover(force=True)
    tip = chart.get_by_test_id("chart-tip")
    tip.wait_for(state="visible")
    assert tip.get_attribute("data-key") == str(pick["key"])
    text = tip.inner_text()
    assert pick["quant"] in text and pick["filename"] in text
    if pick["ppl"] is not None:
        assert f"{pick['ppl']:.4f}" in text
    nb.screenshot(f"browser-chart-hover-{ui}", root)

    # click: the same `selected` trait as the table; the table row follows
    point.click(force=True)
    nb.eval_until("b.selected", repr(pick["ref"]))
    row = root.locator(f'[data-testid="row"][data-key="{pick["key"]}"]')
    assert row.get_attribute("aria-selected") == "true"
    chart.locator(".hfw-chart-selected circle").wait_for(state="attached")

    # the chart follows the table's size filter
    limit = round(sorted(r["size"] for r in placeable)[len(placeable) // 2] / 1e9 + 0.05, 2)
    box = root.get_by_test_id("max-size")
    box.fill(f"{limit}")
    box.press("Enter")
    box.blur()
    nb.eval_until("b.max_size_gb", repr(limit))
    assert points.count() == sum(1 for r in placeable if r["size"] <= limit * 1e9)
    nb.assert_no_errors()


def test_chart_shows_hub_names_only_as_text(notebook: Any, fake_hub: Any, fake_ollama: Any) -> None:
    nb, root = _open(notebook, fake_hub, fake_ollama, XSS)
    chart = root.get_by_test_id("chart")
    chart.wait_for(state="visible")
    points = _points(root)
    n = points.count()
    rows = {r["key"]: r for r in _py(nb, "b.rows")}
    assert n > 0
    seen_markup = False
    for i in range(n):
        point = points.nth(i)
        point.hover(force=True)
        tip = chart.get_by_test_id("chart-tip")
        tip.wait_for(state="visible")
        name = rows[int(point.get_attribute("data-key"))]["filename"]
        assert name in tip.inner_text()  # the raw name, shown as text
        seen_markup = seen_markup or "<" in name
        point.click(force=True)
    assert seen_markup  # the catalogue's payload names reached the tip
    nb.page.wait_for_timeout(300)
    assert nb.page.evaluate("typeof window.__xss") == "undefined"
    assert nb.dialogs == []
    assert root.evaluate(CHART_DANGER_JS) == []
    assert (
        chart.locator("svg text").evaluate_all(
            "ts => ts.filter(t => t.textContent.includes('<')).length"
        )
        == 0
    )
    nb.screenshot("browser-chart-xss", root)
    nb.assert_no_errors()
