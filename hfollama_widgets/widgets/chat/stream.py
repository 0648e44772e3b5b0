"""One streaming chat reply, run in a background thread, batched for the browser.

:class:`ReplyRun` (a :class:`~hfollama_widgets.widgets._base.Job`) reads
``client.chat(..., stream=True)`` line by line, accumulates the answer, the model's ``thinking``
and any ``tool_calls``, and calls ``on_delta`` with a :class:`ReplyDelta` (only the NEW text) when
its :class:`FlushPolicy` says so (the first token goes out at once). ``stop()`` is safe from any
thread: it closes the HTTP stream, which ends the iteration in the worker.

Accumulation is linear: each part is appended to a list (:class:`TextParts`) and joined only
when asked for (a flush, a snapshot, the end); per token the worker appends and checks the
throttle, nothing else.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hfollama_widgets.errors import OllamaProtocolError
from hfollama_widgets.ollama import Client
from hfollama_widgets.widgets._base import Job

__all__ = ["DELTA_TAG", "FlushPolicy", "ReplyDelta", "ReplyRun", "TextParts"]

#: First item of a delta message that carries thinking text (a list; a delta of answer text
#: only is a bare string; the other messages are dicts with a ``type``).
DELTA_TAG = "d"


class TextParts:
    """Append-only text kept as a list of parts: ``append`` is O(1) and the text is joined
    only when asked for (``+=`` on a growing string, quadratic over a long reply, never happens).

    >>> t = TextParts()
    >>> t.append("Hel"); t.append("lo"); t.append("")
    >>> str(t), len(t), t.since(3)
    ('Hello', 5, 'lo')
    """

    __slots__ = ("_length", "_parts")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0

    def append(self, text: str) -> None:
        """Add ``text`` at the end."""
        if text:
            self._parts.append(text)
            self._length += len(text)

    def __len__(self) -> int:
        return self._length

    def __str__(self) -> str:
        # never rewrites the list: another thread may be appending (join holds the GIL)
        return "".join(self._parts)

    def since(self, offset: int) -> str:
        """The text from character ``offset`` on (joins only the parts it needs)."""
        if offset >= self._length:
            return ""
        out: list[str] = []
        need = self._length - offset
        for part in reversed(self._parts):
            out.append(part)
            need -= len(part)
            if need <= 0:
                break
        joined = "".join(reversed(out))
        return joined[-(self._length - offset) :]


@dataclass(frozen=True)
class ReplyDelta:
    """New text of a streamed reply and the offset in the whole reply where each part starts."""

    content: str
    content_at: int
    thinking: str
    thinking_at: int

    def to_message(self, reply_id: str) -> str | list[Any]:
        """The front end's delta message. It goes out many times a second, so the common case
        (new answer text only) is the text itself, a bare JSON string: it continues the live
        reply, which the turn's ``log`` message named, and the comm keeps order (the ``end``
        message's lengths let a view check it has all of it). New thinking text goes as a
        list with the reply's id and both offsets: ``["d", id, content_at, content,
        thinking_at, thinking]``.

        >>> ReplyDelta("lo", 3, "", 0).to_message("m2")
        'lo'
        >>> ReplyDelta("", 5, "hm", 2).to_message("m2")
        ['d', 'm2', 5, '', 2, 'hm']
        >>> ReplyDelta.from_message(ReplyDelta("", 5, "hm", 2).to_message("m2"))
        ReplyDelta(content='', content_at=5, thinking='hm', thinking_at=2)
        """
        if not self.thinking:
            return self.content
        return [DELTA_TAG, reply_id, self.content_at, self.content, self.thinking_at, self.thinking]

    @classmethod
    def from_message(cls, msg: list[Any]) -> ReplyDelta:
        """The delta a :meth:`to_message` list carries (a bare string carries only ``content``,
        at the end of the text so far)."""
        thinking_at, thinking = (msg[4], msg[5]) if len(msg) > 4 else (0, "")
        return cls(msg[3], msg[2], thinking, thinking_at)


@dataclass(frozen=True)
class FlushPolicy:
    """When streamed text goes to the page: the first text at once; then at most once per
    ``interval_s``, and only once ``min_bytes`` of new text are waiting or ``max_wait_s`` passed
    since the last send. A delta of answer text costs 35 bytes of envelope (ipywidgets'
    ``{"method": "custom", "content": ""}`` around the bare string; measured by
    ``bench/chat_traffic.py``), so ``min_bytes=200`` keeps a fast model's bytes within ~1.2x
    its text, in steps ~60-100 ms apart; a model slower than ``min_bytes / max_wait_s`` (~330
    B/s, about 70 tok/s) has its text sent every ``max_wait_s`` (0.6 s: >= 1.3x its text up to
    ~120 B a step, i.e. from ~40 tok/s on), and the page reveals each such step over about the
    time it took to come (js/chat.js), so it still reads as a stream. ``min_bytes=0`` sends
    every ``interval_s``.

    >>> FlushPolicy().due(0.03, 10_000), FlushPolicy().due(0.2, 10), FlushPolicy().due(0.2, 500)
    (False, False, True)
    >>> FlushPolicy().due(0.6, 10)
    True
    """

    interval_s: float = 0.06
    min_bytes: int = 200
    max_wait_s: float = 0.6

    def due(self, since_last_s: float, pending: int) -> bool:
        """True if ``pending`` characters, ``since_last_s`` after the last send, go out now."""
        if since_last_s < self.interval_s or pending <= 0:
            return False
        return pending >= self.min_bytes or since_last_s >= self.max_wait_s


class ReplyRun(Job):
    """Stream one reply; results in ``content``, ``thinking``, ``tool_calls``, ``final``,
    ``stopped``, ``error``.

    ``on_end(run)`` is called in the run's thread once the reply is over (the last text sent),
    before ``done`` is set.

    >>> class Echo:  # stands in for hfw.Client here
    ...     def chat(self, model, messages, **kw):
    ...         yield {"message": {"role": "assistant", "content": "Hel"}, "done": False}
    ...         yield {"message": {"role": "assistant", "content": "lo"}, "done": False}
    ...         yield {"message": {"content": ""}, "done": True, "eval_count": 2}
    >>> sent = []
    >>> run = ReplyRun(Echo(), "m", [], on_delta=lambda delta: sent.append(delta.content))
    >>> run.run()
    >>> run.content, run.final["eval_count"], "".join(sent)
    ('Hello', 2, 'Hello')
    """

    def __init__(
        self,
        client: Client,
        model: str,
        messages: list[dict[str, str]],
        *,
        on_delta: Callable[[ReplyDelta], None],
        on_end: Callable[[ReplyRun], None] | None = None,
        think: bool | str | None = None,
        options: Mapping[str, Any] | None = None,
        tools: list[Any] | None = None,
        flush: FlushPolicy | None = None,
        name: str = "hfw-chat",
    ) -> None:
        super().__init__(name=name)
        self.client = client
        self.model = model
        self.messages = messages
        self.think = think
        self.options = dict(options) if options else None
        self.tools = tools
        self.on_delta = on_delta
        self.on_end = on_end
        self._content = TextParts()
        self._thinking = TextParts()
        #: Ollama's ``message.tool_calls`` of every chunk, in order
        self.tool_calls: list[dict[str, Any]] = []
        self.final: dict[str, Any] | None = None
        #: wall-clock times (``time.time()``): request sent, first token received
        self.started_at: float | None = None
        self.first_token_at: float | None = None
        #: True once Ollama answered (the stream is attached, so a Stop closes it at once);
        #: before that the request waits for the model to load and cannot be interrupted
        self.responded = False
        #: set by the widget when a Stop came before Ollama answered: the reply was ended
        #: without this run, which is left to finish (or time out) on its own
        self.abandoned = False
        self._policy = flush or FlushPolicy()
        self._last_flush = 0.0
        self._flush_lock = threading.Lock()
        self._sent_content = 0
        self._sent_thinking = 0

    @property
    def content(self) -> str:
        """The answer received so far."""
        return str(self._content)

    @property
    def thinking(self) -> str:
        """The model's reasoning received so far (Ollama's separate ``thinking`` field)."""
        return str(self._thinking)

    def snapshot(self, send: Callable[[dict[str, Any]], None]) -> None:
        """Hand everything SENT so far to ``send`` (for a view that renders mid-reply), with no
        delta going out meanwhile: the deltas after it continue exactly where it ends."""
        with self._flush_lock:
            send(
                {
                    "content": str(self._content)[: self._sent_content],
                    "thinking": str(self._thinking)[: self._sent_thinking],
                }
            )

    # -- worker -------------------------------------------------------------------------------

    def work(self) -> None:
        """Stream the reply to the end (or until stopped); raises what the stream raises."""
        if self.stopped:
            return
        self.started_at = time.time()
        extra: dict[str, Any] = {} if self.tools is None else {"tools": self.tools}
        stream = self.client.chat(
            self.model,
            self.messages,
            stream=True,
            think=self.think,
            options=self.options,
            **extra,
        )
        if not self.attach(stream):
            return
        self.responded = True
        first = True
        for line in _iterate(stream):
            if self.stopped:
                break
            message = line.get("message") or {}
            text = message.get("content") or ""
            thought = message.get("thinking") or ""
            if (text or thought) and self.first_token_at is None:
                self.first_token_at = time.time()
            self._content.append(text)
            self._thinking.append(thought)
            calls = message.get("tool_calls")
            if calls:  # Ollama sends each call whole, in one chunk (see history.tool_call)
                self.tool_calls.extend(dict(c) for c in calls if isinstance(c, Mapping))
            if line.get("done"):
                # keep reading to the end of the body: the connection goes back to the pool
                self.final = dict(line)
            elif text or thought:
                pending = len(self._content) + len(self._thinking)
                pending -= self._sent_content + self._sent_thinking
                if first or self._policy.due(time.monotonic() - self._last_flush, pending):
                    first = False
                    self.flush()
        if self.final is None and not self.stopped:
            raise OllamaProtocolError(
                "The reply stream ended before the final line (the connection was cut).",
                fix="Press Retry to ask again; check that the Ollama server is still running.",
            )

    def ended(self) -> None:
        """Send the text not sent yet, then ``on_end(run)``."""
        try:
            self.flush()
        except Exception as exc:  # the page did not get the end of the reply
            self.error = self.error or exc
        if self.on_end is not None:
            self.on_end(self)

    def flush(self) -> None:
        """Send the text not yet sent (if any) through ``on_delta``."""
        with self._flush_lock:
            c_at, t_at = self._sent_content, self._sent_thinking
            new_c, new_t = self._content.since(c_at), self._thinking.since(t_at)
            if not new_c and not new_t:
                return
            self._sent_content, self._sent_thinking = c_at + len(new_c), t_at + len(new_t)
            self._last_flush = time.monotonic()
            self.on_delta(ReplyDelta(new_c, c_at, new_t, t_at))


def _iterate(stream: Any) -> Iterator[Mapping[str, Any]]:
    for line in stream:
        if isinstance(line, Mapping):
            yield line
        else:  # e.g. the official ollama package's pydantic objects
            yield dict(line)
