"""One streaming chat reply, run in a background thread, batched for the browser.

:class:`ReplyRun` (a :class:`~hfollama_widgets.widgets._base.Job`) reads
``client.chat(..., stream=True)`` line by line, accumulates the answer and the model's
``thinking``, and calls ``on_delta`` with a :class:`ReplyDelta` (only the NEW text) at most once
per ``interval_s`` (the first token goes out at once). ``stop()`` is safe from any thread: it
closes the HTTP stream, which ends the iteration in the worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hfollama_widgets.errors import OllamaProtocolError
from hfollama_widgets.ollama import Client
from hfollama_widgets.widgets._base import Job, Throttle

__all__ = ["ReplyDelta", "ReplyRun"]


@dataclass(frozen=True)
class ReplyDelta:
    """New text of a streamed reply and the offset in the whole reply where each part starts."""

    content: str
    content_at: int
    thinking: str
    thinking_at: int

    def to_message(self, reply_id: str) -> dict[str, Any]:
        """The front end's ``delta`` message (only the parts that have new text).

        >>> ReplyDelta("lo", 3, "", 0).to_message("m2")
        {'type': 'delta', 'id': 'm2', 'content': 'lo', 'content_at': 3}
        """
        msg: dict[str, Any] = {"type": "delta", "id": reply_id}
        if self.content:
            msg.update(content=self.content, content_at=self.content_at)
        if self.thinking:
            msg.update(thinking=self.thinking, thinking_at=self.thinking_at)
        return msg


class ReplyRun(Job):
    """Stream one reply; results in ``content``, ``thinking``, ``final``, ``stopped``, ``error``.

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
        interval_s: float = 0.05,
        name: str = "hfw-chat",
    ) -> None:
        super().__init__(name=name)
        self.client = client
        self.model = model
        self.messages = messages
        self.think = think
        self.options = dict(options) if options else None
        self.on_delta = on_delta
        self.on_end = on_end
        self.content = ""
        self.thinking = ""
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
        self._throttle = Throttle(interval_s)
        self._flush_lock = threading.Lock()
        self._sent_content = 0
        self._sent_thinking = 0

    def snapshot(self) -> dict[str, str]:
        """Everything received so far (for a view that renders mid-reply)."""
        return {"content": self.content, "thinking": self.thinking}

    # -- worker -------------------------------------------------------------------------------

    def work(self) -> None:
        """Stream the reply to the end (or until stopped); raises what the stream raises."""
        if self.stopped:
            return
        self.started_at = time.time()
        stream = self.client.chat(
            self.model, self.messages, stream=True, think=self.think, options=self.options
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
            if text:
                self.content += text
            if thought:
                self.thinking += thought
            if line.get("done"):
                # keep reading to the end of the body: the connection goes back to the pool
                self.final = dict(line)
            elif (text or thought) and (first or self._throttle.ready()):
                if first:
                    self._throttle.ready()  # start the interval at the first token
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
            content, thinking = self.content, self.thinking
            c_at, t_at = self._sent_content, self._sent_thinking
            new_c, new_t = content[c_at:], thinking[t_at:]
            if not new_c and not new_t:
                return
            self._sent_content, self._sent_thinking = len(content), len(thinking)
            self.on_delta(ReplyDelta(new_c, c_at, new_t, t_at))


def _iterate(stream: Any) -> Iterator[Mapping[str, Any]]:
    for line in stream:
        if isinstance(line, Mapping):
            yield line
        else:  # e.g. the official ollama package's pydantic objects
            yield dict(line)
