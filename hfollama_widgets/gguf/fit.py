"""Fit labels (will it run here?) and the listing columns built on them (pure, no I/O).

:func:`fit_label` places a memory total on a :class:`~hfollama_widgets.hardware.Hardware`;
:func:`add_fit_columns` adds estimate and fit columns to a ``list_gguf_files`` frame from one
header; :func:`select_fitting` / :func:`select_fitting_row` pick from them (what
``Hub.auto_select(hardware=...)`` pulls); :func:`header_file` names the file whose header
stands for a repo. The rules are in the docstring of :mod:`hfollama_widgets.gguf.memory`.

>>> from hfollama_widgets.hardware import Hardware
>>> fit_label(6e9, Hardware(ram_gb=32, vram_gb=8))
'full_gpu_offload'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from hfollama_widgets.checks import positive_int, positive_number
from hfollama_widgets.errors import InvalidArgumentTypeError, NoQuantFitsError
from hfollama_widgets.gguf.memory import HEADROOM, effective_bits_per_weight, estimate_memory
from hfollama_widgets.hardware import Hardware, detect_hardware
from hfollama_widgets.listing import candidates, select_row

if TYPE_CHECKING:
    from hfollama_widgets.gguf.metadata import GGUFMetadata

__all__ = [
    "FIT_ORDER",
    "FIT_TEXT",
    "HEADROOM",
    "FitLabel",
    "add_fit_columns",
    "fit_label",
    "header_file",
    "resolve_hardware",
    "select_fitting",
    "select_fitting_row",
]

FitLabel = Literal["full_gpu_offload", "partial_gpu_offload", "fits_in_ram", "too_large"]
FIT_ORDER: tuple[FitLabel, ...] = (
    "full_gpu_offload",
    "partial_gpu_offload",
    "fits_in_ram",
    "too_large",
)
FIT_TEXT: dict[str, str] = {
    "full_gpu_offload": "Full GPU offload",
    "partial_gpu_offload": "Partial GPU offload",
    "fits_in_ram": "Fits in RAM (CPU only)",
    "too_large": "Likely too large",
}


def fit_label(total_bytes: float, hardware: Hardware) -> FitLabel:
    """Where a model of ``total_bytes`` runs on ``hardware`` (rules: :mod:`~.gguf.memory`).

    >>> fit_label(40e9, Hardware(ram_gb=32))
    'too_large'
    """
    gpu = hardware.gpu_budget_gb * 1e9
    ram = hardware.ram_gb * 1e9
    if gpu and total_bytes <= HEADROOM * gpu:
        return "full_gpu_offload"
    if gpu:
        usable = ram if hardware.unified_memory else gpu + ram
        return "partial_gpu_offload" if total_bytes <= HEADROOM * usable else "too_large"
    return "fits_in_ram" if total_bytes <= HEADROOM * ram else "too_large"


def add_fit_columns(
    df: pd.DataFrame,
    meta: GGUFMetadata | None,
    hardware: Hardware | None,
    *,
    context_length: int | None = None,
    kv_cache_type: str = "f16",
    flash_attention: bool | None = None,
    num_parallel: int = 1,
) -> pd.DataFrame:
    """A copy of a ``list_gguf_files`` frame with memory and fit columns for its model rows.

    Adds ``est_memory_bytes``, ``est_memory_gb``, ``kv_cache_bytes``, ``fit`` (a
    :data:`FitLabel`), ``fit_text`` and ``effective_bpw``. Every quant of a repo shares the
    architecture, so one header (``meta``) serves all rows; each row's weights are its
    ``size_bytes``. Sidecar rows (mmproj, imatrix) and unsupported models get missing values;
    ``hardware=None`` leaves ``fit`` empty, ``meta=None`` every new column.

    Example (against the real Hub and Ollama)::

        df = hub.list_gguf_files(repo)
        add_fit_columns(df, gguf_metadata(repo, "Q4_K_M"), detect_hardware())
    """
    context_length = positive_int("context_length", context_length)
    out = df.copy()
    est, kv, fits, texts, bpw = [], [], [], [], []
    for _, row in out.iterrows():
        is_model = str(row.get("kind", "model")) == "model"
        size = row.get("size_bytes")
        size = int(size) if meta and is_model and size is not None and size == size else None
        e = None
        if meta is not None and size is not None:
            e = estimate_memory(
                meta,
                context_length=context_length,
                kv_cache_type=kv_cache_type,
                file_size=size,
                flash_attention=flash_attention,
                num_parallel=num_parallel,
            )
        total = e["total_bytes"] if e else None
        label = fit_label(total, hardware) if total is not None and hardware else None
        est.append(total)
        kv.append(e["kv_cache_bytes"] if e else None)
        fits.append(label)
        texts.append(FIT_TEXT[label] if label else None)
        bpw.append(effective_bits_per_weight(size, meta.parameter_count) if size and meta else None)
    out["est_memory_bytes"] = _nullable_int(est)
    out["est_memory_gb"] = [None if t is None else round(t / 1e9, 2) for t in est]
    out["est_memory_gb"] = out["est_memory_gb"].astype("Float64")
    out["kv_cache_bytes"] = _nullable_int(kv)
    out["fit"] = fits
    out["fit_text"] = texts
    out["effective_bpw"] = [None if b is None else round(b, 2) for b in bpw]
    out["effective_bpw"] = out["effective_bpw"].astype("Float64")
    return out


def select_fitting(
    df: pd.DataFrame,
    *,
    allow: Iterable[str] = ("full_gpu_offload", "partial_gpu_offload", "fits_in_ram"),
) -> pd.DataFrame:
    """Rows of the best fit tier present: every full-GPU row if any, else partial, else CPU-only.

    Feed the result to ``best_quantization`` to pick a quant (what ``auto_select(hardware=…)``
    does). Empty when nothing in ``allow`` fits. Needs the ``fit`` column of
    :func:`add_fit_columns`.

    Example (against the real Hub and Ollama)::

        best_quantization(select_fitting(add_fit_columns(df, meta, hw)))  # -> 'Q4_K_M'
    """
    allowed = set(allow)
    for tier in FIT_ORDER:
        if tier in allowed:
            rows = df[df["fit"] == tier]
            if len(rows):
                return rows
    return df.iloc[0:0]


def header_file(df: pd.DataFrame) -> str | None:
    """The file whose header stands for a repo: its smallest model file (cheapest to read).

    Every quant of a repo shares the architecture; the headers differ only in
    ``general.file_type``. ``None`` when the listing has no model file.

    >>> import pandas as pd
    >>> header_file(pd.DataFrame({"filename": ["a-Q8_0.gguf", "a-Q4_0.gguf"],
    ...                           "kind": ["model", "model"], "size_bytes": [8, 4]}))
    'a-Q4_0.gguf'
    """
    if df.empty or "filename" not in df.columns:
        return None
    models = df[df["kind"] == "model"] if "kind" in df.columns else df
    if models.empty:
        return None
    if "size_bytes" in models.columns:
        models = models.sort_values("size_bytes", kind="stable")
    return str(models.iloc[0]["filename"])


def resolve_hardware(hardware: object) -> Hardware | None:
    """``True`` detects this machine, a :class:`Hardware` is used as is, ``None``/``False``: none.

    >>> resolve_hardware(None) is None
    True
    >>> resolve_hardware("16GB")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hfollama_widgets.errors.InvalidArgumentTypeError: hardware='16GB' is not valid: it must be ...
    """
    if hardware is True:
        return detect_hardware()
    if isinstance(hardware, Hardware):
        return hardware
    if hardware is None or hardware is False:
        return None
    raise InvalidArgumentTypeError(
        "hardware",
        hardware,
        "must be a Hardware(ram_gb=..., vram_gb=...), True (detect this machine) or None, "
        f"not {type(hardware).__name__}",
        fix="Pass hardware=Hardware(ram_gb=32, vram_gb=8), or hardware=True to detect it.",
    )


def select_fitting_row(
    df: pd.DataFrame,
    meta: GGUFMetadata | None,
    hardware: Hardware | bool,
    *,
    repo_id: str,
    context_length: int | None = None,
    kv_cache_type: str = "f16",
    preference: Iterable[str] | None = None,
    max_size_gb: float | None = None,
) -> pd.Series:
    """The quant ``auto_select(hardware=...)`` pulls: the preferred one (``DEFAULT_PREFERENCE``,
    Q4_K_M first) among the pullable rows (within ``max_size_gb``) of the best fit tier (full
    GPU, else partial, else CPU), estimated from ``meta`` (the repo's header).

    Raises :class:`~hfollama_widgets.errors.NoQuantFitsError` naming the smallest estimate when
    nothing fits, and :func:`~hfollama_widgets.listing.select_row`'s errors (split-only, ...).
    """
    context_length = positive_int("context_length", context_length)
    max_size_gb = positive_number("max_size_gb", max_size_gb)
    hw = resolve_hardware(hardware)
    if hw is None:
        raise InvalidArgumentTypeError(
            "hardware",
            hardware,
            "must be a Hardware(...) or True (detect): select_fitting_row needs one",
            fix="Pass hardware=Hardware(ram_gb=32, vram_gb=8), or hardware=True to detect it.",
        )
    out = add_fit_columns(df, meta, hw, context_length=context_length, kv_cache_type=kv_cache_type)
    pullable = candidates(out, max_size_gb=max_size_gb)
    if pullable.empty:  # let select_row explain (no GGUF, split only, over max_size_gb, ...)
        return select_row(out, repo_id=repo_id, max_size_gb=max_size_gb)
    fitting = select_fitting(pullable)
    if fitting.empty:
        known = pullable.dropna(subset=["est_memory_bytes"]).sort_values("est_memory_bytes")
        need = ""
        if len(known):
            small = known.iloc[0]
            name = small["quantization"] if isinstance(small["quantization"], str) else None
            need = (
                f" the smallest, {name or small['filename']}, needs about "
                f"{small['est_memory_bytes'] / 1e9:.1f} GB plus {1 - HEADROOM:.0%} headroom"
            )
        raise NoQuantFitsError(
            f"No quantization of {repo_id} fits this machine ({hw.describe()});{need}.",
            fix="Use a smaller context_length or kv_cache_type='q8_0', or pick a smaller model.",
            repo_id=repo_id,
        )
    return select_row(
        fitting, repo_id=repo_id, preference=tuple(preference) if preference else None
    )


def _nullable_int(values: list[Any]) -> Any:
    return pd.array([None if v is None else int(v) for v in values], dtype="Int64")
