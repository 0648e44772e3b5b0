"""Shared fixtures: the local stand-ins, real HTTP servers on 127.0.0.1.

Area-specific fixtures live in the test modules (or a sub-folder conftest) that use them.
"""

from __future__ import annotations

from collections.abc import Iterator

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
