"""The Python-side views of a :class:`~hfollama_widgets.widgets.browser.GGUFBrowser` listing.

The front end gets small records (``rows``); Python users get DataFrames: the full listing with
``in_ollama`` and ``recommended`` columns (:func:`marked_listing`) and the row of a model ref
(:func:`row_for_ref`); its text repr is :func:`text_summary`.

>>> import pandas as pd
>>> df = pd.DataFrame({"model_ref": ["hf.co/o/m:Q4_K_M", "hf.co/o/m:Q8_0"]})
>>> rows = [{"ref": "hf.co/o/m:Q8_0", "local": True}]
>>> marked = marked_listing(df, rows, recommended="hf.co/o/m:q4_k_m")
>>> marked["in_ollama"].tolist(), marked["recommended"].tolist()
([False, True], [True, False])
>>> bool(row_for_ref(marked, "HF.CO/o/m:q8_0")["in_ollama"])
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = ["marked_listing", "row_for_ref", "text_summary"]


def marked_listing(
    listing: pd.DataFrame, rows: Iterable[Mapping[str, Any]], *, recommended: str | None
) -> pd.DataFrame:
    """A copy of ``listing`` with ``in_ollama`` (from the table ``rows``' markers) and
    ``recommended`` columns; model refs compare case-insensitively."""
    out = listing.copy()
    if "model_ref" not in out:
        return out
    refs = out["model_ref"].astype("string").str.lower()
    local = {str(r["ref"]).lower() for r in rows if r.get("local") and r.get("ref")}
    out["in_ollama"] = refs.isin(local).fillna(False).astype(bool)
    out["recommended"] = (refs == (recommended or "").lower()).fillna(False).astype(bool)
    return out


def row_for_ref(df: pd.DataFrame, ref: str) -> pd.Series | None:
    """The row of ``df`` whose ``model_ref`` is ``ref`` (case-insensitive), else ``None``."""
    match = df[df["model_ref"].astype("string").str.lower() == ref.lower()]
    return None if match.empty else match.iloc[0]


def text_summary(repo_id: str, status: str, n_rows: int, selected: str | None) -> str:
    """The browser's one-line text repr (shown where the widget cannot render).

    >>> text_summary("o/m", "ready", 3, "hf.co/o/m:Q4_K_M")
    "GGUFBrowser(repo='o/m', 3 files, selected='hf.co/o/m:Q4_K_M')"
    >>> text_summary("", "empty", 0, None)
    'GGUFBrowser(no repo)'
    """
    parts = [f"repo={repo_id!r}" if repo_id else "no repo"]
    if status == "ready":
        parts.append(f"{n_rows} files")
    elif status in ("loading", "error"):
        parts.append(status)
    if selected:
        parts.append(f"selected={selected!r}")
    return f"GGUFBrowser({', '.join(parts)})"
