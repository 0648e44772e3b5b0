"""The shared :class:`~hfollama_widgets.hub.Hub` and the module-level functions that use it.

``hfw.list_gguf_files(repo)`` is ``default_hub().list_gguf_files(repo)``; the demo and the
notebooks point the shared Hub at the stand-ins with :func:`set_default_hub`.

>>> from hfollama_widgets.testing import FakeHub
>>> with FakeHub() as fake:
...     set_default_hub(Hub(fake.url))
...     ref, _ = auto_select("bartowski/Llama-3.2-1B-Instruct-GGUF")
...     set_default_hub(None)
>>> ref
'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import pandas as pd

from hfollama_widgets import gguf
from hfollama_widgets.gguf.metadata import GGUFMetadata
from hfollama_widgets.hub.client import Hub
from hfollama_widgets.hub.repo_info import RepoInfo

__all__ = [
    "auto_select",
    "default_hub",
    "estimate_memory",
    "gguf_metadata",
    "list_gguf_files",
    "list_gguf_files_many",
    "model_info",
    "scan",
    "search_models",
    "set_default_hub",
]

_default: Hub | None = None
_default_lock = threading.Lock()


def default_hub() -> Hub:
    """The shared :class:`Hub` the module-level functions use (created on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Hub()
        return _default


def set_default_hub(hub: Hub | None) -> None:
    """Replace the shared :class:`Hub` (``None``: create a fresh one from the environment)."""
    global _default
    with _default_lock:
        _default = hub


def list_gguf_files(repo_id: str, **kwargs: Any) -> pd.DataFrame:
    """:meth:`Hub.list_gguf_files` on :func:`default_hub`."""
    return default_hub().list_gguf_files(repo_id, **kwargs)


def list_gguf_files_many(repo_ids: Iterable[str] | pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    """:meth:`Hub.list_gguf_files_many` on :func:`default_hub`."""
    return default_hub().list_gguf_files_many(repo_ids, **kwargs)


def scan(search: str | None = None, **kwargs: Any) -> pd.DataFrame:
    """:meth:`Hub.scan` on :func:`default_hub`: search the Hub, list every GGUF repo found."""
    return default_hub().scan(search, **kwargs)


def model_info(repo_id: str, **kwargs: Any) -> RepoInfo:
    """:meth:`Hub.model_info` on :func:`default_hub`."""
    return default_hub().model_info(repo_id, **kwargs)


def search_models(query: str | None = None, **kwargs: Any) -> pd.DataFrame:
    """:meth:`Hub.search_models` on :func:`default_hub`."""
    return default_hub().search_models(query, **kwargs)


def auto_select(repo_id: str, **kwargs: Any) -> tuple[str, pd.Series]:
    """:meth:`Hub.auto_select` on :func:`default_hub`."""
    return default_hub().auto_select(repo_id, **kwargs)


def gguf_metadata(
    repo_id: str,
    quantization_or_filename: str,
    *,
    revision: str = "main",
    hub: Hub | None = None,
    refresh: bool = False,
) -> GGUFMetadata:
    """:meth:`Hub.gguf_metadata` on ``hub`` (default: :func:`default_hub`).

    >>> from hfollama_widgets.testing import FakeHub
    >>> with FakeHub() as server:
    ...     meta = gguf_metadata("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Q4_K_M",
    ...                          hub=Hub(endpoint=server.url))
    >>> meta.block_count, meta.head_count_kv, meta.key_length
    (32, 8, 128)
    """
    return (hub or default_hub()).gguf_metadata(
        repo_id, quantization_or_filename, revision=revision, refresh=refresh
    )


def estimate_memory(
    meta_or_repo: GGUFMetadata | str,
    quant: str | None = None,
    *,
    context_length: int | None = None,
    kv_cache_type: str = "f16",
    file_size: int | None = None,
    hub: Hub | None = None,
) -> dict[str, Any]:
    """:func:`hfollama_widgets.gguf.estimate_memory` for a header, or for a repo id (then
    ``quant`` picks the file, whose header is read through ``hub``, default :func:`default_hub`).

    Example (against the real Hub)::

        est = estimate_memory("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Q4_K_M",
                              context_length=8192)
        est["kv_cache_bytes"] / 2**30  # -> 1.0
    """
    if isinstance(meta_or_repo, str):
        meta = (hub or default_hub()).gguf_metadata(
            meta_or_repo, quant or _auto_filename(hub or default_hub(), meta_or_repo)
        )
    else:
        meta = meta_or_repo
    return gguf.estimate_memory(
        meta, context_length=context_length, kv_cache_type=kv_cache_type, file_size=file_size
    )


def _auto_filename(hub: Hub, repo_id: str) -> str:
    return str(hub.auto_select(repo_id)[1]["filename"])
