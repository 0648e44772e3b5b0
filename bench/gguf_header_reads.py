"""What reading a GGUF header over HTTP Range costs, per architecture of the FakeHub catalogue.

For one model file of every GGUF repo (the Q4_K_M one when there is one, else the first), reads
the header with ``gguf_metadata`` against a FakeHub on loopback and prints: range requests,
bytes read, header size, over-read, file size, and the time taken (server warm, cache cleared;
median of ``--repeat`` runs). ``--latency`` adds a per-request delay on the server, to see what a
real round trip costs. Also prints the parse time alone (bytes already in memory).

    /work/venv/bin/python bench/gguf_header_reads.py
    /work/venv/bin/python bench/gguf_header_reads.py --latency 0.1 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from hfollama_widgets.errors import HFOllamaError
from hfollama_widgets.gguf import estimate_memory
from hfollama_widgets.gguf.header import HeaderParser
from hfollama_widgets.hub import Hub, clear_gguf_cache, gguf_metadata
from hfollama_widgets.testing import FakeHub
from hfollama_widgets.testing.fake_hub import DEFAULT_TOKEN


def pick_file(hub: Hub, repo_id: str) -> str | None:
    try:
        df = hub.list_gguf_files(repo_id)
    except HFOllamaError:
        return None
    # byte splits (.gguf.partXofY, .gguf-split-a) have no readable header of their own
    models = df[(df["kind"] == "model") & df["filename"].str.endswith(".gguf")]
    if models.empty:
        return None
    q4 = models[models["quantization"] == "Q4_K_M"]
    return str((q4 if len(q4) else models).iloc[0]["filename"])


def parse_ms(raw: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        HeaderParser().feed(raw)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.0, help="seconds per request (server)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    rows: list[dict[str, Any]] = []
    with FakeHub() as server:
        # The stand-in's test token reads the gated and private repos too.
        hub = Hub(endpoint=server.url, token=DEFAULT_TOKEN)
        for repo_id in sorted(server.catalogue):
            filename = pick_file(hub, repo_id)
            if filename is None:
                continue
            gguf_metadata(repo_id, filename, hub=hub)  # warm the server's header synthesis
            server.latency = args.latency
            times = []
            for _ in range(args.repeat):
                clear_gguf_cache()
                start = time.perf_counter()
                meta = gguf_metadata(repo_id, filename, hub=hub)
                times.append((time.perf_counter() - start) * 1000)
            server.latency = 0.0
            head = server.catalogue.get(repo_id)
            raw = _first_bytes(hub, repo_id, filename, meta.header_bytes)
            est = estimate_memory(meta, context_length=4096)
            rows.append(
                {
                    "repo": repo_id.split("/", 1)[1][:34],
                    "arch": meta.architecture,
                    "shards": meta.split_count,
                    "vocab": meta.vocab_size,
                    "tensors": meta.tensor_count,
                    "header": meta.header_bytes,
                    "read": meta.bytes_read,
                    "over": meta.bytes_read / meta.header_bytes - 1,
                    "reqs": meta.requests,
                    "file_gb": (meta.file_size or 0) / 1e9,
                    "ms": statistics.median(times),
                    "parse_ms": parse_ms(raw, args.repeat),
                    "kv_tok": est.get("kv_bytes_per_token"),
                    "params_ok": abs(meta.parameter_count / (head.gguf or {}).get("total", 1) - 1)
                    < 0.01,
                }
            )

    print(
        f"FakeHub on loopback, latency {args.latency * 1000:.0f} ms/request, "
        f"median of {args.repeat}; header read after a cache clear\n"
    )
    cols = (
        f"{'repo':34} {'arch':10} {'sh':>3} {'vocab':>7} {'tensors':>7} {'header':>10} "
        f"{'read':>10} {'over':>6} {'reqs':>4} {'file GB':>8} {'ms':>7} {'parse ms':>8} "
        f"{'KV B/tok':>9} params"
    )
    print(cols)
    print("-" * len(cols))
    for r in rows:
        kv = f"{r['kv_tok']:.0f}" if r["kv_tok"] is not None else "n/a"
        print(
            f"{r['repo']:34} {r['arch']:10} {r['shards']:>3} {r['vocab'] or 0:>7} "
            f"{r['tensors']:>7} {r['header']:>10,} {r['read']:>10,} {r['over']:>6.1%} "
            f"{r['reqs']:>4} {r['file_gb']:>8.2f} {r['ms']:>7.1f} {r['parse_ms']:>8.1f} "
            f"{kv:>9} {'=total' if r['params_ok'] else 'DIFF'}"
        )
    reqs = [r["reqs"] for r in rows if r["shards"] == 1]
    over = [r["over"] for r in rows]
    print(
        f"\nsingle-file headers: {min(reqs)}-{max(reqs)} requests; "
        f"over-read {min(over):.1%}-{max(over):.1%} of the header"
    )


def _first_bytes(hub: Hub, repo_id: str, filename: str, n: int) -> bytes:
    import httpx

    url = hub.file_url(repo_id, filename)
    headers = {**hub.request_headers(), "Range": f"bytes=0-{n - 1}"}
    return httpx.get(url, headers=headers, follow_redirects=True).content


if __name__ == "__main__":
    main()
