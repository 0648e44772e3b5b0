"""The llama.cpp quantization types and GGUF file-name parsing (pure, no I/O).

>>> parse_quant_label("mistral-7b-instruct-v0.2.Q4_K_M.gguf")
'Q4_K_M'
>>> quant_info("UD-Q4_K_XL").quality
'Good'
>>> file_kind("mmproj-model-f16.gguf")
'mmproj'
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = [
    "IMATRIX_MAX_BYTES",
    "QUANT_TYPES",
    "FileKind",
    "QualityTier",
    "QuantType",
    "canonical_label",
    "file_kind",
    "hub_quant_label",
    "is_gguf",
    "parse_quant_label",
    "parse_shard",
    "quant_info",
]

QualityTier = Literal["Original", "Very High", "High", "Better", "Good", "Lower"]
FileKind = Literal["model", "mmproj", "imatrix", "mtp"]


@dataclass(frozen=True)
class QuantType:
    """One llama.cpp quantization type.

    ``bits_per_weight`` is the nominal *block* bpw of the type's main tensor type (ggml block
    layout: ``type_size * 8 / block_size``). Mixes such as ``Q4_K_M`` (Q4_K plus some Q6_K
    tensors), ``IQ3_M`` (mostly IQ3_S) or ``_L``/``_XL`` variants report their main type's
    value, so a real file is a little larger than ``params * bpw / 8``.
    ``quality_rank`` is 1 for the best; it follows the Hub's largest-to-smallest
    ``GGUF_QUANT_ORDER`` (huggingface.js), with ``_XL``/``_L`` variants just above their base
    and the aliases ``Q3_K``/``Q4_K``/``Q5_K`` just below their ``_M`` type.
    ``file_type`` is the ``general.file_type`` code llama-quantize writes (``None`` if none).

    >>> QUANT_TYPES["Q8_0"].bits_per_weight
    8.5
    """

    name: str
    bits_per_weight: float
    quality_rank: int
    quality: QualityTier
    use_case: str
    file_type: int | None = None


# name, block bpw (main tensor type), tier, use case, general.file_type; best first.
# Order: huggingface.js GGUF_QUANT_ORDER (largest to smallest), _XL/_L variants just above their
# base, aliases just below their _M type. Note that this order (like the Hub's) puts Q5_0 above
# Q5_1, IQ1_S above IQ1_M and TQ1_0 above TQ2_0 although the latter are larger.
_ROWS: tuple[tuple[str, float, QualityTier, str, int | None], ...] = (
    ("F32", 32.0, "Original", "Full precision; reference only, very large", 0),
    ("BF16", 16.0, "Original", "Original weights; needs BF16-capable hardware", 32),
    ("F16", 16.0, "Original", "Full precision, largest", 1),
    ("Q8_K_XL", 8.5, "Very High", "Unsloth dynamic 8-bit, key layers kept higher", 7),
    ("Q8_0", 8.5, "Very High", "Minimal quality loss", 7),
    ("Q6_K_XL", 6.5625, "High", "Unsloth dynamic 6-bit", 18),
    ("Q6_K_L", 6.5625, "High", "Q6_K with Q8_0 embeddings and output", 18),
    ("Q6_K", 6.5625, "High", "Near-original quality", 18),
    ("Q5_K_XL", 5.5, "Better", "Unsloth dynamic 5-bit", 17),
    ("Q5_K_L", 5.5, "Better", "Q5_K_M with Q8_0 embeddings and output", 17),
    ("Q5_K_M", 5.5, "Better", "Higher quality, moderate size", 17),
    ("Q5_K", 5.5, "Better", "Alias of Q5_K_M", 17),
    ("Q5_K_S", 5.5, "Better", "Slightly smaller than Q5_K_M", 16),
    ("Q5_0", 5.5, "Better", "Legacy 5-bit; prefer Q5_K_M", 8),
    ("Q5_1", 6.0, "Better", "Legacy 5-bit; prefer Q5_K_M", 9),
    ("Q4_K_XL", 4.5, "Good", "Unsloth dynamic 4-bit", 15),
    ("Q4_K_L", 4.5, "Good", "Q4_K_M with Q8_0 embeddings and output", 15),
    ("Q4_K_M", 4.5, "Good", "Recommended default: good balance of size and quality", 15),
    ("Q4_K", 4.5, "Good", "Alias of Q4_K_M", 15),
    ("Q4_K_S", 4.5, "Good", "Smaller than Q4_K_M, slightly lower quality", 14),
    ("IQ4_NL", 4.5, "Good", "Non-linear 4-bit, good for ARM and CPU", 25),
    ("IQ4_XS", 4.25, "Good", "Smallest with decent quality", 30),
    ("Q4_0_4_4", 4.5, "Good", "ARM repack of Q4_0 (obsolete, llama.cpp repacks at load)", 33),
    ("Q4_0_4_8", 4.5, "Good", "ARM repack of Q4_0 (obsolete, llama.cpp repacks at load)", 34),
    ("Q4_0_8_8", 4.5, "Good", "ARM repack of Q4_0 (obsolete, llama.cpp repacks at load)", 35),
    ("Q4_0", 4.5, "Good", "Legacy 4-bit; fast on some CPUs", 2),
    ("Q4_1", 5.0, "Good", "Legacy 4-bit; prefer Q4_K_M", 3),
    ("MXFP4_MOE", 4.25, "Good", "MXFP4 experts (gpt-oss); the native format", 38),
    ("MXFP4", 4.25, "Good", "MXFP4 (gpt-oss); the native format", 38),
    ("NVFP4", 4.5, "Good", "NVIDIA FP4", 39),
    ("Q3_K_XL", 3.4375, "Lower", "Unsloth dynamic 3-bit", 12),
    ("Q3_K_L", 3.4375, "Lower", "Low memory, noticeable quality loss", 13),
    ("Q3_K_M", 3.4375, "Lower", "Low memory, noticeable quality loss", 12),
    ("Q3_K", 3.4375, "Lower", "Alias of Q3_K_M", 12),
    ("Q3_K_S", 3.4375, "Lower", "Very low memory, clear quality loss", 11),
    ("IQ3_M", 3.4375, "Lower", "For constrained environments", 27),
    ("IQ3_S", 3.4375, "Lower", "For constrained environments", 26),
    ("IQ3_XS", 3.4375, "Lower", "For constrained environments", 22),
    ("IQ3_XXS", 3.0625, "Lower", "For constrained environments", 23),
    ("Q2_K_XL", 2.625, "Lower", "Unsloth dynamic 2-bit", 10),
    ("Q2_K_L", 2.625, "Lower", "Q2_K with Q8_0 embeddings and output", 10),
    ("Q2_K", 2.625, "Lower", "Extreme compression, large quality loss", 10),
    ("Q2_K_S", 2.625, "Lower", "Extreme compression, large quality loss", 21),
    ("IQ2_M", 2.5625, "Lower", "Extreme compression; large models only", 29),
    ("IQ2_S", 2.5625, "Lower", "Extreme compression; large models only", 28),
    ("IQ2_XS", 2.3125, "Lower", "Extreme compression; large models only", 20),
    ("IQ2_XXS", 2.0625, "Lower", "Extreme compression; large models only", 19),
    ("Q2_0", 2.25, "Lower", "Extreme compression", 41),
    ("IQ1_S", 1.5625, "Lower", "Last resort for huge models", 24),
    ("IQ1_M", 1.75, "Lower", "Last resort for huge models", 31),
    ("TQ1_0", 1.6875, "Lower", "Ternary (BitNet-style) models only", 36),
    ("TQ2_0", 2.0625, "Lower", "Ternary (BitNet-style) models only", 37),
    # BitNet b1.58 weights packed 2 bits each: microsoft/BitNet's ggml fork (ggml.h
    # GGML_TYPE_I2_S = 36, ggml_bitnet_get_type_bits: I2_S -> 2); not a llama.cpp type.
    ("I2_S", 2.0, "Lower", "BitNet ternary weights; needs bitnet.cpp, not Ollama", None),
    ("Q1_0", 1.125, "Lower", "Last resort for huge models", 40),
)


def _build_table() -> dict[str, QuantType]:
    return {
        name: QuantType(name, bpw, rank, tier, use_case, code)
        for rank, (name, bpw, tier, use_case, code) in enumerate(_ROWS, start=1)
    }


#: Every known quant type by canonical name, best first.
QUANT_TYPES: Mapping[str, QuantType] = MappingProxyType(_build_table())

# Spellings that are not table names.
_SPELLINGS = {"FP16": "F16", "FP32": "F32", "BFLOAT16": "BF16"}
# Variant suffixes kept as written and read as their base type (bits, quality):
# ``_XL``/``_L`` (unsloth, bartowski); ``_S`` on a type without its own _S (``Q6_K_S``:
# bartowski/Ling-3.0-flash-VL-GGUF, unsloth ``…-UD-Q6_K_S.gguf``); ``_P`` (HauhauCS
# ``…-Q8_K_P.gguf``/``Q6_K_P``/``Q4_K_P``); ``_MIXED`` (intel/auto-round ``GGUF:Q2_K_MIXED``,
# written ``Q2_K_Mixed`` too). huggingface.js reads ``Q6_K_S``, ``Q2_K_MIXED`` and
# ``UD-IQ4_NL_XL`` the same way (``(UD-)?<type>(_[A-Z]+)?``, packages/tasks/src/gguf.ts).
_VARIANTS = ("XL", "L", "S", "P", "MIXED")
_VARIANT = re.compile(r"^(?P<base>.+?)_(?P<var>" + "|".join(_VARIANTS) + r")$")
# Bases that only occur with a variant: ``Q8_K_P`` is an 8-bit K-type mix, read as Q8_0.
_VARIANT_BASES = {"Q8_K": "Q8_0"}


def quant_info(label: str) -> QuantType | None:
    """The :class:`QuantType` for a label (case-insensitive), or ``None`` if unknown.

    ``UD-`` (unsloth dynamic) labels and ``_L``/``_XL`` variants missing from the table get
    the data of their base type under their own name.

    >>> quant_info("q4_k_m").name
    'Q4_K_M'
    >>> quant_info("UD-Q2_K_XL").name, quant_info("UD-Q2_K_XL").bits_per_weight
    ('UD-Q2_K_XL', 2.625)
    >>> quant_info("Codestral") is None
    True
    """
    if not isinstance(label, str):
        return None
    name = label.strip().upper()
    name = _SPELLINGS.get(name, name)
    prefix = ""
    if name.startswith("UD-") or name.startswith("UD_"):
        prefix, name = "UD-", name[3:]
    info = QUANT_TYPES.get(name)
    if info is None and name in _VARIANT_BASES:
        info = dataclasses.replace(QUANT_TYPES[_VARIANT_BASES[name]], name=name)
    if info is None:
        variant = _VARIANT.match(name)
        base_name = variant.group("base") if variant else ""
        base = QUANT_TYPES.get(_VARIANT_BASES.get(base_name, base_name))
        if base is None:
            return None
        info = dataclasses.replace(base, name=name)
    if prefix:
        info = dataclasses.replace(info, name=prefix + info.name)
    return info


# --- parsing file names -------------------------------------------------------------------

_ALTERNATIVES = sorted([*QUANT_TYPES, *_SPELLINGS, *_VARIANT_BASES], key=len, reverse=True)
_LABEL_RE = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?P<ud>UD[-_])?"
    r"(?P<quant>" + "|".join(re.escape(a) for a in _ALTERNATIVES) + r")"
    r"(?:_(?P<var>" + "|".join(_VARIANTS) + r"))?"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)

# huggingface.js GGMLFileQuantizationType names, in enum order (packages/tasks/src/gguf.ts).
_HUB_ENUM = [
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
]
_HUB_RE = re.compile(
    r"(?:UD-)?(?:" + "|".join(re.escape(n) for n in [*_HUB_ENUM, "MXFP4"]) + r")(?:_[A-Z]+)?"
)
# Percentage-mixed names (Model-55IQ2_XXS-34Q2_K-07Q8_0.gguf): the Hub reports the dominant part.
_TENSOR_TYPES = [
    "F32",
    "F16",
    "Q4_0",
    "Q4_1",
    "Q5_0",
    "Q5_1",
    "Q8_0",
    "Q8_1",
    "Q2_K",
    "Q3_K",
    "Q4_K",
    "Q5_K",
    "Q6_K",
    "Q8_K",
    "IQ2_XXS",
    "IQ2_XS",
    "IQ3_XXS",
    "IQ1_S",
    "IQ4_NL",
    "IQ3_S",
    "IQ2_S",
    "IQ4_XS",
    "IQ1_M",
    "BF16",
    "TQ1_0",
    "TQ2_0",
    "MXFP4",
    "NVFP4",
    "Q1_0",
    "Q2_0",
]
_MIX_RE = re.compile(
    r"(?:(?<=^)|(?<=-))(?P<pct>\d{1,3})(?P<quant>"
    + "|".join(sorted(_TENSOR_TYPES, key=len, reverse=True))
    + r")(?=$|[-.])"
)


def _mix_dominant(path: str) -> str | None:
    stem = re.sub(r"\.GGUF$", "", path.rsplit("/", 1)[-1].upper())
    parts = [(int(m.group("pct")), m.group("quant")) for m in _MIX_RE.finditer(stem)]
    if len(parts) < 2:
        return None
    best = parts[0]
    for part in parts[1:]:
        if part[0] > best[0]:
            best = part
    return best[1]


def parse_quant_label(filename: str) -> str | None:
    """The canonical quant label in a GGUF path, or ``None``.

    Case-insensitive; a label must sit between separators (``-``, ``.``, ``_``, ``/``, space)
    or the ends, so ``Qwen3-4B`` or ``v0.2`` give nothing. The whole path is searched (per-quant
    folders count) and the last label wins. ``fp16`` reads as ``F16``; the ``UD-`` prefix and
    ``_L``/``_XL`` suffixes are kept.

    >>> parse_quant_label("qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf")
    'Q4_K_M'
    >>> parse_quant_label("Qwen3-4B-UD-Q2_K_XL.gguf")
    'UD-Q2_K_XL'
    >>> parse_quant_label("Q8_0/model-00001-of-00002.gguf")
    'Q8_0'
    >>> parse_quant_label("Codestral-22B-v0.1.gguf") is None
    True
    """
    if not isinstance(filename, str):
        return None
    last: re.Match[str] | None = None
    for last in _LABEL_RE.finditer(filename):  # noqa: B007 - keep the last match
        pass
    if last is None:
        return _mix_dominant(filename)
    quant = last.group("quant").upper()
    quant = _SPELLINGS.get(quant, quant)
    if last.group("var"):
        quant = f"{quant}_{last.group('var').upper()}"
    return f"UD-{quant}" if last.group("ud") else quant


def canonical_label(label: str) -> str | None:
    """The canonical form of a string that is exactly one quant label, else ``None``.

    >>> canonical_label("fp16"), canonical_label("ud-q2_k_xl"), canonical_label("IQ3_S-imat")
    ('F16', 'UD-Q2_K_XL', None)
    """
    if not isinstance(label, str) or not _LABEL_RE.fullmatch(label.strip()):
        return None
    return parse_quant_label(label.strip())


def hub_quant_label(filename: str) -> str | None:
    """The label the Hub derives from a file name (huggingface.js ``parseGGUFQuantLabel``).

    The Hub upper-cases the name and takes the last match of its enum names (in enum order,
    plus ``MXFP4``) with an optional ``UD-`` prefix and ``_SIZE`` suffix, without looking at
    separators, so ``…-Q4_0_4_4.gguf`` reads as ``Q4_0`` and ``…-fp16.gguf`` as nothing.
    This is the tag ``hf.co/{repo}:{TAG}`` resolves against.

    >>> hub_quant_label("Llama-3.2-1B-Instruct-Q4_0_4_4.gguf"), hub_quant_label("m-Q6_K_L.gguf")
    ('Q4_0', 'Q6_K_L')
    """
    if not isinstance(filename, str):
        return None
    mixed = _mix_dominant(filename)
    if mixed is not None:
        return mixed
    matches = _HUB_RE.findall(filename.upper())
    return matches[-1] if matches else None


# --- file kinds and shards ----------------------------------------------------------------

_SHARD_RE = re.compile(
    r"^(?P<prefix>.+)-(?P<index>\d{5})-of-(?P<total>\d{5})\.gguf$", re.IGNORECASE
)


def is_gguf(path: str) -> bool:
    """True if ``path`` names a ``.gguf`` file (case-insensitive).

    >>> is_gguf("sub/Model-Q4_K_M.GGUF"), is_gguf("README.md")
    (True, False)
    """
    return isinstance(path, str) and path.lower().endswith(".gguf")


#: An ``imatrix``-named ``.gguf`` at least this large is a model, not calibration data.
#: llama.cpp's imatrix file holds one f32 sum per input column of each matrix (per expert) plus
#: counts (tools/imatrix/imatrix.cpp, ``in_sum2``/``counts`` tensors): about 5 MB for Llama 3 8B
#: (bartowski's ``.imatrix`` files), about 1.0 GB for DeepSeek-V3 (58 MoE layers x 256 experts
#: x (2 x 7168 + 2048) floats) and 1.5 GB for a 384-expert Kimi-K2; model files named
#: ``…-imatrix.gguf`` (quantized with an imatrix) are several GB.
IMATRIX_MAX_BYTES = 2_000_000_000


def file_kind(filename: str, size: int | None = None) -> FileKind:
    """What a ``.gguf`` file is: ``model``, or the sidecars ``mmproj``, ``imatrix``, ``mtp``.

    Looks at the base name only (like llama.cpp's ``gguf_filename_is_model``): ``mmproj`` or
    ``imatrix`` anywhere, or a leading ``mtp-``, case-insensitive. An ``imatrix`` name of
    ``size`` >= :data:`IMATRIX_MAX_BYTES` is a model quantized with an imatrix.

    >>> file_kind("llava-v1.5-7b-mmproj-model-f16.gguf"), file_kind("Model-Q4_K_M.gguf")
    ('mmproj', 'model')
    >>> file_kind("imatrix.gguf", 5_000_000), file_kind("M-Q4_K_M-imatrix.gguf", 4_900_000_000)
    ('imatrix', 'model')
    """
    base = filename.rsplit("/", 1)[-1].lower()
    if "mmproj" in base:
        return "mmproj"
    if "imatrix" in base:
        return "model" if size is not None and size >= IMATRIX_MAX_BYTES else "imatrix"
    if base.startswith("mtp-"):
        return "mtp"
    return "model"


def parse_shard(path: str) -> tuple[str, int, int] | None:
    """``(prefix, index, total)`` for a split GGUF part, else ``None``.

    Uses llama.cpp's case-insensitive ``^(.+)-(\\d{5})-of-(\\d{5})\\.gguf$`` on the whole path
    (the prefix keeps any folder).

    >>> parse_shard("Q8_0/Model-Q8_0-00001-of-00003.gguf")
    ('Q8_0/Model-Q8_0', 1, 3)
    >>> parse_shard("Model-Q8_0.gguf") is None
    True
    """
    match = _SHARD_RE.match(path) if isinstance(path, str) else None
    if match is None:
        return None
    return match.group("prefix"), int(match.group("index")), int(match.group("total"))
