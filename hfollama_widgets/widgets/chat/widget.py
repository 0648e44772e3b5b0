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

- The reply streams in a daemon thread (:class:`~.stream.ReplyRun`, a background job). While it
  streams, only the NEW text goes to the browser, as custom messages ``{"type": "delta", ...}``
  (:class:`~.stream.ReplyDelta`), batched to at most one per ``flush_interval`` (50 ms). The
  finished reply is then written once into the synced ``history`` trait, so a re-render, a
  second view or a page reload shows the whole conversation. A view that appears mid-reply
  asks for the partial text (``{"type": "sync"}``).
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
from collections.abc import Mapping
from typing import Any

import pandas as pd
import traitlets

from hfollama_widgets.errors import ChatBusyError, HFOllamaError
from hfollama_widgets.ollama import Client
from hfollama_widgets.widgets._base import STATIC, FrontEndActions, Jobs, WidgetBase, error_dict
from hfollama_widgets.widgets.chat.history import (
    entries_to_messages,
    history_to_dataframe,
    new_entry,
    stats_from_final,
)
from hfollama_widgets.widgets.chat.stream import ReplyDelta, ReplyRun

__all__ = ["FRONT_END_ACTIONS", "ChatWidget"]

#: Front-end message ``type`` -> (ChatWidget method, message field passed to it).
FRONT_END_ACTIONS: FrontEndActions = {
    "send": ("_send_from_page", "text"),
    "stop": ("stop", None),
    "clear": ("clear", None),
    "regenerate": ("_regenerate_from_page", None),
    "retry": ("_regenerate_from_page", None),
    "sync": ("_send_partial", None),
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
    #: Finished messages (see :mod:`~.history`); the in-progress reply is not in here.
    history = traitlets.List(traitlets.Dict()).tag(sync=True)
    #: Id of the reply being streamed, "" when idle.
    streaming = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        client: Client,
        model: str,
        *,
        system: str | None = None,
        options: Mapping[str, Any] | None = None,
        think: bool | str | None = None,
        flush_interval: float = 0.05,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            model=model, system=system or "", options=dict(options or {}), think=think, **kwargs
        )
        self.client = client
        self.flush_interval = flush_interval
        self._lock = threading.RLock()
        # The current reply is the latest job; idle is that job being done, so a reply that
        # ends late never marks the next one idle (nor takes its Stop).
        self._jobs: Jobs[ReplyRun] = Jobs("ChatWidget")
        self._ended: set[str] = set()  # ids of replies already put into the history
        self._reply: dict[str, Any] | None = None  # the entry the current run fills

    # -- public API ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, str]]:
        """The conversation as Ollama ``messages`` (system first), ready for ``client.chat``.

        Assistant ``thinking`` is left out (use :meth:`get_messages` with ``thinking=True`` to keep
        it as Ollama's separate ``thinking`` field); failed replies are left out; stopped ones stay.
        """
        return self.get_messages()

    def get_messages(self, *, thinking: bool = False) -> list[dict[str, str]]:
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
            self.history = [*self.history, new_entry("user", text)]
            self._start_reply()

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
            self.history = history
            self._start_reply()

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
            self.history = []
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

    def _start_reply(self) -> None:
        """Start streaming a reply to the current history (caller holds the lock)."""
        reply = new_entry("assistant", model=self.model)
        run = ReplyRun(
            self.client,
            self.model,
            self.get_messages(),
            on_delta=lambda delta: self._send_delta(reply["id"], delta),
            on_end=lambda ended: self._reply_ended(ended, reply),
            think=self.think,
            options=self.options,
            interval_s=self.flush_interval,
            name=f"hfw-chat-{reply['id']}",
        )
        with self.hold_sync():
            self._clear_error()
            self.streaming = reply["id"]
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
            if run.error is not None:
                reply["error"] = error_dict(run.error)
            with self._lock, self.hold_sync():
                self.history = [*self.history, reply]
                if run.error is not None:
                    self._show_error(run.error)
                if self.streaming == reply["id"]:
                    self.streaming = ""
        except BaseException as exc:  # never leave the widget stuck in "streaming"
            with self._lock, self.hold_sync():
                self.error = error_dict(exc)
                self.streaming = ""

    def _send_delta(self, reply_id: str, delta: ReplyDelta) -> None:
        super().send(delta.to_message(reply_id))

    # -- front-end messages (FRONT_END_ACTIONS) -----------------------------------------------

    def _send_from_page(self, text: str | None) -> None:
        if not self.is_streaming:  # the UI hides Send while streaming; ignore a race
            self._send_user(text or "")

    def _regenerate_from_page(self) -> None:
        if not self.is_streaming:
            self.regenerate()

    def _send_partial(self) -> None:
        """Answer a view that appears mid-reply with what came so far."""
        run, reply_id = self._jobs.current, self.streaming
        if run is not None and reply_id and not run.done.is_set():
            super().send({"type": "partial", "id": reply_id, **run.snapshot()})
