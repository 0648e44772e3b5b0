"""Will it run here? The GGUFBrowser's memory and fit columns (issue 4), kept apart from the widget.

One GGUF header per repo (every quant shares the architecture) is read with HTTP Range requests
(:meth:`~hfollama_widgets.hub.Hub.gguf_metadata` of the file
:func:`~hfollama_widgets.gguf.header_file` picks), then
:func:`~hfollama_widgets.gguf.add_fit_columns` adds ``est_memory_bytes``, ``fit``,
``fit_text``, ... for a context length. Changing the context length recomputes locally.

>>> context_choices(32768)
[2048, 4096, 8192, 16384, 32768]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from hfollama_widgets.errors import NoGGUFFilesError
from hfollama_widgets.gguf import GGUFMetadata, add_fit_columns, default_context_length, header_file
from hfollama_widgets.hardware import Hardware
from hfollama_widgets.hub import Hub

__all__ = ["FitState", "context_choices"]

_CHOICES = (2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576)


def context_choices(model_context: int | None) -> list[int]:
    """Context lengths offered by the control: powers of two up to the model's maximum."""
    top = model_context or 131072
    choices = [c for c in _CHOICES if c <= top]
    if model_context and model_context not in choices:
        choices.append(model_context)
    return choices


class FitState:
    """Header + hardware of one loaded repo; adds the fit columns for a context length."""

    def __init__(self, meta: GGUFMetadata, hardware: Hardware | None) -> None:
        self.meta = meta
        self.hardware = hardware
        self._cache: dict[int | None, pd.DataFrame] = {}

    @classmethod
    def read(cls, hub: Hub, repo_id: str, df: pd.DataFrame, hardware: Hardware | None) -> FitState:
        """Read the header of the repo's smallest model file (raises HFOllamaError on failure)."""
        filename = header_file(df)
        if filename is None:
            raise NoGGUFFilesError(f"{repo_id} has no model file to read a header from.")
        return cls(hub.gguf_metadata(repo_id, filename), hardware)

    @property
    def model_context(self) -> int | None:
        """The model's trained context length (from the header)."""
        value = getattr(self.meta, "context_length", None)
        return int(value) if value else None

    def default_context(self) -> int:
        """What the estimate uses when no context length is chosen (Ollama's default, capped)."""
        return default_context_length(self.model_context)

    def columns(self, df: pd.DataFrame, context_length: int | None) -> pd.DataFrame:
        """``df`` with the memory/fit columns at ``context_length`` (cached per value)."""
        if context_length not in self._cache:
            self._cache[context_length] = add_fit_columns(
                df, self.meta, self.hardware, context_length=context_length
            )
        return self._cache[context_length]

    def describe(self) -> dict[str, Any]:
        """Synced summary for the front end: hardware line, model context, control choices."""
        return {
            "available": True,
            "hardware": self.hardware.describe() if self.hardware else None,
            "model_context": self.model_context,
            "default_context": self.default_context(),
            "choices": context_choices(self.model_context),
        }
