"""What the streaming widgets send to the browser, and how fast streamed text shows up.

Starts FakeHub + FakeOllama on loopback, then:

1. ChatWidget streams a long reply (default 2000 tokens at 1000 tok/s); PullProgress pulls a
   multi-GB model at a high simulated speed. Every comm message each widget sends is counted
   (the widget comm's ``send`` is wrapped in-process) and compared with the naive approach:
   one full-state update per token (chat: the whole history with the growing reply) or per
   NDJSON progress line (pull: the widget's full progress state).
2. In a real JupyterLab (headless Chromium, the tests' browser harness): the time from the
   moment the reply's first token reaches the kernel to the text being in the page (DOM) and
   painted (next animation frame after it).

    /work/venv/bin/python bench/stream_messages.py              # everything
    /work/venv/bin/python bench/stream_messages.py --no-browser  # messages only

Byte counts are the JSON of the comm payload; each Jupyter message also carries an envelope
(header, parent header, ids) of roughly 0.5-1 kB, so the message COUNT matters as much.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.browser (the browser harness)

from hfollama_widgets.ollama import Client  # noqa: E402
from hfollama_widgets.testing import FakeHub, FakeOllama  # noqa: E402
from hfollama_widgets.widgets.chat import ChatWidget  # noqa: E402
from hfollama_widgets.widgets.chat.history import new_entry  # noqa: E402
from hfollama_widgets.widgets.pull_progress import PullProgress  # noqa: E402

CHAT_MODEL = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"


class CommCounter:
    """Wrap a widget's comm ``send``: count messages and JSON payload bytes from now on."""

    def __init__(self, widget: Any) -> None:
        self.messages: list[dict[str, Any]] = []
        self.sizes: list[int] = []
        original = widget.comm.send

        def send(data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
            self.messages.append(data)
            self.sizes.append(len(json.dumps(data, default=str)))
            original(data=data, metadata=metadata, buffers=buffers)

        widget.comm.send = send

    @property
    def count(self) -> int:
        return len(self.sizes)

    @property
    def bytes(self) -> int:
        return sum(self.sizes)


def update_size(state: dict[str, Any]) -> int:
    return len(json.dumps({"method": "update", "state": state, "buffer_paths": []}))


def pick_big_model(hub: Any, client_url: str) -> tuple[str, int]:
    """The largest single-file GGUF between 2 and 10 GB in the stand-in catalogue."""
    from hfollama_widgets.hub import Hub

    best: tuple[str, int] | None = None
    api = Hub(endpoint=hub.url)
    for repo in api.search_models(limit=100)["id"]:
        try:
            df = api.list_gguf_files(repo)
        except Exception:
            continue
        rows = df[(df["kind"] == "model") & df["ollama_pullable"]]
        rows = rows[(rows["size_bytes"] > 2e9) & (rows["size_bytes"] < 10e9)]
        for _, row in rows.iterrows():
            if best is None or row["size_bytes"] > best[1]:
                best = (row["model_ref"], int(row["size_bytes"]))
    if best is None:
        raise SystemExit("no 2-10 GB single-file GGUF in the FakeHub catalogue")
    return best


def bench_chat(ollama: Any, tokens: int, rate: float) -> dict[str, Any]:
    client = Client(ollama.url)
    prompt = "echo: " + " ".join(f"word{i}" for i in range(tokens))
    # the naive baseline: the same reply's chunks, each as a full history update
    ollama.token_rate = 10**6
    chunks = [
        (line.get("message") or {}).get("content", "")
        for line in client.chat(CHAT_MODEL, [{"role": "user", "content": prompt}], stream=True)
    ]
    user = new_entry("user", prompt)
    reply = new_entry("assistant", model=CHAT_MODEL)
    naive_bytes, text = 0, ""
    for chunk in chunks:
        text += chunk
        naive_bytes += update_size({"history": [user, {**reply, "content": text}]})

    ollama.token_rate = rate
    chat = ChatWidget(client, CHAT_MODEL)
    counter = CommCounter(chat)
    started = time.monotonic()
    chat.send(prompt)
    final = chat.wait(timeout=120)
    elapsed = time.monotonic() - started
    assert final is not None and final["error"] is None, final
    deltas = sum(1 for m in counter.messages if m.get("method") == "custom")
    chat.close()
    return {
        "widget": "ChatWidget",
        "what": f"{final['tokens']} tokens at {rate:g} tok/s ({elapsed:.1f} s)",
        "messages": counter.count,
        "detail": f"{deltas} deltas + {counter.count - deltas} state updates",
        "bytes": counter.bytes,
        "naive_messages": len(chunks),
        "naive_bytes": naive_bytes,
    }


def bench_pull(hub: Any, ollama: Any, speed: float) -> dict[str, Any]:
    client = Client(ollama.url)
    model, size = pick_big_model(hub, ollama.url)
    # the naive baseline: one update per NDJSON progress line
    ollama.pull_speed = speed
    lines = list(client.pull(model, stream=True))
    client.delete(model)

    pull = PullProgress(client, model, start=False)
    counter = CommCounter(pull)
    started = time.monotonic()
    pull.start()
    pull.wait(timeout=600)
    elapsed = time.monotonic() - started
    progress_sizes = [
        update_size({"progress": m["state"]["progress"]})
        for m in counter.messages
        if m.get("method") == "update" and "progress" in m.get("state", {})
    ]
    per_update = statistics.mean(progress_sizes) if progress_sizes else 0
    pull.close()
    return {
        "widget": "PullProgress",
        "what": f"{size / 1e9:.1f} GB at {speed / 1e9:g} GB/s ({elapsed:.1f} s)",
        "messages": counter.count,
        "detail": f"{len(progress_sizes)} progress updates",
        "bytes": counter.bytes,
        "naive_messages": len(lines),
        "naive_bytes": int(per_update * len(lines)),
    }


OBSERVE_JS = """
(root) => {
  window.__hfwFirst = null;
  window.__hfwPaint = null;
  const obs = new MutationObserver(() => {
    if (window.__hfwFirst !== null) return;
    const live = root.querySelector(
      '[data-testid="message"][data-state="streaming"] [data-testid="content"]'
    );
    if (live && live.textContent.length > 0) {
      window.__hfwFirst = Date.now();
      obs.disconnect();
      requestAnimationFrame(() => {
        window.__hfwPaint = Date.now();
      });
    }
  });
  obs.observe(root, { subtree: true, childList: true, characterData: true });
}
"""


def bench_browser(ollama: Any, trials: int) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    from tests.browser._harness import CHROMIUM, CHROMIUM_ARGS, NotebookSession, write_notebook
    from tests.browser._server import JupyterServer

    results: list[dict[str, float]] = []
    ollama.token_rate = 50
    with tempfile.TemporaryDirectory(prefix="hfw-bench-") as tmp:
        server = JupyterServer.start(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                try:
                    cells = [
                        "from hfollama_widgets.ollama import Client\n"
                        "from hfollama_widgets.widgets import ChatWidget\n"
                        f"chat = ChatWidget(Client({ollama.url!r}), {CHAT_MODEL!r})",
                        "chat",
                    ]
                    write_notebook(server.root_dir, "bench.ipynb", cells)
                    nb = NotebookSession(
                        server,
                        browser,
                        "bench.ipynb",
                        screenshot_dir=Path(tmp),
                        screenshot_prefix="bench",
                    )
                    nb.open()
                    nb.run_all()
                    root = nb.output(1).get_by_test_id("chat")
                    root.wait_for()
                    for i in range(trials + 1):  # the first one warms up
                        root.evaluate(OBSERVE_JS)
                        # the wall-clock time the request left (the reply thread sends it at
                        # once) plus the reply's recorded time to first token (``ttft_s``)
                        nb.eval(
                            "import time; sent_at = time.time(); "
                            f"chat.send('Question number {i}, please answer.')"
                        )
                        nb.page.wait_for_function("window.__hfwPaint !== null", timeout=30_000)
                        first_token = float(nb.eval("print(sent_at + chat.wait(60)['ttft_s'])"))
                        dom = nb.page.evaluate("window.__hfwFirst") / 1000
                        paint = nb.page.evaluate("window.__hfwPaint") / 1000
                        if i > 0:
                            results.append(
                                {
                                    "dom_ms": (dom - first_token) * 1000,
                                    "paint_ms": (paint - first_token) * 1000,
                                }
                            )
                    nb.close()
                finally:
                    browser.close()
        finally:
            server.stop()
    return results


def print_table(rows: list[dict[str, Any]]) -> None:
    head = [
        "widget",
        "workload",
        "messages",
        "payload",
        "naive msgs",
        "naive payload",
        "msgs ratio",
        "bytes ratio",
    ]
    body = [
        [
            r["widget"],
            r["what"],
            f"{r['messages']} ({r['detail']})",
            f"{r['bytes'] / 1e3:.1f} kB",
            str(r["naive_messages"]),
            f"{r['naive_bytes'] / 1e3:.1f} kB",
            f"{r['naive_messages'] / max(r['messages'], 1):.0f}x fewer",
            f"{r['naive_bytes'] / max(r['bytes'], 1):.0f}x fewer",
        ]
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths], *body]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=2000, help="chat reply length")
    parser.add_argument("--rate", type=float, default=1000, help="chat tokens per second")
    parser.add_argument("--pull-speed", type=float, default=2e9, help="pull bytes per second")
    parser.add_argument("--trials", type=int, default=5, help="browser latency trials")
    parser.add_argument("--no-browser", action="store_true", help="skip the browser part")
    args = parser.parse_args()

    with FakeHub() as hub, FakeOllama(hub=hub) as ollama:
        ollama.pull_speed = 10**12
        Client(ollama.url).pull(CHAT_MODEL)
        print("\nComm messages sent to the browser while streaming (in-process count)\n")
        rows = [
            bench_chat(ollama, args.tokens, args.rate),
            bench_pull(hub, ollama, args.pull_speed),
        ]
        print_table(rows)
        if args.no_browser:
            return
        print(f"\nFirst token -> text in the page (JupyterLab, Chromium, {args.trials} trials)\n")
        results = bench_browser(ollama, args.trials)
        for key, label in (("dom_ms", "in the DOM"), ("paint_ms", "next frame (painted)")):
            values = [r[key] for r in results]
            print(
                f"  {label:<22} median {statistics.median(values):6.1f} ms   "
                f"min {min(values):6.1f} ms   max {max(values):6.1f} ms"
            )
        print()


if __name__ == "__main__":
    main()
