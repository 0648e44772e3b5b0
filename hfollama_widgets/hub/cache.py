"""The persistent listing cache: tree listings by commit sha, branch -> sha with a TTL (sqlite).

A repo's file list at a commit never changes (nor its parameter count, the Hub's
``gguf.total``, which arrives with the sha, nor the parsed GGUF headers of its files), so it is
kept (keyed by endpoint, who reads, repo and **commit sha**) until the cache outgrows its size
limit (least recently used tree rows go first). What a branch points at does change: the
``revision -> sha`` answer is trusted for
``revision_ttl`` seconds (default :data:`DEFAULT_REVISION_TTL`), then asked again with one small
request. Storage is the standard library's :mod:`sqlite3` (one file, ``listings.sqlite3``),
safe for several processes. A corrupt or unwritable cache is never an error: it warns once
(:class:`CacheWarning`) and the Hub carries on without it.

Where: ``Hub(cache_dir=...)``, else ``HFOLLAMA_CACHE_DIR``, else ``hfollama-widgets/`` inside
huggingface_hub's ``HF_HOME`` (``~/.cache/huggingface``). ``cache_dir=False`` or
``HFOLLAMA_CACHE_DIR=off`` turns it off.

>>> import tempfile
>>> store = ListingCache(tempfile.mkdtemp())
>>> store.put_tree(("http://hub", "", "o/M-GGUF", "a" * 40), [{"path": "M.gguf", "size": 3}])
>>> store.tree(("http://hub", "", "o/M-GGUF", "a" * 40))
[{'path': 'M.gguf', 'size': 3}]
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from huggingface_hub import constants

__all__ = [
    "CACHE_DIR_ENV",
    "DEFAULT_MAX_CACHE_BYTES",
    "DEFAULT_REVISION_TTL",
    "CacheWarning",
    "ListingCache",
    "cache_dir_setting",
    "open_cache",
]

CACHE_DIR_ENV = "HFOLLAMA_CACHE_DIR"
"""Folder of the persistent cache; ``off``/``0``/``false`` turns it off."""
DEFAULT_REVISION_TTL = 300.0
"""Seconds a branch -> commit answer is trusted before one small request checks it again."""
DEFAULT_MAX_CACHE_BYTES = 256 * 2**20
"""Listings beyond this total size are evicted, least recently used first."""
_OFF = {"0", "off", "false", "no", "none"}
_FILE = "listings.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS revisions (
    endpoint TEXT, reader TEXT, repo TEXT, revision TEXT, sha TEXT, checked REAL,
    PRIMARY KEY (endpoint, reader, repo, revision));
CREATE TABLE IF NOT EXISTS trees (
    endpoint TEXT, reader TEXT, repo TEXT, sha TEXT, entries TEXT, bytes INTEGER, used REAL,
    PRIMARY KEY (endpoint, reader, repo, sha));
CREATE TABLE IF NOT EXISTS headers (
    endpoint TEXT, reader TEXT, repo TEXT, sha TEXT, filename TEXT, meta TEXT, bytes INTEGER,
    PRIMARY KEY (endpoint, reader, repo, sha, filename));
CREATE TABLE IF NOT EXISTS parameters (
    endpoint TEXT, reader TEXT, repo TEXT, sha TEXT, total INTEGER,
    PRIMARY KEY (endpoint, reader, repo, sha));
"""

Key = tuple[str, str, str, str]  # (endpoint, reader, repo, revision or sha)


class CacheWarning(UserWarning):
    """The persistent cache could not be used (corrupt, unwritable): the Hub works without it."""


def cache_dir_setting(value: str | os.PathLike[str] | bool | None) -> Path | None:
    """The cache folder for ``Hub(cache_dir=value)`` (``None``: off).

    >>> cache_dir_setting(False) is None, cache_dir_setting("/tmp/x")
    (True, PosixPath('/tmp/x'))
    """
    if value is False:
        return None
    if value is None or value is True:
        raw = os.environ.get(CACHE_DIR_ENV, "").strip()
        if raw.lower() in _OFF:
            return None
        if raw:
            return Path(raw).expanduser()
        return Path(constants.HF_HOME) / "hfollama-widgets"
    return Path(value).expanduser()


_open_lock = threading.Lock()
_opened: dict[Path, ListingCache] = {}


def open_cache(folder: Path, max_bytes: int = DEFAULT_MAX_CACHE_BYTES) -> ListingCache:
    """The process-wide :class:`ListingCache` of ``folder`` (one connection per folder)."""
    with _open_lock:
        store = _opened.get(folder)
        if store is None:
            store = _opened[folder] = ListingCache(folder, max_bytes=max_bytes)
        return store


class ListingCache:
    """Tree listings by commit and branch -> commit answers, in ``folder/listings.sqlite3``.

    Every method swallows storage errors: the first one warns (:class:`CacheWarning`) and turns
    the cache off for this process, so a broken cache costs requests, never a failure.
    """

    def __init__(self, folder: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_CACHE_BYTES):
        self.path = Path(folder) / _FILE
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def __repr__(self) -> str:
        return f"ListingCache({str(self.path)!r}{', off' if self._broken else ''})"

    @property
    def usable(self) -> bool:
        """``False`` once a storage error turned the cache off."""
        return not self._broken

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: autocommit; a busy file (another process) waits up to 5 s.
            db = sqlite3.connect(self.path, timeout=5, check_same_thread=False)
            db.isolation_level = None
            # WAL + synchronous=NORMAL: a commit is a write, not an fsync (sqlite.org/wal.html);
            # a cache may lose its last rows on power loss, never its consistency.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]] | None:
        if self._broken:
            return None
        with self._lock:
            try:
                return self._connect().execute(sql, params).fetchall()
            except (sqlite3.Error, OSError) as exc:
                self._give_up(exc)
                return None

    def _give_up(self, exc: BaseException) -> None:
        self._broken = True
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        warnings.warn(
            f"The listing cache at {self.path} cannot be used ({type(exc).__name__}: {exc}); "
            f"continuing without it. Delete the file, or point {CACHE_DIR_ENV} (or "
            "Hub(cache_dir=...)) at a writable folder; cache_dir=False turns it off.",
            CacheWarning,
            stacklevel=4,
        )

    # --- branch -> sha ---------------------------------------------------------------------
    def revision(self, key: Key) -> tuple[str, float] | None:
        """``(sha, checked_at)`` last seen for the revision (wall-clock seconds), if any."""
        rows = self._run(
            "SELECT sha, checked FROM revisions WHERE endpoint=? AND reader=? AND repo=? "
            "AND revision=?",
            key,
        )
        if not rows or not isinstance(rows[0][0], str) or not isinstance(rows[0][1], float):
            return None
        return rows[0][0], rows[0][1]

    def put_revision(self, key: Key, sha: str) -> None:
        """Remember that the revision pointed at ``sha`` now."""
        self._run("INSERT OR REPLACE INTO revisions VALUES (?,?,?,?,?,?)", (*key, sha, time.time()))

    # --- trees by sha -----------------------------------------------------------------------
    def tree(self, key: Key) -> list[dict[str, Any]] | None:
        """The file list stored for the commit, or ``None`` (also for a damaged row)."""
        rows = self._run(
            "SELECT entries FROM trees WHERE endpoint=? AND reader=? AND repo=? AND sha=?", key
        )
        if not rows:
            return None
        try:
            entries = json.loads(rows[0][0])
            ok = isinstance(entries, list) and all(
                isinstance(e, dict) and isinstance(e.get("path"), str)
                and isinstance(e.get("size"), int)
                for e in entries
            )  # fmt: skip
        except (TypeError, ValueError):
            ok = False
        if not ok:
            self._run("DELETE FROM trees WHERE endpoint=? AND reader=? AND repo=? AND sha=?", key)
            return None
        self._run(
            "UPDATE trees SET used=? WHERE endpoint=? AND reader=? AND repo=? AND sha=?",
            (time.time(), *key),
        )
        return [{"path": e["path"], "size": e["size"]} for e in entries]

    def put_tree(self, key: Key, entries: list[dict[str, Any]]) -> None:
        """Store the file list of a commit, then evict beyond ``max_bytes``."""
        text = json.dumps(entries, separators=(",", ":"))
        self._run(
            "INSERT OR REPLACE INTO trees VALUES (?,?,?,?,?,?,?)",
            (*key, text, len(text), time.time()),
        )
        self._evict()

    # --- the parameter count at a commit (the Hub's gguf.total) ------------------------------
    def parameters(self, key: Key) -> tuple[bool, int | None]:
        """``(known, total)``: the Hub's ``gguf.total`` stored for the commit (``total`` may be
        ``None``: the Hub has none for that repo)."""
        rows = self._run(
            "SELECT total FROM parameters WHERE endpoint=? AND reader=? AND repo=? AND sha=?", key
        )
        if not rows or not (rows[0][0] is None or isinstance(rows[0][0], int)):
            return False, None
        return True, rows[0][0]

    def put_parameters(self, key: Key, total: int | None) -> None:
        """Remember the commit's parameter count (immutable at a commit, like its tree)."""
        self._run("INSERT OR REPLACE INTO parameters VALUES (?,?,?,?,?)", (*key, total))

    # --- parsed GGUF headers at a commit ----------------------------------------------------
    def header(self, key: Key, filename: str) -> dict[str, Any] | None:
        """The parsed header (:class:`~hfollama_widgets.gguf.metadata.GGUFMetadata` fields)
        stored for ``filename`` at the commit, or ``None``."""
        rows = self._run(
            "SELECT meta FROM headers WHERE endpoint=? AND reader=? AND repo=? AND sha=? "
            "AND filename=?",
            (*key, filename),
        )
        if not rows or not isinstance(rows[0][0], str):
            return None
        try:
            data = json.loads(rows[0][0])
        except ValueError:
            return None  # a damaged row: read the header again
        return data if isinstance(data, dict) else None

    def put_header(self, key: Key, filename: str, fields: dict[str, Any]) -> None:
        """Store a parsed header of ``filename`` at the commit (immutable there)."""
        try:
            text = json.dumps(fields, separators=(",", ":"), default=str)
        except (TypeError, ValueError):
            return  # not plain data: keep it in memory only
        self._run(
            "INSERT OR REPLACE INTO headers VALUES (?,?,?,?,?,?,?)",
            (*key, filename, text, len(text)),
        )

    def _evict(self) -> None:
        rows = self._run("SELECT COALESCE(SUM(bytes), 0) FROM trees")
        total = int(rows[0][0]) if rows else 0
        if total <= self.max_bytes:
            return
        for endpoint, reader, repo, sha, size in (
            self._run("SELECT endpoint, reader, repo, sha, bytes FROM trees ORDER BY used") or []
        ):
            self._run(
                "DELETE FROM trees WHERE endpoint=? AND reader=? AND repo=? AND sha=?",
                (endpoint, reader, repo, sha),
            )
            total -= int(size)
            if total <= self.max_bytes:
                break

    def clear(self, repo_id: str | None = None) -> None:
        """Forget everything (or one repo's rows)."""
        for table in ("revisions", "trees", "parameters", "headers"):
            if repo_id is None:
                self._run(f"DELETE FROM {table}")
            else:
                self._run(f"DELETE FROM {table} WHERE repo=?", (repo_id,))
