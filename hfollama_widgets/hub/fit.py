"""The fit columns for a repo's listing: read the one header they need, then apply the pure rules.

:func:`fit_listing` and :func:`select_fitting_row` back ``Hub.list_gguf_files(hardware=...)``
and ``Hub.auto_select(hardware=...)``. The estimate and the fit rules are pure
(:mod:`hfollama_widgets.gguf`); only the header read happens here.

Example (against the real Hub and Ollama)::

    fit_listing(hub, hub.list_gguf_files(repo), repo, Hardware(ram_gb=32, vram_gb=8))
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from hfollama_widgets.errors import HubError
from hfollama_widgets.gguf import fit as pure
from hfollama_widgets.gguf.metadata import GGUFMetadata
from hfollama_widgets.gguf.speed_column import add_speed_column
from hfollama_widgets.hardware import Hardware
from hfollama_widgets.hub.metadata import HeaderSource, read_repo_metadata

__all__ = ["fit_listing", "listing_metadata", "select_fitting_row", "unknown_fit"]


def listing_metadata(
    hub: HeaderSource, df: pd.DataFrame, repo_id: str, *, revision: str = "main"
) -> GGUFMetadata | None:
    """The header that stands for the listed repo (:func:`~hfollama_widgets.gguf.header_file`),
    read with HTTP Range requests; ``None`` when the listing has no model file."""
    filename = pure.header_file(df)
    if filename is None:
        return None
    return read_repo_metadata(hub, repo_id, filename, revision=revision)


def fit_listing(
    hub: HeaderSource,
    df: pd.DataFrame,
    repo_id: str,
    hardware: Hardware | bool | None,
    *,
    meta: GGUFMetadata | None = None,
    revision: str = "main",
    context_length: int | None = None,
    kv_cache_type: str = "f16",
) -> pd.DataFrame:
    """:func:`~hfollama_widgets.gguf.add_fit_columns` for a repo's listing, reading one header
    when ``meta`` is None. ``hardware=True`` detects this machine.

    When that header cannot be read (unreachable, refused, not GGUF), the listing still comes
    back: the fit is unknown (``fit`` empty), ``fit_text`` and ``fit_error`` give the reason.
    """
    hw = pure.resolve_hardware(hardware)
    if meta is None:
        try:
            meta = listing_metadata(hub, df, repo_id, revision=revision)
        except HubError as exc:
            return unknown_fit(df, exc)
        if meta is None:
            return pure.add_fit_columns(df, None, None)
    out = pure.add_fit_columns(
        df, meta, hw, context_length=context_length, kv_cache_type=kv_cache_type
    )
    return add_speed_column(
        out, meta, hw, context_length=context_length, kv_cache_type=kv_cache_type
    )


def unknown_fit(df: pd.DataFrame, error: HubError) -> pd.DataFrame:
    """The fit columns with the fit unknown: model rows say why in ``fit_text``/``fit_error``.

    >>> frame = pd.DataFrame({"kind": ["model", "mmproj"], "size_bytes": [10, 2]})
    >>> out = unknown_fit(frame, HubError("no header", fix="Retry."))
    >>> out["fit_text"].tolist()
    ['Unknown: no header. Retry.', None]
    """
    out = pure.add_fit_columns(df, None, None)
    models = out["kind"] == "model" if "kind" in out.columns else pd.Series(True, index=out.index)
    reason = str(error)
    texts = [f"Unknown: {reason}" if m else None for m in models]
    out["fit_text"] = pd.Series(texts, index=out.index, dtype=object)
    out["fit_error"] = pd.Series(
        [reason if m else None for m in models], index=out.index, dtype=object
    )
    out.attrs["fit_error"] = error.to_dict()
    return out


def select_fitting_row(
    hub: HeaderSource,
    df: pd.DataFrame,
    *,
    repo_id: str,
    hardware: Hardware | bool,
    meta: GGUFMetadata | None = None,
    revision: str = "main",
    context_length: int | None = None,
    kv_cache_type: str = "f16",
    preference: Iterable[str] | None = None,
    max_size_gb: float | None = None,
) -> pd.Series:
    """:func:`hfollama_widgets.gguf.select_fitting_row` with the repo's header read here."""
    hw = pure.resolve_hardware(hardware)  # detect once, not per call below
    if hw is None:
        raise TypeError("select_fitting_row needs hardware: a Hardware(...) or True (detect)")
    if meta is None:
        meta = listing_metadata(hub, df, repo_id, revision=revision)
    return pure.select_fitting_row(
        df, meta, hw, repo_id=repo_id, context_length=context_length,
        kv_cache_type=kv_cache_type, preference=preference, max_size_gb=max_size_gb,
    )  # fmt: skip
