"""The background work of :class:`~hfollama_widgets.widgets.browser.GGUFBrowser`.

Each function here talks to the Hub or to Ollama and returns plain data; none touches a widget.
The browser runs them in :class:`~hfollama_widgets.widgets._base.Job` threads (the notebook
cell returns at once) and applies a result to its synced state only if it still belongs to
what is shown (the generation it was started for is still the current one).

>>> search_records(__import__("pandas").DataFrame({"id": ["o/m"], "downloads": [3.0]}))
[{'id': 'o/m', 'downloads': 3, 'likes': None}]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from hfollama_widgets.errors import GatedRepoError, HFOllamaError
from hfollama_widgets.gguf import resolve_hardware
from hfollama_widgets.hardware import Hardware
from hfollama_widgets.hub import Hub
from hfollama_widgets.ollama import Client
from hfollama_widgets.widgets.browser.fit import FitState
from hfollama_widgets.widgets.browser.table import (
    access_note,
    hub_url,
    info_record,
    local_model_refs,
)

__all__ = [
    "SEARCH_LIMIT",
    "LoadedRepo",
    "fetch_local",
    "fit_failure",
    "hardware_for",
    "load_repo",
    "loading_state",
    "read_fit",
    "recommend",
    "search_records",
]

SEARCH_LIMIT = 20
"""Search results shown (and synced) at most."""


@dataclass(frozen=True)
class LoadedRepo:
    """What loading a repo found: the listing and what the header and markers need."""

    df: pd.DataFrame
    info: dict[str, Any]  # info_record(): the few header fields the front end shows
    access_note: str  # "Gated repo: accept the terms ..." or ""
    recommended: str | None  # the auto_select pick within the size limit
    local: set[str]  # lower-cased model refs Ollama has
    ollama_note: str  # why there are no "in Ollama" markers, or ""


def loading_state(repo_id: str) -> dict[str, Any]:
    """The synced traits (in the order they are set) while ``repo_id`` loads: the old
    repo's table, header, note, selection, search results and fit state are gone.

    >>> loading_state("o/m")["status"], loading_state("o/m")["info"]
    ('loading', {'repo_id': 'o/m'})
    """
    return {
        "repo_id": repo_id,
        "status": "loading",
        "rows": [],
        "info": {"repo_id": repo_id},
        "note": "",
        "selected": None,
        "search_results": [],
        "fit": {},
    }


def load_repo(
    hub: Hub, client: Client | None, repo_id: str, *, max_size_gb: float | None
) -> LoadedRepo:
    """List ``repo_id``'s files, read its Hub info, pick the recommended quant, ask Ollama.

    Only the listing may fail (raises its Hub error); without the info the header shows less,
    without Ollama there are no markers.
    """
    df = hub.list_gguf_files(repo_id, include_sidecars=True)
    try:
        info: Any = hub.model_info(repo_id)
    except Exception:
        info = None  # the listing is what matters; the header just shows less
    recommended = recommend(hub, repo_id, max_size_gb)
    local, note = fetch_local(client)
    record = info_record(info, repo_id=repo_id, url=hub_url(hub.endpoint, repo_id))
    return LoadedRepo(
        df=df,
        info=record,
        access_note=access_note(record),
        recommended=recommended,
        local=local,
        ollama_note=note,
    )


def recommend(hub: Hub, repo_id: str, max_size_gb: float | None) -> str | None:
    """The model ref ``hub.auto_select`` picks, ``None`` when it picks nothing."""
    try:
        ref, _row = hub.auto_select(repo_id, max_size_gb=max_size_gb)
    except Exception:
        return None  # nothing fits / split-only: no badge, the table says the rest
    return str(ref)


def fetch_local(client: Client | None) -> tuple[set[str], str]:
    """(lower-cased refs of the models Ollama has, a note when that cannot be known)."""
    if client is None:
        return set(), "No Ollama client: pass client=hfw.Client() to pull and chat."
    try:
        return local_model_refs(client.list()), ""
    except HFOllamaError as exc:
        return set(), f"Ollama not reachable, so no 'in Ollama' markers ({exc.message})"
    except Exception:
        return set(), "Ollama not reachable, so no 'in Ollama' markers."


def hardware_for(arg: Hardware | bool | None) -> Hardware | None:
    """The machine of the fit columns: ``arg`` itself, this one for ``None`` / ``True``, none
    for ``False``.

    >>> hardware_for(Hardware(ram_gb=16)).ram_gb, hardware_for(False)
    (16, None)
    """
    return resolve_hardware(True if arg is None else arg)


def read_fit(
    hub: Hub,
    repo_id: str,
    df: pd.DataFrame,
    hardware: Hardware | None,
    context_length: int | None,
) -> FitState:
    """Read the repo's header (HTTP Range) and compute the fit columns once, off the kernel
    thread. Raises what the read raises (see :func:`fit_failure`)."""
    fit = FitState.read(hub, repo_id, df, hardware)
    fit.columns(df, context_length)
    return fit


def fit_failure(exc: BaseException, repo_id: str) -> dict[str, Any]:
    """The synced ``fit`` state when the header could not be read: why, in one line.

    >>> fit_failure(RuntimeError("boom"), "o/m")
    {'available': False, 'note': 'No memory estimate: RuntimeError'}
    """
    if isinstance(exc, GatedRepoError):
        reason = (
            f"{repo_id} is gated, so the GGUF header cannot be read without access. "
            + (exc.fix or "")
        ).strip()
    else:
        reason = exc.message if isinstance(exc, HFOllamaError) else type(exc).__name__
    return {"available": False, "note": f"No memory estimate: {reason}"}


def search_records(found: pd.DataFrame, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
    """The synced search results: id, downloads and likes of the first ``limit`` repos."""
    return [
        {
            "id": str(row["id"]),
            "downloads": _int_or_none(row.get("downloads")),
            "likes": _int_or_none(row.get("likes")),
        }
        for _, row in found.head(limit).iterrows()
    ]


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None
