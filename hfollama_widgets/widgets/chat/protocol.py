"""What a ChatWidget and its views say to each other: traffic proportional to what is new.

The conversation is NOT a synced trait (it would be re-sent whole on every change). Python
keeps the full list (``chat.history``) and each view keeps its own copy, kept in step by custom
messages on the widget's comm (ordered, and seen by every view of the widget):

- ``{"type": "log", "keep": k, "add": [entries], "live": id | None}``: keep the first ``k``
  entries, append ``add``, and the reply ``live`` is now streaming (``None``: none is). One per
  turn: a send (``add`` = the user's message), a regenerate/retry (``keep`` drops the old reply,
  nothing added), a clear (``keep`` 0). The answer to a view's ``sync`` is one too, with
  ``keep`` 0, everything in ``add``, the live reply's text so far (``content``, ``thinking``)
  and the asking view's token in ``view`` (other views, already in step, ignore it).
- a delta (:class:`~.stream.ReplyDelta`), new text of the live reply: the bare string
  ``"text"`` when it is answer text only (the common case, many a second: it continues the live
  reply the ``log`` message named, and the comm keeps order), or, with new thinking text,
  ``["d", id, content_at, content, thinking_at, thinking]`` at its offsets.
- ``{"type": "end", "id", "entry": {stats...}, "content_length", "thinking_length"?}``: the live
  reply is finished and appended; its text is what the deltas carried (the lengths let a view
  check that it has all of it; ``thinking_length`` only when there was thinking), so only the
  small stats entry goes out (without the id, role and model the view already knows).

A view sends ``{"type": "sync", "view": token}`` once when it renders (it has nothing yet) and
again only if it finds a gap (a message it cannot place); until the answer comes it ignores the
rest (the answer reflects everything sent before it, and the comm keeps order).

>>> log_message(2, [{"id": "m3", "role": "user", "content": "Hi"}], live="m4")["keep"]
2
>>> end = end_message({"id": "m4", "content": "Hello", "thinking": "", "tokens": 1})
>>> end["entry"], end["content_length"]
({'tokens': 1}, 5)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["compact", "end_message", "log_message"]

#: Entry fields whose text the deltas already carried (left out of the ``end`` message).
STREAMED_FIELDS = ("content", "thinking")


def compact(entry: Mapping[str, Any]) -> dict[str, Any]:
    """``entry`` without the fields at their empty default (``None``, ``""``, ``False``): the
    views read a missing field as empty, and a turn's fixed cost stays small.

    >>> compact({"id": "m1", "role": "user", "content": "Hi", "error": None, "stopped": False})
    {'id': 'm1', 'role': 'user', 'content': 'Hi'}
    """
    return {k: v for k, v in entry.items() if v is not None and v != "" and v is not False}


def log_message(
    keep: int,
    add: Sequence[Mapping[str, Any]] = (),
    *,
    live: str | None = None,
    view: str | None = None,
    content: str = "",
    thinking: str = "",
) -> dict[str, Any]:
    """A ``log`` message (see the module docstring); the live text only when there is some."""
    msg: dict[str, Any] = {"type": "log", "keep": keep, "add": [compact(e) for e in add]}
    msg["live"] = live
    if view is not None:
        msg["view"] = view
    if content:
        msg["content"] = content
    if thinking:
        msg["thinking"] = thinking
    return msg


def end_message(entry: Mapping[str, Any], *, model: str | None = None) -> dict[str, Any]:
    """The ``end`` message for a finished reply ``entry``: its stats, not its text (nor its
    ``role``, always "assistant", nor its ``model`` when it is the widget's ``model``)."""
    small = {k: v for k, v in compact(entry).items() if k not in STREAMED_FIELDS}
    for known in ("role", "id"):  # always "assistant"; the id is the message's own
        small.pop(known, None)
    if model is not None and small.get("model") == model:
        del small["model"]
    msg = {
        "type": "end",
        "id": entry["id"],
        "entry": small,
        "content_length": len(entry.get("content") or ""),
    }
    if entry.get("thinking"):
        msg["thinking_length"] = len(entry["thinking"])
    return msg
