"""A :class:`~hfollama_widgets.hub.Hub`'s file listings: memory, the persistent cache, requests.

:class:`TreeSource` answers "the files of repo R at revision V" from, in order:

1. memory (for the life of the Hub);
2. the persistent cache (:mod:`~hfollama_widgets.hub.cache`): the revision's commit sha, if
   checked less than ``revision_ttl`` seconds ago, else asked again with one small request
   (``GET /api/models/{repo}/revision/{rev}?expand=sha&expand=gguf``: the sha and the
   parameter count in one answer), then the tree stored for that sha;
3. the Hub: one recursive tree request (then the sha, so the listing can be stored).

Identical concurrent requests (tree or sha) run once and share their answer.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from huggingface_hub.hf_api import RepoFile

from hfollama_widgets.errors import HubError
from hfollama_widgets.hub.cache import DEFAULT_REVISION_TTL, ListingCache, open_cache
from hfollama_widgets.hub.metadata import SingleFlight, reader_digest

__all__ = ["HubCounters", "TreeSource"]

_SHA = re.compile(r"^[0-9a-f]{40}$")


def _gguf_total(gguf: Any) -> int | None:
    """The ``total`` (parameter count) of a model info's ``gguf`` block, if it has one.

    >>> _gguf_total({"total": 8030261248, "architecture": "llama"}), _gguf_total(None)
    (8030261248, None)
    """
    total = gguf.get("total") if isinstance(gguf, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) and total > 0 else None


class _HubLike(Protocol):
    @property
    def endpoint(self) -> str: ...

    def _api(self) -> Any: ...

    def _errors(self, repo_id: str | None, revision: str | None = None) -> Any: ...

    def _deadline(self, repo_id: str | None, what: str) -> Any: ...

    def request_headers(self) -> dict[str, str]: ...

    def _cache_folder(self) -> Any: ...


@dataclass
class HubCounters:
    """What a Hub did so far: requests sent (tree, sha, search) and listings served from cache."""

    requests: int = 0
    cache_hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, *, requests: int = 0, cache_hits: int = 0) -> None:
        """Count (thread-safe)."""
        with self._lock:
            self.requests += requests
            self.cache_hits += cache_hits


class TreeSource:
    """File listings of one Hub (see the module docstring)."""

    def __init__(self, hub: _HubLike, revision_ttl: float | None = None) -> None:
        self._hub = hub
        self.revision_ttl = DEFAULT_REVISION_TTL if revision_ttl is None else revision_ttl
        self.counters = HubCounters()
        self._lock = threading.Lock()
        self._trees: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self._shas: dict[tuple[str, str, str, str], str] = {}  # resolved in this process
        self._parameters: dict[tuple[str, str, str, str], int | None] = {}  # by sha
        self._tree_flights: SingleFlight[list[dict[str, Any]]] = SingleFlight()
        self._sha_flights: SingleFlight[str] = SingleFlight()

    def _store(self) -> ListingCache | None:
        folder = self._hub._cache_folder()
        if folder is None:
            return None
        store = open_cache(folder)
        return store if store.usable else None

    def _reader(self) -> str:
        return reader_digest(self._hub.request_headers())

    # --- public ----------------------------------------------------------------------------
    def get(self, repo_id: str, revision: str, refresh: bool) -> list[dict[str, Any]]:
        """The ``{"path", "size"}`` entries of the repo's files at ``revision``."""
        key = (self._hub.endpoint, repo_id, revision)
        with self._lock:
            cached = None if refresh else self._trees.get(key)
        if cached is not None:
            self.counters.add(cache_hits=1)
            return cached

        def fetch() -> list[dict[str, Any]]:
            with self._lock:  # a flight that just landed may have filled the cache
                landed = None if refresh else self._trees.get(key)
            if landed is not None:
                return landed
            entries = self._load(repo_id, revision, refresh)
            with self._lock:
                self._trees[key] = entries
            return entries

        return self._tree_flights.run((*key, refresh), fetch)

    def prefetch_sha(self, repo_id: str, revision: str) -> None:
        """Resolve the revision's sha now unless it is fresh in the cache (batches call this
        alongside the listing so that a first listing costs one round trip, not two)."""
        store = self._store()
        if store is None or _SHA.match(revision):
            return
        seen = store.revision((self._hub.endpoint, self._reader(), repo_id, revision))
        if seen is not None and time.time() - seen[1] < self.revision_ttl:
            return
        with contextlib.suppress(HubError):  # the listing itself reports what is wrong
            self._sha(repo_id, revision, store, refresh=False)

    def parameters(self, repo_id: str, revision: str) -> tuple[bool, int | None]:
        """``(known, total)``: the Hub's ``gguf.total`` at the revision's commit when the sha
        request brought it (this process, or the persistent cache for a fresh or exact sha);
        ``(False, None)`` when only a model-info request can tell. No request here."""
        endpoint, reader = self._hub.endpoint, self._reader()
        with self._lock:
            sha = (
                revision
                if _SHA.match(revision)
                else self._shas.get((endpoint, reader, repo_id, revision))
            )
        store = self._store()
        if sha is None and store is not None:
            sha = self._known_sha(store, (endpoint, reader, repo_id, revision))
        if sha is None:
            return False, None
        key = (endpoint, reader, repo_id, sha)
        with self._lock:
            if key in self._parameters:
                return True, self._parameters[key]
        return store.parameters(key) if store is not None else (False, None)

    def stored_header(self, repo_id: str, revision: str, filename: str) -> dict[str, Any] | None:
        """The parsed header of ``filename`` kept in the persistent cache for the revision's
        commit (known without a request: listing the repo resolved it), else ``None``."""
        found = self._commit_key(repo_id, revision)
        return found[1].header(found[0], filename) if found is not None else None

    def store_header(
        self, repo_id: str, revision: str, filename: str, fields: dict[str, Any]
    ) -> None:
        """Keep a parsed header of ``filename`` by the revision's commit (when it is known)."""
        found = self._commit_key(repo_id, revision)
        if found is not None:
            found[1].put_header(found[0], filename, fields)

    def _commit_key(
        self, repo_id: str, revision: str
    ) -> tuple[tuple[str, str, str, str], ListingCache] | None:
        store = self._store()
        if store is None:
            return None
        endpoint, reader = self._hub.endpoint, self._reader()
        sha = self._known_sha(store, (endpoint, reader, repo_id, revision))
        return ((endpoint, reader, repo_id, sha), store) if sha is not None else None

    def clear(self, repo_id: str | None = None) -> None:
        """Forget listings (of one repo, or all): memory and the persistent cache."""
        with self._lock:
            for key in [k for k in self._trees if repo_id is None or k[1] == repo_id]:
                del self._trees[key]
            for skey in [k for k in self._shas if repo_id is None or k[2] == repo_id]:
                del self._shas[skey]
            for pkey in [k for k in self._parameters if repo_id is None or k[2] == repo_id]:
                del self._parameters[pkey]
        store = self._store()
        if store is not None:
            store.clear(repo_id)

    # --- the layers ------------------------------------------------------------------------
    def _load(self, repo_id: str, revision: str, refresh: bool) -> list[dict[str, Any]]:
        store = self._store()
        if store is None:
            return self._fetch_tree(repo_id, revision)
        reader = self._reader()
        endpoint = self._hub.endpoint
        if not refresh:
            sha = self._known_sha(store, (endpoint, reader, repo_id, revision))
            if sha is None and self._seen(store, (endpoint, reader, repo_id, revision)):
                sha = self._sha(repo_id, revision, store, refresh=False)  # TTL over: ask again
            if sha is not None:
                stored = store.tree((endpoint, reader, repo_id, sha))
                if stored is not None:
                    self.counters.add(cache_hits=1)
                    return stored
                entries = self._fetch_tree(repo_id, sha)  # known commit: list exactly that
                store.put_tree((endpoint, reader, repo_id, sha), entries)
                return entries
        entries = self._fetch_tree(repo_id, revision)
        try:
            sha = self._sha(repo_id, revision, store, refresh=refresh)
        except HubError:
            return entries  # listed fine; only not stored
        store.put_tree((endpoint, reader, repo_id, sha), entries)
        return entries

    def _seen(self, store: ListingCache, key: tuple[str, str, str, str]) -> bool:
        return store.revision(key) is not None

    def _known_sha(self, store: ListingCache, key: tuple[str, str, str, str]) -> str | None:
        """The sha of ``key``'s revision without a request: a sha itself, one resolved in this
        process, or one the cache checked less than ``revision_ttl`` ago."""
        revision = key[3]
        if _SHA.match(revision):
            return revision
        with self._lock:
            mine = self._shas.get(key)
        if mine is not None:
            return mine
        seen = store.revision(key)
        if seen is not None and time.time() - seen[1] < self.revision_ttl:
            return seen[0]
        return None

    def _sha(self, repo_id: str, revision: str, store: ListingCache, *, refresh: bool) -> str:
        """The commit ``revision`` points at: one small request, shared by concurrent callers."""
        if _SHA.match(revision):
            return revision
        key = (self._hub.endpoint, self._reader(), repo_id, revision)
        with self._lock:
            mine = None if refresh else self._shas.get(key)
        if mine is not None:
            return mine

        def ask() -> str:
            with self._lock:
                landed = None if refresh else self._shas.get(key)
            if landed is not None:
                return landed
            hub = self._hub
            self.counters.add(requests=1)
            # model_info(revision=...) asks GET {endpoint}/api/models/{repo}/revision/{rev}
            # (huggingface/huggingface_hub src/huggingface_hub/hf_api.py, HfApi.model_info,
            # v1.33 line 3313); expand=["sha", "gguf"] keeps the answer to the commit id and
            # the GGUF summary (its "total" is the parameter count of the effective_bpw column;
            # both are ExpandModelProperty_T values, hf_api.py).
            with (
                hub._errors(repo_id, revision),
                hub._deadline(repo_id, "the commit of " + revision),
            ):
                info = hub._api().model_info(repo_id, revision=revision, expand=["sha", "gguf"])
            sha = str(info.sha)
            total = _gguf_total(getattr(info, "gguf", None))
            store.put_revision(key, sha)
            pkey = (key[0], key[1], repo_id, sha)
            store.put_parameters(pkey, total)
            with self._lock:
                self._shas[key] = sha
                self._parameters[pkey] = total
            return sha

        return self._sha_flights.run((*key, refresh), ask)

    def _fetch_tree(self, repo_id: str, revision: str) -> list[dict[str, Any]]:
        hub = self._hub
        self.counters.add(requests=1)
        with hub._errors(repo_id, revision), hub._deadline(repo_id, "the file listing"):
            return [
                {"path": e.path, "size": int(e.size)}
                for e in hub._api().list_repo_tree(
                    repo_id, recursive=True, expand=False, revision=revision
                )
                if isinstance(e, RepoFile)
            ]
