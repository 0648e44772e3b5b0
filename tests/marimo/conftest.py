"""marimo browser tests: ``marimo run notebooks/quickstart_marimo.py`` in headless Chromium.

Fixtures
--------
``stand_ins`` (module) -> ``(FakeHub, FakeOllama)``
    Started in the test process, so a test can set ``reply`` / ``token_rate`` / ``pull_speed``
    on the FakeOllama the app talks to.
``marimo_server`` (module) -> ``MarimoServer``
    ``marimo run`` from this venv on 127.0.0.1:<free port>, no token, with ``OLLAMA_HOST`` /
    ``HF_ENDPOINT`` pointing at the stand-ins; stopped (process group) at the end of the module.
    Its output goes to test-artifacts/marimo-server.log.
``chromium`` (module) -> ``playwright.sync_api.Browser``
``app_page`` (function) -> ``AppPage``: a fresh page (one marimo session) on the app, with the
    page's console errors, uncaught errors and dialogs recorded, and ``screenshot(name, locator)``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "notebooks" / "quickstart_marimo.py"
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
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MarimoServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@dataclass
class AppPage:
    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    prefix: str = "marimo"

    def screenshot(self, name: str, locator: Any = None, *, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.prefix}-{name}.png"
        if locator is None:
            self.page.screenshot(path=str(path), full_page=full_page)
        else:
            locator.screenshot(path=str(path))
        return path

    def assert_no_errors(self) -> None:
        assert self.page_errors == [], self.page_errors
        assert self.dialogs == [], self.dialogs


@pytest.fixture(scope="module")
def stand_ins() -> Iterator[tuple[Any, Any]]:
    from hfollama_widgets.testing import FakeHub, FakeOllama

    with FakeHub() as hub, FakeOllama(hub=hub) as ollama:
        yield hub, ollama


@pytest.fixture(scope="module")
def marimo_server(stand_ins: tuple[Any, Any]) -> Iterator[MarimoServer]:
    hub, ollama = stand_ins
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / "marimo-server.log"
    port = _free_port()
    env = {
        **os.environ,
        "OLLAMA_HOST": str(ollama.url),
        "HF_ENDPOINT": str(hub.url),
        "HFOLLAMA_STAND_INS": "1",
        "MARIMO_SKIP_UPDATE_CHECK": "1",
    }
    env.pop("ANYWIDGET_HMR", None)
    marimo = Path(sys.executable).with_name("marimo")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *(str(marimo), "run", str(APP), "--headless", "--no-token"),
                *("--host", "127.0.0.1", "--port", str(port), "--no-sandbox"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = MarimoServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"marimo run exited ({process.returncode}); see {log_path}")
            try:
                with urllib.request.urlopen(server.url + "/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"marimo run did not answer in 60 s; see {log_path}")
            time.sleep(0.2)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium(chromium_session: Any) -> Any:
    """The session's Chromium (tests/conftest.py), shared with the JupyterLab tests."""
    return chromium_session


@pytest.fixture()
def app_page(
    request: pytest.FixtureRequest, marimo_server: MarimoServer, chromium: Any
) -> Iterator[AppPage]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    app = AppPage(page, prefix=f"marimo-{name}")

    def on_console(message: Any) -> None:
        if message.type == "error":
            app.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda e: app.page_errors.append(str(e)))

    def on_dialog(dialog: Any) -> None:
        app.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(marimo_server.url, wait_until="domcontentloaded")
    try:
        yield app
    finally:
        report = getattr(request.node, "_marimo_report_call", None)
        if report is not None and report.failed:
            with contextlib.suppress(Exception):
                app.screenshot("failed")
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"_marimo_report_{report.when}", report)
    return report
