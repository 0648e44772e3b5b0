"""Header-only GGUF metadata over HTTP ``Range`` requests: know a model before you pull it.

A GGUF file starts with its whole description (key/value metadata, then one entry per tensor:
name, shape, type, offset) and only then the weights. :func:`read_gguf_header` fetches the
first 256 KiB, parses as far as the bytes go, and asks for exactly as much more as the parser
says it needs (tokenizer arrays can take several MB), so it never downloads weights.
:func:`gguf_metadata` does that for a file of a Hub repo, chosen by quantization label or file
name, and caches the result per (endpoint, token, repo, revision, file): in memory, and (a
:class:`~hfollama_widgets.hub.Hub` with its persistent cache) on disk by commit sha, so a new
process reads a header it has seen before with no request.

This module resolves the file and reads the shards of split models through a
:class:`HeaderSource` (a :class:`~hfollama_widgets.hub.Hub`); under it are the parser
(:mod:`hfollama_widgets.gguf.header`), :class:`GGUFMetadata` and
:func:`~hfollama_widgets.hub.remote_header.read_gguf_header` (one URL). Users call
``Hub.gguf_metadata`` or ``hfw.gguf_metadata``.

Example (against the real Hub and Ollama)::

    meta = hfw.gguf_metadata("bartowski/Llama-3.2-1B-Instruct-GGUF", "Q4_K_M")
    meta.architecture, meta.block_count, meta.head_count_kv  # -> ('llama', 16, 8)
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import re
import threading
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, Protocol, TypeVar

import httpx
import pandas as pd

from hfollama_widgets.errors import HubError, QuantizationNotFoundError
from hfollama_widgets.gguf.metadata import GGUFMetadata
from hfollama_widgets.hub.http_range import http_timeout, hub_timeout
from hfollama_widgets.hub.remote_header import INITIAL_RANGE, MAX_HEADER_BYTES, read_gguf_header
from hfollama_widgets.quants import canonical_label, parse_quant_label


class HeaderSource(Protocol):
    """Where headers are read from: what :class:`~hfollama_widgets.hub.Hub` offers."""

    @property
    def endpoint(self) -> str: ...

    def request_headers(self) -> dict[str, str]: ...

    def file_url(self, repo_id: str, filename: str, *, revision: str = "main") -> str: ...

    def list_gguf_files(self, repo_id: str, *, revision: str = "main") -> pd.DataFrame: ...


__all__ = [
    "INITIAL_RANGE",
    "MAX_HEADER_BYTES",
    "MAX_PARALLEL_SHARDS",
    "SHARD_INITIAL_RANGE",
    "GGUFMetadata",
    "HeaderSource",
    "SingleFlight",
    "clear_gguf_cache",
    "read_gguf_header",
    "read_repo_metadata",
    "reader_digest",
]

SHARD_INITIAL_RANGE = 64 * 1024
"""Later shards of a split file carry no tokenizer: their headers are tensor infos only."""
MAX_PARALLEL_SHARDS = 8
"""Shard headers read at the same time (one connection each)."""

_SHARD_RE = re.compile(r"^(?P<prefix>.*)-(?P<no>\d{5})-of-(?P<total>\d{5})\.gguf$", re.IGNORECASE)


# --- one request for many callers ---------------------------------------------------------

T = TypeVar("T")


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class SingleFlight(Generic[T]):
    """Identical concurrent calls run once: the first caller of a key runs ``fn``, the others
    wait for it and share its result or its error (like Go's ``singleflight``).

    >>> flights: SingleFlight[int] = SingleFlight()
    >>> flights.run("k", lambda: 42)
    42
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}

    def run(self, key: Hashable, fn: Callable[[], T]) -> T:
        """``fn()``, or the result of the identical call already running."""
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()  # the leader's own request has a deadline: this ends
            if flight.error is not None:
                raise flight.error
            result: T = flight.result
            return result
        try:
            flight.result = fn()
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()
        return flight.result


# --- a file of a Hub repo -------------------------------------------------------------------

_cache: dict[tuple[str, str, str, str, str], GGUFMetadata] = {}
_cache_lock = threading.Lock()
_reads: SingleFlight[GGUFMetadata] = SingleFlight()


def clear_gguf_cache() -> None:
    """Forget every header read so far (the next :func:`gguf_metadata` call reads again)."""
    with _cache_lock:
        _cache.clear()


def read_repo_metadata(
    hub: HeaderSource,
    repo_id: str,
    quantization_or_filename: str,
    *,
    revision: str = "main",
    refresh: bool = False,
) -> GGUFMetadata:
    """Read the GGUF header of a repo's file, by quantization label (``"Q4_K_M"``) or file name.

    A label is resolved through ``hub.list_gguf_files`` (model files only; for a split group the
    first shard). For split files every shard's header is read (the later ones are tiny) so that
    ``parameter_count`` and ``file_size`` cover the whole model. Results are cached per
    (endpoint, token, repo, revision, file); ``refresh=True`` reads again.

    >>> from hfollama_widgets.testing import FakeHub
    >>> from hfollama_widgets.hub import Hub
    >>> with FakeHub() as server:
    ...     meta = read_repo_metadata(Hub(endpoint=server.url),
    ...                               "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Q4_K_M")
    >>> meta.block_count, meta.head_count_kv, meta.key_length
    (32, 8, 128)
    """
    filename, files, label = _resolve(hub, repo_id, quantization_or_filename, revision)
    headers = hub.request_headers()
    cache_key = (str(hub.endpoint), reader_digest(headers), repo_id, revision, filename)
    if not refresh:
        with _cache_lock:
            hit = _cache.get(cache_key)
        if hit is not None:
            return hit

    def read() -> GGUFMetadata:
        with _cache_lock:  # a flight that just landed may have filled it
            landed = None if refresh else _cache.get(cache_key)
        if landed is not None:
            return landed
        trees = getattr(hub, "_trees", None)  # a Hub's listings: the persistent cache by commit
        stored = (
            None if refresh or trees is None else trees.stored_header(repo_id, revision, filename)
        )
        if stored is not None:
            with contextlib.suppress(TypeError, ValueError):  # an older or damaged row: read
                return GGUFMetadata(**stored)
        meta = _read_file(hub, repo_id, filename, files, revision, headers)
        if trees is not None:
            trees.store_header(repo_id, revision, filename, dataclasses.asdict(meta))
        return meta

    # 20 threads asking for the same header send one read and share its answer (or error).
    meta = _reads.run(cache_key, read)
    meta = dataclasses.replace(
        meta,
        filename=filename,
        repo_id=repo_id,
        revision=revision,
        quantization=label or _label_from_filename(filename) or meta.file_type_name,
    )
    with _cache_lock:
        _cache[cache_key] = meta
    return meta


def _read_file(
    hub: HeaderSource,
    repo_id: str,
    filename: str,
    files: tuple[str, ...],
    revision: str,
    headers: dict[str, str],
) -> GGUFMetadata:
    # Each request (and each chunk) may wait the Hub's deadline (Hub(timeout=...), else
    # HFOLLAMA_HUB_TIMEOUT); a HeaderSource without one gets the environment's.
    # A Hub lends its pooled client (connections kept alive across reads, one TLS set-up per
    # host); any other HeaderSource gets a client for this read only.
    pooled = getattr(hub, "range_client", None)
    if callable(pooled):
        return _read_with(hub, pooled(), headers, repo_id, revision, filename, files)
    seconds = getattr(hub, "timeout", None)
    limit = http_timeout(seconds if isinstance(seconds, (int, float)) else hub_timeout())
    with httpx.Client(follow_redirects=True, timeout=limit) as http:
        return _read_with(hub, http, headers, repo_id, revision, filename, files)


def _read_with(
    hub: HeaderSource,
    http: httpx.Client,
    headers: dict[str, str],
    repo_id: str,
    revision: str,
    filename: str,
    files: tuple[str, ...],
) -> GGUFMetadata:
    url = hub.file_url(repo_id, filename, revision=revision)
    meta = _with_context(repo_id, lambda: read_gguf_header(url, headers=headers, client=http))
    if meta.split_count > 1:
        meta = _add_shards(hub, http, headers, repo_id, revision, filename, files, meta)
    return meta


def reader_digest(headers: Mapping[str, str]) -> str:
    """Who reads, for the cache: a digest of the Authorization header (``""`` anonymous).

    A header read with a token must not be served to a Hub without it (a gated repo's bytes
    need access). The token itself is not kept.
    """
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    return hashlib.sha256(auth.encode()).hexdigest()[:16] if auth else ""


def _add_shards(
    hub: HeaderSource,
    http: httpx.Client,
    headers: dict[str, str],
    repo_id: str,
    revision: str,
    filename: str,
    files: tuple[str, ...],
    first: GGUFMetadata,
) -> GGUFMetadata:
    others = [f for f in files if f != filename] or _sibling_shards(filename)
    params, size = first.parameter_count, first.file_size
    tensors, reads, nbytes = first.tensor_count, first.requests, first.bytes_read
    tensor_bytes = first.tensor_bytes
    types = dict(first.tensor_types)
    roles = dict(first.tensor_role_bytes)
    urls = [hub.file_url(repo_id, shard, revision=revision) for shard in others]

    def read(url: str) -> GGUFMetadata:
        return _with_context(
            repo_id,
            lambda: read_gguf_header(
                url, headers=headers, client=http, initial_bytes=SHARD_INITIAL_RANGE
            ),
        )

    # The later shards' headers are tiny and independent: read them in parallel.
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_SHARDS, len(urls) or 1)) as pool:
        parts = list(pool.map(read, urls))
    for part in parts:
        params += part.parameter_count
        tensors += part.tensor_count
        tensor_bytes += part.tensor_bytes
        reads += part.requests
        nbytes += part.bytes_read
        size = None if size is None or part.file_size is None else size + part.file_size
        for name, count in part.tensor_types.items():
            types[name] = types.get(name, 0) + count
        for role, role_bytes in part.tensor_role_bytes.items():
            roles[role] = roles.get(role, 0) + role_bytes
    return dataclasses.replace(
        first,
        parameter_count=params,
        tensor_count=tensors,
        tensor_bytes=tensor_bytes,
        tensor_types=types,
        tensor_role_bytes=roles,
        file_size=size,
        requests=reads,
        bytes_read=nbytes,
    )


def _sibling_shards(filename: str) -> list[str]:
    match = _SHARD_RE.match(filename)
    if not match:
        return []
    total = int(match["total"])
    names = [f"{match['prefix']}-{i:05d}-of-{match['total']}.gguf" for i in range(1, total + 1)]
    return [n for n in names if n != filename]


def _with_context(repo_id: str, read: Any) -> GGUFMetadata:
    try:
        result: GGUFMetadata = read()
    except HubError as exc:
        if exc.repo_id is None:
            exc.repo_id = repo_id
        raise
    return result


def _resolve(
    hub: HeaderSource, repo_id: str, wanted: str, revision: str
) -> tuple[str, tuple[str, ...], str | None]:
    """(file to read, all files of its group, quantization label) for a label or a file name."""
    if wanted.lower().endswith(".gguf"):
        return wanted, (wanted, *_sibling_shards(wanted)), None
    df = hub.list_gguf_files(repo_id, revision=revision)
    if "kind" in df.columns:
        df = df[df["kind"] == "model"]
    hits = df[_matches(df, wanted)]
    if len(hits):
        row = hits.iloc[0]
        files = tuple(row["files"]) if "files" in row.index else (row["filename"],)
        label = row.get("quantization")
        return str(row["filename"]), files, label if isinstance(label, str) else None
    labels: Any = df["quantization"] if "quantization" in df.columns else ()
    available = ", ".join(q for q in labels if isinstance(q, str)) or "none"
    raise QuantizationNotFoundError(
        f"{repo_id} has no {wanted!r} GGUF file (available: {available}).",
        fix="Pass one of the available labels, or a file name ending in .gguf.",
        repo_id=repo_id,
    )


def _matches(df: pd.DataFrame, wanted: str) -> pd.Series:
    """Rows whose label (aliases understood), Ollama tag or file name is ``wanted``."""
    target = (canonical_label(wanted) or wanted.strip()).upper()
    lower = wanted.strip().lower()
    mask = pd.Series(False, index=df.index)
    if "quantization" in df.columns:
        mask |= df["quantization"].map(lambda q: isinstance(q, str) and q.upper() == target)
    if "ollama_tag" in df.columns:
        mask |= df["ollama_tag"].map(lambda t: isinstance(t, str) and t.lower() == lower)
    return mask


def _label_from_filename(filename: str) -> str | None:
    return parse_quant_label(filename)
