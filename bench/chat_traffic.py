"""What a ChatWidget turn costs: comm messages/s and payload bytes vs the reply's bytes, on turn 1
and turn 100 of a conversation, at 50, 500 and 5000 tok/s; and CPU per streamed token at 2k vs
400k tokens (issue 13).

Each turn streams a 5,000-token reply (the reply length of the issue's latency figure; 100 s at
50 tok/s), and one more row a short one (400 tokens at 50 tok/s): a turn's fixed messages (the
user's message and the reply's stats, ~300 bytes) weigh on a short reply, so both are printed,
with the bytes split into deltas and fixed.

FakeOllama streams a fixed reply (prose, ~5 bytes a token) at the set rate; every comm message
the widget sends is counted on its comm's ``send`` (in-process, the transport; the widget's code
is not touched). Bytes are the JSON of each comm payload (``{"method": ..., ...}``), without the
Jupyter envelope (~0.5-1 kB a message, measured by ``bench/chat_render_latency.py``).

    PYTHONPATH=$PWD python bench/chat_traffic.py          # this tree
    PYTHONPATH=/work/main python bench/chat_traffic.py    # the tree before, same figures

Targets: <= 20 messages per second of streaming, payload <= 1.3x the reply's bytes, the same on
turn 100 as on turn 1; CPU per token flat (within 1.5x) from 2k to 400k tokens.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from typing import Any

from hfollama_widgets.ollama import Client
from hfollama_widgets.testing import FakeHub, FakeOllama
from hfollama_widgets.widgets.chat import ChatWidget
from hfollama_widgets.widgets.chat.history import new_entry
from hfollama_widgets.widgets.chat.stream import ReplyRun

CHAT_MODEL = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"
WORDS = "the quick brown fox jumps over the lazy dog while a model streams its answer".split()  # noqa: SIM905


def prose(tokens: int) -> str:
    """About ``tokens`` FakeOllama tokens of plain prose in paragraphs."""
    words = [WORDS[i % len(WORDS)] for i in range(tokens)]  # a word and its space: one token
    lines = [" ".join(words[i : i + 60]) for i in range(0, len(words), 60)]
    return "\n\n".join(lines)


class CommCounter:
    """Wrap a widget's comm ``send``: time and JSON size of each message from now on, and
    whether it is a delta (the reply's new text) or one of the turn's fixed messages."""

    def __init__(self, widget: Any) -> None:
        self.events: list[tuple[float, int]] = []
        self.delta_bytes = 0
        original = widget.comm.send

        def send(data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
            size = len(json.dumps(data, default=str))
            self.events.append((time.monotonic(), size))
            if not isinstance((data or {}).get("content"), dict):  # str / list: a delta
                self.delta_bytes += size
            original(data=data, metadata=metadata, buffers=buffers)

        widget.comm.send = send


def history_of(turns: int) -> list[dict[str, Any]]:
    out = []
    for i in range(turns):
        out += [new_entry("user", f"Question {i}?"), new_entry("assistant", prose(70))]
    return out


def one_turn(
    ollama: Any, rate: float, tokens: int, earlier_turns: int, flush: dict[str, Any]
) -> dict[str, Any]:
    text = prose(tokens)
    ollama.reply = lambda model, messages: text
    ollama.token_rate = rate
    chat = ChatWidget(Client(ollama.url), CHAT_MODEL, **flush)
    chat.history = history_of(earlier_turns)  # before counting: the conversation so far
    counter = CommCounter(chat)
    started = time.monotonic()
    chat.send("Go on.")
    final = chat.wait(timeout=600)
    elapsed = time.monotonic() - started
    assert final is not None and final["error"] is None, final
    chat.close()
    reply_bytes = len(json.dumps(final["content"])) - 2
    sizes = [size for _, size in counter.events]
    per_second: dict[int, int] = {}
    for at, _ in counter.events:
        per_second[int(at - started)] = per_second.get(int(at - started), 0) + 1
    return {
        "turn": earlier_turns + 1,
        "rate": rate,
        "tokens": final["tokens"],
        "seconds": elapsed,
        "messages": len(sizes),
        "msgs_per_s": len(sizes) / elapsed,
        "peak_per_s": max(per_second.values()),
        "bytes": sum(sizes),
        "delta_bytes": counter.delta_bytes,
        "reply_bytes": reply_bytes,
    }


class Chunks:
    """Stands in for hfw.Client: ``n`` chat chunks of one token each, from memory."""

    def __init__(self, n: int) -> None:
        self.n = n

    def chat(self, model: str, messages: Any, **kw: Any) -> Iterator[dict[str, Any]]:
        chunk = {"message": {"role": "assistant", "content": "word "}, "done": False}
        for _ in range(self.n):
            yield chunk
        yield {"message": {"content": ""}, "done": True, "eval_count": self.n}


def cpu_per_token(n: int) -> float:
    """Microseconds of CPU per token for ReplyRun over ``n`` in-memory chunks."""
    sent: list[int] = []
    run = ReplyRun(Chunks(n), "m", [], on_delta=lambda d: sent.append(1))  # type: ignore[arg-type]
    started = time.process_time()
    run.run()
    spent = time.process_time() - started
    assert run.error is None and len(run.content) == 5 * n
    return spent / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=5000, help="tokens of each reply")
    parser.add_argument("--big", type=int, default=400_000, help="tokens of the long CPU run")
    parser.add_argument("--flush-bytes", type=int, default=None, help="ChatWidget flush_bytes")
    parser.add_argument("--flush-max-wait", type=float, default=None, help="... flush_max_wait")
    args = parser.parse_args()
    flush: dict[str, Any] = {}
    if args.flush_bytes is not None:
        flush["flush_bytes"] = args.flush_bytes
    if args.flush_max_wait is not None:
        flush["flush_max_wait"] = args.flush_max_wait

    print("\nChatWidget comm traffic per turn (in-process count of comm.send)\n")
    head = (
        "rate tok/s  turn  tokens     s   msgs  msgs/s  peak/s  deltas kB  fixed kB  "
        "reply kB  ratio"
    )
    print(head)
    print("-" * len(head))
    with FakeHub() as hub, FakeOllama(hub=hub) as ollama:
        ollama.pull_speed = 10**12
        Client(ollama.url).pull(CHAT_MODEL)
        runs = [(rate, args.tokens, earlier) for rate in (50, 500, 5000) for earlier in (0, 99)]
        runs.append((50, 400, 0))  # a short reply: the turn's fixed messages weigh more
        for rate, tokens, earlier in runs:
            r = one_turn(ollama, rate, tokens, earlier, flush)
            print(
                f"{rate:>10}  {r['turn']:>4}  {r['tokens']:>6}  {r['seconds']:5.1f}  "
                f"{r['messages']:>5}  {r['msgs_per_s']:6.1f}  {r['peak_per_s']:>6}  "
                f"{r['delta_bytes'] / 1e3:9.2f}  {(r['bytes'] - r['delta_bytes']) / 1e3:8.2f}  "
                f"{r['reply_bytes'] / 1e3:8.2f}  {r['bytes'] / r['reply_bytes']:5.2f}x"
            )
    print("\nCPU per streamed token (ReplyRun over in-memory chunks)\n")
    small, big = cpu_per_token(2000), cpu_per_token(args.big)
    print(f"  2,000 tokens: {small:6.2f} us/token")
    print(f"  {args.big:,} tokens: {big:6.2f} us/token   ({big / small:.2f}x)\n")


if __name__ == "__main__":
    main()
