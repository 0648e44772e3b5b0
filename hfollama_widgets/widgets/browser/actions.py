"""What :class:`~hfollama_widgets.widgets.browser.GGUFBrowser` does when asked: the front
end's messages, Pull and Chat.

:data:`FRONT_END_ACTIONS` maps a message from the page to the browser method it asks for
(dispatched by :class:`~hfollama_widgets.widgets._base.WidgetBase`);
:func:`pullable_ref` checks what a Pull / Chat click (or call) names against the table;
:class:`ModelPanel` keeps one PullProgress and one ChatWidget per model ref and relays their
state and messages, so the browser's own view shows them (in the order they were opened).

>>> rows = [{"pullable": False, "tag": "Q8_0", "filename": "m-Q8_0-00001-of-00002.gguf",
...          "why": "split into 2 files"}]
>>> blocked_row("hf.co/o/m:Q8_0", rows, repo_id="o/m")["why"]
'split into 2 files'
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import ipywidgets

from hfollama_widgets.errors import HFOllamaError, InvalidModelRefError, OllamaConnectionError
from hfollama_widgets.ollama import Client
from hfollama_widgets.refs import parse_model_ref
from hfollama_widgets.widgets._base import FrontEndActions
from hfollama_widgets.widgets.browser.table import stored_name
from hfollama_widgets.widgets.chat import ChatWidget
from hfollama_widgets.widgets.pull_progress import PullProgress

__all__ = [
    "CHILD_MESSAGES",
    "FRONT_END_ACTIONS",
    "ModelPanel",
    "blocked_row",
    "pullable_ref",
]

Row = dict[str, Any]

#: Front-end message ``type`` -> (GGUFBrowser method, the message field passed to it, if any).
FRONT_END_ACTIONS: FrontEndActions = {
    "load": ("load", "repo_id"),
    "search": ("search", "query"),
    "pull": ("pull", "ref"),
    "chat": ("chat", "ref"),
    "refresh_local": ("refresh_local", None),
}

#: Messages from the views of the browser's children (see :meth:`ModelPanel.from_front_end`).
CHILD_MESSAGES = frozenset({"child_msg", "child_set"})


def pullable_ref(model: str | None, rows: Sequence[Row], *, repo_id: str) -> str:
    """``model`` if Ollama can pull it; raises InvalidModelRefError (with the fix) otherwise.

    ``model`` is what was clicked or passed, else the selection (``None``: nothing selected).
    A ref to a row of the shown table that is not pullable (split, sidecar) is refused here,
    with the table's reason, before Ollama is asked.
    """
    if not model:
        raise InvalidModelRefError(
            "No model selected.", fix="Click a row of the table, or pass a model reference."
        )
    blocked = blocked_row(model, rows, repo_id=repo_id)
    if blocked is not None:
        raise InvalidModelRefError(
            f"{model} cannot be pulled into Ollama: {blocked.get('why')}",
            fix="Pick a single-file model quant from the table.",
        )
    return str(model)


def blocked_row(ref: str, rows: Sequence[Row], *, repo_id: str) -> Row | None:
    """The shown row ``ref`` points at if that row is not pullable (split, sidecar)."""

    try:
        parsed = parse_model_ref(ref)
    except InvalidModelRefError:
        return None  # not an hf.co ref: Ollama answers for itself
    if parsed.repo_id.lower() != repo_id.lower() or not parsed.quantization:
        return None
    tag = parsed.quantization.lower()
    for row in rows:
        if row.get("pullable"):
            continue
        names = {str(row.get("filename") or ""), str(row.get("tag") or "")}
        names |= {n.rsplit("/", 1)[-1] for n in names}
        if tag in {n.lower() for n in names if n}:
            return row
    return None


class ModelPanel:
    """The PullProgress / ChatWidget a browser opened, one of each per model ref.

    They are not displayed on their own: each is shown inside the browser's own view (so any
    anywidget front end shows them, with no ipywidgets container). :attr:`children` mirrors
    each one's synced state, ``child id -> {"kind": "pull" | "chat", "ref", "state"}``, and is
    handed to ``on_children`` on every change; each custom message a child sends goes to
    ``send`` as ``{"type": "child", "id", "msg"}``. :meth:`from_front_end` takes what the
    embedded views send back (``{"type": "child_msg", "id", "content"}`` and
    ``{"type": "child_set", "id", "state"}``).

    ``on_pull_state(ref, state)`` is called on every state change of a pull (from the pull's
    thread). :attr:`box` is an empty ``ipywidgets.VBox``, kept for compatibility.
    """

    def __init__(
        self,
        client: Client | None,
        on_pull_state: Callable[[str, str], None],
        on_children: Callable[[dict[str, Any]], None] = lambda children: None,
        send: Callable[[dict[str, Any]], None] = lambda message: None,
    ) -> None:
        self.client = client
        self.box = ipywidgets.VBox()
        self.pulls: dict[str, PullProgress] = {}
        self.chats: dict[str, ChatWidget] = {}
        self.children: dict[str, dict[str, Any]] = {}
        self._widgets: dict[str, PullProgress | ChatWidget] = {}
        self._on_pull_state = on_pull_state
        self._on_children = on_children
        self._send = send
        self._lock = threading.Lock()

    def pull(self, ref: str) -> PullProgress:
        """Start pulling ``ref`` (a failed or cancelled pull of it is retried in place)."""

        existing = self.pulls.get(ref)
        if existing is not None:
            if existing.state in ("error", "cancelled"):
                existing.retry()  # Ollama resumes the layers it already has
            return existing
        widget = embedded(PullProgress, self._require_client(), ref, start=False)
        widget.observe(lambda change: self._on_pull_state(ref, change["new"]), names="state")
        self.pulls[ref] = widget
        self._embed("pull", ref, widget)
        widget.start()
        return widget

    def chat(self, ref: str) -> ChatWidget:
        """The ChatWidget on ``ref`` (opened the first time), on the name its pull stored."""

        existing = self.chats.get(ref)
        if existing is not None:
            return existing
        # A pull that current Ollama refused as hf.co/ is retried as huggingface.co/ (the realm
        # host check, ollama/ollama server/auth.go:60): the model is stored under that name.
        pulled = self.pulls.get(ref)
        client = self._require_client()
        model = pulled.model if pulled is not None and pulled.model else self._stored(client, ref)
        widget = embedded(ChatWidget, client, model)
        self.chats[ref] = widget
        self._embed("chat", ref, widget)
        return widget

    @staticmethod
    def _stored(client: Client, ref: str) -> str:
        """The name Ollama stored ``ref`` under (a model pulled earlier, maybe as
        ``huggingface.co/…``); ``ref`` itself if Ollama has none or cannot be asked (the chat
        then shows Ollama's own error, with its fix)."""
        try:
            return stored_name(client.list(), ref) or ref
        except HFOllamaError:
            return ref

    def from_front_end(self, content: Any) -> bool:
        """Pass a message from a child's view in the browser's page on to that child; False if
        ``content`` is not such a message (it is for the browser itself)."""
        if not isinstance(content, Mapping) or content.get("type") not in CHILD_MESSAGES:
            return False
        widget = self._widgets.get(str(content.get("id")))
        if widget is None:
            return True  # a child this browser does not have: ignored
        if content.get("type") == "child_msg":
            widget.handle_front_end(content.get("content"))
        elif content.get("type") == "child_set" and isinstance(content.get("state"), Mapping):
            names = set(widget.synced_names())
            state = {k: v for k, v in content["state"].items() if k in names}
            if state:
                widget.set_state(state)
        return True

    def close(self) -> None:
        """Close the (empty) panel box."""
        self.box.close()

    def _embed(self, kind: str, ref: str, widget: PullProgress | ChatWidget) -> None:
        child_id = f"{kind}:{ref}"
        names = widget.synced_names()
        self._widgets[child_id] = widget
        widget.relay_messages(lambda msg: self._send({"type": "child", "id": child_id, "msg": msg}))

        def relay_state(_change: object = None) -> None:
            with self._lock:  # children report from their own threads
                entry = {"kind": kind, "ref": ref, "state": widget.get_state(names)}
                self.children = {**self.children, child_id: entry}
                self._on_children(self.children)  # in the lock: never an older one last

        widget.observe(relay_state, names=names)
        relay_state()

    def _require_client(self) -> Client:
        if self.client is None:
            raise OllamaConnectionError(
                "This browser has no Ollama client, so it cannot pull or chat.",
                fix="Create it with a client: hfw.GGUFBrowser(repo_id, client=hfw.Client()).",
            )
        return self.client


class _NoComm:
    """Stands in for a child's comm: the browser draws and drives it, so it has no view of its
    own (no second copy of every delta; nothing for a front end to open)."""

    kernel = None

    def __init__(self) -> None:
        self.comm_id = uuid.uuid4().hex

    def send(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_close(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


_CONSTRUCTION_LOCK = threading.Lock()
W = TypeVar("W", bound=ipywidgets.Widget)


def embedded(factory: Callable[..., W], *args: Any, **kwargs: Any) -> W:
    """A child widget the browser embeds: made without a comm of its own, and without the
    front end's widget-construction hook. marimo registers one
    (``Widget.on_widget_constructed(init_marimo_widget)``, marimo
    ``_output/formatters/ipywidgets_formatters.py``) that opens a comm bound to the running
    cell and fails from a message handler, i.e. when Pull or Chat is clicked.

    >>> import hfollama_widgets as hfw
    >>> chat = embedded(hfw.ChatWidget, hfw.Client("http://127.0.0.1:9"), "m")
    >>> type(chat.comm).__name__
    '_NoComm'
    """
    with _CONSTRUCTION_LOCK:
        hook = ipywidgets.Widget._widget_construction_callback
        ipywidgets.Widget._widget_construction_callback = None
        try:
            return factory(*args, comm=_NoComm(), **kwargs)
        finally:
            ipywidgets.Widget._widget_construction_callback = hook
