"""Choosing which file of a repo to pull, from its :func:`~hfollama_widgets.listing.gguf_dataframe`.

Pure (no I/O). The public names are re-exported by :mod:`hfollama_widgets.listing`.

>>> from hfollama_widgets.listing import gguf_dataframe
>>> files = [{"path": "M-Q4_K_M.gguf", "size": 8e8}, {"path": "M-Q8_0.gguf", "size": 13e8}]
>>> best_quantization(gguf_dataframe(files, "o/M-GGUF"), max_size_gb=1)
'Q4_K_M'
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hfollama_widgets.checks import positive_number
from hfollama_widgets.errors import (
    NoGGUFFilesError,
    NoQuantFitsError,
    QuantizationNotFoundError,
    SplitOnlyError,
)
from hfollama_widgets.quants import canonical_label, parse_shard
from hfollama_widgets.refs import validate_repo_id

__all__ = ["DEFAULT_PREFERENCE", "best_quantization", "candidates", "select_row"]

#: The order :func:`best_quantization` tries labels in (the Ollixir library's order).
DEFAULT_PREFERENCE: tuple[str, ...] = (
    "Q4_K_M", "Q4_K_S", "Q4_K", "Q4_K_L", "Q5_K_M", "Q5_K_S", "Q5_K", "Q5_K_L", "Q6_K", "Q6_K_L",
    "Q8_0", "IQ4_XS", "IQ4_NL", "IQ3_M", "IQ3_S", "IQ3_XS", "IQ3_XXS", "Q4_0", "Q5_0", "Q5_1",
    "Q3_K_M", "Q3_K_S", "Q3_K_L", "Q3_K_XL", "F16", "BF16", "F32",
)  # fmt: skip

_SPLIT_ISSUE = "https://github.com/ollama/ollama/issues/5245"


def candidates(df: pd.DataFrame, *, max_size_gb: float | None = None) -> pd.DataFrame:
    """The rows Ollama could pull: ``kind == "model"``, pullable, and within ``max_size_gb``
    (inclusive), smallest first. ``max_size_gb`` must be a finite number > 0 (or ``None``):
    else :class:`~hfollama_widgets.errors.InvalidArgumentError` / ``InvalidArgumentTypeError``.

    >>> from hfollama_widgets.listing import gguf_dataframe
    >>> files = [{"path": "M-Q4_K_M.gguf", "size": 8e8}, {"path": "mmproj-M-f16.gguf", "size": 6e8}]
    >>> df = gguf_dataframe(files, "o/M-GGUF", include_sidecars=True)
    >>> candidates(df)["filename"].tolist()
    ['M-Q4_K_M.gguf']
    """
    limit = positive_number("max_size_gb", max_size_gb)
    mask = (df["kind"] == "model") & df["ollama_pullable"].astype(bool)
    if limit is not None:
        mask &= df["size_gb"] <= limit
    return _by_size(df[mask])


def _by_size(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["size_bytes", "filename"], kind="stable")


def _preference(preference: Sequence[str] | str | None) -> tuple[str, ...]:
    if preference is None:
        return DEFAULT_PREFERENCE
    if isinstance(preference, str):
        preference = (preference,)
    return tuple(p.strip().upper() for p in preference)


def _pick(cands: pd.DataFrame, preference: Sequence[str] | str | None) -> pd.Series | None:
    """The preferred row among ``cands`` (already size-filtered), else the largest one."""
    if cands.empty:
        return None
    labels = cands["quantization"].map(lambda q: q.upper() if isinstance(q, str) else None)
    for wanted in _preference(preference):
        hit = cands[labels == wanted]
        if not hit.empty:
            return hit.iloc[0]
    return _by_size(cands).iloc[-1]


def _choice_name(row: pd.Series) -> str:
    quantization = row["quantization"]
    return str(quantization) if isinstance(quantization, str) else str(row["ollama_tag"])


def best_quantization(
    df: pd.DataFrame,
    *,
    max_size_gb: float | None = None,
    preference: Sequence[str] | None = None,
) -> str | None:
    """The first label of ``preference`` (default :data:`DEFAULT_PREFERENCE`) among the
    :func:`candidates`; if none is there, the largest candidate within the limit (its label,
    or its tag when the file has no known label); ``None`` when nothing qualifies.

    >>> from hfollama_widgets.listing import gguf_dataframe
    >>> sizes = {"M-Q8_0.gguf": 13e8, "M-Q2_K.gguf": 4e8, "M-IQ1_S.gguf": 2e8}
    >>> df = gguf_dataframe([{"path": p, "size": s} for p, s in sizes.items()], "o/M-GGUF")
    >>> [best_quantization(df, max_size_gb=limit) for limit in (None, 1, 0.1)]
    ['Q8_0', 'Q2_K', None]
    """
    row = _pick(candidates(df, max_size_gb=max_size_gb), preference)
    return None if row is None else _choice_name(row)


def _describe(rows: pd.DataFrame) -> str:
    out = []
    for _, row in rows.iterrows():
        name = _choice_name(row) if row["ollama_tag"] or row["quantization"] else row["filename"]
        note = f"{row['size_gb']:.2f} GB"
        if row["shards"] > 1:
            note += f", split in {row['shards']}"
        out.append(f"{name} ({note})")
    return ", ".join(out) if out else "nothing"


def _split_fix(repo_id: str, split: pd.DataFrame) -> str:
    first = str(split.iloc[0]["filename"]) if not split.empty else "<first shard>.gguf"
    shard = parse_shard(first)
    pattern = f"{shard[0]}-*.gguf" if shard else "*.gguf"
    return (
        "Pick a repo that has single-file quants, or download the shards "
        f"(`hf download {repo_id} --include '{pattern}'`), merge them with "
        f"`llama-gguf-split --merge {first} merged.gguf`, and load the result with "
        "`ollama create <name> -f Modelfile` (Modelfile: `FROM ./merged.gguf`)."
    )


def _matches(models: pd.DataFrame, quantization: str) -> pd.Series:
    wanted = quantization.strip()
    lower = wanted.lower()
    canonical = canonical_label(wanted)
    labels = models["quantization"].map(lambda q: q if isinstance(q, str) else "")
    mask = labels.str.upper() == (canonical or wanted.upper())
    for col in ("ollama_tag", "filename"):
        values = models[col].map(lambda v: v.lower() if isinstance(v, str) else "")
        mask |= values == lower
    mask |= models["filename"].map(lambda f: _basename(str(f)).lower()) == lower
    return mask


def select_row(
    df: pd.DataFrame,
    *,
    repo_id: str,
    quantization: str | None = None,
    max_size_gb: float | None = None,
    preference: Sequence[str] | None = None,
) -> pd.Series:
    """The row to pull from ``repo_id``'s listing ``df``, or a typed error saying why not.

    ``quantization`` (a label, case-insensitive, or a file name / tag; ``"latest"`` means
    auto) forces the choice; otherwise :func:`best_quantization`'s rules apply. Errors:
    :class:`InvalidModelRefError` (Ollama cannot name the repo), :class:`NoGGUFFilesError`,
    :class:`QuantizationNotFoundError` (lists what the repo has), :class:`SplitOnlyError`
    (split GGUF, ollama/ollama#5245), :class:`NoQuantFitsError` (gives the smallest size).

    >>> from hfollama_widgets.listing import gguf_dataframe
    >>> files = [{"path": "M-Q4_K_M.gguf", "size": 8e8}, {"path": "M-Q8_0.gguf", "size": 13e8}]
    >>> df = gguf_dataframe(files, "o/M-GGUF")
    >>> select_row(df, repo_id="o/M-GGUF", quantization="q8_0")["model_ref"]
    'hf.co/o/M-GGUF:Q8_0'
    >>> select_row(df, repo_id="o/M-GGUF", max_size_gb=float("nan"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hfollama_widgets.errors.InvalidArgumentError: max_size_gb=nan is not valid: ...
    """
    validate_repo_id(repo_id, for_ollama=True)
    limit = positive_number("max_size_gb", max_size_gb)
    df = _by_size(df)
    models = df[df["kind"] == "model"]
    if models.empty:
        sidecars = sorted(set(df["kind"])) if not df.empty else []
        extra = f" (only sidecar files: {', '.join(sidecars)})" if sidecars else ""
        raise NoGGUFFilesError(
            f"{repo_id} has no GGUF model files{extra}.",
            fix="Pick a repo with .gguf quantizations (their names usually end in '-GGUF'); "
            "search_models() lists them.",
            repo_id=repo_id,
        )
    pullable = models[models["ollama_pullable"].astype(bool)]
    split = models[models["shards"] > 1]

    if quantization is not None and quantization.strip().lower() != "latest":
        hits = models[_matches(models, quantization)]
        if hits.empty:
            raise QuantizationNotFoundError(
                f"{repo_id} has no {quantization!r} file. It has: {_describe(models)}.",
                fix="Pass one of those as quantization=, or leave it out to auto-select.",
                repo_id=repo_id,
            )
        ok = hits[hits["ollama_pullable"].astype(bool)]
        if ok.empty:
            hit_split = hits[hits["shards"] > 1]
            if not hit_split.empty:
                others = _describe(pullable) if not pullable.empty else None
                alt = f" Single-file quants Ollama can pull: {others}." if others else ""
                raise SplitOnlyError(
                    f"{quantization!r} in {repo_id} is split into {hit_split.iloc[0]['shards']} "
                    f"files, and Ollama cannot pull split GGUF files from the Hub "
                    f"({_SPLIT_ISSUE}).{alt}",
                    fix=_split_fix(repo_id, hit_split),
                    repo_id=repo_id,
                )
            raise QuantizationNotFoundError(
                f"{quantization!r} in {repo_id} has no name Ollama can use as a tag "
                f"({hits.iloc[0]['filename']}).",
                fix="Download the file and load it with `ollama create`.",
                repo_id=repo_id,
            )
        if limit is not None:
            fit = ok[ok["size_gb"] <= limit]
            if fit.empty:
                smallest = ok.iloc[0]
                raise NoQuantFitsError(
                    f"{_choice_name(smallest)} of {repo_id} is {smallest['size_gb']:.2f} GB, "
                    f"more than max_size_gb={limit:g}.",
                    fix="Raise max_size_gb, or ask for a smaller quantization.",
                    repo_id=repo_id,
                )
            ok = fit
        return ok.iloc[0]

    if pullable.empty:
        if not split.empty:
            raise SplitOnlyError(
                f"Ollama can pull no model file of {repo_id}: its quants are split into shards "
                f"({_describe(split)}), and Ollama cannot pull split GGUF files from the Hub "
                f"({_SPLIT_ISSUE}).",
                fix=_split_fix(repo_id, split),
                repo_id=repo_id,
            )
        raise QuantizationNotFoundError(
            f"No GGUF file in {repo_id} has a name Ollama can use as a tag ({_describe(models)}).",
            fix="Download the file and load it with `ollama create`.",
            repo_id=repo_id,
        )
    within = pullable if limit is None else pullable[pullable["size_gb"] <= limit]
    if within.empty:
        smallest = pullable.iloc[0]
        raise NoQuantFitsError(
            f"No quantization of {repo_id} fits in max_size_gb={limit:g}: the smallest Ollama can "
            f"pull is {_choice_name(smallest)} at {smallest['size_gb']:.2f} GB.",
            fix=f"Raise max_size_gb to at least {smallest['size_gb']:.2f}, or pick a smaller "
            "model (fewer parameters).",
            repo_id=repo_id,
        )
    row = _pick(within, preference)
    assert row is not None
    return row


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]
