"""PullProgress: a notebook widget that pulls a model into Ollama and shows how it goes.

The pull runs in a background thread (the cell returns at once). The browser gets at most
about ten updates a second, and always the final state. Cancel closes the stream; Retry pulls
again, and Ollama resumes the layers it already has.

>>> import hfollama_widgets as hfw
>>> # pull = hfw.PullProgress(hfw.Client(), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M")
>>> # pull            # displays: layers, bytes, speed, ETA, status; Cancel / Retry buttons
>>> # pull.wait()     # {'status': 'success'} (or raises the pull's error)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import traitlets

from hfollama_widgets.errors import HFOllamaError, IncompletePullError, OllamaTimeoutError
from hfollama_widgets.progress import PullTracker
from hfollama_widgets.widgets._common import (
    STATIC,
    Throttle,
    WidgetBase,
    error_dict,
    format_bytes,
    start_thread,
)

if TYPE_CHECKING:
    from hfollama_widgets.ollama import Client

__all__ = ["PullProgress"]

STATES = ("idle", "running", "success", "error", "cancelled")


@dataclass
class _Run:
    """One attempt at the pull (start, or a retry)."""

    number: int
    tracker: PullTracker = field(default_factory=PullTracker)
    stream: Any = None
    cancelled: bool = False
    finished: bool = False
    exc: BaseException | None = None
    last: dict[str, Any] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)


class PullProgress(WidgetBase):
    """Pull ``model`` with ``client`` and show layers, bytes, speed, ETA and the final state.

    ``start=False`` waits for :meth:`start` (or the Start button). :meth:`cancel` stops,
    :meth:`retry` resumes, :meth:`wait` blocks until the pull ends.

    >>> import hfollama_widgets as hfw
    >>> from hfollama_widgets.testing import FakeHub, FakeOllama
    >>> with FakeHub() as hub, FakeOllama(hub=hub) as ollama:
    ...     pull = hfw.PullProgress(
    ...         hfw.Client(ollama.url), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"
    ...     )
    ...     pull.wait(timeout=60)["status"]
    'success'
    """

    _esm = STATIC / "pull_progress.js"
    _css = STATIC / "pull_progress.css"

    model = traitlets.Unicode("").tag(sync=True)
    host = traitlets.Unicode("").tag(sync=True)
    state = traitlets.Enum(STATES, default_value="idle").tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    progress = traitlets.Dict().tag(sync=True)  # PullTracker.snapshot()
    attempt = traitlets.Int(0).tag(sync=True)

    #: Seconds between two progress updates sent to the browser (at most ~10 a second).
    update_interval_s: float = 0.1

    def __init__(self, client: Client, model: str, *, start: bool = True, **kwargs: Any) -> None:
        super().__init__(model=model, host=_public_host(getattr(client, "host", "")), **kwargs)
        self._client = client
        self._lock = threading.RLock()  # guards _run and every write to the synced traits
        self._run: _Run | None = None
        self._throttle = Throttle(self.update_interval_s)
        self.progress = PullTracker().snapshot()
        self.on_msg(self._on_front_end_msg)
        if start:
            self.start()

    # -- public API -------------------------------------------------------------------------

    def start(self) -> PullProgress:
        """Start the pull (a no-op while one is running). Returns the widget.

        >>> # PullProgress(client, model, start=False).start()
        """
        with self._lock:
            if self._run is not None and not self._run.finished:
                return self
            number = (self._run.number + 1) if self._run else 1
            run = self._run = _Run(number)
            with self.hold_sync():
                self.attempt = number
                self._clear_error()
                self.status = "starting"
                self.progress = run.tracker.snapshot()
                self.state = "running"
            self._throttle.force()
        start_thread(self._work, run, name=f"hfw-pull-{number}")
        start_thread(self._tick, run, name=f"hfw-pull-{number}-flush")
        return self

    def retry(self) -> PullProgress:
        """Pull again after an error or a cancel; Ollama resumes the layers it has. Returns self.

        >>> # pull.retry().wait()
        """
        return self.start()

    def cancel(self) -> None:
        """Stop the running pull (closes the stream; state becomes ``"cancelled"``).

        Ollama keeps what was downloaded: :meth:`retry` resumes from there.
        """
        with self._lock:
            run = self._run
            if run is None or run.finished:
                return
            run.cancelled = True
            stream = run.stream
            self._finish(run, "cancelled")
        if stream is not None:
            stream.close()  # safe from another thread: wakes the reader, which ends quietly

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the pull ends; return its final status or raise its error.

        Returns ``{"status": "success"}`` (or ``{"status": "cancelled"}``); raises the
        :class:`~hfollama_widgets.HFOllamaError` the pull failed with, or
        :class:`~hfollama_widgets.OllamaTimeoutError` if ``timeout`` seconds pass first.
        Before any start it returns ``{"status": "idle"}``. While a cell waits, the widget's
        buttons are not handled (the kernel is busy): call it from code, not to watch.

        >>> # PullProgress(client, model).wait(timeout=600)
        """
        run = self._run
        if run is None:
            return {"status": "idle"}
        if not run.done.wait(timeout):
            raise OllamaTimeoutError(
                f"The pull of {self.model} is still running after {timeout:g} s.",
                fix="Call wait() again with a longer timeout (or none), or cancel() it.",
            )
        if run.cancelled:
            return {"status": "cancelled"}
        if run.exc is not None:
            raise run.exc
        return dict(run.last) or {"status": "success"}

    @property
    def tracker(self) -> PullTracker | None:
        """The :class:`PullTracker` of the latest attempt (``None`` before the first)."""
        run = self._run
        return run.tracker if run else None

    # -- background work ----------------------------------------------------------------------

    def _work(self, run: _Run) -> None:
        try:
            stream = self._client.pull(self.model, stream=True)
            with self._lock:
                run.stream = stream
                cancelled = run.cancelled
            if cancelled:
                stream.close()
                return
            for part in stream:
                with self._lock:  # the flush thread snapshots the tracker under this lock
                    run.tracker.update(part)
                    run.last = part
                self._push(run)
            if run.cancelled:
                return
            if not run.tracker.success:  # the client raises first; guard anyway
                raise IncompletePullError(
                    f"The pull of {self.model} ended without success.",
                    fix="Retry: Ollama resumes from the bytes it already has.",
                )
            self._finish(run, "success")
        except Exception as exc:
            with self._lock:
                if run.cancelled:
                    return  # closing the stream may surface as an error: it was a cancel
                run.exc = exc
                self._finish(run, "error", exc)
        finally:
            with self._lock:
                if not run.finished:  # only a BaseException (KeyboardInterrupt, ...) gets here
                    run.exc = run.exc or _as_error()
                    self._finish(run, "cancelled" if run.cancelled else "error", run.exc)
            run.done.set()

    def _tick(self, run: _Run) -> None:
        """Send throttled-away progress once the interval has passed (trailing updates)."""
        while not run.done.wait(self.update_interval_s / 2):
            self._push(run, dirty_only=True)

    def _push(self, run: _Run, *, dirty_only: bool = False) -> None:
        """Send the tracker's snapshot if the throttle allows (at most ~10 per second)."""
        with self._lock:
            if run is not self._run or run.finished:
                return
            if dirty_only:  # the ticker: only what the throttle held back
                snap = run.tracker.snapshot()
                if snap == self.progress or not self._throttle.ready():
                    return
            else:  # a streamed line (~every 60 ms per layer): no snapshot unless it is sent
                if not self._throttle.ready():
                    return
                snap = run.tracker.snapshot()
            with self.hold_sync():
                self.progress = snap
                self.status = run.tracker.status or self.status

    def _finish(self, run: _Run, state: str, exc: BaseException | None = None) -> None:
        """Send the final state with the last progress (always, whatever the throttle says)."""
        with self._lock:
            if run.finished:
                return
            run.finished = True
            if run is not self._run:
                return
            snap = run.tracker.snapshot()
            with self.hold_sync():
                self.progress = snap
                if state == "success":
                    self.status = "success"
                elif state == "cancelled":
                    self.status = "cancelled"
                elif exc is not None:
                    self.error = error_dict(exc)
                    self.status = "error"
                self.state = state

    def _on_front_end_msg(self, _widget: object, content: Any, _buffers: object) -> None:
        action = content.get("type") if isinstance(content, dict) else None
        if action == "cancel":
            self.cancel()
        elif action in ("retry", "start"):
            self.start()

    # -- display ------------------------------------------------------------------------------

    def _text_repr(self) -> str:
        snap = self.progress or {}
        size = ""
        total, done = snap.get("total") or 0, snap.get("completed") or 0
        if total:
            size = (
                f", {format_bytes(total)}"
                if self.state == "success"
                else (f", {format_bytes(done)} / {format_bytes(total)}")
            )
        text = f"PullProgress(model={self.model!r}, state={self.state!r}{size}"
        if self.state == "running" and snap.get("status"):
            text += f", status={snap['status']!r}"
        if self.state == "error" and self.error:
            text += f", error={self.error.get('message')!r}"
        return text + ")"


def _public_host(host: str) -> str:
    """``host`` without any user:password part (never show credentials)."""
    if not host:
        return ""
    try:
        parts = urlsplit(host)
    except ValueError:
        return ""
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _as_error() -> HFOllamaError:
    """The pull thread was interrupted (KeyboardInterrupt, SystemExit): an error to show."""
    return HFOllamaError("The pull was interrupted.", fix="Retry the pull.")
