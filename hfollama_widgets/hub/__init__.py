"""The Hugging Face Hub client: GGUF listings, repo info, search, quant selection, headers.

- :mod:`~hfollama_widgets.hub.client`: :class:`Hub`;
- :mod:`~hfollama_widgets.hub.default`: the shared Hub and the module-level functions on it;
- :mod:`~hfollama_widgets.hub.errors`: huggingface_hub / httpx errors -> our hierarchy;
- :mod:`~hfollama_widgets.hub.repo_info`, :mod:`~hfollama_widgets.hub.search`: model info and
  search rows;
- :mod:`~hfollama_widgets.hub.http_range`, :mod:`~hfollama_widgets.hub.remote_header`,
  :mod:`~hfollama_widgets.hub.metadata`: GGUF headers read with HTTP Range requests;
- :mod:`~hfollama_widgets.hub.fit`: the fit columns of a listing (one header read);
- :mod:`~hfollama_widgets.hub.batch`: many repos at once (progress, 429 waits, error rows);
- :mod:`~hfollama_widgets.hub.cache`, :mod:`~hfollama_widgets.hub.trees`: the persistent
  listing cache and where a listing comes from (memory, disk, the Hub).

Every request has a deadline: ``Hub(timeout=...)``, else ``HFOLLAMA_HUB_TIMEOUT`` (20 s).

>>> from hfollama_widgets.testing import FakeHub
>>> with FakeHub() as fake:
...     ref, row = Hub(fake.url).auto_select("bartowski/Llama-3.2-1B-Instruct-GGUF")
>>> ref
'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'
"""

from __future__ import annotations

from hfollama_widgets.hub.client import Hub
from hfollama_widgets.hub.default import (
    auto_select,
    default_hub,
    estimate_memory,
    gguf_metadata,
    list_gguf_files,
    list_gguf_files_many,
    model_info,
    scan,
    search_models,
    set_default_hub,
)
from hfollama_widgets.hub.metadata import HeaderSource, clear_gguf_cache
from hfollama_widgets.hub.remote_header import read_gguf_header
from hfollama_widgets.hub.repo_info import RepoInfo
from hfollama_widgets.hub.search import SEARCH_COLUMNS

__all__ = [
    "SEARCH_COLUMNS",
    "HeaderSource",
    "Hub",
    "RepoInfo",
    "auto_select",
    "clear_gguf_cache",
    "default_hub",
    "estimate_memory",
    "gguf_metadata",
    "list_gguf_files",
    "list_gguf_files_many",
    "model_info",
    "read_gguf_header",
    "scan",
    "search_models",
    "set_default_hub",
]
