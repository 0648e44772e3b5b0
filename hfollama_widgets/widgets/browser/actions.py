"""What :class:`~hfollama_widgets.widgets.browser.GGUFBrowser` does when asked: the front
end's messages, Pull and Chat.

:data:`FRONT_END_ACTIONS` maps a message from the page to the browser method it asks for
(dispatched by :class:`~hfollama_widgets.widgets._base.WidgetBase`);
:func:`pullable_ref` checks what a Pull / Chat click (or call) names against the table;
:class:`ModelPanel` keeps one PullProgress and one ChatWidget per model ref and shows them, in
the order they were opened, in an ``ipywidgets.VBox`` under the browser.

>>> rows = [{"pullable": False, "tag": "Q8_0", "filename": "m-Q8_0-00001-of-00002.gguf",
...          "why": "split into 2 files"}]
>>> blocked_row("hf.co/o/m:Q8_0", rows, repo_id="o/m")["why"]
'split into 2 files'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets

from hfollama_widgets.errors import InvalidModelRefError, OllamaConnectionError
from hfollama_widgets.ollama import Client
from hfollama_widgets.refs import parse_model_ref
from hfollama_widgets.widgets._base import FrontEndActions
from hfollama_widgets.widgets.chat import ChatWidget
from hfollama_widgets.widgets.pull_progress import PullProgress

__all__ = [
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
    """The PullProgress / ChatWidget a browser opened, one of each per model ref, in :attr:`box`.

    ``on_pull_state(ref, state)`` is called on every state change of a pull (from the pull's
    thread).
    """

    def __init__(self, client: Client | None, on_pull_state: Callable[[str, str], None]) -> None:
        self.client = client
        self.box = ipywidgets.VBox()
        self.pulls: dict[str, PullProgress] = {}
        self.chats: dict[str, ChatWidget] = {}
        self._on_pull_state = on_pull_state

    def pull(self, ref: str) -> PullProgress:
        """Start pulling ``ref`` (a failed or cancelled pull of it is retried in place)."""

        existing = self.pulls.get(ref)
        if existing is not None:
            if existing.state in ("error", "cancelled"):
                existing.retry()  # Ollama resumes the layers it already has
            return existing
        widget = PullProgress(self._require_client(), ref, start=False)
        widget.observe(lambda change: self._on_pull_state(ref, change["new"]), names="state")
        self.pulls[ref] = widget
        self._show(widget)
        widget.start()
        return widget

    def chat(self, ref: str) -> ChatWidget:
        """The ChatWidget on ``ref`` (opened the first time)."""

        existing = self.chats.get(ref)
        if existing is not None:
            return existing
        widget = ChatWidget(self._require_client(), ref)
        self.chats[ref] = widget
        self._show(widget)
        return widget

    def close(self) -> None:
        """Close the panel box."""
        self.box.close()

    def _show(self, widget: PullProgress | ChatWidget) -> None:
        self.box.children = (*self.box.children, widget)

    def _require_client(self) -> Client:
        if self.client is None:
            raise OllamaConnectionError(
                "This browser has no Ollama client, so it cannot pull or chat.",
                fix="Create it with a client: hfw.GGUFBrowser(repo_id, client=hfw.Client()).",
            )
        return self.client
