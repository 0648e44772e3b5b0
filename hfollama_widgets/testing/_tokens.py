"""Deterministic tokenizer arrays for synthetic GGUF headers (``tokenizer.ggml.*``).

The token strings are made up but shaped like the real ones (GPT-2 byte tokens and ``Ġ``
prefixes, SentencePiece ``▁`` pieces and ``<0xNN>`` bytes, WordPiece ``##``), with the repo's
special tokens at their real ids, so the arrays weigh what real ones weigh.

>>> kv = tokenizer_kvs(model="llama", vocab_size=300, special={1: "<s>", 2: "</s>"})
>>> kv["tokenizer.ggml.tokens"][:4]
['<unk>', '<s>', '</s>', '<0x00>']
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

__all__ = ["tokenizer_kvs"]

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, BYTE = 1, 2, 3, 4, 6


@lru_cache(maxsize=1)
def _gpt2_byte_chars() -> tuple[str, ...]:
    """GPT-2's reversible byte -> printable character table (``bytes_to_unicode``)."""
    visible = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    visible += range(ord("®"), ord("ÿ") + 1)
    chars, extra = {}, 0
    for b in range(256):
        if b in visible:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return tuple(chars[b] for b in sorted(chars, key=lambda b: (b not in visible, b)))


def _word(i: int) -> str:
    """A unique lowercase word of at least two letters for index ``i``."""
    n, letters = i + 26, []
    while n >= 0:
        n, r = divmod(n, 26)
        letters.append(chr(97 + r))
        n -= 1
    return "".join(reversed(letters))


def tokenizer_kvs(*, model: str, vocab_size: int, special: Mapping[int, str]) -> dict[str, Any]:
    """``tokens``, ``token_type`` and (by tokenizer kind) ``scores`` / ``merges`` arrays."""
    tokens: list[str] = []
    types: list[int] = []
    if model == "llama":  # SentencePiece
        head = ["<unk>", "<s>", "</s>", *(f"<0x{b:02X}>" for b in range(256))]
        head_types = [UNKNOWN, CONTROL, CONTROL, *([BYTE] * 256)]
        prefix = "▁"
    elif model == "bert":  # WordPiece
        head = ["[PAD]", *(f"[unused{k}]" for k in range(99)), "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        head_types = [CONTROL] * 100 + [UNKNOWN, CONTROL, CONTROL, CONTROL]
        prefix = "##"
    else:  # gpt2-style BPE (llama-bpe, qwen2, gpt-4o, deepseek-v3, ...)
        head = list(_gpt2_byte_chars())
        head_types = [NORMAL] * 256
        prefix = "Ġ"
    for i in range(vocab_size):
        if i < len(head):
            tokens.append(head[i])
            types.append(head_types[i])
        else:
            word = _word(i)
            tokens.append(prefix + word if i % 2 == 0 else word)
            types.append(NORMAL)
    for idx, text in special.items():
        if 0 <= idx < vocab_size:
            tokens[idx] = text
            types[idx] = CONTROL
    out: dict[str, Any] = {"tokenizer.ggml.tokens": tokens}
    if model in ("llama", "bert"):
        out["tokenizer.ggml.scores"] = [
            0.0 if t != NORMAL else -float(i) for i, t in enumerate(types)
        ]
    out["tokenizer.ggml.token_type"] = types
    if model not in ("llama", "bert"):
        n_merges = max(0, vocab_size - 256 - len(special))
        out["tokenizer.ggml.merges"] = [f"{_word(i)[0]} {_word(i)[1:]}" for i in range(n_merges)]
    return out
