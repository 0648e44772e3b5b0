"""Drive one notebook in JupyterLab or Notebook 7 and talk to its kernel from the test.

``NotebookSession`` owns one browser context + page showing one notebook, and (lazily) a
``jupyter_client`` connection to the SAME kernel the page uses, so a test can click in the
page and then assert Python-side state with :meth:`NotebookSession.eval`. The fixtures in
``conftest.py`` build these; see its docstring for the API and an example.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.blocking.client import BlockingKernelClient
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Error,
    Locator,
    Page,
)

from ._server import JupyterServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
#: first kernel start on a busy 2-core machine can be slow
KERNEL_TIMEOUT_MS = 90_000
RUN_ALL_TIMEOUT_MS = 120_000

#: Errors that Jupyter's own front end throws, not a widget: (message regex, top-frame regex).
#: Notebook 7.6 throws the first on most page loads (its keyboard-shortcuts settings handler
#: reads a plugin that is not loaded yet). Matching the top stack frame too means the same
#: message thrown by widget code still fails a test. Ignored errors go to ``ignored_errors``.
KNOWN_UPSTREAM_PAGE_ERRORS: list[tuple[str, str]] = [
    (
        r"^Cannot read properties of undefined \(reading 'schema'\)$",
        r"/static/notebook/notebook_core\.",
    ),
]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# Page-side helpers, installed before JupyterLab's own scripts run (needs expose_app_in_browser).
_INIT_SCRIPT = """
window.__hfw = {
  panel(path) {
    const app = window.jupyterapp;
    if (!app || !app.shell) return null;
    const found = [];
    const cur = app.shell.currentWidget;
    if (cur) found.push(cur);
    try { for (const w of app.shell.widgets('main')) found.push(w); } catch (e) {}
    return found.find((w) => w && w.context && w.context.path === path && w.content
                       && w.sessionContext) || null;
  },
  kernelIdle(path) {
    const p = this.panel(path);
    if (!p || !p.context.isReady || !p.sessionContext.isReady) return false;
    const k = p.sessionContext.session && p.sessionContext.session.kernel;
    return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
  },
  cellErrors(path) {
    const p = this.panel(path);
    const errors = [];
    const cells = p.content.model.cells;
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      if (cell.type !== 'code') continue;
      for (let j = 0; j < cell.outputs.length; j++) {
        const out = cell.outputs.get(j).toJSON();
        if (out.output_type === 'error') {
          errors.push({cell: i, ename: out.ename, evalue: out.evalue,
                       traceback: (out.traceback || []).join('\\n')});
        }
      }
    }
    return errors;
  },
};
"""


def _first_frames(stack: str, count: int = 3) -> str:
    """The first ``count`` "at ..." lines of a JS stack, for short failure messages."""
    frames = [line.strip() for line in stack.splitlines() if line.strip().startswith("at ")]
    return "\n    ".join(frames[:count])


class KernelEvalError(AssertionError):
    """Code run through :meth:`NotebookSession.eval` raised in the kernel."""


class CellError(AssertionError):
    """A notebook cell raised while running all cells."""


def write_notebook(root_dir: Path, name: str, cells: Sequence[str | dict[str, Any]]) -> Path:
    """Write an nbformat v4 notebook with a ``python3`` kernelspec; return its path.

    A ``str`` cell is a code cell; a dict like ``{"cell_type": "markdown", "source": "# T"}``
    gives any other cell.

    Example::

        write_notebook(Path("/tmp"), "t.ipynb", ["print(1)"]).name   # -> 't.ipynb'
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for cell in cells:
        if isinstance(cell, str):
            nb.cells.append(nbformat.v4.new_code_cell(cell))
        elif cell.get("cell_type") == "markdown":
            nb.cells.append(nbformat.v4.new_markdown_cell(cell.get("source", "")))
        elif cell.get("cell_type") == "raw":
            nb.cells.append(nbformat.v4.new_raw_cell(cell.get("source", "")))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(cell.get("source", "")))
    path = root_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


class NotebookSession:
    """One notebook open in a fresh page, plus a client on its kernel.

    Public attributes: ``page`` (Playwright Page), ``ui`` ("lab" or "notebook"), ``path``
    (notebook path relative to the server root), ``server``, ``console_errors``,
    ``page_errors``, ``dialogs`` (lists of str, recorded for the whole life of the page),
    ``timings`` (seconds: "open", "kernel_ready", "run_all").
    """

    def __init__(
        self,
        server: JupyterServer,
        browser: Browser,
        path: str,
        *,
        ui: str = "lab",
        screenshot_dir: Path,
        screenshot_prefix: str,
        on_screenshot: Callable[[Path], None] | None = None,
    ) -> None:
        if ui not in ("lab", "notebook"):
            raise ValueError(f"unknown ui {ui!r}: use 'lab' or 'notebook'")
        self.server = server
        self.path = path
        self.ui = ui
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.page_error_stacks: list[str] = []
        self.ignored_errors: list[str] = []
        self.dialogs: list[str] = []
        self.timings: dict[str, float] = {}
        self._screenshot_dir = screenshot_dir
        self._screenshot_prefix = screenshot_prefix
        self._on_screenshot = on_screenshot
        self._kc: BlockingKernelClient | None = None
        self._context: BrowserContext = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
        self._context.add_init_script(_INIT_SCRIPT)
        self.page: Page = self._context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_page_error)
        self.page.on("dialog", self._on_dialog)

    # -- event recording -------------------------------------------------------------
    def _on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            location = msg.location.get("url", "") if msg.location else ""
            self.console_errors.append(f"{msg.text} ({location})" if location else msg.text)

    def _on_page_error(self, exc: Error) -> None:
        message, stack = str(exc), exc.stack or ""
        frames = [line for line in stack.splitlines() if line.strip().startswith("at ")]
        top = frames[0] if frames else ""
        for message_re, frame_re in KNOWN_UPSTREAM_PAGE_ERRORS:
            if re.search(message_re, message) and re.search(frame_re, top):
                self.ignored_errors.append(message)
                return
        self.page_errors.append(message)
        self.page_error_stacks.append(stack)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        with contextlib.suppress(Exception):
            dialog.dismiss()

    # -- page ------------------------------------------------------------------------
    def open(self) -> NotebookSession:
        """Load the notebook page and wait until its kernel is connected and idle."""
        start = time.monotonic()
        workspace = re.sub(r"[^A-Za-z0-9]+", "-", self.path)
        if self.ui == "notebook":
            self.server.forget_lab_tree_path()
        try:
            self.page.goto(self.server.page_url(self.path, ui=self.ui, workspace=workspace))
            self.page.wait_for_function(
                "(path) => !!(window.__hfw && window.__hfw.panel(path))",
                arg=self.path,
                timeout=KERNEL_TIMEOUT_MS,
            )
            self.timings["open"] = time.monotonic() - start
            self.wait_for_kernel_idle()
        except Exception as exc:
            raise RuntimeError(
                f"could not open {self.path} in {self.ui} with an idle kernel: {exc}\n"
                f"page errors: {self.page_errors}\nconsole errors: {self.console_errors}\n"
                f"server log tail:\n{self.server.log_tail()}"
            ) from exc
        self.timings["kernel_ready"] = time.monotonic() - start
        return self

    def wait_for_kernel_idle(self, timeout_ms: int = KERNEL_TIMEOUT_MS) -> None:
        """Wait until the page's kernel is connected and idle."""
        self.page.wait_for_function(
            "(path) => window.__hfw.kernelIdle(path)", arg=self.path, timeout=timeout_ms
        )

    def run_all(self, *, timeout_ms: int = RUN_ALL_TIMEOUT_MS, raise_on_error: bool = True) -> None:
        """Run all cells through the UI's own command and wait until every cell finished.

        Raises :class:`CellError` (with the tracebacks) when a cell raised, unless
        ``raise_on_error=False``.
        """
        start = time.monotonic()
        self.page.evaluate(
            """async ({path, timeout}) => {
                 const app = window.jupyterapp;
                 const panel = window.__hfw.panel(path);
                 app.shell.activateById(panel.id);
                 const run = app.commands.execute('notebook:run-all-cells');
                 const limit = new Promise((_, reject) =>
                   setTimeout(() => reject(new Error('run-all-cells timed out')), timeout));
                 await Promise.race([run, limit]);
               }""",
            {"path": self.path, "timeout": timeout_ms},
        )
        self.wait_for_kernel_idle(timeout_ms)
        self.timings["run_all"] = time.monotonic() - start
        if raise_on_error:
            errors = self.cell_errors()
            if errors:
                details = "\n\n".join(
                    f"cell {e['cell']}: {e['ename']}: {e['evalue']}\n"
                    + _ANSI.sub("", e["traceback"])
                    for e in errors
                )
                raise CellError(f"{len(errors)} cell(s) raised in {self.path}:\n{details}")

    def cell_errors(self) -> list[dict[str, Any]]:
        """Error outputs now in the notebook: dicts with cell, ename, evalue, traceback."""
        result: list[dict[str, Any]] = self.page.evaluate(
            "(path) => window.__hfw.cellErrors(path)", self.path
        )
        return result

    def cell(self, index: int) -> Locator:
        """The ``index``-th cell of the notebook (all cell types count)."""
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def output(self, index: int) -> Locator:
        """The output area of the ``index``-th cell."""
        return self.cell(index).locator(".jp-OutputArea").first

    def screenshot(self, name: str, locator: Locator | None = None) -> Path:
        """Save a PNG of the page (or of ``locator``) under test-artifacts/screenshots/."""
        self._screenshot_dir.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
        path = self._screenshot_dir / f"{self._screenshot_prefix}--{safe}.png"
        if locator is None:
            self.page.screenshot(path=str(path))
        else:
            locator.scroll_into_view_if_needed()
            locator.screenshot(path=str(path))
        if self._on_screenshot is not None:
            self._on_screenshot(path)
        return path

    def assert_no_errors(self, ignore: Sequence[str] = ()) -> None:
        """Fail if the page logged console errors, threw, or opened a dialog (alert etc.).

        ``ignore`` holds regular expressions for console errors a test expects.
        """
        console = [e for e in self.console_errors if not any(re.search(p, e) for p in ignore)]
        problems = (
            [f"console error: {e}" for e in console]
            + [
                f"page error: {e}\n    {_first_frames(st)}"
                for e, st in zip(self.page_errors, self.page_error_stacks, strict=True)
            ]
            + [f"dialog: {d}" for d in self.dialogs]
        )
        assert not problems, "the page reported problems:\n" + "\n".join(problems)

    # -- kernel ----------------------------------------------------------------------
    def _client(self) -> BlockingKernelClient:
        if self._kc is None:
            kernel_id = self.server.kernel_id_for(self.path)
            if kernel_id is None:
                raise RuntimeError(f"no kernel session for {self.path}: open the page first")
            kc = BlockingKernelClient(connection_file=str(self.server.connection_file(kernel_id)))
            kc.load_connection_file()
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            self._kc = kc
        return self._kc

    def eval(self, code: str, *, timeout: float = 30.0) -> str:
        """Run ``code`` in the notebook's kernel; return its stdout (+ the last expression's repr).

        Like a notebook cell: a last expression is shown by its repr, except ``None``, which
        shows nothing (``eval("x")`` gives ``''`` when x is None; use ``print(x)`` or
        ``repr(x)`` to see it). Raises :class:`KernelEvalError` with the traceback if the
        code raised.

        Example::

            session.eval("print(w.count)")    # -> '1\\n'
            session.eval("w.count")           # -> '1'
        """
        kc = self._client()
        msg_id = kc.execute(code, silent=False, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        out: list[str] = []
        error: dict[str, Any] | None = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"kernel did not finish {code!r} within {timeout} s")
            try:
                msg = kc.get_iopub_msg(timeout=remaining)
            except Exception:  # queue.Empty
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content.get("name") == "stdout":
                out.append(content["text"])
            elif kind == "execute_result":
                out.append(str(content.get("data", {}).get("text/plain", "")))
            elif kind == "error":
                error = content
            elif kind == "status" and content.get("execution_state") == "idle":
                break
        if error is not None:
            tb = _ANSI.sub("", "\n".join(error.get("traceback", [])))
            raise KernelEvalError(f"{error.get('ename')}: {error.get('evalue')}\n{tb}")
        return "".join(out)

    def eval_until(self, code: str, expected: str, *, timeout: float = 15.0) -> str:
        """Re-run ``code`` until its :meth:`eval` result, stripped, equals ``expected``.

        Returns the last result; raises AssertionError with it on timeout. Use it for values
        that reach Python asynchronously (a click in the page syncs a trait a moment later).
        """
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(code).strip()
            if value == expected or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert value == expected, f"{code!r} gave {value!r}, expected {expected!r}"
        return value

    # -- teardown --------------------------------------------------------------------
    def close(self) -> None:
        """Stop the kernel client, shut the notebook's kernel down and close the page."""
        if self._kc is not None:
            with contextlib.suppress(Exception):
                self._kc.stop_channels()
            self._kc = None
        self.server.shutdown_sessions(self.path)
        with contextlib.suppress(Exception):
            self._context.close()
