"""Pure helpers for ChatWidget's history: entries, messages to re-send to Ollama, DataFrame export.

A history *entry* is a plain JSON-able dict (it is synced to the browser)::

    {"id": "m3", "role": "assistant", "content": "...", "thinking": "...", "model": "hf.co/...",
     "tokens": 42, "tokens_per_s": 31.5, "duration_s": 1.33, "done_reason": "stop", "ttft_s": 0.2,
     "stopped": False, "error": None,   # error: {"type", "message", "fix"} when the reply failed
     "tool_calls": [...]}               # only when the model asked for tools (Ollama's field)

User entries carry ``id``, ``role``, ``content`` (the rest at their defaults).

``tool_calls`` is Ollama's ``message.tool_calls``: a list of
``{"id"?, "function": {"index"?, "name": str, "arguments": dict}}``, each call sent whole in one
stream chunk and kept as sent (ollama/ollama ``api/types.go`` ``Message``/``ToolCall``;
``docs/api.md`` "Streaming with tools"). An assistant message re-sent to Ollama carries it, so the
model sees which calls it made.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "DATAFRAME_COLUMNS",
    "entries_from_messages",
    "entries_to_messages",
    "history_to_dataframe",
    "new_entry",
    "stats_from_final",
]

#: Columns of :meth:`ChatWidget.to_dataframe`, in order.
DATAFRAME_COLUMNS: tuple[str, ...] = (
    "role",
    "content",
    "thinking",
    "model",
    "tokens",
    "tokens_per_s",
    "duration_s",
    "done_reason",
    "ttft_s",
    "stopped",
    "error",
)

_ids = itertools.count(1)


def new_entry(role: str, content: str = "", *, model: str | None = None) -> dict[str, Any]:
    """A fresh history entry with a unique id.

    >>> e = new_entry("user", "Hi")
    >>> (e["role"], e["content"], e["stopped"], e["error"])
    ('user', 'Hi', False, None)
    """
    return {
        "id": f"m{next(_ids)}",
        "role": role,
        "content": content,
        "thinking": "",
        "model": model,
        "tokens": None,
        "tokens_per_s": None,
        "duration_s": None,
        "done_reason": None,
        "ttft_s": None,
        "stopped": False,
        "error": None,
    }


def stats_from_final(line: Mapping[str, Any]) -> dict[str, Any]:
    """Per-reply stats from Ollama's final stream line (``eval_count``, ``eval_duration`` in ns).

    >>> stats_from_final({"done": True, "eval_count": 100, "eval_duration": 2_000_000_000})
    {'tokens': 100, 'tokens_per_s': 50.0, 'duration_s': 2.0, 'done_reason': None}
    """
    count = line.get("eval_count")
    duration_ns = line.get("eval_duration")
    tokens = int(count) if isinstance(count, (int, float)) else None
    duration_s = None
    if isinstance(duration_ns, (int, float)) and duration_ns > 0:
        duration_s = duration_ns / 1e9
    tps = round(tokens / duration_s, 2) if tokens is not None and duration_s else None
    reason = line.get("done_reason")
    return {
        "tokens": tokens,
        "tokens_per_s": tps,
        "duration_s": round(duration_s, 3) if duration_s is not None else None,
        "done_reason": reason if isinstance(reason, str) else None,
    }


def entries_from_messages(messages: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """History entries for Ollama-style ``messages`` (a conversation to start from).

    ``system`` messages are left out (the widget's system prompt holds that); ``thinking`` and
    ``tool_calls`` are kept.

    >>> calls = [{"function": {"name": "get_weather", "arguments": {"city": "Tokyo"}}}]
    >>> [e["role"] for e in entries_from_messages([
    ...     {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather?"},
    ...     {"role": "assistant", "content": "", "tool_calls": calls}])]
    ['user', 'assistant']
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        role = str(message.get("role") or "user")
        if role == "system":
            continue
        entry = new_entry(role, str(message.get("content") or ""))
        entry["thinking"] = str(message.get("thinking") or "")
        calls = message.get("tool_calls")
        if calls:
            entry["tool_calls"] = [dict(c) for c in calls if isinstance(c, Mapping)]
        if role == "tool" and message.get("tool_name"):
            entry["tool_name"] = str(message["tool_name"])
        out.append(entry)
    return out


def entries_to_messages(
    history: Iterable[Mapping[str, Any]],
    *,
    system: str | None = None,
    thinking: bool = False,
) -> list[dict[str, Any]]:
    """The conversation as Ollama ``messages``: system first (if any), then user/assistant turns.

    Failed replies (``error`` set) are left out: they are not part of the conversation, and the
    last user turn is what a retry re-sends. Stopped replies stay in (the user kept them).
    ``thinking=True`` adds the assistant's reasoning as Ollama's separate ``thinking`` field;
    an assistant's ``tool_calls`` (and a tool result's ``tool_name``) are always kept.

    >>> h = [new_entry("user", "Hi"), {**new_entry("assistant", "Hello!"), "thinking": "greet"}]
    >>> for m in entries_to_messages(h, system="Be brief."):
    ...     print(m)
    {'role': 'system', 'content': 'Be brief.'}
    {'role': 'user', 'content': 'Hi'}
    {'role': 'assistant', 'content': 'Hello!'}
    >>> entries_to_messages(h, thinking=True)[-1]
    {'role': 'assistant', 'content': 'Hello!', 'thinking': 'greet'}
    """
    out: list[dict[str, Any]] = []
    if system:
        out.append({"role": "system", "content": system})
    for entry in history:
        if entry.get("error"):
            continue
        msg: dict[str, Any] = {
            "role": str(entry["role"]),
            "content": str(entry.get("content") or ""),
        }
        if thinking and entry["role"] == "assistant" and entry.get("thinking"):
            msg["thinking"] = str(entry["thinking"])
        if entry.get("tool_calls"):
            msg["tool_calls"] = [dict(c) for c in entry["tool_calls"]]
        if entry.get("tool_name"):
            msg["tool_name"] = str(entry["tool_name"])
        out.append(msg)
    return out


def history_to_dataframe(
    history: Iterable[Mapping[str, Any]], *, system: str | None = None
) -> pd.DataFrame:
    """One row per message (system prompt first when set), columns :data:`DATAFRAME_COLUMNS`.

    ``error`` holds the error message text (or ``None``); failed replies are kept as rows.

    >>> df = history_to_dataframe([new_entry("user", "Hi")], system="Be brief.")
    >>> list(df["role"])
    ['system', 'user']
    """
    rows: list[dict[str, Any]] = []
    if system:
        rows.append({**new_entry("system", system), "error": None})
    for entry in history:
        err = entry.get("error")
        rows.append({**entry, "error": err.get("message") if isinstance(err, Mapping) else err})
    df = pd.DataFrame(rows, columns=list(DATAFRAME_COLUMNS))
    df["tokens"] = df["tokens"].astype("Int64")
    df["tokens_per_s"] = df["tokens_per_s"].astype("Float64")
    df["duration_s"] = df["duration_s"].astype("Float64")
    df["ttft_s"] = df["ttft_s"].astype("Float64")
    df["stopped"] = df["stopped"].astype(bool)
    return df
