"""Shared pieces of the notebook widgets: base class, error display, threads, throttling.

Every widget subclasses :class:`WidgetBase` (an ``anywidget.AnyWidget``) and gets:

- an ``error`` trait (``{"type", "message", "fix"}`` or ``None``) that the front end shows as a
  readable box with the fix (``renderError`` in ``js/_shared.js``);
- a plain-text repr built from :meth:`WidgetBase._text_repr` instead of ``HBox(children=...)``.

Background work runs in daemon threads (:func:`start_thread`); what goes to the browser is
rate-limited with :class:`Throttle`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import anywidget
import traitlets

import hfollama_widgets
from hfollama_widgets.errors import HFOllamaError, redact
from hfollama_widgets.progress import format_bytes, format_duration

__all__ = [
    "STATIC",
    "Throttle",
    "WidgetBase",
    "error_dict",
    "format_bytes",
    "format_duration",
    "start_thread",
]

#: Where esbuild writes the bundled front-end modules (``npm run build``).
STATIC: Path = Path(hfollama_widgets.__file__).parent / "static"


def error_dict(exc: BaseException) -> dict[str, str | None]:
    """Describe ``exc`` for the front end: ours keep message and fix, others get a generic one.

    No traceback and no token ever ends up in the result.

    >>> from hfollama_widgets.errors import OllamaConnectionError
    >>> exc = OllamaConnectionError("Ollama is not running.", fix="Run `ollama serve`.")
    >>> error_dict(exc)["fix"]
    'Run `ollama serve`.'
    >>> error_dict(RuntimeError("boom"))["type"]
    'RuntimeError'
    """
    if isinstance(exc, HFOllamaError):
        return exc.to_dict()
    text = redact(str(exc)).strip()
    # Only the first line: never a traceback or a dump of internals.
    first = text.splitlines()[0][:300] if text else ""
    message = f"Unexpected error: {first}" if first else "Unexpected error."
    return {
        "type": type(exc).__name__,
        "message": message,
        "fix": "Try again; if it keeps happening, report it with the steps that led here.",
    }


class WidgetBase(anywidget.AnyWidget):
    """Base of every hfollama widget: an ``error`` trait and a useful text repr.

    Subclasses set ``_esm = STATIC / "<name>.js"`` and ``_css = STATIC / "<name>.css"`` and
    override :meth:`_text_repr`.
    """

    error = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def _show_error(self, exc: BaseException) -> None:
        """Show ``exc`` in the widget (message + fix); never a traceback, never a token."""
        self.error = error_dict(exc)

    def _clear_error(self) -> None:
        """Hide the error box."""
        self.error = None  # type: ignore[assignment]  # traitlets stubs ignore allow_none

    def _text_repr(self) -> str:
        """One line describing the widget for ``repr()`` and the text/plain mimetype."""
        return f"{type(self).__name__}()"

    def __repr__(self) -> str:
        # anywidget puts repr(self) in the text/plain part of the mimebundle too.
        return self._text_repr()


def start_thread(target: Callable[..., None], *args: object, name: str) -> threading.Thread:
    """Run ``target(*args)`` in a started daemon thread (the notebook cell returns at once).

    >>> t = start_thread(print, "hello from a thread", name="hfw-example")
    hello from a thread
    >>> t.join()
    """
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    thread.start()
    return thread


class Throttle:
    """Let something happen at most once per ``interval_s`` seconds.

    >>> throttle = Throttle(10.0)
    >>> throttle.ready(), throttle.ready()
    (True, False)
    >>> throttle.force(); throttle.ready()
    True
    """

    def __init__(self, interval_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()

    def ready(self) -> bool:
        """True if ``interval_s`` has passed since the last True (or on the first call)."""
        with self._lock:
            now = self._clock()
            if self._last is None or now - self._last >= self.interval_s:
                self._last = now
                return True
            return False

    def force(self) -> None:
        """Reset, so the next :meth:`ready` returns True (e.g. for a final update)."""
        with self._lock:
            self._last = None
