"""Published quality loss of llama.cpp quant types, true bits per weight, and the Pareto front
(pure, no I/O).

The figures are llama.cpp's own measurements on **one reference model (Llama-3-8B)**: a
relative guide between types, not the value for the model you list (bigger models lose less,
imatrix quants lose less than the no-imatrix figures below).

>>> ppl_delta("Q4_K_M"), kld("Q4_K_M")
(0.1754, 0.031273)
>>> effective_bpw(4_920_000_000, 8_030_000_000)
4.9
>>> pareto_flags([(100, 0.5), (200, 0.1), (250, 0.2)])
[True, True, False]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import median
from types import MappingProxyType

from hfollama_widgets.quants import QUANT_TYPES, canonical_label

__all__ = [
    "KLD",
    "KLD_SOURCE",
    "PPL_DELTA",
    "PPL_DELTA_SOURCE",
    "REFERENCE_MODEL",
    "effective_bpw",
    "kld",
    "pareto_flags",
    "ppl_delta",
    "quality_loss",
    "tier_ppl_delta",
]

#: The model every figure here was measured on.
REFERENCE_MODEL = "Llama-3-8B"

PPL_DELTA_SOURCE = (
    "ggml-org/llama.cpp tools/quantize/quantize.cpp QUANT_OPTIONS "
    "(commit 03161a4eb9a2ec66ef97789f347c5a28279f06ea; same figures at 42ea59bc), "
    "the '+X ppl @ Llama-3-8B' descriptions that `llama-quantize --help` prints"
)

#: Perplexity increase over FP16 on Llama-3-8B (wikitext), from :data:`PPL_DELTA_SOURCE`,
#: verbatim. Only the types whose description says ``@ Llama-3-8B``: the i-quants, TQ*, Q1_0,
#: Q2_0 and MXFP4 carry only a bpw there, and F16/BF16 are measured on Mistral-7B (left out so
#: that every figure has the same reference). The same numbers are the no-imatrix ΔPPL column
#: of the scoreboard in :data:`KLD_SOURCE` (``Q2_K_S`` is its "WT 1k" imatrix row).
PPL_DELTA: Mapping[str, float] = MappingProxyType(
    {
        "Q8_0": 0.0026,
        "Q6_K": 0.0217,
        "Q5_K_M": 0.0569,
        "Q5_K_S": 0.1049,
        "Q5_1": 0.1062,
        "Q5_0": 0.1316,
        "Q4_K_M": 0.1754,
        "Q4_K_S": 0.2689,
        "Q4_1": 0.4511,
        "Q4_0": 0.4685,
        "Q3_K_L": 0.5562,
        "Q3_K_M": 0.6569,
        "Q3_K_S": 1.6321,
        "Q2_K_S": 3.1836,
        "Q2_K": 3.5199,
    }
)

KLD_SOURCE = (
    "ggml-org/llama.cpp tools/perplexity/README.md, 'LLaMA 3 8b Scoreboard' (added in PR #6936, "
    "J. Gäßler; llama.cpp rev f364eb6f, CUDA, 1x RTX 4090, wikitext, KLD against FP16 logits)"
)

#: Mean KL divergence to FP16 on Llama-3-8B, from :data:`KLD_SOURCE`. The no-imatrix row where
#: the scoreboard has one (the rows whose ΔPPL equals :data:`PPL_DELTA`); the i-quants exist
#: only with an importance matrix, so theirs is the "WT 10m" row (IQ1_S: "WT 1m", Q2_K_S:
#: "WT 1k", matching quantize.cpp's figure).
KLD: Mapping[str, float] = MappingProxyType(
    {
        "Q8_0": 0.001355,
        "Q6_K": 0.005452,
        "Q5_K_M": 0.010762,
        "Q5_K_S": 0.016595,
        "Q5_1": 0.018045,
        "Q5_0": 0.022239,
        "Q4_K_M": 0.031273,
        "IQ4_NL": 0.035742,
        "IQ4_XS": 0.036334,
        "Q4_K_S": 0.043136,
        "Q4_1": 0.071683,
        "Q4_0": 0.071940,
        "Q3_K_L": 0.087176,
        "Q3_K_M": 0.101913,
        "IQ3_M": 0.102534,
        "IQ3_S": 0.111278,
        "IQ3_XS": 0.138693,
        "IQ3_XXS": 0.183625,
        "Q3_K_S": 0.228217,
        "IQ2_M": 0.325989,
        "Q2_K_S": 0.415865,
        "IQ2_S": 0.439197,
        "Q2_K": 0.445132,
        "IQ2_XS": 0.546290,
        "IQ2_XXS": 0.812022,
        "IQ1_M": 1.393084,
        "IQ1_S": 2.211278,
    }
)

# llama-quantize's aliases (QUANT_OPTIONS: "Q4_K" is "alias for Q4_K_M", and so on).
_ALIASES = {"Q3_K": "Q3_K_M", "Q4_K": "Q4_K_M", "Q5_K": "Q5_K_M"}


def _key(label: str | None) -> str | None:
    if not label:
        return None
    name = canonical_label(label) or label.strip().upper()
    return _ALIASES.get(name, name)


def ppl_delta(label: str | None) -> float | None:
    """The perplexity increase llama.cpp publishes for a quant type (Llama-3-8B), else ``None``.

    Mixes of other quantizers (``UD-Q4_K_XL``, ``Q6_K_L``) have no published figure.

    >>> ppl_delta("q4_k"), ppl_delta("IQ4_XS"), ppl_delta("UD-Q4_K_XL"), ppl_delta(None)
    (0.1754, None, None, None)
    """
    key = _key(label)
    return PPL_DELTA.get(key) if key else None


def kld(label: str | None) -> float | None:
    """The mean KL divergence to FP16 llama.cpp publishes for a quant type (Llama-3-8B).

    >>> kld("IQ4_XS"), kld("Q8_0"), kld("F16")
    (0.036334, 0.001355, None)
    """
    key = _key(label)
    return KLD.get(key) if key else None


def effective_bpw(size_bytes: int | None, parameters: int | None) -> float | None:
    """Bits the file spends per weight: ``size_bytes * 8 / parameters``, rounded to 2 decimals.

    ``None`` when either is unknown or not positive. The header's few MB count too, so a small
    model shows a little more than its tensors' average.

    >>> effective_bpw(4_920_000_000, 8_030_000_000), effective_bpw(10, None), effective_bpw(0, 5)
    (4.9, None, None)
    """
    if not size_bytes or not parameters or size_bytes <= 0 or parameters <= 0:
        return None
    return round(size_bytes * 8 / parameters, 2)


def pareto_flags(points: Sequence[tuple[float | None, float | None]]) -> list[bool]:
    """For ``(size, loss)`` points (lower is better for both), True where no other point is at
    most as large and at most as lossy while strictly better on one of them.

    Points with an unknown size or loss are never on the front. Equal points are all on it.

    >>> pareto_flags([(1, 3.0), (2, 1.0), (2, 2.0), (3, 1.0), (None, 0.0)])
    [True, True, False, False, False]
    """
    known = [(s, q) for s, q in points if s is not None and q is not None]
    flags = []
    for size, loss in points:
        if size is None or loss is None:
            flags.append(False)
            continue
        dominated = any(s <= size and q <= loss and (s < size or q < loss) for s, q in known)
        flags.append(not dominated)
    return flags


def tier_ppl_delta(tier: str | None) -> float | None:
    """The median published :func:`ppl_delta` of the types in a quality tier (``quants``'s
    six tiers; ``Original`` is the reference, 0.0): the stand-in for types with no figure.

    >>> tier_ppl_delta("Original"), tier_ppl_delta("High"), tier_ppl_delta("Lower")
    (0.0, 0.0217, 1.6321)
    >>> tier_ppl_delta("nonsense") is None
    True
    """
    if tier == "Original":
        return 0.0
    values = [PPL_DELTA[n] for n, q in QUANT_TYPES.items() if q.quality == tier and n in PPL_DELTA]
    return round(median(values), 4) if values else None


def quality_loss(label: str | None, tier: str | None) -> tuple[float | None, bool]:
    """``(loss, estimated)``: the row's :func:`ppl_delta`, else its tier's
    :func:`tier_ppl_delta` with ``estimated=True``. The y of the browser's chart and the
    quality side of ``pareto``.

    >>> quality_loss("Q4_K_M", "Good"), quality_loss("UD-Q4_K_XL", "Good")
    ((0.1754, False), (0.36, True))
    >>> quality_loss(None, None)
    (None, True)
    """
    published = ppl_delta(label)
    if published is not None:
        return published, False
    return tier_ppl_delta(tier), True
