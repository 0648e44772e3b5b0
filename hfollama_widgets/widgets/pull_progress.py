"""PullProgress: a notebook widget that pulls a model into Ollama and shows how it goes.

The pull runs in a background :class:`~hfollama_widgets.widgets._base.Job` (the cell returns at
once). The browser gets at most about ten updates a second, and always the final state. Cancel
closes the stream; Retry pulls again, and Ollama resumes the layers it already has.

Example (against the real Hub and Ollama)::

    import hfollama_widgets as hfw
    pull = hfw.PullProgress(hfw.Client(), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M")
    pull            # displays: layers, bytes, speed, ETA, status; Cancel / Retry buttons
    pull.wait()     # {'status': 'success'} (or raises the pull's error)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import traitlets

from hfollama_widgets.errors import (
    HFOllamaError,
    IncompletePullError,
    OllamaTimeoutError,
    PrivateRepoAuthError,
)
from hfollama_widgets.ollama import Client
from hfollama_widgets.progress import PullTracker
from hfollama_widgets.widgets._base import (
    STATIC,
    FrontEndActions,
    Job,
    Jobs,
    Throttle,
    WidgetBase,
    error_dict,
    format_bytes,
    start_thread,
)

__all__ = ["FRONT_END_ACTIONS", "PullProgress"]

STATES = ("idle", "running", "success", "error", "cancelled")

#: Front-end message ``type`` -> (PullProgress method, message field passed to it).
FRONT_END_ACTIONS: FrontEndActions = {
    "start": ("start", None),
    "retry": ("start", None),
    "cancel": ("cancel", None),
}


class _Run(Job):
    """One attempt at the pull (start, or a retry): a :class:`Job` with its progress.

    ``finished``: the final state was shown (a cancel shows it before the thread ends);
    ``exc``: the error :meth:`PullProgress.wait` raises.
    """

    def __init__(
        self, number: int, read: Callable[[_Run], None], end: Callable[[_Run], None]
    ) -> None:
        super().__init__(name=f"hfw-pull-{number}")
        self.number = number
        self.tracker = PullTracker()
        self.last: dict[str, Any] = {}
        self.exc: BaseException | None = None
        self.finished = False
        self._read, self._end = read, end

    def work(self) -> None:
        self._read(self)

    def ended(self) -> None:
        self._end(self)


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
    front_end_actions = FRONT_END_ACTIONS

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
        self._lock = threading.RLock()  # guards the runs and every write to the synced traits
        self._jobs: Jobs[_Run] = Jobs("PullProgress")
        self._throttle = Throttle(self.update_interval_s)
        self.progress = PullTracker().snapshot()
        if start:
            self.start()

    # -- public API -------------------------------------------------------------------------

    def start(self) -> PullProgress:
        """Start the pull (a no-op while one is running). Returns the widget.

        Example (against the real Hub and Ollama)::

            PullProgress(client, model, start=False).start()
        """
        with self._lock:
            previous = self._jobs.current
            if previous is not None and not previous.finished:
                return self
            number = previous.number + 1 if previous else 1
            run = _Run(number, self._read, self._end)
            with self.hold_sync():
                self.attempt = number
                self._clear_error()
                self.status = "starting"
                self.progress = run.tracker.snapshot()
                self.state = "running"
            self._throttle.force()
            self._jobs.start(run)
        start_thread(self._tick, run, name=f"hfw-pull-{number}-flush")
        return self

    def retry(self) -> PullProgress:
        """Pull again after an error or a cancel; Ollama resumes the layers it has. Returns self.

        Example (against the real Hub and Ollama)::

            pull.retry().wait()
        """
        return self.start()

    def cancel(self) -> None:
        """Stop the running pull (closes the stream; state becomes ``"cancelled"``).

        Ollama keeps what was downloaded: :meth:`retry` resumes from there.
        """
        with self._lock:
            run = self._jobs.current
            if run is None or run.finished:
                return
            run.stop()  # closing never blocks: it wakes the reader, which ends quietly
            self._finish(run, "cancelled")

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the pull ends; return its final status or raise its error.

        Returns ``{"status": "success"}`` (or ``{"status": "cancelled"}``); raises the
        :class:`~hfollama_widgets.HFOllamaError` the pull failed with, or
        :class:`~hfollama_widgets.OllamaTimeoutError` if ``timeout`` seconds pass first.
        Before any start it returns ``{"status": "idle"}``. While a cell waits, the widget's
        buttons are not handled (the kernel is busy): call it from code, not to watch.

        Example (against the real Hub and Ollama)::

            PullProgress(client, model).wait(timeout=600)
        """
        run = self._jobs.current
        if run is None:
            return {"status": "idle"}
        if not run.wait(timeout):
            raise OllamaTimeoutError(
                f"The pull of {self.model} is still running after {timeout:g} s.",
                fix="Call wait() again with a longer timeout (or none), or cancel() it.",
            )
        if run.stopped:
            return {"status": "cancelled"}
        if run.exc is not None:
            raise run.exc
        return dict(run.last) or {"status": "success"}

    @property
    def tracker(self) -> PullTracker | None:
        """The :class:`PullTracker` of the latest attempt (``None`` before the first)."""
        run = self._jobs.current
        return run.tracker if run else None

    # -- background work ----------------------------------------------------------------------

    def _read(self, run: _Run) -> None:
        """The run's work: read the pull's progress lines (raises what the pull raises).

        Current Ollama (>= 0.14.3) refuses the Hub's login for an ``hf.co/`` name (realm host
        ``huggingface.co``, ollama/ollama server/auth.go:60): the pull is retried once with the
        ``huggingface.co/`` form, which passes that check, and :attr:`model` becomes that name.
        """
        try:
            self._read_model(run, self.model)
        except PrivateRepoAuthError as err:
            if err.retry_model is None or run.stopped:
                raise
            with self._lock:
                self.model = err.retry_model
                self.status = f"retrying as {err.retry_model}"
                run.tracker = PullTracker()
            self._read_model(run, err.retry_model)

    def _read_model(self, run: _Run, model: str) -> None:
        stream = self._client.pull(model, stream=True)
        if not run.attach(stream):
            return  # cancelled before the stream was there
        for part in stream:
            with self._lock:  # the flush thread snapshots the tracker under this lock
                run.tracker.update(part)
                run.last = part
            self._push(run)
        if run.stopped:
            return
        if not run.tracker.success:  # the client raises first; guard anyway
            raise IncompletePullError(
                f"The pull of {model} ended without success.",
                fix="Retry: Ollama resumes from the bytes it already has.",
            )

    def _end(self, run: _Run) -> None:
        """After the read (in the run's thread): show success, the error, or the cancel."""
        with self._lock:
            if run.stopped:
                self._finish(run, "cancelled")
            elif run.error is not None:
                # only a BaseException (KeyboardInterrupt, ...) is not an Exception
                run.exc = run.error if isinstance(run.error, Exception) else _as_error()
                self._finish(run, "error", run.exc)
            else:
                self._finish(run, "success")

    def _tick(self, run: _Run) -> None:
        """Send throttled-away progress once the interval has passed (trailing updates)."""
        while not run.wait(self.update_interval_s / 2):
            self._push(run, dirty_only=True)

    def _push(self, run: _Run, *, dirty_only: bool = False) -> None:
        """Send the tracker's snapshot if the throttle allows (at most ~10 per second)."""
        with self._lock:
            if not self._jobs.is_current(run) or run.finished:
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
            if not self._jobs.is_current(run):
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
