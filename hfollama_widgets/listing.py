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

import math
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hfollama_widgets import quality
from hfollama_widgets.errors import InvalidModelRefError
from hfollama_widgets.hub_tags import hub_tag
from hfollama_widgets.quants import file_kind, is_gguf, parse_quant_label, parse_shard, quant_info
from hfollama_widgets.refs import model_ref, validate_repo_id
from hfollama_widgets.selection import (
    DEFAULT_PREFERENCE,
    best_quantization,
    candidates,
    select_row,
)
from hfollama_widgets.splits import JOIN_NOTE, parse_byte_split

__all__ = [
    "COLUMNS",
    "DEFAULT_PREFERENCE",
    "best_quantization",
    "candidates",
    "fill_effective_bpw",
    "gguf_dataframe",
    "plain",
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
    "effective_bpw",
    "quality_rank",
    "quality",
    "ppl_delta",
    "kld",
    "pareto",
    "ollama_tag",
    "model_ref",
    "ollama_pullable",
    "kind",
    "note",
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
    "effective_bpw": "Float64",
    "quality_rank": "Int64",
    "quality": object,
    "ppl_delta": "Float64",
    "kld": "Float64",
    "pareto": "bool",
    "ollama_tag": object,
    "model_ref": object,
    "ollama_pullable": "bool",
    "kind": object,
    "note": object,
}
_SHARD_NOTE = (
    "split GGUF ({count} shards): the Hub's Ollama registry refuses sharded GGUF "
    "(ollama/ollama#5245); download the shards and load them with llama.cpp or `ollama create`"
)
_NO_TAG_NOTE = "no tag names this file alone (another file has the same name)"
_BAD_REPO_NOTE = "Ollama cannot name this repo (see validate_repo_id)"


@dataclass
class _Group:
    parts: list[tuple[int, str, int]] = field(default_factory=list)  # (index, path, size)
    total: int = 1
    joined: str | None = None  # byte splits: the file the parts join into

    @property
    def name(self) -> str:
        """The path that names the group's model (the joined file for byte splits)."""
        return self.joined or self.parts[0][1]


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
    if not is_gguf(path) and parse_byte_split(path) is None:
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
        piece = parse_byte_split(path)
        if piece is not None:
            key = ("bytes:" + piece.joined.lower(), 0)
            group = groups.setdefault(key, _Group(total=0, joined=piece.joined))
            group.parts.append((piece.index, path, size))
            group.total = max(group.total, piece.total or 0, len(group.parts))
        elif shard is not None and shard[2] > 1:
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
    entries: Iterable[Any],
    repo_id: str,
    *,
    include_sidecars: bool = False,
    parameters: int | None = None,
) -> pd.DataFrame:
    """One row per GGUF file group of a repo (columns: :data:`COLUMNS`), sorted by size.

    Split files (``…-00001-of-00003.gguf``, same prefix and count) form one group whatever
    order they come in: ``filename`` is the lowest-numbered shard present, ``files`` all
    present paths, ``shards`` the count the names declare, ``size_bytes`` the present total (an
    incomplete set shows as ``len(files) < shards``). A ``-00001-of-00001`` file is a single file.

    Byte-split files (mradermacher ``….gguf.part1of2``, TheBloke ``….gguf-split-a``;
    :mod:`~hfollama_widgets.splits`) form one row too: ``files`` the parts, ``shards`` the
    part count, the label read from the joined name, never pullable.

    ``ollama_tag``: a tag the Hub accepts for the file (:func:`~hfollama_widgets.hub_tags.hub_tag`:
    the quant label when it ends the name, else the file's base name); ``None`` for split
    groups, sidecars, and files no tag names alone. ``ollama_pullable`` is True for single-file
    model groups with a tag of a repo Ollama can name; ``model_ref`` is set only for those.
    ``note`` says why a row is not pullable (``None`` when it is). An ``imatrix``-named file of
    at least :data:`~hfollama_widgets.quants.IMATRIX_MAX_BYTES` is a model.
    Sidecars (``mmproj``, ``imatrix``, ``mtp``) are left out unless ``include_sidecars``.
    Text columns are ``object`` (``None`` when missing), ``quality_rank`` is ``Int64``.

    Quality columns (:mod:`hfollama_widgets.quality`): ``effective_bpw`` is ``size_bytes * 8 /
    parameters`` when ``parameters`` (the Hub's ``gguf.total``) is given; ``ppl_delta`` and
    ``kld`` are llama.cpp's published figures for the row's type on Llama-3-8B (``<NA>`` where
    none is published); ``pareto`` is True for model rows that no other model row beats on
    both size and quality loss (:func:`~hfollama_widgets.quality.quality_loss`).

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
    kinds = [file_kind(g.name, sum(p[2] for p in g.parts)) for g in groups]
    model_paths = [
        p[1] for g, k in zip(groups, kinds, strict=True) if k == "model" for p in g.parts
    ]

    rows: list[dict[str, Any]] = []
    for group, kind in zip(groups, kinds, strict=True):
        if kind != "model" and not include_sidecars:
            continue
        filename = group.parts[0][1]
        size = sum(part[2] for part in group.parts)
        label = parse_quant_label(group.name)
        info = quant_info(label) if label else None
        tag, note = _tag_and_note(group, kind, model_paths, repo_ok)
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
                "effective_bpw": quality.effective_bpw(size, parameters),
                "quality_rank": info.quality_rank if info else pd.NA,
                "quality": info.quality if info else None,
                "ppl_delta": quality.ppl_delta(label),
                "kld": quality.kld(label),
                "ollama_tag": tag,
                "model_ref": model_ref(repo_id, tag) if pullable and tag else None,
                "ollama_pullable": pullable,
                "kind": kind,
                "note": note,
            }
        )
    rows.sort(key=lambda r: (r["size_bytes"], r["filename"]))
    _mark_pareto(rows)
    df = pd.DataFrame(
        {col: pd.Series([r[col] for r in rows], dtype=_DTYPES[col]) for col in COLUMNS}
    )
    return df.reset_index(drop=True)


def _tag_and_note(
    group: _Group, kind: str, model_paths: list[str], repo_ok: bool
) -> tuple[str | None, str | None]:
    """The group's ``ollama_tag`` (:func:`~hfollama_widgets.hub_tags.hub_tag`) and the
    ``note`` saying why it cannot be pulled, if it cannot."""
    if group.joined is not None:
        name = group.joined.rsplit("/", 1)[-1]
        return None, JOIN_NOTE.format(count=group.total, name=name)
    if group.total > 1:
        return None, _SHARD_NOTE.format(count=group.total)
    if kind != "model":
        return None, None
    tag = hub_tag(group.parts[0][1], model_paths)
    if tag is None:
        return None, _NO_TAG_NOTE
    return tag, None if repo_ok else _BAD_REPO_NOTE


def fill_effective_bpw(df: pd.DataFrame, parameters: int | None) -> pd.DataFrame:
    """``df`` with missing ``effective_bpw`` of model rows filled from ``parameters`` (the
    header's figure, when a fit step read one, is kept).

    >>> df = pd.DataFrame({"kind": ["model"], "size_bytes": [10**9],
    ...                    "effective_bpw": pd.Series([None], dtype="Float64")})
    >>> float(fill_effective_bpw(df, 2 * 10**9)["effective_bpw"][0])
    4.0
    """
    if parameters is None or "size_bytes" not in df.columns:
        return df
    out = df.copy()
    current = out["effective_bpw"] if "effective_bpw" in out.columns else None
    values = []
    for position, (_, row) in enumerate(out.iterrows()):
        value = None if current is None else plain(current.iloc[position])
        if value is None and str(row.get("kind", "model")) == "model":
            value = quality.effective_bpw(int(row["size_bytes"]), parameters)
        values.append(value)
    out["effective_bpw"] = pd.Series(values, index=out.index, dtype="Float64")
    return out


def _mark_pareto(rows: list[dict[str, Any]]) -> None:
    """Set each row's ``pareto`` over the model rows (sidecars are never on the front)."""
    points = [
        (r["size_bytes"], quality.quality_loss(r["quantization"], r["quality"])[0])
        if r["kind"] == "model"
        else (None, None)
        for r in rows
    ]
    for row, flag in zip(rows, quality.pareto_flags(points), strict=True):
        row["pareto"] = flag


def plain(value: Any) -> Any:
    """A JSON-friendly version of a DataFrame cell: numpy scalars as Python values, tuples as
    lists, missing values (NaN, NA, NaT) as ``None``, timestamps as ISO strings.

    >>> import numpy as np
    >>> plain(np.int64(3)), plain(float("nan")), plain(("a", np.float32(0.5)))
    (3, None, ['a', 0.5])
    """
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        with suppress(ValueError, TypeError):
            value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if str(value) in ("<NA>", "NaT"):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def to_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as JSON-ready dicts (``None`` for missing values, lists for ``files``).

    >>> df = gguf_dataframe([{"path": "M.gguf", "size": 1}], "o/M-GGUF")
    >>> to_records(df)[0]["quality_rank"] is None
    True
    """
    return [{str(k): plain(v) for k, v in rec.items()} for rec in df.to_dict(orient="records")]
