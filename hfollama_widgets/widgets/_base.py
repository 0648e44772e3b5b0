"""Shared pieces of the notebook widgets: base class, front-end messages, background jobs.

Every widget subclasses :class:`WidgetBase` (an ``anywidget.AnyWidget``) and gets:

- an ``error`` trait (``{"type", "message", "fix"}`` or ``None``) that the front end shows as a
  readable box with the fix (``renderError`` in ``js/_shared.js``);
- one dispatch of the front end's messages: its :attr:`~WidgetBase.front_end_actions` table
  maps a message ``type`` to the method it calls (see :func:`front_end_call`); an error that
  method raises shows in the widget;
- a plain-text repr built from :meth:`WidgetBase._text_repr` instead of ``HBox(children=...)``.

Background work is a :class:`Job` (one run in a daemon thread, stoppable from any thread, with
the stop/read race of its HTTP stream handled once); a widget keeps its jobs in :class:`Jobs`
(the latest started is the current one; a generation counter drops stale results). What goes
to the browser is rate-limited with :class:`Throttle`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import anywidget
import traitlets

from hfollama_widgets.errors import HFOllamaError, redact
from hfollama_widgets.progress import format_bytes, format_duration

__all__ = [
    "STATIC",
    "FrontEndActions",
    "Job",
    "Jobs",
    "Throttle",
    "WidgetBase",
    "close_quietly",
    "error_dict",
    "format_bytes",
    "format_duration",
    "front_end_call",
    "start_thread",
]

#: Front-end message ``type`` -> (method name, the message field passed to it, or ``None``).
FrontEndActions = Mapping[str, tuple[str, str | None]]

#: Where esbuild writes the bundled front-end modules (``npm run build``).
STATIC: Path = Path(__file__).resolve().parent.parent / "static"


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


def front_end_call(
    actions: FrontEndActions, content: Any
) -> tuple[str, tuple[str | None, ...]] | None:
    """The method and arguments a front-end message asks for (``None``: not in ``actions``).

    A field's value is passed as a string, ``None`` when missing or empty.

    >>> actions = {"pull": ("pull", "ref"), "refresh_local": ("refresh_local", None)}
    >>> front_end_call(actions, {"type": "pull", "ref": "hf.co/o/m:Q4_K_M"})
    ('pull', ('hf.co/o/m:Q4_K_M',))
    >>> front_end_call(actions, {"type": "pull", "ref": ""}), front_end_call(actions, {"type": 1})
    (('pull', (None,)), None)
    >>> front_end_call(actions, {"type": "refresh_local"}), front_end_call(actions, "pull")
    (('refresh_local', ()), None)
    """
    if not isinstance(content, Mapping):
        return None
    action = actions.get(str(content.get("type")))
    if action is None:
        return None
    method, field = action
    return method, (() if field is None else (str(content.get(field) or "") or None,))


class WidgetBase(anywidget.AnyWidget):
    """Base of every hfollama widget: an ``error`` trait, front-end messages, a text repr.

    Subclasses set ``_esm = STATIC / "<name>.js"`` and ``_css = STATIC / "<name>.css"``,
    declare :attr:`front_end_actions` and override :meth:`_text_repr`.
    """

    error = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    #: What the front end may ask for: message ``type`` -> (method, field passed or ``None``).
    #: An ``Exception`` the method raises is shown in the widget (:meth:`_show_error`).
    front_end_actions: ClassVar[FrontEndActions] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._message_relays: list[Callable[[Any], None]] = []
        self.on_msg(self._on_front_end_msg)

    def send(self, content: Any, buffers: Any = None) -> None:
        """Send a custom message to the front end, and to every :meth:`relay_messages` hook."""
        for relay in list(self._message_relays):
            relay(content)
        super().send(content, buffers)

    def relay_messages(self, relay: Callable[[Any], None]) -> None:
        """Also hand each custom message this widget sends to ``relay`` (a widget that shows
        this one inside its own view passes them on to its front end)."""
        self._message_relays.append(relay)

    def synced_names(self) -> list[str]:
        """The synced traits this widget adds to anywidget's (what its front end reads): not
        ``_esm``, ``_css`` and the other private ones, nor ``layout`` & co."""
        base = set(anywidget.AnyWidget.class_trait_names(sync=True))
        names = self.trait_names(sync=True)
        return sorted(n for n in names if n not in base and not n.startswith("_"))

    def _on_front_end_msg(self, _widget: object, content: Any, _buffers: object) -> None:
        self.handle_front_end(content)

    def handle_front_end(self, content: Any) -> None:
        """Do what a front-end message asks (:attr:`front_end_actions`); others are ignored.

        Public so that a message from a view embedded in another widget reaches this one."""
        call = front_end_call(self.front_end_actions, content)
        if call is None:
            return  # not a message of ours: ignored
        method, args = call
        try:
            getattr(self, method)(*args)
        except Exception as exc:  # shown in the widget; the page stays usable
            self._show_error(exc)

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


def close_quietly(stream: object) -> None:
    """Close ``stream`` if it can be; what closing raises is ignored (it races with a reader)."""
    close = getattr(stream, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):
            close()


class Job:
    """One background run in a daemon thread, which any thread may :meth:`stop`.

    Give a ``target`` (called as ``target(*args)``) or override :meth:`work`; override
    :meth:`ended` for what follows in the job's thread (the outcome is known, ``done`` is not
    set yet). The stop/read race is handled here: :meth:`attach` registers the HTTP stream the
    work reads, :meth:`stop` sets :attr:`stopped` and closes that stream (which wakes the
    reader), a stream attached after the stop is closed at once, and whatever the work raises
    after a stop is a stop (:attr:`error` stays ``None``).

    >>> seen = []
    >>> job = Job(seen.append, "work", name="hfw-example").start()
    >>> job.wait(5), seen, job.stopped, job.error
    (True, ['work'], False, None)
    >>> class Lines:  # stands in for an HTTP stream
    ...     def close(self): print("closed")
    >>> job = Job(name="hfw-example")
    >>> job.stop(); job.attach(Lines())
    closed
    False
    """

    def __init__(
        self, target: Callable[..., object] | None = None, *args: object, name: str = "hfw-job"
    ) -> None:
        self.name = name
        self.error: BaseException | None = None  # what the work raised (not after a stop)
        self.done = threading.Event()  # set once the run and ended() are over
        self._target = target
        self._args = args
        self._stopped = False
        self._stream: object = None
        self._lock = threading.Lock()

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stopped

    def start(self) -> Job:
        """Run in a daemon thread named :attr:`name`; returns the job."""
        start_thread(self.run, name=self.name)
        return self

    def stop(self) -> None:
        """Ask the job to stop (any thread): sets :attr:`stopped`, closes the attached stream."""
        with self._lock:
            self._stopped = True
            stream = self._stream
        if stream is not None:
            close_quietly(stream)

    def attach(self, stream: object) -> bool:
        """Register the stream the work reads; False (and the stream closed) if stopped."""
        with self._lock:
            if not self._stopped:
                self._stream = stream
                return True
        close_quietly(stream)
        return False

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job is done; False if ``timeout`` seconds passed first."""
        return self.done.wait(timeout)

    def run(self) -> None:
        """The whole run (in the job's thread): :meth:`work`, then :meth:`ended`. Never raises
        what the work raises (see :attr:`error`)."""
        try:
            self.work()
        except BaseException as exc:
            if not self._stopped:  # a stream closed by stop() may raise in the reader
                self.error = exc
        finally:
            with self._lock:
                stream, self._stream = self._stream, None
            if stream is not None:
                close_quietly(stream)
            try:
                self.ended()
            finally:
                self.done.set()

    def work(self) -> None:
        """What the job does: ``target(*args)`` unless overridden."""
        if self._target is not None:
            self._target(*self._args)

    def ended(self) -> None:
        """Called in the job's thread after :meth:`work`. By default an error goes where an
        uncaught thread error goes (``threading.excepthook``)."""
        exc = self.error
        if exc is not None:
            args = (type(exc), exc, exc.__traceback__, threading.current_thread())
            threading.excepthook(threading.ExceptHookArgs(args))


J = TypeVar("J", bound=Job)


class Jobs(Generic[J]):
    """The jobs of one widget: the latest started is :attr:`current` ("latest job wins"), and a
    generation counter for dropping stale results (:meth:`next_generation` when what is shown
    changes, :meth:`is_current_generation` before applying a result).

    Being idle is the current job being done: a job that finishes late never marks a newer
    one idle.

    >>> jobs, seen = Jobs("example"), []
    >>> gen = jobs.next_generation()
    >>> job = jobs.start(Job(seen.append, "working", name="hfw-example"))
    >>> jobs.wait(5).is_current(job), jobs.busy, jobs.is_current_generation(gen), seen
    (True, False, True, ['working'])
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.generation = 0
        self._current: J | None = None
        self._running: list[J] = []
        self._lock = threading.Lock()

    @property
    def current(self) -> J | None:
        """The job started last (``None`` before the first)."""
        return self._current

    def is_current(self, job: Job) -> bool:
        """True if ``job`` is the one started last."""
        return job is self._current

    @property
    def busy(self) -> bool:
        """True while the current job is not done."""
        job = self._current
        return job is not None and not job.done.is_set()

    def start(self, job: J) -> J:
        """Make ``job`` the current one and start it; returns it."""
        with self._lock:
            self._running = [j for j in self._running if not j.done.is_set()]
            self._running.append(job)
            self._current = job
        job.start()
        return job

    def next_generation(self) -> int:
        """Start a new generation (results of older ones are no longer current)."""
        with self._lock:
            self.generation += 1
            return self.generation

    def is_current_generation(self, generation: int) -> bool:
        """True if ``generation`` is still the latest."""
        return generation == self.generation

    def wait(self, timeout: float | None) -> Jobs[J]:
        """Block until every job started so far is done (TimeoutError after ``timeout``)."""
        with self._lock:
            running = list(self._running)
        for job in running:
            if not job.wait(timeout):
                raise TimeoutError(f"{self.owner}: {job.name} still running after {timeout}s")
        return self
