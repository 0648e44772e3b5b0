"""Browser tests: real JupyterLab 4 / Notebook 7 in headless Debian Chromium via Playwright.

Every test under tests/browser/ is marked ``browser`` automatically (deselect them with
``-m "not browser"``) and runs after the other tests. Nothing is skipped: if Chromium or
JupyterLab is missing, the tests fail with the fix (``make setup``).

Fixtures
--------
``jupyter_server`` (session) -> ``JupyterServer``
    ``jupyter lab`` from this venv on 127.0.0.1:<random port>, random token, no HMR,
    isolated Jupyter dirs; ``python3`` kernelspec = this interpreter.
    Attributes: ``url``, ``token``, ``root_dir`` (Path), ``runtime_dir``, ``log_path``
    (test-artifacts/jupyter-server.log). Methods: ``api(method, path, body=None)`` -> JSON,
    ``page_url(path, ui="lab"|"notebook")``, ``kernel_id_for(path)``.
``browser`` (session) -> ``playwright.sync_api.Browser``
    Chromium at /usr/bin/chromium, headless, with the flags this machine needs.
``notebook`` (function) -> factory
    ``notebook(cells, *, ui="lab", name=None, run=True) -> NotebookSession``.
    ``cells``: list of code-cell sources (str), or dicts ``{"cell_type": "markdown",
    "source": ...}``. Writes the .ipynb into ``root_dir``, opens it in a fresh page
    (1280x900) in JupyterLab (``ui="lab"``) or Notebook 7 (``ui="notebook"``), waits for
    the kernel to be idle and, if ``run``, runs all cells and waits until they finished
    (raising ``CellError`` with the traceback if a cell raised). Every session is closed
    (kernel shut down, page closed) at the end of the test.

``NotebookSession``
    ``page`` (Playwright Page), ``ui``, ``path``, ``server``;
    ``run_all(timeout_ms=120000, raise_on_error=True)``; ``wait_for_kernel_idle()``;
    ``cell(i)`` / ``output(i)`` -> Locator of the i-th cell / its output area;
    ``eval(code, timeout=30.0) -> str``: run Python in the SAME kernel as the page, return
    stdout plus the last expression's repr, as a cell shows it (so a last expression that
    is None gives ''; use ``repr(x)``), and raises ``KernelEvalError`` on an exception;
    ``eval_until(code, expected, timeout=15.0)``: poll ``eval`` until ``.strip() == expected``
    (for values synced from a click); ``screenshot(name, locator=None) -> Path`` (PNG in
    test-artifacts/screenshots/, listed at the end of the pytest run; a failing test also
    gets a "failed" screenshot of each of its pages);
    ``console_errors``, ``page_errors``, ``dialogs`` (every ``alert()``/``confirm()`` is
    recorded and dismissed); ``assert_no_errors(ignore=[regex, ...])``;
    ``cell_errors()``; ``timings`` (seconds: open, kernel_ready, run_all).

Example::

    import pytest

    @pytest.mark.parametrize("ui", ["lab", "notebook"])
    def test_counter(notebook, ui):
        nb = notebook(["from mywidget import Counter", "w = Counter()\\nw"], ui=ui)
        button = nb.output(1).get_by_test_id("counter-button")   # data-testid in your JS
        button.click()
        nb.eval_until("w.count", "1")
        nb.screenshot(f"counter-{ui}", nb.output(1))
        nb.assert_no_errors()
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from ._harness import NotebookSession, write_notebook
from ._server import JupyterServer

_HERE = Path(__file__).resolve().parent
_SCREENSHOTS: list[Path] = []


def _artifacts(config: pytest.Config) -> Path:
    return Path(config.rootpath) / "test-artifacts"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests under tests/browser/ as ``browser`` and run them after all the others."""
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so fixtures can tell that the test failed."""
    report = yield
    setattr(item, f"_hfw_report_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List the screenshots taken, so a person can look at them."""
    if _SCREENSHOTS:
        terminalreporter.section("screenshots")
        for path in _SCREENSHOTS:
            terminalreporter.write_line(str(path))


@pytest.fixture(scope="session")
def jupyter_server(request: pytest.FixtureRequest) -> Iterator[JupyterServer]:
    """A ``jupyter lab`` server for the whole session (see the module docstring)."""
    artifacts = _artifacts(request.config)
    artifacts.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hfw-jupyter-") as tmp:
        server = JupyterServer.start(Path(tmp), log_path=artifacts / "jupyter-server.log")
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def browser(chromium_session: Any) -> Any:
    """Headless Debian Chromium driven by Playwright (sync API), shared with tests/marimo."""
    return chromium_session


NotebookFactory = Callable[..., NotebookSession]


@pytest.fixture()
def notebook(
    request: pytest.FixtureRequest, jupyter_server: JupyterServer, browser: Any
) -> Iterator[NotebookFactory]:
    """Factory: ``notebook(cells, *, ui="lab", name=None, run=True) -> NotebookSession``."""
    sessions: list[NotebookSession] = []
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    screenshot_dir = _artifacts(request.config) / "screenshots"

    def make(
        cells: Sequence[str | dict[str, Any]],
        *,
        ui: str = "lab",
        name: str | None = None,
        run: bool = True,
    ) -> NotebookSession:
        name = name or f"{test_name}-{len(sessions)}.ipynb"
        write_notebook(jupyter_server.root_dir, name, cells)
        session = NotebookSession(
            jupyter_server,
            browser,
            name,
            ui=ui,
            screenshot_dir=screenshot_dir,
            screenshot_prefix=f"{test_name}-{len(sessions)}",
            on_screenshot=_SCREENSHOTS.append,
        )
        sessions.append(session)
        session.open()
        if run:
            session.run_all()
        return session

    yield make
    report = getattr(request.node, "_hfw_report_call", None)
    for session in sessions:
        if report is not None and report.failed:
            with contextlib.suppress(Exception):  # a picture of the page as the test failed
                session.screenshot("failed")
        session.close()
