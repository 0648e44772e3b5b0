"""Deterministic "model output" for FakeOllama: replies, thinking, tokens, embeddings.

Same input, same output: tests can compare a streamed reply with the non-streamed one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "ReplyFn",
    "embedding",
    "json_reply",
    "last_user_text",
    "reply_text",
    "thinking_text",
    "tokenize",
]

ReplyFn = Callable[[str, list[dict[str, Any]]], str]
EMBEDDING_DIM = 768

_OPENERS = (
    "Here is a short answer.",
    "Good question! Here is what I can tell you.",
    "Sure, let me explain.",
    "Happy to help with that.",
)
_TOKEN = re.compile(r"\s*\S+|\s+")


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    for message in reversed(messages):
        if str(message.get("role", "")).lower() == "user":
            return str(message.get("content") or "")
    return ""


def reply_text(model: str, messages: Sequence[Mapping[str, Any]]) -> str:
    """The markdown reply (with a fenced code block) to the conversation.

    A last user message starting with ``echo:`` is answered with the rest, verbatim.

    >>> reply_text("m", [{"role": "user", "content": "echo:<b>hi</b>"}])
    '<b>hi</b>'
    """
    prompt = last_user_text(messages)
    if prompt.startswith("echo:"):
        return prompt[len("echo:") :]
    rng = random.Random(_seed(model, prompt))
    quoted = " ".join(prompt.split())[:60] or "(empty)"
    turns = sum(1 for m in messages if str(m.get("role", "")).lower() == "user")
    return (
        f"{rng.choice(_OPENERS)} You asked: *{quoted}*\n\n"
        f"**Key points** (turn {turns}, model `{model}`):\n\n"
        "- The reply streams token by token.\n"
        "- It is deterministic: same question, same answer.\n\n"
        "```python\n"
        "def greet(name: str) -> str:\n"
        '    return f"Hello, {name}!"\n'
        "```\n\n"
        "That's all for now."
    )


def thinking_text(model: str, messages: Sequence[Mapping[str, Any]]) -> str:
    prompt = " ".join(last_user_text(messages).split())[:40]
    return f"Okay, the user asked about {prompt!r}. Let me think step by step and answer briefly."


def _example(schema: Mapping[str, Any], text: str) -> Any:
    kind = schema.get("type")
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: _example(v if isinstance(v, Mapping) else {}, text) for k, v in props.items()}
    if kind == "array":
        items = schema.get("items")
        return [_example(items if isinstance(items, Mapping) else {}, text)]
    if kind == "integer":
        return 42
    if kind == "number":
        return 4.2
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return text


def json_reply(format: Any, text: str) -> str:
    """A JSON document for ``format: "json"`` or a JSON-schema ``format``."""
    summary = text.splitlines()[0][:80] if text else ""
    if isinstance(format, Mapping):
        return json.dumps(_example(format, summary))
    return json.dumps({"response": summary})


def tokenize(text: str) -> list[str]:
    """Split into word-ish tokens whose concatenation is ``text``."""
    return _TOKEN.findall(text)


@functools.lru_cache(maxsize=4096)
def _word_vector(word: str, dim: int) -> tuple[float, ...]:
    rng = random.Random(_seed("w", word))
    return tuple(rng.gauss(0.0, 1.0) for _ in range(dim))


def embedding(
    model: str, text: str, dim: int = EMBEDDING_DIM, normalize: bool = True
) -> list[float]:
    """A bag-of-words vector: texts sharing words point the same way (cosine similarity)."""
    words = re.findall(r"\w+", text.lower()) or [text]
    vec = [0.0] * dim
    for word in words:
        for i, x in enumerate(_word_vector(f"{model}|{word}", dim)):
            vec[i] += x
    norm = math.sqrt(sum(x * x for x in vec)) or 1.0
    scale = 1.0 / norm if normalize else 10.0 / norm
    return [x * scale for x in vec]


def l2_normalize(vec: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vec)) or 1.0
    return [x / norm for x in vec]
