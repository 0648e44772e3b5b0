"""What GGUFBrowser accepts from people: pasted repo URLs in the repo box, and checked numbers.

:func:`is_repo_input` tells a repo (``owner/name``, ``hf.co/…``, a model-page URL, with an
optional ``:QUANT``) from search words; :func:`quant_ref` finds the row a ``:QUANT`` names;
:class:`CheckedNumber` is a trait whose values go through a check of
:mod:`hfollama_widgets.checks`: a bad value set from Python raises the typed error, one sent by
the page is shown in the widget's error box and the previous value is kept (and sent back).

>>> is_repo_input("https://huggingface.co/o/M-GGUF/tree/main"), is_repo_input("llama 3 gguf")
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import traitlets

from hfollama_widgets.errors import InvalidArgumentError
from hfollama_widgets.refs import looks_like_hf_ref
from hfollama_widgets.selection import select_row

__all__ = ["CheckedNumber", "is_repo_input", "quant_ref"]

_BARE_REPO = re.compile(r"[\w.\-]+/[\w.\-]+/?(:[\w.\-]+)?")


def is_repo_input(text: str) -> bool:
    """True if ``text`` is written as a repo (to load), not as search words.

    >>> [is_repo_input(t) for t in ("o/M-GGUF:Q4_K_M", " hf.co/o/M ", "qwen", "o/M/tree/main")]
    [True, True, False, True]
    """
    text = text.strip()
    if not text or any(c.isspace() for c in text):
        return False
    if looks_like_hf_ref(text) or _BARE_REPO.fullmatch(text):
        return True
    parts = text.split("/")
    return len(parts) > 3 and parts[2] in ("tree", "blob", "resolve")


def quant_ref(df: pd.DataFrame, repo_id: str, tag: str) -> str:
    """The model ref of the row ``tag`` (a quant label or file name) names in ``df``.

    Raises :func:`~hfollama_widgets.selection.select_row`'s errors: the repo has no such
    quant (the message lists what it has), or it is split (Ollama cannot pull it).

    >>> from hfollama_widgets.listing import gguf_dataframe
    >>> df = gguf_dataframe([{"path": "M-Q4_K_M.gguf", "size": 8}], "o/M-GGUF")
    >>> quant_ref(df, "o/M-GGUF", "q4_k_m")
    'hf.co/o/M-GGUF:Q4_K_M'
    """
    return str(select_row(df, repo_id=repo_id, quantization=tag)["model_ref"])


class CheckedNumber(traitlets.TraitType[Any, Any]):
    """A number trait (``None`` allowed: the default) checked by ``check(name, value)``."""

    info_text = "a checked number or None"

    def __init__(self, check: Callable[[str, object], Any], **kwargs: Any) -> None:
        super().__init__(default_value=None, allow_none=True, **kwargs)
        self._check = check

    def validate(self, obj: Any, value: Any) -> Any:
        name = str(self.name)
        try:
            checked = self._check(name, value)
        except InvalidArgumentError as exc:
            # ipywidgets' Widget.set_state holds the page's values in ``_property_lock``
            # while it sets them (ipywidgets/widgets/widget.py, set_state / _lock_property).
            if name not in getattr(obj, "_property_lock", {}):
                raise
            obj._show_error(exc)
            obj.send_state(name)  # the page shows the bad value: send the kept one back
            return obj._trait_values.get(name)
        shown = getattr(obj, "error", None) or {}
        if str(shown.get("message", "")).startswith(f"{name}="):
            obj._clear_error()  # a good value replaces the bad one the error box is about
        return checked
