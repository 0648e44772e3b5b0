"""How long one FakeHub request takes on loopback, with a keep-alive connection.

Sends ``--n`` sequential requests over one ``httpx.Client`` (so the connection is reused, as
huggingface_hub's shared client does) for each route kind: model info, a tree listing, a
64 KiB Range read and a ``/v2`` manifest, and the same model_info calls through
``huggingface_hub.HfApi``. Prints the mean, median and p95 per request. A FakeHub that writes
headers and body in separate small packets without ``TCP_NODELAY`` stalls ~40 ms per request
on delayed ACKs; a healthy one answers in about a millisecond.

    /work/venv/bin/python bench/fake_hub_latency.py
    /work/venv/bin/python bench/fake_hub_latency.py --n 300
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import httpx
from huggingface_hub import HfApi

from hfollama_widgets.testing import FakeHub

REPO = "bartowski/Llama-3.2-1B-Instruct-GGUF"
FILE = "Llama-3.2-1B-Instruct-Q4_K_M.gguf"


def timed(n: int, call: Callable[[], object]) -> list[float]:
    """Milliseconds of ``n`` sequential calls (after one warm-up call)."""
    call()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def report(name: str, ms: list[float]) -> None:
    p95 = sorted(ms)[max(0, int(len(ms) * 0.95) - 1)]
    print(
        f"{name:<28} n={len(ms):<4} mean {statistics.mean(ms):7.2f} ms   "
        f"median {statistics.median(ms):7.2f} ms   p95 {p95:7.2f} ms   "
        f"total {sum(ms) / 1000:6.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="requests per route (default 100)")
    args = parser.parse_args()
    with FakeHub() as hub, httpx.Client(base_url=hub.url, timeout=30) as http:

        def get(path: str, **kw: object) -> Callable[[], object]:
            def call() -> object:
                r = http.get(path, **kw)  # type: ignore[arg-type]
                r.raise_for_status()
                return r.content

            return call

        report("httpx GET model_info", timed(args.n, get(f"/api/models/{REPO}")))
        report(
            "httpx GET tree (recursive)",
            timed(args.n, get(f"/api/models/{REPO}/tree/main", params={"recursive": "true"})),
        )
        report(
            "httpx GET 64 KiB range",
            timed(
                args.n,
                get(f"/{REPO}/resolve/main/{FILE}", headers={"Range": "bytes=0-65535"}),
            ),
        )
        report("httpx GET /v2 manifest", timed(args.n, get(f"/v2/{REPO}/manifests/latest")))
        api = HfApi(endpoint=hub.url, token=False)
        report("HfApi.model_info", timed(args.n, lambda: api.model_info(REPO)))


if __name__ == "__main__":
    main()
