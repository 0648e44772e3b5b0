"""Many repos at once: :meth:`Hub.list_gguf_files_many` and :meth:`Hub.scan` build one
DataFrame from :meth:`Hub.list_gguf_files` per repo (so every column it has flows through),
``concurrency`` repos at a time on threads, with a ``tqdm.auto`` progress bar.

- A repo that fails (not found, gated, no GGUF, timeout) gives one row whose ``error`` column
  holds the typed error's message and fix (``error_type`` its class); ``errors="raise"``
  raises the first failure instead.
- On HTTP 429 every worker pauses for the time the Hub's ``RateLimit`` header gives
  (``"api";r=0;t=55`` -> 55 s; else ``Retry-After``; see
  :func:`~hfollama_widgets.hub.errors.retry_after_seconds`), the bar says so, and the repo is
  retried; the waits of one batch are bounded by ``max_rate_limit_wait`` seconds, after which
  the repo gets its :class:`~hfollama_widgets.errors.RateLimitedError` row.
- While a repo's tree is requested its commit sha is resolved alongside (one round trip for a
  first listing, then the persistent cache answers; :mod:`~hfollama_widgets.hub.trees`).

>>> from hfollama_widgets.testing import FakeHub
>>> from hfollama_widgets.hub import Hub
>>> with FakeHub() as fake:
...     df = Hub(fake.url).list_gguf_files_many(
...         ["bartowski/Llama-3.2-1B-Instruct-GGUF", "nobody/Missing-GGUF"], progress=False)
>>> df.groupby("repo_id", sort=False)["error_type"].first().fillna("-").to_dict()
{'bartowski/Llama-3.2-1B-Instruct-GGUF': '-', 'nobody/Missing-GGUF': 'RepoNotFoundError'}
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pandas as pd

from hfollama_widgets.checks import positive_int
from hfollama_widgets.errors import HFOllamaError, RateLimitedError
from hfollama_widgets.gguf.fit import resolve_hardware
from hfollama_widgets.hub.batch_progress import BatchProgress
from hfollama_widgets.listing import COLUMNS
from hfollama_widgets.repo_input import repo_id_from_input

if TYPE_CHECKING:
    from hfollama_widgets.hardware import Hardware
    from hfollama_widgets.hub.trees import HubCounters, TreeSource


class _Lister(Protocol):
    """What a batch needs of a :class:`~hfollama_widgets.hub.Hub` (no import: no cycle)."""

    _trees: TreeSource

    @property
    def counters(self) -> HubCounters: ...

    def list_gguf_files(
        self,
        repo_id: str,
        *,
        revision: str = "main",
        include_sidecars: bool = False,
        refresh: bool = False,
        hardware: Hardware | bool | None = None,
        context_length: int | None = None,
    ) -> pd.DataFrame: ...


__all__ = ["DEFAULT_MAX_RATE_LIMIT_WAIT", "UNKNOWN_RATE_LIMIT_WAIT", "list_many", "repo_ids_of"]

DEFAULT_MAX_RATE_LIMIT_WAIT = 300.0
"""Seconds a batch may spend waiting out 429s in total: one window of the Hub's policy
(``RateLimit-Policy: "fixed window";"api";q=500;w=300``: huggingface/huggingface_hub
src/huggingface_hub/utils/_http.py, parse_ratelimit_headers docstring, v1.33 lines 85-100)."""
UNKNOWN_RATE_LIMIT_WAIT = 10.0
"""Seconds to wait on a 429 that names no reset time."""
_MAX_ATTEMPTS = 5


def repo_ids_of(repos: Iterable[str] | pd.DataFrame) -> list[str]:
    """Repo ids (or URLs, as typed) of an iterable, or of the ``id`` / ``repo_id`` column of a
    DataFrame (what :meth:`Hub.search_models` returns); duplicates dropped, order kept.

    >>> repo_ids_of(pd.DataFrame({"id": ["a/B-GGUF", "c/D-GGUF", "a/B-GGUF"]}))
    ['a/B-GGUF', 'c/D-GGUF']
    """
    if isinstance(repos, pd.DataFrame):
        column = "id" if "id" in repos.columns else "repo_id"
        if column not in repos.columns:
            raise TypeError("a DataFrame of repos needs an 'id' or 'repo_id' column")
        values: Iterable[Any] = repos[column].tolist()
    elif isinstance(repos, str):
        values = [repos]
    else:
        values = repos
    return list(dict.fromkeys(str(v) for v in values))


class _RateGate:
    """Shared by a batch's workers: after a 429, nobody sends until the reset time."""

    def __init__(self, budget: float, bar: BatchProgress) -> None:
        self._lock = threading.Lock()
        self._until = 0.0
        self._left = budget
        self._bar = bar

    def hold(self, seconds: float) -> bool:
        """Extend the pause to ``seconds`` from now; ``False`` when the budget is spent."""
        with self._lock:
            now = time.monotonic()
            extra = max(0.0, now + seconds - max(now, self._until))
            if extra > self._left:
                return False
            self._left -= extra
            self._until = max(self._until, now + seconds)
        self.pause()
        return True

    def pause(self) -> None:
        """Sleep while a rate-limit pause is on, showing the time left on the bar."""
        shown = False
        while (left := self._until - time.monotonic()) > 0:
            self._bar.wait(left)
            shown = True
            time.sleep(min(left, 1.0))
        if shown:
            self._bar.wait(None)


def list_many(
    hub: _Lister,
    repos: Iterable[str] | pd.DataFrame,
    *,
    concurrency: int = 8,
    progress: bool = True,
    include_sidecars: bool = False,
    hardware: Hardware | bool | None = None,
    context_length: int | None = None,
    revision: str = "main",
    refresh: bool = False,
    errors: Literal["row", "raise"] = "row",
    max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
) -> pd.DataFrame:
    """One DataFrame: ``repo_id``, every :meth:`Hub.list_gguf_files` column, ``error`` and
    ``error_type`` (``None`` for listed repos). See the module docstring."""
    concurrency = positive_int("concurrency", concurrency) or 8
    if errors not in ("row", "raise"):
        raise ValueError(f"errors must be 'row' or 'raise' (got {errors!r})")
    ids = repo_ids_of(repos)
    hw = None if hardware is None or hardware is False else resolve_hardware(hardware)
    bar = BatchProgress(len(ids), enabled=progress)
    gate = _RateGate(max_rate_limit_wait, bar)
    start = (hub.counters.requests, hub.counters.cache_hits)

    def show() -> None:
        c = hub.counters
        bar.counts(requests=c.requests - start[0], cache_hits=c.cache_hits - start[1])

    def one(typed: str) -> pd.DataFrame:
        attempts = 0
        while True:
            gate.pause()
            attempts += 1
            try:
                repo_id = repo_id_from_input(typed)
                return hub.list_gguf_files(
                    repo_id, revision=revision, include_sidecars=include_sidecars,
                    refresh=refresh, hardware=hw, context_length=context_length,
                )  # fmt: skip
            except RateLimitedError as limited:
                wait = limited.retry_after
                seconds = float(UNKNOWN_RATE_LIMIT_WAIT if wait is None else max(wait, 0))
                if attempts >= _MAX_ATTEMPTS or not gate.hold(seconds):
                    raise

    def prefetch(typed: str) -> None:
        with contextlib.suppress(HFOllamaError):  # the listing reports what is wrong
            hub._trees.prefetch_sha(repo_id_from_input(typed), revision)

    frames: list[pd.DataFrame | HFOllamaError] = []
    try:
        with (
            ThreadPoolExecutor(concurrency, "hfw-list") as pool,
            ThreadPoolExecutor(concurrency, "hfw-sha") as shas,
        ):
            if not refresh:
                for typed in ids:
                    shas.submit(prefetch, typed)
            futures: list[Future[pd.DataFrame]] = [pool.submit(one, typed) for typed in ids]

            def finished(future: Future[pd.DataFrame]) -> None:
                bar.done(ok=future.exception() is None)
                show()

            for future in futures:
                future.add_done_callback(finished)
            for future in futures:
                try:
                    frames.append(future.result())
                except HFOllamaError as exc:
                    if errors == "raise":
                        pool.shutdown(wait=False, cancel_futures=True)
                        shas.shutdown(wait=False, cancel_futures=True)
                        raise
                    frames.append(exc)
    finally:
        show()
        bar.close()
    return _combine(ids, frames)


def _combine(ids: list[str], frames: list[pd.DataFrame | HFOllamaError]) -> pd.DataFrame:
    pieces: list[pd.DataFrame] = []
    failures: list[tuple[str | None, str | None]] = []
    for typed, got in zip(ids, frames, strict=False):
        if isinstance(got, pd.DataFrame):
            piece = got.copy()
            piece.insert(0, "repo_id", repo_id_or_typed(typed))
            failures.extend([(None, None)] * len(piece))
        else:
            piece = pd.DataFrame({"repo_id": [repo_id_or_typed(typed)]})
            failures.append((str(got), type(got).__name__))
        pieces.append(piece)
    columns = ["repo_id", *COLUMNS]
    df = pd.DataFrame(columns=columns) if not pieces else pd.concat(pieces, ignore_index=True)
    for col in columns:
        if col not in df.columns:
            df[col] = None
    df["error"] = pd.Series([f[0] for f in failures], index=df.index, dtype=object)
    df["error_type"] = pd.Series([f[1] for f in failures], index=df.index, dtype=object)
    return df


def repo_id_or_typed(typed: str) -> str:
    """The repo id of ``typed`` (a URL or ``hf.co/…`` reference), or ``typed`` if it is none."""
    try:
        return repo_id_from_input(typed)
    except HFOllamaError:
        return typed
