"""One streaming chat reply, run in a background thread, batched for the browser.

:class:`ReplyRun` reads ``client.chat(..., stream=True)`` line by line, accumulates the answer
and the model's ``thinking``, and calls ``on_delta`` with only the NEW text at most once per
``interval_s`` (the first token goes out at once). ``stop()`` is safe from any thread: it closes
the HTTP stream, which ends the iteration in the worker.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from hfollama_widgets.errors import OllamaProtocolError
from hfollama_widgets.widgets._common import Throttle

if TYPE_CHECKING:
    from hfollama_widgets.ollama import Client

__all__ = ["Delta", "ReplyRun"]

#: on_delta(content, content_at, thinking, thinking_at): new text and the offset it starts at.
Delta = Callable[[str, int, str, int], None]


class ReplyRun:
    """Stream one reply; results in ``content``, ``thinking``, ``final``, ``stopped``, ``error``.

    >>> class Echo:  # stands in for hfw.Client here
    ...     def chat(self, model, messages, **kw):
    ...         yield {"message": {"role": "assistant", "content": "Hel"}, "done": False}
    ...         yield {"message": {"role": "assistant", "content": "lo"}, "done": False}
    ...         yield {"message": {"content": ""}, "done": True, "eval_count": 2}
    >>> sent = []
    >>> run = ReplyRun(Echo(), "m", [], on_delta=lambda c, ca, t, ta: sent.append((c, ca)))
    >>> run.run()
    >>> run.content, run.final["eval_count"], "".join(c for c, _ in sent)
    ('Hello', 2, 'Hello')
    """

    def __init__(
        self,
        client: Client,
        model: str,
        messages: list[dict[str, str]],
        *,
        on_delta: Delta,
        think: bool | str | None = None,
        options: Mapping[str, Any] | None = None,
        interval_s: float = 0.05,
    ) -> None:
        self.client = client
        self.model = model
        self.messages = messages
        self.think = think
        self.options = dict(options) if options else None
        self.on_delta = on_delta
        self.content = ""
        self.thinking = ""
        self.final: dict[str, Any] | None = None
        self.stopped = False
        self.error: BaseException | None = None
        self.done = threading.Event()
        #: wall-clock times (``time.time()``): request sent, first token received
        self.started_at: float | None = None
        self.first_token_at: float | None = None
        self._throttle = Throttle(interval_s)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stream: Any = None
        self._sent_content = 0
        self._sent_thinking = 0

    # -- control (any thread) ---------------------------------------------------------------

    def stop(self) -> None:
        """Ask the reply to stop: closes the HTTP stream; the partial answer is kept."""
        with self._lock:
            self.stopped = True
            stream = self._stream
        if stream is not None:
            _close(stream)

    def snapshot(self) -> dict[str, str]:
        """Everything received so far (for a view that renders mid-reply)."""
        return {"content": self.content, "thinking": self.thinking}

    # -- worker -------------------------------------------------------------------------------

    def run(self) -> None:
        """Stream the reply to the end (or until stopped / failed). Never raises."""
        try:
            self._consume()
        except BaseException as exc:
            if not self.stopped:  # a closed stream may raise in the reader: that is a stop
                self.error = exc
        finally:
            with self._lock:
                stream, self._stream = self._stream, None
            if stream is not None:
                _close(stream)
            self.flush()
            self.done.set()

    def _consume(self) -> None:
        if self.stopped:
            return
        self.started_at = time.time()
        stream = self.client.chat(
            self.model, self.messages, stream=True, think=self.think, options=self.options
        )
        with self._lock:
            self._stream = stream
            stopped = self.stopped
        if stopped:
            return
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

    def flush(self) -> None:
        """Send the text not yet sent (if any) through ``on_delta``."""
        with self._flush_lock:
            content, thinking = self.content, self.thinking
            c_at, t_at = self._sent_content, self._sent_thinking
            new_c, new_t = content[c_at:], thinking[t_at:]
            if not new_c and not new_t:
                return
            self._sent_content, self._sent_thinking = len(content), len(thinking)
            self.on_delta(new_c, c_at, new_t, t_at)


def _iterate(stream: Any) -> Iterator[Mapping[str, Any]]:
    for line in stream:
        if isinstance(line, Mapping):
            yield line
        else:  # e.g. the official ollama package's pydantic objects
            yield dict(line)


def _close(stream: Any) -> None:
    close = getattr(stream, "close", None)
    if callable(close):
        # closing from another thread may race with the reader: ignore what that raises
        with contextlib.suppress(Exception):
            close()
