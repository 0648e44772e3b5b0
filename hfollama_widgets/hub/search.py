"""Search helpers of :meth:`hfollama_widgets.hub.Hub.search_models`: sort names, the fields
asked for, and ``ModelInfo`` results -> one DataFrame row per repo.

>>> sort_key("Last-Modified"), sort_key("trending")
('last_modified', 'trending_score')
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from hfollama_widgets.hub.repo_info import RepoInfo

__all__ = ["SEARCH_COLUMNS", "SEARCH_EXPAND", "search_frame", "sort_key"]

#: The fields ``list_models(expand=...)`` asks for (what the rows need).
SEARCH_EXPAND = [
    "author", "downloads", "likes", "lastModified", "createdAt", "tags", "pipeline_tag",
    "gated", "private", "gguf", "library_name",
]  # fmt: skip
_SORTS = {
    "downloads": "downloads",
    "likes": "likes",
    "last_modified": "last_modified",
    "lastmodified": "last_modified",
    "created_at": "created_at",
    "createdat": "created_at",
    "trending_score": "trending_score",
    "trendingscore": "trending_score",
    "trending": "trending_score",
}
#: Columns of :meth:`Hub.search_models`.
SEARCH_COLUMNS: tuple[str, ...] = (
    "id", "author", "downloads", "likes", "last_modified", "created_at", "pipeline_tag",
    "tags", "gated", "private", "parameters", "architecture", "context_length",
)  # fmt: skip


def sort_key(sort: str) -> str:
    """huggingface_hub's ``sort`` value for a user's spelling; ``ValueError`` if unknown."""
    key = _SORTS.get(sort.lower().replace("-", "_")) or _SORTS.get(sort.lower())
    if key is None:
        raise ValueError(
            "sort must be one of downloads, likes, last_modified, created_at, "
            f"trending_score (got {sort!r})"
        )
    return key


def _timestamp(value: Any) -> Any:
    return pd.Timestamp(value) if value else pd.NaT


def search_frame(models: Iterable[Any]) -> pd.DataFrame:
    """One row per ``huggingface_hub.ModelInfo`` (columns :data:`SEARCH_COLUMNS`, in order).

    >>> from types import SimpleNamespace as NS
    >>> df = search_frame([NS(id="o/M-GGUF", downloads=5, gguf={"total": 1_000_000})])
    >>> df.loc[0, "author"], int(df.loc[0, "parameters"])
    ('o', 1000000)
    """
    rows = []
    for m in models:
        info = RepoInfo.from_model_info(m)
        rows.append(
            {
                "id": info.id,
                "author": info.author or info.id.split("/")[0],
                "downloads": info.downloads,
                "likes": info.likes,
                "last_modified": _timestamp(info.last_modified),
                "created_at": _timestamp(info.created_at),
                "pipeline_tag": info.pipeline_tag,
                "tags": info.tags,
                "gated": info.gated,
                "private": info.private,
                "parameters": info.parameters,
                "architecture": info.architecture,
                "context_length": info.context_length,
            }
        )
    df = pd.DataFrame(rows, columns=list(SEARCH_COLUMNS))
    for col in ("downloads", "likes", "parameters", "context_length"):
        df[col] = df[col].astype("Int64")
    return df
