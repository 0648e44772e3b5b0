"""PullProgress in a real JupyterLab / Notebook 7: progress, success, Cancel/Retry, errors.

The test process runs FakeHub/FakeOllama (``fake_ollama`` fixture); the notebook connects to
them. Screenshots of each state go to test-artifacts/screenshots/.

Timing: the machine may be busy, so no test assumes how long anything takes. A pull that a test
must catch in a state (running, part done) runs at a crawl (``CRAWL``) until the test has seen
that state in the page, and is only then sped up to finish; timeouts are generous upper bounds.
"""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest

from ._harness import NotebookSession

MODEL = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"
#: bytes/s: the 808 MB model layer takes ~80 s, so the page soon shows its first percents ...
WALK = 10e6
#: ... and at this speed (shown in MB/s) ~13 minutes: a pull switched to it is still running
#: whenever the test gets to look at it. FakeOllama reads ``pull_speed`` on every tick.
CRAWL = 1e6
FAST = 4e9


def pull_cells(url: str, model: str = MODEL, *, start: bool = True) -> list[str]:
    return [
        "from hfollama_widgets.ollama import Client\n"
        "from hfollama_widgets.widgets import PullProgress\n"
        f"pull = PullProgress(Client({url!r}), {model!r}, start={start!r})",
        "pull",
    ]


def widget(nb: NotebookSession, output: int = 1) -> Any:
    root = nb.output(output).get_by_test_id("pull-progress")
    root.wait_for()
    return root


def wait_for_state(root: Any, state: str, timeout: float = 60_000) -> None:
    root.page.wait_for_function(
        "([el, state]) => el.dataset.state === state",
        arg=[root.element_handle(), state],
        timeout=timeout,
    )


def percent_of(bar: Any) -> float:
    value = bar.get_attribute("aria-valuenow")
    return float(value) if value is not None else -1.0


def wait_for_percent(root: Any, at_least: float, timeout: float = 60_000) -> float:
    """Wait until the overall bar shows at least ``at_least`` percent; return what it shows."""
    bar = root.get_by_test_id("overall-bar")
    root.page.wait_for_function(
        "([el, min]) => el.getAttribute('aria-valuenow') !== null"
        " && Number(el.getAttribute('aria-valuenow')) >= min",
        arg=[bar.element_handle(), at_least],
        timeout=timeout,
    )
    return percent_of(bar)


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_pull_shows_progress_then_success(notebook: Any, fake_ollama: Any, ui: str) -> None:
    fake_ollama.pull_speed = WALK
    nb: NotebookSession = notebook(pull_cells(fake_ollama.url), ui=ui)
    root = widget(nb)
    assert root.get_by_test_id("model").inner_text() == MODEL
    # Running: the status line, a layer row and a moving overall bar.
    first = wait_for_percent(root, 1)
    fake_ollama.pull_speed = CRAWL  # still running whatever the test's pace from here on
    wait_for_state(root, "running", timeout=30_000)
    summary = root.get_by_test_id("summary")
    root.page.wait_for_function(
        "el => /B\\/s/.test(el.textContent) && /ETA/.test(el.textContent)",
        arg=summary.element_handle(),
        timeout=60_000,
    )
    assert root.get_by_test_id("status").inner_text().startswith("pulling ")
    assert root.get_by_test_id("layer").count() >= 1
    assert root.get_by_test_id("cancel").is_visible()
    nb.screenshot(f"pull-running-{ui}", root)
    fake_ollama.pull_speed = WALK
    wait_for_percent(root, first + 2)  # it moves
    # Success: the whole size, every layer done, no buttons left.
    fake_ollama.pull_speed = FAST
    wait_for_state(root, "success")
    assert root.get_by_test_id("state").inner_text().lower() == "done"
    assert "807.7 MB" in root.get_by_test_id("summary").inner_text() or "MB" in (
        root.get_by_test_id("final").inner_text()
    )
    assert root.get_by_test_id("final").inner_text().startswith("Pulled (")
    layers = root.get_by_test_id("layer")
    # Ollama reports a layer only from a 60 ms ticker (server/download.go:446-466), so the tiny
    # template / params / config layers may finish unreported: at least the model layer shows,
    # and every shown layer reads done although no line said completed == total.
    assert layers.count() >= 1
    for i in range(layers.count()):
        assert layers.nth(i).get_attribute("data-done") == "true"
    assert not root.get_by_test_id("cancel").is_visible()
    assert not root.get_by_test_id("retry").is_visible()
    assert nb.eval("pull.state").strip() == "'success'"
    nb.screenshot(f"pull-success-{ui}", root)
    nb.assert_no_errors()


def test_cancel_then_retry_resumes_to_success(notebook: Any, fake_ollama: Any) -> None:
    fake_ollama.pull_speed = WALK  # then a crawl once the page shows 5%
    nb: NotebookSession = notebook(pull_cells(fake_ollama.url))
    root = widget(nb)
    wait_for_percent(root, 5)
    fake_ollama.pull_speed = CRAWL  # the cancel lands on a running pull, however slow the page
    wait_for_state(root, "running", timeout=30_000)
    root.get_by_test_id("cancel").click()
    wait_for_state(root, "cancelled", timeout=30_000)
    nb.eval_until("pull.state", "'cancelled'", timeout=30)
    final = root.get_by_test_id("final").inner_text()
    match = re.search(r"Cancelled at (\d+)%", final)
    assert match, final
    cancelled_at = int(match.group(1))
    assert 0 < cancelled_at < 100
    done_at_cancel = int(nb.eval("pull.progress['completed']"))
    assert done_at_cancel > 0
    assert root.get_by_test_id("retry").is_visible()
    assert not root.get_by_test_id("cancel").is_visible()
    nb.screenshot("pull-cancelled", root)

    # Retry at a crawl: the resumed pull stays running while the test looks at it.
    root.get_by_test_id("retry").click()
    wait_for_state(root, "running", timeout=30_000)
    # Resumed: the first progress shown is already about where the cancel left it.
    wait_for_percent(root, 0, timeout=30_000)
    assert percent_of(root.get_by_test_id("overall-bar")) >= cancelled_at - 1
    fake_ollama.pull_speed = FAST
    wait_for_state(root, "success")
    nb.eval_until("pull.attempt", "2", timeout=30)
    # This attempt did not download again what was there before the cancel.
    transferred = int(nb.eval("pull.tracker.transferred"))
    total = int(nb.eval("pull.tracker.bytes_total"))
    assert transferred <= total - done_at_cancel
    nb.assert_no_errors()


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_unreachable_ollama_shows_the_error_and_fix(notebook: Any, ui: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    nb: NotebookSession = notebook(pull_cells(dead), ui=ui)
    root = widget(nb)
    wait_for_state(root, "error", timeout=30_000)
    alert = root.get_by_role("alert")
    assert alert.is_visible()
    assert "Could not connect to Ollama" in alert.get_by_test_id("error-message").inner_text()
    assert "ollama serve" in alert.get_by_test_id("error-fix").inner_text()
    assert root.get_by_test_id("retry").is_visible()
    assert nb.eval("pull.error['type']").strip() == "'OllamaConnectionError'"
    nb.screenshot(f"pull-error-{ui}", root)
    nb.assert_no_errors()


def test_state_survives_a_second_view(notebook: Any, fake_ollama: Any) -> None:
    fake_ollama.pull_speed = 4e9
    cells = [*pull_cells(fake_ollama.url), "pull.wait(timeout=60)", "pull"]
    nb: NotebookSession = notebook(cells)
    first, second = widget(nb, 1), widget(nb, 3)
    wait_for_state(first, "success")
    wait_for_state(second, "success")
    assert (
        first.get_by_test_id("summary").inner_text()
        == second.get_by_test_id("summary").inner_text()
    )
    assert second.get_by_test_id("layer").count() == first.get_by_test_id("layer").count()


def test_start_button_when_not_started(notebook: Any, fake_ollama: Any) -> None:
    fake_ollama.pull_speed = 4e9
    nb: NotebookSession = notebook(pull_cells(fake_ollama.url, start=False))
    root = widget(nb)
    assert root.get_attribute("data-state") == "idle"
    root.get_by_test_id("start").click()
    wait_for_state(root, "success")
    assert nb.eval("pull.wait(timeout=5)").strip() == "{'status': 'success'}"


def test_dark_theme_keeps_the_widget_readable(
    notebook: Any, fake_ollama: Any, jupyter_server: Any
) -> None:
    themes = "/lab/api/settings/@jupyterlab/apputils-extension:themes"
    jupyter_server.api("PUT", themes, {"raw": '{"theme": "JupyterLab Dark"}'})
    try:
        fake_ollama.pull_speed = 4e9
        nb: NotebookSession = notebook(pull_cells(fake_ollama.url))
        root = widget(nb)
        wait_for_state(root, "success")
        colors = root.evaluate(
            "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
        )
        fg, bg = ([int(x) for x in re.findall(r"\d+", c)[:3]] for c in colors)
        assert sum(fg) > sum(bg)  # light text on a dark background
        nb.screenshot("pull-success-dark", root)
    finally:
        jupyter_server.api("PUT", themes, {"raw": '{"theme": "JupyterLab Light"}'})
