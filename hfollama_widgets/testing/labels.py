"""How the real Hub names GGUF files: its quant-label regex, sidecar kinds and shard names.

The stand-ins use this module instead of :mod:`hfollama_widgets.quants` on purpose: FakeHub
must behave like the Hub (huggingface.js ``parseGGUFQuantLabel``), not like the code under
test, or a bug in our parser would be hidden by the same bug in the stand-in.

>>> hub_label("Llama-3.2-1B-Instruct-Q4_0_4_4.gguf")
'Q4_0'
>>> hub_label("Qwen3-4B-UD-Q2_K_XL.gguf")
'UD-Q2_K_XL'
>>> hub_label("ggml-model-q4_k.gguf") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The one number shared with the listing: llama.cpp's imatrix files are MB-sized (the sizing and
# its sources are next to the constant), so a multi-GB ``…-imatrix.gguf`` is a model.
from hfollama_widgets.quants import IMATRIX_MAX_BYTES

# huggingface.js packages/tasks/src/gguf.ts GGMLFileQuantizationType, in enum order, plus the
# "MXFP4" alias. JavaScript alternation is leftmost-first, so the order matters.
_HUB_FILE_TYPES = [
    "F32",
    "F16",
    "Q4_0",
    "Q4_1",
    "Q4_1_SOME_F16",
    "Q4_2",
    "Q4_3",
    "Q8_0",
    "Q5_0",
    "Q5_1",
    "Q2_K",
    "Q3_K_S",
    "Q3_K_M",
    "Q3_K_L",
    "Q4_K_S",
    "Q4_K_M",
    "Q5_K_S",
    "Q5_K_M",
    "Q6_K",
    "IQ2_XXS",
    "IQ2_XS",
    "Q2_K_S",
    "IQ3_XS",
    "IQ3_XXS",
    "IQ1_S",
    "IQ4_NL",
    "IQ3_S",
    "IQ3_M",
    "IQ2_S",
    "IQ2_M",
    "IQ4_XS",
    "IQ1_M",
    "BF16",
    "Q4_0_4_4",
    "Q4_0_4_8",
    "Q4_0_8_8",
    "TQ1_0",
    "TQ2_0",
    "MXFP4_MOE",
    "NVFP4",
    "Q1_0",
    "Q2_0",
    "Q2_K_XL",
    "Q3_K_XL",
    "Q4_K_XL",
    "Q5_K_XL",
    "Q6_K_XL",
    "Q8_K_XL",
    "MXFP4",
]
_HUB_QUANT_RE = re.compile(
    r"(UD-)?(" + "|".join(re.escape(q) for q in _HUB_FILE_TYPES) + r")(_[A-Z]+)?"
)
_SHARD_RE = re.compile(r"^(?P<prefix>.*?)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


def hub_label(path: str) -> str | None:
    """The Hub's quant label for a file name (last match wins), or ``None``.

    >>> hub_label("mistral-7b-instruct-v0.2.Q4_K_M.gguf")
    'Q4_K_M'
    """
    matches = list(_HUB_QUANT_RE.finditer(path.upper()))
    return matches[-1].group(0) if matches else None


def sidecar_kind(path: str, size: int | None = None) -> str:
    """``model``, ``mmproj``, ``imatrix`` or ``mtp`` for a ``.gguf`` path (by its base name).

    An ``imatrix`` name of ``size`` >= ``IMATRIX_MAX_BYTES`` is a model quantized with an
    imatrix (bartowski's and unsloth's ``….imatrix``/``imatrix.gguf`` calibration files are
    MB-sized; model files named ``…-imatrix.gguf`` are GB-sized).

    >>> sidecar_kind("mmproj-model-f16.gguf")
    'mmproj'
    >>> sidecar_kind("M-Q5_K_M-imatrix.gguf", 5_700_000_000)
    'model'
    >>> sidecar_kind("imatrix.gguf", 5_000_000)
    'imatrix'
    """
    base = path.rsplit("/", 1)[-1].lower()
    if "mmproj" in base:
        return "mmproj"
    if "imatrix" in base:
        return "model" if size is not None and size >= IMATRIX_MAX_BYTES else "imatrix"
    if base.startswith("mtp-"):
        return "mtp"
    return "model"


@dataclass(frozen=True)
class ShardName:
    """A split file name: ``prefix-00001-of-00003.gguf``."""

    prefix: str
    number: int
    count: int


def parse_shard(path: str) -> ShardName | None:
    """Parse ``…-0000N-of-0000M.gguf``; ``None`` for a single file.

    >>> parse_shard("BF16/Qwen3-4B-BF16-00002-of-00002.gguf")
    ShardName(prefix='BF16/Qwen3-4B-BF16', number=2, count=2)
    """
    m = _SHARD_RE.match(path)
    if not m:
        return None
    return ShardName(m.group("prefix"), int(m.group("no")), int(m.group("count")))


def is_gguf(path: str) -> bool:
    """True for a ``.gguf`` file."""
    return path.lower().endswith(".gguf")
