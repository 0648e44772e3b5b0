"""Listing time and Hub requests with and without the quality columns' parameter count.

    python bench/quality_columns.py [repeats]

Against a local FakeHub (real HTTP), a fresh ``Hub`` per listing, three ways: no persistent
cache (the count costs a model-info request, shared with the GGUFBrowser's header), a cold
persistent cache (the count comes with the sha request the cache makes anyway), and a warm one
(nothing asked). Prints ms and requests per listing, and the difference the column makes.
Header reads: none (the ``resolve`` requests are counted and printed).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hfollama_widgets.hub import Hub
from hfollama_widgets.testing import FakeHub

REPO = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"


def run(fake: FakeHub, *, parameter_count: bool, repeats: int, cache: Any) -> tuple[float, float]:
    """(ms, requests) per listing; ``cache``: False, or a callable giving a cache dir per run."""
    before = len(fake.requests)
    start = time.perf_counter()
    for i in range(repeats):
        folder = cache(i) if callable(cache) else cache
        hub = Hub(endpoint=fake.url, token=False, cache_dir=folder)
        hub.list_gguf_files(REPO, parameter_count=parameter_count)
    elapsed = (time.perf_counter() - start) / repeats
    return elapsed * 1000, (len(fake.requests) - before) / repeats


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    root = Path(tempfile.mkdtemp(prefix="hfw-bench-quality-"))
    warm = root / "warm"
    ways: dict[str, Any] = {
        "no persistent cache": False,
        "cold persistent cache": lambda i: root / f"cold-{i}-{time.monotonic_ns()}",
        "warm persistent cache": warm,
    }
    with FakeHub() as fake:
        Hub(endpoint=fake.url, token=False, cache_dir=warm).list_gguf_files(REPO)  # warm it
        Hub(endpoint=fake.url, token=False, cache_dir=warm).list_gguf_files(
            REPO, parameter_count=False
        )
        for name, cache in ways.items():
            off_ms, off_req = run(fake, parameter_count=False, repeats=repeats, cache=cache)
            on_ms, on_req = run(fake, parameter_count=True, repeats=repeats, cache=cache)
            print(
                f"{name:22}  without: {off_ms:6.1f} ms {off_req:.1f} req   "
                f"with effective_bpw: {on_ms:6.1f} ms {on_req:.1f} req   "
                f"-> {on_ms / off_ms:.2f}x time, {on_req - off_req:+.1f} requests per repo"
            )
        reads = [r for r in fake.requests if "/resolve/" in r["path"]]
        print(f"header reads: {len(reads)}")


if __name__ == "__main__":
    main()
