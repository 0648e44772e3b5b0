"""A terminal progress bar for an Ollama pull (tqdm), driven by :class:`PullTracker`.

One bar for the whole pull: bytes done / known total, speed and ETA from the tracker (which
leaves out blobs already on disk and resumed bytes), and the current layer in the description.

Example (against the real Hub and Ollama)::

    import hfollama_widgets as hfw
    hfw.terminal.pull_with_bar(hfw.Client(), "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF")
    # hf.co/bartowski/…-GGUF layer 1/3 6a0746a1ec1a:  42%|████▏     | 341M/808M, 12.3 MB/s, ETA 38s
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from tqdm.auto import tqdm as tqdm_auto
from tqdm.std import tqdm as tqdm_std

from hfollama_widgets.progress import PullTracker, format_bytes, format_duration

if TYPE_CHECKING:
    from hfollama_widgets.ollama import Client

__all__ = ["TerminalPullBar", "drive", "pull_with_bar"]

_BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{postfix}"


class TerminalPullBar:
    """A tqdm bar fed with pull parts: ``with TerminalPullBar(model) as bar: bar.update(part)``.

    ``file`` defaults to stderr; ``disable=True`` keeps it silent; ``notebook=True`` uses
    tqdm.auto (notebook bar when ipywidgets is there). Redraws at most every ``mininterval`` s.

    >>> import io
    >>> out = io.StringIO()
    >>> with TerminalPullBar("demo", file=out) as bar:
    ...     bar.update({"status": "pulling abc", "digest": "sha256:abc", "total": 2000})
    ...     bar.update({"status": "pulling abc", "digest": "sha256:abc", "total": 2000,
    ...                 "completed": 2000})
    ...     bar.update({"status": "success"})
    >>> "100%" in out.getvalue() and "2.00k/2.00k, done, 2.0 kB" in out.getvalue()
    True
    """

    def __init__(
        self,
        model: str,
        *,
        file: IO[str] | None = None,
        disable: bool = False,
        mininterval: float = 0.1,
        notebook: bool = False,
        tracker: PullTracker | None = None,
    ) -> None:
        self.model = model
        self.tracker = tracker or PullTracker()
        self._mininterval = mininterval
        self._drawn_at: float | None = None
        bar_class = tqdm_auto if notebook else tqdm_std
        self.bar = bar_class(
            total=None,
            desc=model,
            unit="B",
            unit_scale=True,
            unit_divisor=1000,
            file=file,
            disable=disable,
            mininterval=mininterval,
            bar_format=_BAR_FORMAT,
            dynamic_ncols=file is None,
            leave=True,
            postfix="starting",
        )

    def update(self, part: Mapping[str, Any]) -> None:
        """Take one streamed part and redraw (throttled; the last state is drawn on close)."""
        self.tracker.update(part)
        now = time.monotonic()
        if (
            self.tracker.finished
            or self._drawn_at is None
            or (now - self._drawn_at >= self._mininterval)
        ):
            self._drawn_at = now
            self._draw()

    def _draw(self, postfix: str | None = None) -> None:
        t, bar = self.tracker, self.bar
        total = t.bytes_total
        if total and bar.total != total:
            bar.total = total
        bar.n = t.bytes_done
        bar.set_description_str(self._description(), refresh=False)
        bar.set_postfix_str(postfix or self._postfix(), refresh=False)
        bar.refresh()

    def _description(self) -> str:
        t = self.tracker
        layer = t.current_layer
        if layer is None:
            return f"{self.model} {t.status}".strip() if t.status else self.model
        index = t.layers.index(layer) + 1
        return f"{self.model} layer {index}/{len(t.layers)} {layer.short}"

    def _postfix(self) -> str:
        t = self.tracker
        if t.success:
            return f"done, {format_bytes(t.bytes_total)} in {format_duration(t.elapsed_s)}"
        if t.error:
            return "failed"
        if t.current_layer is None:
            return t.status or "starting"
        speed = t.speed
        if not speed:
            return "measuring speed"
        return f"{format_bytes(speed)}/s, ETA {format_duration(t.eta_s)}"

    def close(self, *, failed: bool = False) -> None:
        """Draw the final state (the last one reached, if the pull broke off) and close the bar."""
        self._draw("stopped" if failed and not self.tracker.finished else None)
        self.bar.close()

    def __enter__(self) -> TerminalPullBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(failed=exc_type is not None)


def drive(stream: Iterable[Mapping[str, Any]], bar: TerminalPullBar) -> dict[str, Any]:
    """Feed ``stream`` into ``bar``; return the last part. Ctrl-C closes the stream."""
    last: dict[str, Any] = {}
    try:
        for part in stream:
            bar.update(part)
            last = dict(part)
    except BaseException:
        close = getattr(stream, "close", None)
        if callable(close):
            close()
        raise
    return last


def pull_with_bar(
    client: Client,
    model: str,
    *,
    file: IO[str] | None = None,
    disable: bool = False,
    insecure: bool = False,
) -> dict[str, Any]:
    """Pull ``model`` showing one terminal bar; return the final status or raise the error.

    >>> import hfollama_widgets as hfw
    >>> from hfollama_widgets.testing import FakeHub, FakeOllama
    >>> with FakeHub() as hub, FakeOllama(hub=hub) as ollama:
    ...     pull_with_bar(hfw.Client(ollama.url), "hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M",
    ...                   disable=True)
    {'status': 'success'}
    """
    stream = client.pull(model, insecure=insecure, stream=True)
    with TerminalPullBar(model, file=file, disable=disable) as bar:
        return drive(stream, bar)
