"""Many repos, the persistent cache, header reads and listing cache hits, against FakeHub.

Prints (issue 13) the time and TCP connections of 10 header reads through one ``Hub`` and the
time of a listing cache hit, and (issue 12, only where ``Hub.list_gguf_files_many`` exists)
the 16 catalogue repos at ``--latency`` (50 ms) per request: the batch vs its floor vs a
sequential ``list_gguf_files`` loop; a second run in a new process with the same cache (tree
and small requests counted on the server); 200 generated repos in chunks (rate per chunk and
peak traced memory, to see a steady rate and bounded memory).

Run it on two trees to compare (the connection count is taken on the server side here, so it
works on both):

    PYTHONPATH=/work/main /work/main/.venv/bin/python bench/many_repos.py   # before
    PYTHONPATH=$PWD /work/main/.venv/bin/python bench/many_repos.py         # after
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from typing import Any

from hfollama_widgets.errors import HFOllamaError
from hfollama_widgets.hub import Hub, clear_gguf_cache
from hfollama_widgets.testing import FakeHub
from hfollama_widgets.testing import fake_hub as fake_hub_module
from hfollama_widgets.testing.catalogue import load_catalogue

REPO = "bartowski/Llama-3.2-1B-Instruct-GGUF"
_connections = [0]
_setup = fake_hub_module._Handler.setup


def _counting_setup(self: Any) -> None:  # one call per accepted TCP connection
    _connections[0] += 1
    _setup(self)


fake_hub_module._Handler.setup = _counting_setup  # type: ignore[method-assign]


def new_hub(url: str, **kw: Any) -> Hub:
    try:
        return Hub(url, token=False, **kw)
    except TypeError:  # a tree without cache_dir
        return Hub(url, token=False)


def header_reads(n: int) -> None:
    with FakeHub() as fake:
        hub = new_hub(fake.url, cache_dir=False)
        files = hub.list_gguf_files(REPO)["filename"].tolist()
        names = (files * n)[:n]
        clear_gguf_cache()
        before = _connections[0]
        t0 = time.perf_counter()
        for name in names:
            hub.gguf_metadata(REPO, name, refresh=True)
        ms = (time.perf_counter() - t0) * 1000
        conns = _connections[0] - before
    print(f"header reads: {n} reads of one Hub in {ms:.1f} ms ({ms / n:.2f} ms each), "
          f"{conns} TCP connections")  # fmt: skip


def cache_hit(n: int) -> None:
    with FakeHub() as fake:
        hub = new_hub(fake.url)
        hub.list_gguf_files(REPO)
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            hub.list_gguf_files(REPO)
            times.append((time.perf_counter() - t0) * 1e6)
    print(f"listing cache hit: median {statistics.median(times):.0f} µs, "
          f"p95 {sorted(times)[int(n * 0.95) - 1]:.0f} µs (n={n})")  # fmt: skip


def _count(fake: FakeHub) -> dict[str, int]:
    out = {"tree": 0, "revision": 0, "other": 0}
    for r in fake.requests:
        kind = (
            "tree"
            if "/tree/" in r["path"]
            else "revision"
            if "/revision/" in r["path"]
            else "other"
        )
        out[kind] += 1
    return out


_CHILD = """
import json, sys, time
from hfollama_widgets.hub import Hub
hub = Hub(sys.argv[1], token=False, revision_ttl=float(sys.argv[2]))
t0 = time.perf_counter()
df = hub.list_gguf_files_many(json.loads(sys.argv[3]), progress=False)
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000, "rows": len(df)}))
"""


def sixteen(latency: float, concurrency: int) -> None:
    repos = list(load_catalogue())
    cache = tempfile.mkdtemp(prefix="hfw-bench-cache-")
    with FakeHub(latency=latency) as fake:
        t0 = time.perf_counter()
        for repo in repos:
            with contextlib.suppress(HFOllamaError):  # private / no-GGUF repos fail
                new_hub(fake.url, cache_dir=False).list_gguf_files(repo)
        sequential = time.perf_counter() - t0
        fake.clear_requests()
        hub = Hub(fake.url, token=False, cache_dir=cache)
        t0 = time.perf_counter()
        df = hub.list_gguf_files_many(repos, concurrency=concurrency, progress=False)
        many = time.perf_counter() - t0
        counts = _count(fake)
        floor = latency * math.ceil(counts["tree"] / concurrency)
        print(f"16 repos at {latency * 1000:.0f} ms/request, concurrency {concurrency}: "
              f"many {many * 1000:.0f} ms, floor {floor * 1000:.0f} ms "
              f"(tree requests {counts['tree']} / concurrency, sha requests alongside), "
              f"sequential loop {sequential * 1000:.0f} ms -> "
              f"{many / max(floor, 1e-9):.2f}x floor, "
              f"{sequential / many:.1f}x faster than sequential; requests {counts}, "
              f"rows {len(df)}, error rows {int(df['error'].notna().sum())}")  # fmt: skip
        for ttl in (300.0, 0.0):
            fake.clear_requests()
            env = {**os.environ, "HFOLLAMA_CACHE_DIR": cache}
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, fake.url, str(ttl), json.dumps(repos)],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            child = json.loads(out.stdout)
            print(f"new process, warm cache, revision_ttl={ttl:g}: {child['ms']:.0f} ms, "
                  f"requests {_count(fake)} for {len(repos)} repos")  # fmt: skip


def two_hundred(latency: float, concurrency: int, chunk: int = 50) -> None:
    from hfollama_widgets.testing.catalogue import synthetic_catalogue

    with FakeHub(synthetic_catalogue(200, include_bundled=False), latency=latency) as fake:
        hub = Hub(fake.url, token=False, cache_dir=tempfile.mkdtemp(prefix="hfw-bench-200-"))
        ids = hub.search_models(limit=200)["id"].tolist()
        tracemalloc.start()
        t_all = time.perf_counter()
        for i in range(0, len(ids), chunk):
            tracemalloc.reset_peak()
            t0 = time.perf_counter()
            df = hub.list_gguf_files_many(
                ids[i : i + chunk], concurrency=concurrency, progress=False
            )
            took = time.perf_counter() - t0
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            print(f"200 repos, chunk {i // chunk + 1}: {chunk / took:.0f} repos/s, "
                  f"peak traced {peak:.1f} MiB, rows {len(df)}")  # fmt: skip
        total = time.perf_counter() - t_all
        tracemalloc.reset_peak()
        hub2 = Hub(fake.url, token=False, cache_dir=False)
        t0 = time.perf_counter()
        whole = hub2.list_gguf_files_many(ids, concurrency=concurrency, progress=False)
        one = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"200 repos: chunks {total:.2f} s ({len(ids) / total:.0f} repos/s); one call "
              f"{one:.2f} s ({len(ids) / one:.0f} repos/s), peak traced {peak:.1f} MiB, "
              f"rows {len(whole)}, requests {len(fake.requests)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    header_reads(10)
    cache_hit(1000)
    if not hasattr(Hub, "list_gguf_files_many"):
        print("(no Hub.list_gguf_files_many in this tree: batch figures skipped)")
        return
    sixteen(args.latency, args.concurrency)
    two_hundred(args.latency, args.concurrency)


if __name__ == "__main__":
    main()
