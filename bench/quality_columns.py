"""Listing time and Hub requests with and without the quality columns' model-info request.

    python bench/quality_columns.py [repeats]

Against a local FakeHub (real HTTP). Prints ms per listing, requests per listing, and the ratio.
"""

from __future__ import annotations

import sys
import time

from hfollama_widgets.hub import Hub
from hfollama_widgets.testing import FakeHub

REPO = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"


def run(fake: FakeHub, *, parameter_count: bool, repeats: int) -> tuple[float, float]:
    before = len(fake.requests)
    start = time.perf_counter()
    for _ in range(repeats):
        Hub(endpoint=fake.url, token=False).list_gguf_files(REPO, parameter_count=parameter_count)
    elapsed = (time.perf_counter() - start) / repeats
    return elapsed * 1000, (len(fake.requests) - before) / repeats


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with FakeHub() as fake:
        run(fake, parameter_count=True, repeats=2)  # warm up
        off_ms, off_req = run(fake, parameter_count=False, repeats=repeats)
        on_ms, on_req = run(fake, parameter_count=True, repeats=repeats)
    print(
        f"without effective_bpw: {off_ms:7.1f} ms/listing, {off_req:.1f} requests (fresh Hub each)"
    )
    print(f"with effective_bpw:    {on_ms:7.1f} ms/listing, {on_req:.1f} requests (fresh Hub each)")
    print(f"ratio time {on_ms / off_ms:.2f}x, extra requests per repo {on_req - off_req:.1f}")


if __name__ == "__main__":
    main()
