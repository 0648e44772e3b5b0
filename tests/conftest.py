"""Shared fixtures: the local stand-ins, real HTTP servers on 127.0.0.1.

Area-specific fixtures live in the test modules (or a sub-folder conftest) that use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def fake_hub() -> Iterator[object]:
    """A FakeHub serving the bundled catalogue for the whole session (read-only use)."""
    from hfollama_widgets.testing import FakeHub

    with FakeHub() as hub:
        yield hub


@pytest.fixture()
def fake_ollama(fake_hub: object) -> Iterator[object]:
    """A fresh FakeOllama per test, pulling hf.co references from the session FakeHub."""
    from hfollama_widgets.testing import FakeOllama

    with FakeOllama(hub=fake_hub) as server:
        yield server


#: Debian's Chromium (Playwright's own download does not work here) and its flags.
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


@pytest.fixture(scope="session")
def chromium_session() -> Iterator[Any]:
    """One headless Chromium for every browser test (JupyterLab, Notebook 7, marimo): Playwright's
    sync API allows one running instance per thread, so the suites share it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: install it with `make setup` (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
