"""What FakeOllama's route handlers read from the server they serve (a protocol, not the class).

The handlers type their back-reference as :class:`OllamaState` so the route modules never
import :mod:`~hfollama_widgets.testing.fake_ollama`, which imports them.
"""

from __future__ import annotations

import threading
from typing import Protocol

from hfollama_widgets.testing._ollama.faults import Faults, RequestLog
from hfollama_widgets.testing._ollama.registry import Registry
from hfollama_widgets.testing._ollama.store import Store
from hfollama_widgets.testing._ollama.text import ReplyFn
from hfollama_widgets.testing._ollama.version import Behaviour

__all__ = ["OllamaState"]


class OllamaState(Protocol):
    """The knobs and state of a running FakeOllama, as the routes see them."""

    store: Store
    registry: Registry
    faults: Faults
    requests: RequestLog
    latency: float
    stopping: threading.Event
    pull_speed: float
    progress_interval: float
    token_rate: float
    reply: ReplyFn | None
    version: str
    behaviour: Behaviour
    final_layer_line: bool
