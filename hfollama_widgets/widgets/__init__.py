"""The notebook widgets (anywidget): GGUFBrowser, PullProgress, ChatWidget.

Each widget lives in its own module and is imported lazily, so a missing or broken widget
module never breaks ``import hfollama_widgets``::

    from hfollama_widgets.widgets import PullProgress
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hfollama_widgets.widgets.browser import GGUFBrowser
    from hfollama_widgets.widgets.chat import ChatWidget
    from hfollama_widgets.widgets.pull_progress import PullProgress

__all__ = ["ChatWidget", "GGUFBrowser", "PullProgress"]

_MODULES = {
    "GGUFBrowser": "hfollama_widgets.widgets.browser",
    "PullProgress": "hfollama_widgets.widgets.pull_progress",
    "ChatWidget": "hfollama_widgets.widgets.chat",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
