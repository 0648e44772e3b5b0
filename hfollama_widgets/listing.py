"""A repo's file listing as a DataFrame, and choosing a quantization from it (pure, no I/O).

``entries`` are what ``huggingface_hub.HfApi.list_repo_tree(..., recursive=True)`` yields
(``RepoFile``/``RepoFolder`` objects) or dicts with ``path`` and ``size``.

>>> entries = [{"path": "M-Q4_K_M.gguf", "size": 800_000_000},
...            {"path": "M-Q8_0.gguf", "size": 1_300_000_000}]
>>> df = gguf_dataframe(entries, "bartowski/M-GGUF")
>>> list(df["quantization"]), best_quantization(df, max_size_gb=1.0)
(['Q4_K_M', 'Q8_0'], 'Q4_K_M')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hfollama_widgets.errors import (
    InvalidModelRefError,
    NoGGUFFilesError,
    NoQuantFitsError,
    QuantizationNotFoundError,
    SplitOnlyError,
)
from hfollama_widgets.quants import (
    canonical_label,
    file_kind,
    hub_quant_label,
    is_gguf,
    parse_quant_label,
    parse_shard,
    quant_info,
)
from hfollama_widgets.refs import model_ref, normalize_tag, validate_repo_id

__all__ = [
    "COLUMNS",
    "DEFAULT_PREFERENCE",
    "best_quantization",
    "candidates",
    "gguf_dataframe",
    "select_row",
    "to_records",
]

#: The columns of :func:`gguf_dataframe`, in order.
COLUMNS: tuple[str, ...] = (
    "quantization",
    "filename",
    "files",
    "shards",
    "size_bytes",
    "size_gb",
    "size_gib",
    "bits_per_weight",
    "quality_rank",
    "quality",
    "ollama_tag",
    "model_ref",
    "ollama_pullable",
    "kind",
)
_DTYPES: dict[str, Any] = {
    "quantization": object,
    "filename": object,
    "files": object,
    "shards": "int64",
    "size_bytes": "int64",
    "size_gb": "float64",
    "size_gib": "float64",
    "bits_per_weight": "float64",
    "quality_rank": "Int64",
    "quality": object,
    "ollama_tag": object,
    "model_ref": object,
    "ollama_pullable": "bool",
    "kind": object,
}

#: The order :func:`best_quantization` tries labels in (the Ollixir library's order).
DEFAULT_PREFERENCE: tuple[str, ...] = tuple(
    [
        "Q4_K_M",
        "Q4_K_S",
        "Q4_K",
        "Q4_K_L",
        "Q5_K_M",
        "Q5_K_S",
        "Q5_K",
        "Q5_K_L",
        "Q6_K",
        "Q6_K_L",
        "Q8_0",
        "IQ4_XS",
        "IQ4_NL",
        "IQ3_M",
        "IQ3_S",
        "IQ3_XS",
        "IQ3_XXS",
        "Q4_0",
        "Q5_0",
        "Q5_1",
        "Q3_K_M",
        "Q3_K_S",
        "Q3_K_L",
        "Q3_K_XL",
        "F16",
        "BF16",
        "F32",
    ]
)

_SPLIT_ISSUE = "https://github.com/ollama/ollama/issues/5245"


@dataclass
class _Group:
    parts: list[tuple[int, str, int]] = field(default_factory=list)  # (index, path, size)
    total: int = 1


def _entry(entry: Any) -> tuple[str, int] | None:
    """``(path, size)`` for a .gguf file entry, ``None`` for folders and other files."""
    if isinstance(entry, Mapping):
        path, size, kind = entry.get("path"), entry.get("size"), entry.get("type")
    else:
        path = getattr(entry, "path", None)
        size = getattr(entry, "size", None)
        kind = getattr(entry, "type", None) or type(entry).__name__
    if kind in ("directory", "folder", "RepoFolder") or not isinstance(path, str):
        return None
    if not is_gguf(path):
        return None
    if size is None:
        raise ValueError(
            f"Tree entry {path!r} has no size; list the repo with list_repo_tree(), "
            "which reports sizes (model_info siblings do not)."
        )
    return path, int(size)


def _groups(entries: Iterable[Any]) -> list[_Group]:
    groups: dict[tuple[str, int] | str, _Group] = {}
    seen: set[str] = set()
    for raw in entries:
        item = _entry(raw)
        if item is None or item[0] in seen:
            continue
        path, size = item
        seen.add(path)
        shard = parse_shard(path)
        if shard is not None and shard[2] > 1:
            prefix, index, total = shard
            group = groups.setdefault((prefix.lower(), total), _Group(total=total))
            group.parts.append((index, path, size))
        else:
            groups[path] = _Group(parts=[(1, path, size)])
    for group in groups.values():
        group.parts.sort()
    return list(groups.values())


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def gguf_dataframe(
    entries: Iterable[Any], repo_id: str, *, include_sidecars: bool = False
) -> pd.DataFrame:
    """One row per GGUF file group of a repo (columns: :data:`COLUMNS`), sorted by size.

    Split files (``…-00001-of-00003.gguf``, same prefix and count) form one group whatever
    order they come in: ``filename`` is the lowest-numbered shard present, ``files`` all
    present paths, ``shards`` the count the names declare, ``size_bytes`` the present total (an
    incomplete set shows as ``len(files) < shards``). A ``-00001-of-00001`` file is a single file.

    ``ollama_tag``: the Hub's label for the file (:func:`~hfollama_widgets.quants.hub_quant_label`);
    the file's base name when that label is shared by more than one model group (e.g. ``Q4_0``
    and ``Q4_0_4_4``) or when the Hub finds no label; ``None`` for split groups, sidecars, and
    names that are not valid Ollama tags. ``ollama_pullable`` is True for single-file model
    groups with a tag of a repo Ollama can name; ``model_ref`` is set only for those.
    Sidecars (``mmproj``, ``imatrix``, ``mtp``) are left out unless ``include_sidecars``.
    Text columns are ``object`` (``None`` when missing), ``quality_rank`` is ``Int64``.

    >>> df = gguf_dataframe([{"path": "a/M-Q8_0-00002-of-00002.gguf", "size": 5},
    ...                      {"path": "a/M-Q8_0-00001-of-00002.gguf", "size": 7}], "o/M-GGUF")
    >>> rec = to_records(df)[0]
    >>> rec["files"], rec["size_bytes"], rec["ollama_pullable"]
    (['a/M-Q8_0-00001-of-00002.gguf', 'a/M-Q8_0-00002-of-00002.gguf'], 12, False)
    """
    try:
        validate_repo_id(repo_id, for_ollama=True)
        repo_ok = True
    except InvalidModelRefError:
        repo_ok = False
    groups = _groups(entries)
    kinds = [file_kind(g.parts[0][1]) for g in groups]
    hub_labels = [
        hub_quant_label(g.parts[0][1]) if kind == "model" else None
        for g, kind in zip(groups, kinds, strict=True)
    ]
    label_count = Counter(label for label in hub_labels if label)
    single_models = [g for g, k in zip(groups, kinds, strict=True) if k == "model" and g.total == 1]
    base_count = Counter(_basename(g.parts[0][1]).lower() for g in single_models)

    rows: list[dict[str, Any]] = []
    for group, kind, hub_label in zip(groups, kinds, hub_labels, strict=True):
        if kind != "model" and not include_sidecars:
            continue
        filename = group.parts[0][1]
        size = sum(part[2] for part in group.parts)
        label = parse_quant_label(filename)
        info = quant_info(label) if label else None
        tag: str | None = None
        if kind == "model" and group.total == 1:
            base = _basename(filename)
            if hub_label and label_count[hub_label] == 1:
                tag = hub_label
            elif base_count[base.lower()] == 1:
                tag = base
            if tag is not None:
                try:
                    tag = normalize_tag(tag)
                except InvalidModelRefError:
                    tag = None
        pullable = repo_ok and tag is not None
        rows.append(
            {
                "quantization": label,
                "filename": filename,
                "files": tuple(part[1] for part in group.parts),
                "shards": group.total,
                "size_bytes": size,
                "size_gb": size / 1e9,
                "size_gib": size / 2**30,
                "bits_per_weight": info.bits_per_weight if info else float("nan"),
                "quality_rank": info.quality_rank if info else pd.NA,
                "quality": info.quality if info else None,
                "ollama_tag": tag,
                "model_ref": model_ref(repo_id, tag) if pullable and tag else None,
                "ollama_pullable": pullable,
                "kind": kind,
            }
        )
    rows.sort(key=lambda r: (r["size_bytes"], r["filename"]))
    df = pd.DataFrame(
        {col: pd.Series([r[col] for r in rows], dtype=_DTYPES[col]) for col in COLUMNS}
    )
    return df.reset_index(drop=True)


def candidates(df: pd.DataFrame, *, max_size_gb: float | None = None) -> pd.DataFrame:
    """The rows Ollama could pull: ``kind == "model"``, pullable, and within ``max_size_gb``.

    >>> files = [{"path": "M-Q4_K_M.gguf", "size": 8e8}, {"path": "mmproj-M-f16.gguf", "size": 6e8}]
    >>> df = gguf_dataframe(files, "o/M-GGUF", include_sidecars=True)
    >>> candidates(df)["filename"].tolist()
    ['M-Q4_K_M.gguf']
    """
    mask = (df["kind"] == "model") & df["ollama_pullable"].astype(bool)
    if max_size_gb is not None:
        mask &= df["size_gb"] <= float(max_size_gb)
    return df[mask]


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
    return cands.sort_values(["size_bytes", "filename"]).iloc[-1]


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
    pattern = first.rsplit("-00001-of-", 1)[0] + "-*.gguf" if "-00001-of-" in first else "*.gguf"
    return (
        "Pick a repo that has single-file quants, or download the shards "
        f"(`hf download {repo_id} --include '{pattern}'`), merge them with "
        f"`llama-gguf-split --merge {_basename(first)} merged.gguf`, and load the result with "
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

    >>> files = [{"path": "M-Q4_K_M.gguf", "size": 8e8}, {"path": "M-Q8_0.gguf", "size": 13e8}]
    >>> df = gguf_dataframe(files, "o/M-GGUF")
    >>> select_row(df, repo_id="o/M-GGUF", quantization="q8_0")["model_ref"]
    'hf.co/o/M-GGUF:Q8_0'
    """
    validate_repo_id(repo_id, for_ollama=True)
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
    limit = None if max_size_gb is None else float(max_size_gb)

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
                f"Every model file in {repo_id} is split into shards ({_describe(split)}), and "
                f"Ollama cannot pull split GGUF files from the Hub ({_SPLIT_ISSUE}).",
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


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def to_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as JSON-ready dicts (``None`` for missing values, lists for ``files``).

    >>> df = gguf_dataframe([{"path": "M.gguf", "size": 1}], "o/M-GGUF")
    >>> to_records(df)[0]["quality_rank"] is None
    True
    """
    return [{str(k): _plain(v) for k, v in rec.items()} for rec in df.to_dict(orient="records")]
