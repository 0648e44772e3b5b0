"""Byte-split model files: one ``.gguf`` cut into raw pieces to join with ``cat`` (pure, no I/O).

Not to be confused with GGUF shards (``…-00001-of-00003.gguf``, :func:`~hfollama_widgets.quants.
parse_shard`), where every part is a complete GGUF file that llama.cpp and Ollama's ``create``
load as a set. A byte split's pieces carry no GGUF header past the first, so nothing loads them,
and the Hub's Ollama registry never offers them, until they are concatenated:

- mradermacher: ``Model.Q6_K.gguf.part1of2``, ``….part2of2`` (the model cards say
  ``cat Model.Q6_K.gguf.part1of2 Model.Q6_K.gguf.part2of2 > Model.Q6_K.gguf``);
- TheBloke: ``model.Q6_K.gguf-split-a``, ``…-split-b`` (the cards of e.g.
  TheBloke/Falcon-180B-Chat-GGUF: "To join the files, … cat …-split-* > model.Q6_K.gguf").

>>> parse_byte_split("Llama-70B.Q6_K.gguf.part1of2")
ByteSplit(joined='Llama-70B.Q6_K.gguf', index=1, total=2, style='partNofM')
>>> parse_byte_split("falcon-180b-chat.Q6_K.gguf-split-b")
ByteSplit(joined='falcon-180b-chat.Q6_K.gguf', index=2, total=None, style='split-letter')
>>> parse_byte_split("Model-Q4_K_M.gguf") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["JOIN_NOTE", "ByteSplit", "parse_byte_split"]

_PART_RE = re.compile(r"^(?P<joined>.+\.gguf)\.part(?P<no>\d{1,3})of(?P<count>\d{1,3})$", re.I)
_LETTER_RE = re.compile(r"^(?P<joined>.+\.gguf)-split-(?P<letter>[a-z])$", re.I)

#: What the listing says about a byte-split row (``note`` column).
JOIN_NOTE = (
    "byte-split file ({count} parts): download every part and join them with `cat` "
    "(in order) into {name}; Ollama cannot pull it from the Hub"
)


@dataclass(frozen=True)
class ByteSplit:
    """One piece of a byte-split file: the joined file's path, its 1-based ``index`` and the
    ``total`` the name declares (``None`` for ``-split-a`` names, which do not say)."""

    joined: str
    index: int
    total: int | None
    style: Literal["partNofM", "split-letter"]


def parse_byte_split(path: str) -> ByteSplit | None:
    """The :class:`ByteSplit` a path names, or ``None`` (folders are kept in ``joined``).

    >>> parse_byte_split("sub/M.IQ4_XS.gguf.part2of3").joined
    'sub/M.IQ4_XS.gguf'
    """
    if not isinstance(path, str):
        return None
    m = _PART_RE.match(path)
    if m:
        index, total = int(m.group("no")), int(m.group("count"))
        if 1 <= index <= total:
            return ByteSplit(m.group("joined"), index, total, "partNofM")
        return None
    m = _LETTER_RE.match(path)
    if m:
        index = ord(m.group("letter").lower()) - ord("a") + 1
        return ByteSplit(m.group("joined"), index, None, "split-letter")
    return None
