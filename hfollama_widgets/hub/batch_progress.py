"""The progress bar of a batch listing (``tqdm.auto``: a notebook bar in Jupyter, text in a
terminal): repos done / total, requests, cache hits, errors, and a rate-limit wait.

>>> bar = BatchProgress(total=2, enabled=False)
>>> bar.done(ok=True); bar.done(ok=False); bar.close()
>>> bar.finished, bar.errors
(2, 1)
"""

from __future__ import annotations

import threading
from typing import Any

from tqdm.auto import tqdm

__all__ = ["BatchProgress"]


class BatchProgress:
    """Thread-safe wrapper over one ``tqdm`` bar (``enabled=False``: counts only, no output)."""

    def __init__(self, total: int | None, *, enabled: bool, desc: str = "GGUF repos") -> None:
        self._lock = threading.Lock()
        self.finished = 0
        self.errors = 0
        self.requests = 0
        self.cache_hits = 0
        self.waiting = ""
        self._bar: Any = tqdm(total=total, desc=desc, unit="repo", disable=not enabled, leave=True)

    def counts(self, *, requests: int, cache_hits: int) -> None:
        """Set the request / cache-hit figures shown (the Hub's counters since the start)."""
        with self._lock:
            self.requests, self.cache_hits = requests, cache_hits
            self._show()

    def done(self, *, ok: bool) -> None:
        """One more repo listed (``ok=False``: it gave an error row)."""
        with self._lock:
            self.finished += 1
            self.errors += 0 if ok else 1
            self._bar.update(1)
            self._show()

    def wait(self, seconds: float | None) -> None:
        """Show (``seconds``) or clear (``None``) a rate-limit wait."""
        with self._lock:
            self.waiting = "" if seconds is None else f"rate-limited: waiting {seconds:.0f} s"
            self._show()

    def _show(self) -> None:
        post = f"requests={self.requests} cache_hits={self.cache_hits} errors={self.errors}"
        self._bar.set_postfix_str(f"{post} {self.waiting}".strip(), refresh=True)

    def close(self) -> None:
        """Finish the bar."""
        with self._lock:
            self._bar.close()
