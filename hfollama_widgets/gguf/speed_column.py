"""The ``est_tokens_per_s`` listing column: the hook that wires the decode-speed ceiling in.

The ceiling itself (memory bandwidth / bytes read per token) belongs to
``hfollama_widgets.gguf.speed``, written separately. This module only calls it, one value per
model row, when that module and its :data:`SPEED_FUNCTION` exist; otherwise the column is
there and empty, so the listing's shape does not depend on it.

The function it expects::

    speed.est_tokens_per_s(meta, hardware, *, file_size, context_length) -> float | None

>>> import pandas as pd
>>> frame = pd.DataFrame({"kind": ["model", "mmproj"], "size_bytes": [10, 2]})
>>> list(add_speed_column(frame, None, None)["est_tokens_per_s"])
[<NA>, <NA>]
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pandas as pd

from hfollama_widgets.gguf.metadata import GGUFMetadata
from hfollama_widgets.hardware import Hardware

__all__ = ["SPEED_FUNCTION", "SPEED_MODULE", "add_speed_column", "speed_function"]

#: Where the decode-speed ceiling lives, and its name there.
SPEED_MODULE = "hfollama_widgets.gguf.speed"
SPEED_FUNCTION = "est_tokens_per_s"


def speed_function() -> Callable[..., float | None] | None:
    """The ceiling function when :data:`SPEED_MODULE` provides it, else ``None``."""
    try:
        module = importlib.import_module(SPEED_MODULE)
    except ImportError:
        return None
    function = getattr(module, SPEED_FUNCTION, None)
    return function if callable(function) else None


def add_speed_column(
    df: pd.DataFrame,
    meta: GGUFMetadata | None,
    hardware: Hardware | None,
    *,
    context_length: int | None = None,
) -> pd.DataFrame:
    """A copy of ``df`` with ``est_tokens_per_s`` (``Float64``, rounded to 0.1): the decode
    ceiling of each model row on ``hardware``; empty without a header, hardware or speed model.
    """
    out = df.copy()
    function = speed_function() if meta is not None and hardware is not None else None
    values: list[Any] = []
    for _, row in out.iterrows():
        value = None
        size = row.get("size_bytes")
        if function is not None and str(row.get("kind", "model")) == "model" and size == size:
            value = function(meta, hardware, file_size=int(size), context_length=context_length)
        values.append(None if value is None else round(float(value), 1))
    out["est_tokens_per_s"] = pd.Series(values, index=out.index, dtype="Float64")
    return out
