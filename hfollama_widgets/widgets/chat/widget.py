"""ChatWidget: chat with an Ollama model in a notebook, tokens streaming in as they come.

Example (against the real Hub and Ollama)::

    import hfollama_widgets as hfw
    chat = hfw.ChatWidget(hfw.Client(), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
                          system="Answer briefly.", options={"temperature": 0.2})
    chat                      # the widget: type, Enter to send, Shift+Enter for a new line
    chat.send("Hi!")          # or from Python; returns at once
    chat.wait()               # block until the reply is complete (returns its history entry)
    chat.messages             # [{"role": "system", ...}, {"role": "user", ...}, {"role": ...}]
    chat.to_dataframe()       # role, content, thinking, model, tokens, tokens_per_s, ..., error

Design (why it does not flood the browser):

- The reply streams in a daemon thread (:class:`~.stream.ReplyRun`, a background job). The
  conversation is not a synced trait: Python keeps the full list (``history``), each view its
  own copy, and custom messages carry only what is new (:mod:`~.protocol`): per turn the user's
  message once, the reply's new text as deltas (batched by :class:`~.stream.FlushPolicy`: at
  most one per ``flush_interval``, and only once ``flush_bytes`` are waiting or
  ``flush_max_wait`` has passed), then the reply's stats in one small message. A view that
  renders (late, a second one, after a reload) asks once for the conversation and the reply's
  text so far.
- One reply at a time: sending while a reply streams is refused (Python raises
  :class:`~hfollama_widgets.errors.ChatBusyError` with the fix; the UI swaps Send for Stop).
  Stop keeps the partial answer, marked ``stopped``.
- A failed reply keeps the history and the partial answer, shows the error (message + fix), and
  Retry/Regenerate re-sends the last user turn.
- Until Ollama answers (it may be loading the model) the page shows "Waiting for Ollama to load
  the model" with the seconds elapsed. A Stop then ends the reply at once (marked ``stopped``);
  the unanswered request is left to end on its own (an answer is dropped, a timeout ignored).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import traitlets

from hfollama_widgets.errors import ChatBusyError, HFOllamaError
from hfollama_widgets.ollama import Client
from hfollama_widgets.widgets._base import STATIC, FrontEndActions, Jobs, WidgetBase, error_dict
from hfollama_widgets.widgets.chat.history import (
    entries_from_messages,
    entries_to_messages,
    history_to_dataframe,
    new_entry,
    stats_from_final,
)
from hfollama_widgets.widgets.chat.protocol import end_message, log_message
from hfollama_widgets.widgets.chat.stream import FlushPolicy, ReplyDelta, ReplyRun

__all__ = ["FRONT_END_ACTIONS", "ChatWidget"]

#: Front-end message ``type`` -> (ChatWidget method, message field passed to it).
FRONT_END_ACTIONS: FrontEndActions = {
    "send": ("_send_from_page", "text"),
    "stop": ("stop", None),
    "clear": ("clear", None),
    "regenerate": ("_regenerate_from_page", None),
    "retry": ("_regenerate_from_page", None),
    "sync": ("_answer_sync", "view"),
}


class ChatWidget(WidgetBase):
    """A chat box for one Ollama model; see the module docstring for the full tour.

    >>> import hfollama_widgets as hfw
    >>> chat = hfw.ChatWidget(hfw.Client("http://127.0.0.1:9"), "llama3.2", system="Be brief.")
    >>> chat
    ChatWidget(model='llama3.2', messages=0, idle)
    >>> chat.messages
    [{'role': 'system', 'content': 'Be brief.'}]
    """

    _esm = STATIC / "chat.js"
    _css = STATIC / "chat.css"
    front_end_actions = FRONT_END_ACTIONS

    model = traitlets.Unicode().tag(sync=True)
    #: System prompt (editable in the UI's settings); "" for none.
    system = traitlets.Unicode("").tag(sync=True)
    #: Ollama ``options`` sent with every request (the UI edits ``temperature``).
    options = traitlets.Dict().tag(sync=True)
    #: Ollama's ``think``: None (server default), True/False, or "low"/"medium"/"high".
    think = traitlets.Union(
        [traitlets.Bool(), traitlets.Unicode()], allow_none=True, default_value=None
    ).tag(sync=True)
    #: Finished messages (see :mod:`~.history`); the in-progress reply is not in here. Not
    #: synced: the views get what is new as messages (:mod:`~.protocol`). Assigning a new list
    #: sends it whole to the views, once.
    history = traitlets.List(traitlets.Dict())
    #: Id of the reply being streamed, "" when idle (the views learn it from the messages).
    streaming = traitlets.Unicode("")

    def __init__(
        self,
        client: Client,
        model: str,
        *,
        system: str | None = None,
        options: Mapping[str, Any] | None = None,
        think: bool | str | None = None,
        messages: Iterable[Mapping[str, Any]] | None = None,
        tools: Sequence[Any] | None = None,
        flush_interval: float = 0.06,
        flush_bytes: int = 200,
        flush_max_wait: float = 0.6,
        **kwargs: Any,
    ) -> None:
        start = list(messages or [])
        if system is None:  # a system message of the conversation given is the system prompt
            system = next(
                (str(m.get("content") or "") for m in start if m.get("role") == "system"), None
            )
        super().__init__(
            model=model,
            system=system or "",
            options=dict(options or {}),
            think=think,
            history=entries_from_messages(start),
            **kwargs,
        )
        self.client = client
        #: Ollama ``tools`` passed with every request (``None``: the ``tools`` field is not sent).
        self.tools = list(tools) if tools is not None else None
        self.flush_policy = FlushPolicy(
            interval_s=flush_interval, min_bytes=flush_bytes, max_wait_s=flush_max_wait
        )
        self._lock = threading.RLock()
        self._own_change = 0  # > 0 while the widget itself changes `history` (already announced)
        self.observe(self._history_assigned, names="history")
        # The current reply is the latest job; idle is that job being done, so a reply that
        # ends late never marks the next one idle (nor takes its Stop).
        self._jobs: Jobs[ReplyRun] = Jobs("ChatWidget")
        self._ended: set[str] = set()  # ids of replies already put into the history
        self._reply: dict[str, Any] | None = None  # the entry the current run fills

    # -- public API ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation as Ollama ``messages`` (system first), ready for ``client.chat``;
        an assistant message that called tools carries Ollama's ``tool_calls``.

        Assistant ``thinking`` is left out (use :meth:`get_messages` with ``thinking=True`` to keep
        it as Ollama's separate ``thinking`` field); failed replies are left out; stopped ones stay.
        """
        return self.get_messages()

    def get_messages(self, *, thinking: bool = False) -> list[dict[str, Any]]:
        """Like :attr:`messages`; ``thinking=True`` adds each reply's reasoning as ``thinking``."""
        return entries_to_messages(self.history, system=self.system or None, thinking=thinking)

    def to_dataframe(self) -> pd.DataFrame:
        """The history, one row per message: role, content, thinking, model, tokens, tokens_per_s,
        duration_s, done_reason, ttft_s (time to first token), stopped, error (message or None)."""
        return history_to_dataframe(self.history, system=self.system or None)

    @property
    def is_streaming(self) -> bool:
        """True while a reply is being streamed."""
        run = self._jobs.current
        return self._jobs.busy and run is not None and not run.abandoned

    def send(self, content: str | Mapping[str, Any], buffers: Any = None) -> None:
        """Send a user message and stream the reply in the background (returns at once).

        Raises :class:`~hfollama_widgets.errors.ChatBusyError` if a reply is still streaming.
        (A dict is passed on to ``ipywidgets.Widget.send`` as a custom message, so the widget
        machinery keeps working.)
        """
        if not isinstance(content, str):
            super().send(dict(content), buffers)
            return
        self._send_user(content)

    def _send_user(self, text: str) -> None:
        if not text.strip():
            raise HFOllamaError("The message is empty.", fix="Type something to send.")
        with self._lock:
            self._refuse_if_busy()
            entry = new_entry("user", text)
            keep = len(self.history)
            self._set_history([*self.history, entry])
            self._start_reply(keep, [entry])

    def regenerate(self) -> None:
        """Drop the last reply (stopped, failed or finished); ask again for the last user turn.

        Raises :class:`~hfollama_widgets.errors.ChatBusyError` if a reply is still streaming.
        """
        with self._lock:
            self._refuse_if_busy()
            history = list(self.history)
            while history and history[-1]["role"] != "user":
                history.pop()
            if not history:
                raise HFOllamaError("There is nothing to answer yet.", fix="Send a message first.")
            self._set_history(history)
            self._start_reply(len(history), [])

    #: Retry after an error re-sends the last user turn, exactly like :meth:`regenerate`.
    retry = regenerate

    def stop(self) -> None:
        """Stop the reply being streamed (if any); its partial text stays, marked ``stopped``."""
        run, reply = self._jobs.current, self._reply
        if run is None:
            return
        run.stop()
        if not run.responded and not run.done.is_set() and reply is not None:
            # still waiting for Ollama's answer: the blocked request cannot be closed, so the
            # reply ends now and the run is abandoned (see the module docstring)
            run.abandoned = True
            self._reply_ended(run, reply)

    def clear(self) -> None:
        """Stop any reply and empty the conversation (system prompt and options are kept)."""
        self.stop()
        self.wait(timeout=10)
        with self._lock, self.hold_sync():
            self._set_history([])
            self._send_message(log_message(0))
            self._clear_error()

    def wait(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Block until the current reply is finished; return the last history entry (or None).

        Raises ``TimeoutError`` if the reply is still streaming after ``timeout`` seconds.
        """
        run = self._jobs.current
        if run is not None and not run.abandoned and not run.wait(timeout):
            raise TimeoutError(f"The reply is still streaming after {timeout} s.")
        return dict(self.history[-1]) if self.history else None

    # -- internals ----------------------------------------------------------------------------

    def _text_repr(self) -> str:
        state = "streaming" if self.is_streaming else ("error" if self.error else "idle")
        return f"ChatWidget(model={self.model!r}, messages={len(self.history)}, {state})"

    def _refuse_if_busy(self) -> None:
        if self.is_streaming:
            raise ChatBusyError(
                "A reply is still streaming; one message at a time.",
                fix="Wait for it with chat.wait(), or stop it with chat.stop(), then send again.",
            )

    def _set_history(self, history: list[dict[str, Any]]) -> None:
        """Change ``history`` without sending it (the caller sends what changed)."""
        self._own_change += 1
        try:
            self.history = history
        finally:
            self._own_change -= 1

    def _history_assigned(self, _change: object = None) -> None:
        """``chat.history = [...]`` from outside: every view gets the new list, once."""
        if self._own_change:
            return
        with self._lock:
            live = self.streaming or None
            self._send_message(log_message(0, self.history, live=live))

    def _start_reply(self, keep: int, add: list[dict[str, Any]]) -> None:
        """Start streaming a reply to the current history (caller holds the lock); the views
        learn of it (``keep`` entries kept, ``add`` appended) in one message."""
        reply = new_entry("assistant", model=self.model)
        run = ReplyRun(
            self.client,
            self.model,
            self.get_messages(),
            on_delta=lambda delta: self._send_delta(reply["id"], delta),
            on_end=lambda ended: self._reply_ended(ended, reply),
            think=self.think,
            options=self.options,
            tools=self.tools,
            flush=self.flush_policy,
            name=f"hfw-chat-{reply['id']}",
        )
        self._clear_error()
        self.streaming = reply["id"]
        self._send_message(log_message(keep, add, live=reply["id"]))
        self._reply = reply
        self._jobs.start(run)

    def _reply_ended(self, run: ReplyRun, reply: dict[str, Any]) -> None:
        """In the reply's thread, before it counts as done (or at a Stop before Ollama answered):
        the reply goes into the history, once."""
        with self._lock:
            if reply["id"] in self._ended:
                return  # an abandoned run ending late
            self._ended.add(reply["id"])
        try:
            reply.update(content=run.content, thinking=run.thinking, stopped=run.stopped)
            if run.final is not None:
                reply.update(stats_from_final(run.final))
            if run.first_token_at is not None and run.started_at is not None:
                reply["ttft_s"] = round(run.first_token_at - run.started_at, 4)
            if run.tool_calls:
                reply["tool_calls"] = list(run.tool_calls)
            if run.error is not None:
                reply["error"] = error_dict(run.error)
            with self._lock, self.hold_sync():
                self._set_history([*self.history, reply])
                self._send_message(end_message(reply, model=self.model))
                if run.error is not None:
                    self._show_error(run.error)
                if self.streaming == reply["id"]:
                    self.streaming = ""
        except BaseException as exc:  # never leave the widget stuck in "streaming"
            with self._lock, self.hold_sync():
                self.error = error_dict(exc)
                self.streaming = ""
                self._send_message(log_message(len(self.history)))  # the views: no live reply

    def _send_delta(self, reply_id: str, delta: ReplyDelta) -> None:
        # A delta of answer text names no reply: it continues the live one. A run sends only
        # before its reply ends (``ended`` flushes, then ``on_end``), and the next reply starts
        # only after that; an abandoned run (Stop before Ollama answered) has no text. This
        # check keeps it so should a late delta ever come (no lock: the run's flush lock is
        # held here, and ``_answer_sync`` takes the two the other way round).
        if reply_id not in self._ended:
            self._send_message(delta.to_message(reply_id))

    def _send_message(self, message: Any) -> None:
        """One custom message to every view (and relay)."""
        super().send(message)

    # -- front-end messages (FRONT_END_ACTIONS) -----------------------------------------------

    def _send_from_page(self, text: str | None) -> None:
        if not self.is_streaming:  # the UI hides Send while streaming; ignore a race
            self._send_user(text or "")

    def _regenerate_from_page(self) -> None:
        if not self.is_streaming:
            self.regenerate()

    def _answer_sync(self, view: str | None) -> None:
        """Answer a view that renders (it has nothing yet) with the conversation and the live
        reply's text so far, in one message; no delta goes out in between."""
        with self._lock:
            run, live = self._jobs.current, self.streaming or None
            if live is None or run is None or run.done.is_set():
                self._send_message(log_message(0, self.history, view=view or ""))
                return
            run.snapshot(
                lambda text: self._send_message(
                    log_message(0, self.history, live=live, view=view or "", **text)
                )
            )
