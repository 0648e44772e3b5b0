"""Pure helpers of :class:`~hfollama_widgets.widgets.browser.GGUFBrowser`: listing -> table rows.

Nothing here talks to a server or a widget: a ``list_gguf_files`` DataFrame goes in, small
JSON-ready records (only the columns the table shows) and filtered views come out.

>>> import pandas as pd
>>> df = pd.DataFrame({"quantization": ["Q4_K_M"], "filename": ["m-Q4_K_M.gguf"],
...     "shards": [1], "size_bytes": [807694464], "bits_per_weight": [4.89],
...     "quality_rank": [10], "quality": ["Good"], "ollama_tag": ["Q4_K_M"],
...     "model_ref": ["hf.co/o/m:Q4_K_M"], "ollama_pullable": [True], "kind": ["model"]})
>>> rows = table_rows(df, local_refs={"hf.co/o/m:q4_k_m"})
>>> rows[0]["quant"], rows[0]["local"], rows[0]["why"]
('Q4_K_M', True, None)
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import pandas as pd

from hfollama_widgets.gguf import FIT_ORDER
from hfollama_widgets.quality import quality_loss

__all__ = [
    "FIT_ORDER",
    "SORT_COLUMNS",
    "access_note",
    "filter_listing",
    "hub_url",
    "info_record",
    "local_model_refs",
    "not_pullable_reason",
    "table_rows",
]

#: Table column key (as synced to the front end) -> DataFrame column it sorts by.
SORT_COLUMNS: Mapping[str, str] = {
    "quant": "quantization",
    "filename": "filename",
    "size": "size_bytes",
    "bpw": "bits_per_weight",
    "ebpw": "effective_bpw",
    "quality": "quality_rank",
    "ppl": "ppl_delta",
    "kld": "kld",
    "tps": "est_tokens_per_s",
    "shards": "shards",
    "mem": "est_memory_bytes",
    "fit": "fit",
}


# Header fields taken from RepoInfo (scalars only: they are synced as JSON).
_INFO_FIELDS = (
    "repo_id",
    "author",
    "downloads",
    "likes",
    "parameters",
    "architecture",
    "context_length",
    "gated",
    "private",
    "pipeline_tag",
    "license",
    "last_modified",
)

_SIDECAR_REASONS = {
    "mmproj": (
        "Vision projector (mmproj), not a model on its own: Ollama adds it automatically "
        "when you pull a model from this repo."
    ),
    "imatrix": "Importance matrix used to make the quants: data, not a model.",
    "mtp": "Multi-token-prediction draft module, not a model on its own.",
}


def _clean(value: Any) -> Any:
    """A JSON-friendly scalar: NaN/NA -> None, numpy scalars -> Python ones."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        with contextlib.suppress(AttributeError, ValueError):
            value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def not_pullable_reason(kind: str | None, shards: int | None, pullable: bool) -> str | None:
    """Why a row cannot be pulled into Ollama (shown on hover), or ``None`` if it can.

    >>> not_pullable_reason("model", 3, False)[:28]
    'Split into 3 files (shards):'
    >>> not_pullable_reason("model", 1, True) is None
    True
    """
    if kind and kind != "model":
        return _SIDECAR_REASONS.get(kind, f"A {kind} file, not a model on its own.")
    if pullable:
        return None
    if shards and shards > 1:
        return (
            f"Split into {shards} files (shards): Ollama cannot pull split GGUF files from the Hub "
            "(ollama/ollama#5245). Pick a single-file quant, or merge the shards with "
            "llama-gguf-split --merge and import the file."
        )
    return "Ollama cannot pull this file from the Hub."


def _folded(name: str) -> str:
    low = name.strip().lower()
    if low.startswith("huggingface.co/"):
        low = "hf.co/" + low[len("huggingface.co/") :]
    return low


def stored_name(listing: Mapping[str, Any] | None, ref: str) -> str | None:
    """The name Ollama stored ``ref`` under, from a ``list()`` answer; None if it has no such
    model. A model pulled as ``huggingface.co/…`` (the retry current Ollama needs for a private
    repo) is found from its ``hf.co/…`` ref, and is chatted with under its stored name.

    >>> stored_name({"models": [{"model": "huggingface.co/A/B:Q4_K_M"}]}, "hf.co/a/b:q4_k_m")
    'huggingface.co/A/B:Q4_K_M'
    >>> stored_name({"models": []}, "hf.co/a/b:q4_k_m") is None
    True
    """
    want = _folded(ref)
    for entry in (listing or {}).get("models") or []:
        if not isinstance(entry, Mapping):
            continue
        for key in ("model", "name"):
            name = entry.get(key)
            if isinstance(name, str) and name and _folded(name) == want:
                return name
    return None


def local_model_refs(listing: Mapping[str, Any] | None) -> set[str]:
    """Lower-cased names of the models in an Ollama ``list()`` answer (``name`` or ``model``).

    ``huggingface.co/`` names are folded to ``hf.co/``, the form the table compares with.

    >>> sorted(local_model_refs({"models": [{"name": "HF.co/A/B:Q4_K_M"}, {"model": "x:latest"}]}))
    ['hf.co/a/b:q4_k_m', 'x:latest']
    """
    refs: set[str] = set()
    for entry in (listing or {}).get("models") or []:
        if not isinstance(entry, Mapping):
            continue
        for key in ("name", "model"):
            name = entry.get(key)
            if isinstance(name, str) and name:
                refs.add(_folded(name))
    return refs


def table_rows(
    df: pd.DataFrame,
    *,
    local_refs: Iterable[str] = (),
    recommended_ref: str | None = None,
) -> list[dict[str, Any]]:
    """The listing as compact records for the front end: one per row, only the shown columns.

    ``key`` is the row's position in ``df``; ``why`` says why a row cannot be pulled (``None``
    when it can); ``local`` marks refs the Ollama server already has (case-insensitive).
    """
    local = {r.lower() for r in local_refs}
    rec = recommended_ref.lower() if recommended_ref else None
    rows: list[dict[str, Any]] = []
    for position, (_, row) in enumerate(df.iterrows()):
        kind = _clean(row.get("kind")) or "model"
        shards = _clean(row.get("shards"))
        pullable = bool(_clean(row.get("ollama_pullable")))
        why = not_pullable_reason(kind, shards, pullable)
        ref = _clean(row.get("model_ref"))
        quant = _clean(row.get("quantization"))
        record: dict[str, Any] = {
            "key": position,
            "quant": quant,
            "filename": _clean(row.get("filename")),
            "shards": shards,
            "size": _clean(row.get("size_bytes")),
            "bpw": _clean(row.get("bits_per_weight")),
            "quality": _clean(row.get("quality")),
            "rank": _clean(row.get("quality_rank")),
            "tag": _clean(row.get("ollama_tag")),
            "ref": ref,
            "kind": kind,
            "pullable": why is None,
            "why": why,
            "local": bool(why is None and ref and ref.lower() in local),
            "rec": bool(why is None and rec and ref and ref.lower() == rec),
            **_quality_fields(row, quant),
        }
        if "est_memory_bytes" in df.columns:
            fit = _clean(row.get("fit"))
            record["mem"] = _clean(row.get("est_memory_bytes"))
            record["fit"] = fit
            record["fit_text"] = _clean(row.get("fit_text"))
            record["fit_rank"] = FIT_ORDER.index(fit) if fit in FIT_ORDER else None
        if "est_tokens_per_s" in df.columns:
            record["tps"] = _clean(row.get("est_tokens_per_s"))
        rows.append(record)
    return rows


def _quality_fields(row: pd.Series, quant: str | None) -> dict[str, Any]:
    """The quality columns of a table record: ``ebpw`` (effective bits per weight), ``ppl``,
    ``kld``, ``pareto``, and the chart's y: ``loss`` (``ppl``, else the tier's median: the
    front end shows it as estimated when ``ppl`` is ``None``).

    >>> r = _quality_fields(pd.Series({"quality": "Good", "ppl_delta": None, "pareto": True}), "X")
    >>> r["loss"], r["ppl"], r["pareto"]
    (0.36, None, True)
    """
    loss, _estimated = quality_loss(quant, _clean(row.get("quality")))
    return {
        "ebpw": _clean(row.get("effective_bpw")),
        "ppl": _clean(row.get("ppl_delta")),
        "kld": _clean(row.get("kld")),
        "pareto": bool(_clean(row.get("pareto"))),
        "loss": loss,
    }


def filter_listing(
    df: pd.DataFrame,
    *,
    max_size_gb: float | None = None,
    text: str = "",
    sort_by: str | None = None,
    descending: bool = False,
) -> pd.DataFrame:
    """The rows the table shows: at most ``max_size_gb`` (1e9 bytes), matching ``text``, sorted.

    ``text`` matches (case-insensitively) the quantization, file name, quality tier or kind.
    ``sort_by`` is a table column key (see :data:`SORT_COLUMNS`); missing values sort last.

    >>> df = pd.DataFrame({"quantization": ["Q8_0", "Q4_K_M"], "filename": ["a", "b"],
    ...                    "size_bytes": [2_000_000_000, 900_000_000]})
    >>> list(filter_listing(df, max_size_gb=1.0).quantization)
    ['Q4_K_M']
    >>> list(filter_listing(df, text="q8").quantization)
    ['Q8_0']
    """
    out = df
    if max_size_gb is not None and "size_bytes" in out.columns:
        out = out[out["size_bytes"] <= max_size_gb * 1e9]
    needle = (text or "").strip().lower()
    if needle:
        columns = [c for c in ("quantization", "filename", "quality", "kind") if c in out.columns]
        hay = out[columns].astype("string").fillna("").agg(" ".join, axis=1).str.lower()
        out = out[hay.str.contains(needle, regex=False)]
    column = SORT_COLUMNS.get(sort_by or "")
    if column and column in out.columns:
        key = None
        if column == "fit":
            rank = {label: i for i, label in enumerate(FIT_ORDER)}
            key = lambda s: s.map(rank)  # noqa: E731
        out = out.sort_values(
            column, ascending=not descending, na_position="last", kind="stable", key=key
        )
    return out


def hub_url(endpoint: str | None, repo_id: str) -> str | None:
    """The repo's page on the Hub (``None`` unless the endpoint is plain http(s)).

    >>> hub_url("https://huggingface.co/", "bartowski/Llama-3.2-1B-Instruct-GGUF")
    'https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF'
    >>> hub_url("javascript:alert(1)//", "a/b") is None
    True
    """
    base = (endpoint or "https://huggingface.co").rstrip("/")
    if not base.lower().startswith(("http://", "https://")):
        return None
    return f"{base}/{quote(repo_id, safe='/')}"


def info_record(info: Any, *, repo_id: str, url: str | None) -> dict[str, Any]:
    """Header fields from a ``RepoInfo`` (or a mapping), JSON-ready; unknown fields are left out."""
    if info is None:
        data: Mapping[str, Any] = {}
    elif isinstance(info, Mapping):
        data = info
    elif hasattr(info, "to_dict"):
        data = info.to_dict()
    else:
        data = {k: getattr(info, k) for k in _INFO_FIELDS if hasattr(info, k)}
    record: dict[str, Any] = {"repo_id": repo_id, "url": url}
    for key in _INFO_FIELDS:
        if key == "repo_id" or key not in data:
            continue
        value = _clean(data[key])
        if value is None:
            continue
        if not isinstance(value, (str, int, float, bool)):
            value = str(value)
        record[key] = value
    return record


def access_note(info: Mapping[str, Any]) -> str:
    """The header remark for a gated repo (``""`` otherwise), from an :func:`info_record`.

    A gated repo's files are listed publicly; downloading them (and reading their headers, and
    Ollama pulling them) needs the terms accepted on the Hub by the account whose token is used.

    >>> access_note({"gated": "manual", "url": "https://huggingface.co/o/m"})[:58]
    'Gated repo: accept the terms on the Hub (https://huggingfa'
    >>> access_note({"gated": False})
    ''
    """
    gated = info.get("gated")
    if not gated or str(gated).lower() == "false":
        return ""
    where = f" ({info['url']})" if info.get("url") else ""
    approval = " and wait for the authors to approve" if str(gated) == "manual" else ""
    return (
        f"Gated repo: accept the terms on the Hub{where}{approval} to download these files. "
        "Reading their headers needs HF_TOKEN (or Hub(token=...)) from that account; pulling "
        "into Ollama needs Ollama's public key added to that account."
    )
