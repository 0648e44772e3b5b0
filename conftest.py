"""Root pytest configuration (tests and the package's doctests alike).

Every test, doctest included, gets its own empty persistent Hub cache
(``HFOLLAMA_CACHE_DIR``), so no test reads or writes the user's real cache
(``~/.cache/huggingface/hfollama-widgets``) and no test sees another's listings.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolated_hub_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("HFOLLAMA_CACHE_DIR", str(tmp_path_factory.mktemp("hub-cache")))
    yield
