"""ChatWidget in real Chromium (JupyterLab): token arrival at the kernel -> its text in the page
(median, p95) over a 5,000-token reply, the page's main-thread busy time per second of
streaming, and the bytes the page receives over its websocket per turn (turn 1, turn 100).

Each token of the reply is a numbered word (``w00042``). The kernel wraps the client's stream to
note when each token arrived (``time.time()``); the page notes (``Date.now()``, the same clock)
when each number first shows in the live reply (a MutationObserver). Busy time: the sum of
long tasks (PerformanceObserver ``longtask``, tasks > 50 ms) and the lag of a 10 ms timer
(how late it fires, summed). Websocket bytes: every frame the page receives while the turn
streams (Playwright ``page.on("websocket")``), kernel status messages included.

    PYTHONPATH=$PWD python bench/chat_render_latency.py [--tokens 5000] [--rate 500]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # for tests.browser (the harness); PYTHONPATH picks the package

from hfollama_widgets.ollama import Client  # noqa: E402
from hfollama_widgets.testing import FakeHub, FakeOllama  # noqa: E402

CHAT_MODEL = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"

KERNEL_SETUP = """
import re, time
from hfollama_widgets.ollama import Client
from hfollama_widgets.widgets import ChatWidget
from hfollama_widgets.widgets.chat.history import new_entry
arrivals = []
class TimedStream:
    def __init__(self, stream): self.stream = stream
    def close(self): self.stream.close()
    def __iter__(self):
        for line in self.stream:
            text = (line.get("message") or {}).get("content") or ""
            for n in re.findall(r"w(\\d{5})", text):
                arrivals.append((time.time(), int(n)))
            yield line
class TimedClient(Client):
    def chat(self, *args, **kwargs):
        out = super().chat(*args, **kwargs)
        return TimedStream(out) if kwargs.get("stream") else out
chat = ChatWidget(TimedClient(%r), %r%s)
"""

PAGE_PROBE = """
(root) => {
  const seen = [];
  let best = -1;
  const obs = new MutationObserver(() => {
    const live = root.querySelector(
      '[data-testid="message"][data-state="streaming"] [data-testid="content"]');
    if (!live) return;
    const text = live.textContent;
    const tail = text.slice(-40).match(/w(\\d{5})(?!.*w\\d{5})/s);
    if (!tail) return;
    const n = Number(tail[1]);
    if (n > best) { best = n; seen.push([Date.now(), n]); }
  });
  obs.observe(root, { subtree: true, childList: true, characterData: true });
  const probe = { seen, longtask: 0, lag: 0, started: performance.now(), obs };
  try {
    const po = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.longtask += e.duration;
    });
    po.observe({ entryTypes: ['longtask'] });
    probe.po = po;
  } catch (e) {}
  let last = performance.now();
  probe.timer = setInterval(() => {
    const now = performance.now();
    probe.lag += Math.max(0, now - last - 10);
    last = now;
  }, 10);
  window.__hfwProbe = probe;
}
"""

PAGE_RESULT = """
() => {
  const p = window.__hfwProbe;
  clearInterval(p.timer); p.obs.disconnect(); if (p.po) p.po.disconnect();
  return { seen: p.seen, longtask: p.longtask, lag: p.lag, ms: performance.now() - p.started };
}
"""


def numbered_reply(tokens: int) -> str:
    words = [f"w{i:05d}" for i in range(tokens)]
    return "\n\n".join(" ".join(words[i : i + 40]) for i in range(0, len(words), 40))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=500, help="tokens per second")
    parser.add_argument("--flush-bytes", type=int, default=None, help="ChatWidget flush_bytes")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from tests.browser._harness import CHROMIUM, CHROMIUM_ARGS, NotebookSession, write_notebook
    from tests.browser._server import JupyterServer

    reply = numbered_reply(args.tokens)
    with (
        FakeHub() as hub,
        FakeOllama(hub=hub) as ollama,
        tempfile.TemporaryDirectory(prefix="hfw-bench-") as tmp,
    ):
        ollama.pull_speed = 10**12
        Client(ollama.url).pull(CHAT_MODEL)
        ollama.reply = lambda model, messages: reply
        server = JupyterServer.start(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                extra = "" if args.flush_bytes is None else f", flush_bytes={args.flush_bytes}"
                cells = [KERNEL_SETUP % (ollama.url, CHAT_MODEL, extra), "chat"]
                write_notebook(server.root_dir, "bench.ipynb", cells)
                nb = NotebookSession(
                    server, browser, "bench.ipynb", screenshot_dir=Path(tmp), screenshot_prefix="b"
                )
                frames: list[int] = []
                nb.page.on(
                    "websocket",
                    lambda ws: ws.on("framereceived", lambda data: frames.append(len(data))),
                )
                nb.open()
                nb.run_all()
                root = nb.output(1).get_by_test_id("chat")
                root.wait_for()
                results: dict[int, dict[str, Any]] = {}
                for turn in (1, 100):
                    if turn == 100:  # the conversation so far, sent once before measuring
                        nb.eval(
                            "chat.history = [e for i in range(99) for e in ("
                            "new_entry('user', f'Question {i}?'), "
                            "new_entry('assistant', 'An answer of some length. ' * 12))]"
                        )
                        nb.page.wait_for_timeout(1000)
                    ollama.token_rate = args.rate
                    nb.eval("arrivals.clear()")
                    root.evaluate(PAGE_PROBE)
                    before = len(frames)
                    nb.eval("chat.send('Count, please.'); chat.wait(600) and None", timeout=600)
                    n_done = nb.output(1).locator('[data-role="assistant"][data-state="done"]')
                    n_done.nth(0 if turn == 1 else 99).wait_for(timeout=60_000)
                    page = root.evaluate(PAGE_RESULT)
                    kernel = json.loads(nb.eval("import json; print(json.dumps(arrivals))"))
                    results[turn] = {"page": page, "kernel": kernel, "ws": sum(frames[before:])}
                nb.close()
                browser.close()
        finally:
            server.stop()

    first = results[1]
    shown = {n: t for t, n in first["page"]["seen"]}
    latencies: list[float] = []
    shown_sorted = sorted(shown.items())
    for arrived, n in first["kernel"]:
        # the first page observation at or past token n
        t = next((ts for m, ts in shown_sorted if m >= n), None)
        if t is not None:
            latencies.append(t - arrived * 1000)
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    seconds = first["page"]["ms"] / 1000
    print(f"\nChatWidget in Chromium, {args.tokens} tokens at {args.rate:g} tok/s\n")
    print(
        f"  token at the kernel -> text in the page: median {statistics.median(latencies):.1f} ms,"
        f" p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms ({len(latencies)} tokens)"
    )
    print(
        f"  main thread: long tasks {first['page']['longtask'] / seconds:.1f} ms/s, "
        f"10 ms timer lag {first['page']['lag'] / seconds:.1f} ms/s"
    )
    for turn, r in results.items():
        print(f"  websocket bytes received, turn {turn}: {r['ws'] / 1e3:.1f} kB")
    print()


if __name__ == "__main__":
    main()
