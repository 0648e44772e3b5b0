"""Pure aggregation of an Ollama pull stream: per-layer bytes, totals, speed and ETA.

Ollama's ``/api/pull`` streams one JSON object per line::

    {"status": "pulling manifest"}
    {"status": "pulling 6a0746a1ec1a", "digest": "sha256:6a07…", "total": 4661211424,
     "completed": 241970}
    … the same digest again every ~60 ms with a growing "completed" …
    {"status": "pulling 4fa551d4f938", "digest": "sha256:4fa5…", "total": 12403}
    {"status": "verifying sha256 digest"}
    {"status": "writing manifest"}
    {"status": "success"}

Layers download one after another and the stream never announces the overall size, so the
totals here are *known so far*. ``completed`` is omitted while it is zero. Lines come from a
60 ms ticker and a layer's download ends without a final line (ollama/ollama server/download.go
``blobDownload.Wait``, lines 446-466), so a layer's last line is short of ``total`` and a tiny
layer may send no bytes (or no line) at all: a layer counts as done once the next layer or a
finishing status (``verifying …``, ``success``) arrives. A blob already on disk shows up as a
single line with ``completed == total`` (download.go:492-497); a resumed pull starts a layer at
the bytes already on disk. Neither counts towards the measured speed: only bytes seen arriving
(and the unseen rest of a layer that ended) do.

>>> tracker = PullTracker()
>>> tracker.update({"status": "pulling manifest"}, now=0.0)
>>> tracker.update({"status": "pulling aaaa", "digest": "sha256:aaaa", "total": 1000}, now=0.0)
>>> part = {"status": "pulling aaaa", "digest": "sha256:aaaa", "total": 1000, "completed": 500}
>>> tracker.update(part, now=1.0)
>>> tracker.bytes_done, tracker.bytes_total, tracker.fraction, tracker.speed, tracker.eta_s
(500, 1000, 0.5, 500.0, 1.0)
>>> tracker.update({"status": "success"}, now=1.5)
>>> tracker.finished, tracker.success
(True, True)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["LayerProgress", "PullTracker", "format_bytes", "format_duration"]

#: Status lines that Ollama sends once the layers are in (informational, may change).
_FINISHING = ("verifying", "writing manifest", "removing")


@dataclass
class LayerProgress:
    """One layer (blob) of a pull: ``digest`` is ``sha256:<64 hex>``, sizes are bytes."""

    digest: str
    total: int = 0
    completed: int = 0

    @property
    def done(self) -> bool:
        """True once every byte of the layer is there."""
        return self.total > 0 and self.completed >= self.total

    @property
    def short(self) -> str:
        """The 12 hex digits Ollama shows in its status (``pulling 6a0746a1ec1a``)."""
        return self.digest.split(":", 1)[-1][:12]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a widget: digest, total, completed, done."""
        return {**asdict(self), "done": self.done}


class PullTracker:
    """Aggregate the progress lines of one pull.

    Feed every streamed part to :meth:`update`; read :attr:`status`, :attr:`layers`,
    :attr:`bytes_done` / :attr:`bytes_total`, :attr:`fraction`, :attr:`speed` (bytes/s,
    an exponential moving average with time constant ``smoothing_s``), :attr:`eta_s`,
    :attr:`finished` / :attr:`success` / :attr:`error`, or :meth:`snapshot` for all of it.

    >>> t = PullTracker()
    >>> t.update({"status": "pulling bbbb", "digest": "sha256:bbbb", "total": 10, "completed": 10})
    >>> [layer.to_dict() for layer in t.layers]
    [{'digest': 'sha256:bbbb', 'total': 10, 'completed': 10, 'done': True}]
    """

    def __init__(
        self,
        *,
        smoothing_s: float = 2.0,
        sample_interval_s: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.smoothing_s = smoothing_s
        self.sample_interval_s = sample_interval_s
        self._clock = clock
        self.status: str = ""
        self.error: str | None = None
        self.finished: bool = False
        self.success: bool = False
        self._layers: dict[str, LayerProgress] = {}
        self._current: str | None = None
        self._started: float | None = None
        self._last: float | None = None
        self._transferred = 0  # bytes seen arriving in this session (excludes resumed / present)
        self._mark_t: float | None = None
        self._mark_bytes = 0
        self._speed: float | None = None

    # -- input ----------------------------------------------------------------------------

    def update(self, part: Mapping[str, Any], now: float | None = None) -> None:
        """Ingest one streamed pull part (a dict from ``client.pull(model, stream=True)``).

        ``now`` is the arrival time in seconds (monotonic clock by default); pass it to
        replay recorded streams.
        """
        now = self._clock() if now is None else float(now)
        if self._started is None:
            self._started = now
            self._mark_t = now
        self._last = now
        if part.get("error"):
            self.error = str(part["error"])
            self.status = "error"
            self.finished, self.success = True, False
            return
        status = part.get("status")
        if isinstance(status, str) and status:
            self.status = status
        digest = part.get("digest")
        if isinstance(digest, str) and digest:
            self._update_layer(digest, part)
        if self.status == "success":
            self.finished, self.success = True, True
            for layer in self._layers.values():
                self._end_layer(layer)
            self._current = None
        elif self.status.startswith(_FINISHING):
            self._end_current()
            self._current = None
        self._sample_speed(now)

    def _end_layer(self, layer: LayerProgress) -> None:
        """The layer's download is over (Ollama sends no final line): all of it is there."""
        if layer.total > layer.completed:
            self._transferred += layer.total - layer.completed
            layer.completed = layer.total

    def _end_current(self) -> None:
        layer = self._layers.get(self._current) if self._current else None
        if layer is not None:
            self._end_layer(layer)

    def _update_layer(self, digest: str, part: Mapping[str, Any]) -> None:
        total = _as_int(part.get("total"))
        completed = _as_int(part.get("completed"))  # absent while zero
        if self._current is not None and digest != self._current:
            self._end_current()  # layers download one after another: the previous one ended
        layer = self._layers.get(digest)
        if layer is None:
            # First sight: bytes already on disk (present blob, resumed pull) are not speed.
            layer = self._layers[digest] = LayerProgress(
                digest, total, min(completed, total or completed)
            )
        else:
            if total:
                layer.total = total
            if completed > layer.completed:
                self._transferred += completed - layer.completed
            layer.completed = completed  # a restarted layer may go back; no negative speed
        self._current = digest

    def _sample_speed(self, now: float) -> None:
        assert self._mark_t is not None
        if self._speed is None and self._transferred == self._mark_bytes:
            self._mark_t = now  # nothing arrived yet (manifest, present blobs): no rate to take
            return
        dt = now - self._mark_t
        if dt < self.sample_interval_s:
            return
        rate = (self._transferred - self._mark_bytes) / dt
        if self._speed is None:
            self._speed = rate
        else:
            alpha = 1.0 - math.exp(-dt / self.smoothing_s) if self.smoothing_s > 0 else 1.0
            self._speed += alpha * (rate - self._speed)
        self._mark_t, self._mark_bytes = now, self._transferred

    # -- output ---------------------------------------------------------------------------

    @property
    def layers(self) -> list[LayerProgress]:
        """The layers seen so far, in the order they started."""
        return list(self._layers.values())

    @property
    def current_layer(self) -> LayerProgress | None:
        """The layer being transferred now (``None`` before the first and after the last)."""
        return self._layers.get(self._current) if self._current else None

    @property
    def bytes_done(self) -> int:
        """Bytes of all layers seen so far that are on disk."""
        return sum(layer.completed for layer in self._layers.values())

    @property
    def bytes_total(self) -> int:
        """Total size of the layers announced so far (grows as later layers start)."""
        return sum(layer.total for layer in self._layers.values())

    @property
    def fraction(self) -> float | None:
        """``bytes_done / bytes_total`` in [0, 1]; ``None`` while no size is known; 1 on success."""
        if self.success:
            return 1.0
        total = self.bytes_total
        if total <= 0:
            return None
        return min(1.0, self.bytes_done / total)

    @property
    def speed(self) -> float | None:
        """Smoothed transfer speed in bytes/s (``None`` until measured, 0 once finished)."""
        if self.finished:
            return 0.0 if self._speed is not None else None
        return self._speed

    @property
    def eta_s(self) -> float | None:
        """Seconds left for the layers known so far at the current speed (``None`` if unknown)."""
        speed = self.speed
        if self.finished:
            return 0.0
        if not speed or speed <= 0 or self.bytes_total <= 0:
            return None
        return max(0, self.bytes_total - self.bytes_done) / speed

    @property
    def elapsed_s(self) -> float:
        """Seconds between the first and the latest part."""
        if self._started is None or self._last is None:
            return 0.0
        return self._last - self._started

    @property
    def transferred(self) -> int:
        """Bytes seen arriving during this stream (excludes blobs present or resumed)."""
        return self._transferred

    def snapshot(self) -> dict[str, Any]:
        """Everything a progress display needs, as small plain data (JSON-ready).

        >>> PullTracker().snapshot()["layers"]
        []
        """
        speed, eta, fraction = self.speed, self.eta_s, self.fraction
        return {
            "status": self.status,
            "layers": [layer.to_dict() for layer in self._layers.values()],
            "current": self._current,
            "completed": self.bytes_done,
            "total": self.bytes_total,
            "fraction": None if fraction is None else round(fraction, 4),
            "speed": None if speed is None else round(speed, 1),
            "eta_s": None if eta is None else round(eta, 1),
            "elapsed_s": round(self.elapsed_s, 2),
            "finished": self.finished,
            "success": self.success,
            "error": self.error,
        }


def format_bytes(n: float | None) -> str:
    """Bytes as the Hub and Ollama show them (1000-based), (``formatBytes`` in js/_shared.js).

    >>> format_bytes(807694464), format_bytes(1400), format_bytes(96), format_bytes(None)
    ('807.7 MB', '1.4 kB', '96 B', '–')
    """
    if n is None:
        return "–"
    value = float(n)
    units = ("B", "kB", "MB", "GB", "TB", "PB")
    i = 0
    while abs(value) >= 1000 and i < len(units) - 1:
        value /= 1000
        i += 1
    if i == 0:
        return f"{round(value)} B"
    return f"{value:.1f} {units[i]}"


def format_duration(seconds: float | None) -> str:
    """A short duration like the widgets show (``formatDuration`` in js/_shared.js).

    >>> format_duration(5), format_duration(125), format_duration(3725), format_duration(None)
    ('5s', '2m 05s', '1h 02m', '–')
    """
    if seconds is None or seconds < 0 or math.isnan(seconds):
        return "–"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {(s % 3600) // 60:02d}m"


def _as_int(value: object) -> int:
    """A byte count from a progress line: positive finite numbers only (JSON has Infinity)."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, float) and math.isfinite(value) and value > 0:
        return int(value)
    return 0
