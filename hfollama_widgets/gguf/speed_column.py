"""The ``est_tokens_per_s`` listing column: the decode-speed ceiling of each model row.

One header (the repo's, read once for the fit columns) and each row's ``size_bytes`` give
every row's ceiling (:func:`~hfollama_widgets.gguf.speed.decode_ceiling_tokens_per_s`: memory
bandwidth / bytes read per token); no header read per row. Empty without a header, without
hardware, or when the hardware's bandwidth is unknown.

>>> import pandas as pd
>>> frame = pd.DataFrame({"kind": ["model", "mmproj"], "size_bytes": [10, 2]})
>>> list(add_speed_column(frame, None, None)["est_tokens_per_s"])
[<NA>, <NA>]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from hfollama_widgets.gguf.metadata import GGUFMetadata
from hfollama_widgets.gguf.speed import decode_ceiling_tokens_per_s
from hfollama_widgets.hardware import Hardware

__all__ = ["add_speed_column"]


def add_speed_column(
    df: pd.DataFrame,
    meta: GGUFMetadata | None,
    hardware: Hardware | None,
    *,
    context_length: int | None = None,
    kv_cache_type: str = "f16",
) -> pd.DataFrame:
    """A copy of ``df`` with ``est_tokens_per_s`` (``Float64``, rounded to 0.1): the decode
    ceiling of each model row on ``hardware`` at ``context_length``."""
    out = df.copy()
    values: list[Any] = []
    for _, row in out.iterrows():
        value = None
        size = row.get("size_bytes")
        is_model = str(row.get("kind", "model")) == "model"
        if meta is not None and hardware is not None and is_model and size == size:
            value = decode_ceiling_tokens_per_s(
                meta, hardware, context_length=context_length, file_size=int(size),
                kv_cache_type=kv_cache_type,
            )  # fmt: skip
        values.append(None if value is None else round(float(value), 1))
    out["est_tokens_per_s"] = pd.Series(values, index=out.index, dtype="Float64")
    return out
