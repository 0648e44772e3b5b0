"""Hub discovery: GGUF listings as DataFrames, repo info, search and quant auto-selection.

:class:`Hub` holds an endpoint and a token (defaults resolved like huggingface_hub:
``HF_ENDPOINT`` and ``HF_TOKEN``, read when a request is made) and talks to the Hub through
``huggingface_hub.HfApi``. The module-level functions on a shared Hub are in
:mod:`~hfollama_widgets.hub.default`.

Helpers live next door: :mod:`~hfollama_widgets.hub.errors` (huggingface_hub/httpx errors ->
:mod:`~hfollama_widgets.errors`), :mod:`~hfollama_widgets.hub.repo_info` (:class:`RepoInfo`),
:mod:`~hfollama_widgets.hub.search` (search sorts and result rows),
:mod:`~hfollama_widgets.hub.metadata` (GGUF headers by Range), :mod:`~hfollama_widgets.hub.fit`
(the fit columns); :mod:`~hfollama_widgets.listing` turns tree entries into the GGUF DataFrame.

>>> from hfollama_widgets.testing import FakeHub
>>> with FakeHub() as fake:
...     hub = Hub(endpoint=fake.url)
...     df = hub.list_gguf_files("bartowski/Llama-3.2-1B-Instruct-GGUF")
...     ref, row = hub.auto_select("bartowski/Llama-3.2-1B-Instruct-GGUF", max_size_gb=1.0)
>>> ref
'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

import httpx
import pandas as pd
from huggingface_hub import HfApi, constants
from huggingface_hub.utils import build_hf_headers

from hfollama_widgets import gguf
from hfollama_widgets._version import __version__
from hfollama_widgets.checks import non_negative_number, positive_int, positive_number
from hfollama_widgets.errors import (
    GatedRepoError,
    HubError,
    InvalidTokenError,
    NoGGUFFilesError,
    RepoNotFoundError,
    remember_secret,
)
from hfollama_widgets.gguf.metadata import GGUFMetadata
from hfollama_widgets.hub import batch, fit
from hfollama_widgets.hub.cache import cache_dir_setting
from hfollama_widgets.hub.errors import hub_errors
from hfollama_widgets.hub.http_range import http_timeout, hub_deadline, hub_timeout
from hfollama_widgets.hub.metadata import read_repo_metadata
from hfollama_widgets.hub.repo_info import RepoInfo
from hfollama_widgets.hub.search import SEARCH_EXPAND, search_frame, sort_key
from hfollama_widgets.hub.trees import HubCounters, TreeSource
from hfollama_widgets.listing import fill_effective_bpw, gguf_dataframe, select_row
from hfollama_widgets.refs import validate_repo_id
from hfollama_widgets.repo_input import merge_quantization, repo_id_from_input

if TYPE_CHECKING:
    from hfollama_widgets.hardware import Hardware

__all__ = ["Hub"]

_INFO_EXPAND = [
    "author", "sha", "downloads", "likes", "tags", "gated", "private", "lastModified",
    "createdAt", "pipeline_tag", "gguf", "cardData", "library_name",
]  # fmt: skip
_LIBRARY = "hfollama-widgets"


class Hub:
    """A Hugging Face Hub endpoint plus a token, with the discovery functions as methods.

    Args:
        endpoint: base URL; ``None`` reads ``HF_ENDPOINT`` at each call (default
            ``https://huggingface.co``).
        token: a token string, ``False`` for anonymous requests, ``True`` to require a
            configured token, or ``None`` to let huggingface_hub find one (``HF_TOKEN``, the
            token file). The token is never shown in reprs or error messages.
        timeout: seconds any request (API, tree page, search, Range read) may wait for an
            answer; ``None`` reads ``HFOLLAMA_HUB_TIMEOUT`` (default 20). A timeout raises
            :class:`~hfollama_widgets.errors.HubUnreachableError` naming the URL.

        cache_dir: folder of the persistent listing cache (:mod:`~hfollama_widgets.hub.cache`);
            ``None`` reads ``HFOLLAMA_CACHE_DIR`` (default: ``hfollama-widgets`` in
            huggingface_hub's ``HF_HOME``), ``False`` turns it off.
        revision_ttl: seconds a branch -> commit answer is trusted before one small request
            checks it again (default 300).

    Identical concurrent listings (and header reads) run once and share the answer.

    Listings are kept in memory for the life of the ``Hub`` and on disk by commit sha;
    ``refresh=True`` or :meth:`clear_cache` fetch again. Header reads share one pooled HTTP
    client (:meth:`range_client`; :meth:`close` or ``with Hub(...)`` closes it).

    >>> from hfollama_widgets.testing import FakeHub
    >>> with FakeHub() as fake:  # a local stand-in; Hub() alone talks to huggingface.co
    ...     hub = Hub(endpoint=fake.url, token=False)
    ...     ref, row = hub.auto_select("bartowski/Llama-3.2-1B-Instruct-GGUF", max_size_gb=1.0)
    >>> ref, row["filename"]
    ('hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M', 'Llama-3.2-1B-Instruct-Q4_K_M.gguf')
    """

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | bool | None = None,
        *,
        timeout: float | None = None,
        cache_dir: str | os.PathLike[str] | bool | None = None,
        revision_ttl: float | None = None,
    ) -> None:
        self._endpoint = endpoint.rstrip("/") if endpoint else None
        self._token = token
        self.timeout = hub_timeout(timeout)
        remember_secret(token if isinstance(token, str) else None)
        remember_secret(os.environ.get("HF_TOKEN"))
        self._cache_dir = cache_dir
        self._lock = threading.Lock()
        self._trees = TreeSource(
            self, revision_ttl=non_negative_number("revision_ttl", revision_ttl)
        )
        self._frames: dict[tuple[str, str, str, bool, bool], tuple[pd.DataFrame, int | None]] = {}
        self._infos: dict[tuple[str, str, str | None], RepoInfo] = {}
        self._http: httpx.Client | None = None

    @property
    def endpoint(self) -> str:
        """The base URL requests go to (``HF_ENDPOINT`` is read now when none was given)."""
        if self._endpoint:
            return self._endpoint
        return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")

    def __repr__(self) -> str:
        if isinstance(self._token, str):
            token = "<set>"
        elif self._token is None:
            token = "<from environment>"
        else:
            token = repr(self._token)
        return f"Hub(endpoint={self.endpoint!r}, token={token}, timeout={self.timeout:g})"

    def _api(self) -> HfApi:
        # library_version: without it the User-Agent reads "hfollama-widgets/None".
        return HfApi(
            endpoint=self.endpoint,
            token=self._token,
            library_name=_LIBRARY,
            library_version=__version__,
        )

    def _deadline(self, repo_id: str | None, what: str) -> Any:
        return hub_deadline(self.endpoint, self.timeout, repo_id=repo_id, what=what)

    def _secret(self) -> str | None:
        return self._token if isinstance(self._token, str) else None

    def _errors(self, repo_id: str | None, revision: str | None = None) -> Any:
        return hub_errors(
            endpoint=self.endpoint, repo_id=repo_id, revision=revision, token=self._secret()
        )

    def request_headers(self) -> dict[str, str]:
        """Headers for a raw request to this Hub (``authorization`` when a token resolves)."""
        with self._errors(None):
            headers = build_hf_headers(
                token=self._token, library_name=_LIBRARY, library_version=__version__
            )
        auth = headers.get("authorization", "")
        remember_secret(auth.partition(" ")[2] or None)  # a token found in HF_TOKEN / the file
        return dict(headers)

    def file_url(self, repo_id: str, filename: str, *, revision: str = "main") -> str:
        """The ``resolve`` URL of a file (what HEAD and Range requests go to).

        >>> Hub("https://huggingface.co").file_url("o/M-GGUF", "sub/M-Q4_K_M.gguf")
        'https://huggingface.co/o/M-GGUF/resolve/main/sub/M-Q4_K_M.gguf'
        """
        validate_repo_id(repo_id)
        return f"{self.endpoint}/{repo_id}/resolve/{quote(revision, safe='')}/{quote(filename)}"

    # --- listings -------------------------------------------------------------------------
    def _cache_folder(self) -> Path | None:
        return cache_dir_setting(self._cache_dir)

    @property
    def counters(self) -> HubCounters:
        """Requests sent and listings served from cache so far (what progress bars show)."""
        return self._trees.counters

    def range_client(self) -> httpx.Client:
        """The pooled ``httpx.Client`` this Hub reads GGUF headers with (created on first use;
        connections are kept alive between reads). :meth:`close` closes it."""
        with self._lock:
            if self._http is None or self._http.is_closed:
                self._http = httpx.Client(
                    follow_redirects=True,
                    timeout=http_timeout(self.timeout),
                    limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
                )
            return self._http

    def close(self) -> None:
        """Close the pooled connections (the Hub stays usable: a new pool opens on demand)."""
        with self._lock:
            http, self._http = self._http, None
        if http is not None:
            http.close()

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def list_gguf_files(
        self,
        repo_id: str,
        *,
        revision: str = "main",
        include_sidecars: bool = False,
        refresh: bool = False,
        hardware: Hardware | bool | None = None,
        context_length: int | None = None,
        kv_cache_type: str = "f16",
        parameter_count: bool = True,
    ) -> pd.DataFrame:
        """One row per GGUF file group of the repo, sorted by size (columns: docs/architecture.md).

        One recursive tree request (1000 entries a page; ``Link`` pages followed beyond).
        With ``hardware`` (a :class:`~hfollama_widgets.hardware.Hardware`, or ``True`` to detect
        this machine) the memory-estimate and fit columns of
        :func:`~hfollama_widgets.gguf.add_fit_columns` are added (one header read by Range).
        Raises :class:`~hfollama_widgets.errors.NoGGUFFilesError` when there is no ``.gguf``
        model file, and the Hub errors (not found, gated, revision, unreachable). ``repo_id``
        may be pasted as a Hub URL or ``hf.co/…`` reference (:func:`repo_id_from_input`).

        ``parameter_count`` (default) reads the repo's model info (one request, cached and
        shared with :meth:`model_info`) for the Hub's ``gguf.total``, which gives every row's
        ``effective_bpw``; when that info cannot be had the column stays empty.
        """
        repo_id = repo_id_from_input(repo_id)
        context_length = positive_int("context_length", context_length)
        df, parameters = self._frame(repo_id, revision, include_sidecars, refresh, parameter_count)
        if hardware is not None and hardware is not False:
            df = fit.fit_listing(
                self, df, repo_id, hardware, revision=revision,
                context_length=context_length, kv_cache_type=kv_cache_type,
            )  # fmt: skip
            df = fill_effective_bpw(df, parameters)
        return df

    def _frame(
        self,
        repo_id: str,
        revision: str,
        include_sidecars: bool,
        refresh: bool,
        parameter_count: bool,
    ) -> tuple[pd.DataFrame, int | None]:
        """The finished listing DataFrame and the parameter count it used, memoised per
        (endpoint, repo, revision, sidecars, parameter_count): a hit costs one
        ``DataFrame.copy`` (callers may change their copy freely)."""
        key = (self.endpoint, repo_id, revision, include_sidecars, parameter_count)
        with self._lock:
            hit = None if refresh else self._frames.get(key)
        if hit is not None:
            self._trees.counters.add(cache_hits=1)
            return hit[0].copy(), hit[1]
        entries = self._trees.get(repo_id, revision, refresh)
        parameters = self._parameter_count(repo_id, revision) if parameter_count else None
        df = gguf_dataframe(entries, repo_id, include_sidecars=True, parameters=parameters)
        if not (df["kind"] == "model").any():
            has = ", ".join(
                sorted({p["path"].rsplit(".", 1)[-1] for p in entries if "." in p["path"]})
            )
            raise NoGGUFFilesError(
                f"{repo_id} has no GGUF model files"
                + (f" (its files are: {has})." if has else " (it has no files)."),
                fix="Pick a repo that ships .gguf quantizations (usually named '…-GGUF'); "
                "search_models() lists them.",
                repo_id=repo_id,
            )
        if not include_sidecars:
            df = df[df["kind"] == "model"].reset_index(drop=True)
        with self._lock:
            self._frames[key] = (df, parameters)
        return df.copy(), parameters

    def list_gguf_files_many(
        self, repo_ids: Iterable[str] | pd.DataFrame, **options: Any
    ) -> pd.DataFrame:
        """:meth:`list_gguf_files` for many repos, concurrently, as one DataFrame with a
        ``repo_id`` column and ``error`` / ``error_type`` columns for repos that failed.

        ``repo_ids``: ids, URLs, or the DataFrame :meth:`search_models` returns. Options
        (:func:`hfollama_widgets.hub.batch.list_many`): ``concurrency=8``, ``progress=True``
        (a ``tqdm.auto`` bar), ``include_sidecars``, ``hardware``, ``context_length``,
        ``revision``, ``refresh``, ``errors="row"`` (or ``"raise"``), ``max_rate_limit_wait``.

        >>> from hfollama_widgets.testing import FakeHub
        >>> with FakeHub() as fake:
        ...     repos = ["bartowski/Llama-3.2-1B-Instruct-GGUF", "unsloth/Qwen3-4B-GGUF"]
        ...     df = Hub(fake.url).list_gguf_files_many(repos, progress=False)
        >>> df["repo_id"].nunique(), bool(df["error"].isna().all())
        (2, True)
        """
        return batch.list_many(self, repo_ids, **options)

    def scan(
        self,
        search: str | None = None,
        *,
        author: str | None = None,
        sort: str = "downloads",
        limit: int = 100,
        **options: Any,
    ) -> pd.DataFrame:
        """Search the Hub for GGUF repos (:meth:`search_models`) and list them all
        (:meth:`list_gguf_files_many`, same ``options``): one DataFrame.

        >>> from hfollama_widgets.testing import FakeHub
        >>> with FakeHub() as fake:
        ...     df = Hub(fake.url).scan(author="bartowski", limit=3, progress=False)
        >>> sorted(df["repo_id"].unique())[:1]
        ['bartowski/Llama-3.2-1B-Instruct-GGUF']
        """
        found = self.search_models(search, author=author, sort=sort, limit=limit)
        self.counters.add(requests=1)
        return batch.list_many(self, found, **options)

    def _parameter_count(self, repo_id: str, revision: str) -> int | None:
        """The Hub's ``gguf.total`` for the repo (``None`` when the info cannot be read).

        With the persistent cache on, the listing's sha request brings it (``expand=gguf``) and
        the cache keeps it by commit, so it costs no request of its own. Otherwise the model
        info of the default branch is read, cached under ``revision=None``, the key the
        GGUFBrowser's header uses, so a listing and its header share one request.
        """
        known, total = self._trees.parameters(repo_id, revision)
        if known:  # came with the sha request of the listing (or from the persistent cache)
            return total
        try:
            info = self.model_info(repo_id, revision=None if revision == "main" else revision)
        except HubError:
            return None
        return info.parameters

    def model_info(
        self, repo_id: str, *, revision: str | None = None, refresh: bool = False
    ) -> RepoInfo:
        """Downloads, likes, tags, gated/private, dates, and the Hub's ``gguf`` block."""
        repo_id = repo_id_from_input(repo_id)
        key = (self.endpoint, repo_id, revision)
        with self._lock:
            cached = None if refresh else self._infos.get(key)
        if cached is not None:
            return cached
        with self._errors(repo_id, revision), self._deadline(repo_id, "the repo info"):
            info = self._api().model_info(
                repo_id, revision=revision, expand=cast(Any, _INFO_EXPAND), timeout=self.timeout
            )
        result = RepoInfo.from_model_info(info)
        with self._lock:
            self._infos[key] = result
        return result

    def gguf_metadata(
        self,
        repo_id: str,
        quantization_or_filename: str,
        *,
        revision: str = "main",
        refresh: bool = False,
    ) -> GGUFMetadata:
        """The GGUF header of a repo's file (by quant label or file name), read with HTTP Range
        requests through this Hub (:func:`hfollama_widgets.hub.metadata.read_repo_metadata`).

        When the Hub refuses the bytes, the access check says why, so the error is precise:
        :class:`~hfollama_widgets.errors.GatedRepoError` (pointing at the repo's page on this
        endpoint), :class:`~hfollama_widgets.errors.RepoNotFoundError` (private) or
        :class:`~hfollama_widgets.errors.InvalidTokenError`.

        >>> from hfollama_widgets.testing import FakeHub
        >>> with FakeHub() as fake:
        ...     meta = Hub(fake.url).gguf_metadata("bartowski/Llama-3.2-1B-Instruct-GGUF", "Q4_K_M")
        >>> meta.architecture, meta.block_count
        ('llama', 16)
        """
        repo_id = repo_id_from_input(repo_id)
        try:
            return read_repo_metadata(
                self, repo_id, quantization_or_filename, revision=revision, refresh=refresh
            )
        except GatedRepoError as refused:
            raise self._why_refused(repo_id) or refused from None

    def _why_refused(self, repo_id: str) -> HubError | None:
        """Ask ``auth-check`` why the Hub refused the repo's files (``None``: no clearer answer)."""
        try:
            with self._errors(repo_id), self._deadline(repo_id, "the access check"):
                self._api().auth_check(repo_id)
        except (GatedRepoError, RepoNotFoundError, InvalidTokenError) as exc:
            return exc
        except HubError:
            return None  # the check itself failed (network, 5xx, rate limit): keep the original
        return None

    def search_models(
        self,
        query: str | None = None,
        *,
        author: str | None = None,
        sort: str = "downloads",
        limit: int = 20,
    ) -> pd.DataFrame:
        """GGUF repos matching ``query`` (a substring of the id) and ``author``, best first.

        ``sort``: ``downloads``, ``likes``, ``last_modified``, ``created_at`` or
        ``trending_score`` (always descending). Columns: :data:`SEARCH_COLUMNS`.
        """
        key = sort_key(sort)
        if limit < 1:
            raise ValueError(f"limit must be at least 1 (got {limit})")
        with self._errors(None), self._deadline(None, "the search"):
            models = list(
                self._api().list_models(
                    search=query or None,
                    author=author or None,
                    filter="gguf",
                    sort=cast(Any, key),
                    limit=limit,
                    expand=cast(Any, SEARCH_EXPAND),
                )
            )
        return search_frame(models)

    def auto_select(
        self,
        repo_id: str,
        *,
        quantization: str | None = None,
        max_size_gb: float | None = None,
        revision: str = "main",
        hardware: Hardware | bool | None = None,
        context_length: int | None = None,
        kv_cache_type: str = "f16",
    ) -> tuple[str, pd.Series]:
        """``(model_ref, row)`` of the quant to pull: ``quantization`` if given, else the first
        of the default preference (Q4_K_M first) within ``max_size_gb``; never a split file.

        With ``hardware`` (and no ``quantization``), only quants of the best fit tier for that
        machine are candidates (:func:`~hfollama_widgets.gguf.select_fitting_row`).
        Raises the selection errors of :func:`~hfollama_widgets.listing.select_row`.
        ``repo_id`` may carry the quant as a suffix (``"owner/name:Q4_K_M"``) or be a Hub URL.
        """
        repo_id, quantization = merge_quantization(repo_id, quantization)
        max_size_gb = positive_number("max_size_gb", max_size_gb)
        context_length = positive_int("context_length", context_length)
        df = self.list_gguf_files(repo_id, revision=revision)
        if hardware is not None and hardware is not False and quantization is None:
            row = fit.select_fitting_row(
                self, df, repo_id=repo_id, hardware=hardware, revision=revision,
                context_length=context_length, kv_cache_type=kv_cache_type,
                max_size_gb=max_size_gb,
            )  # fmt: skip
        else:
            row = select_row(
                df, repo_id=repo_id, quantization=quantization, max_size_gb=max_size_gb
            )
        return str(row["model_ref"]), row

    def estimate_memory(
        self,
        repo_id: str,
        quantization_or_filename: str | None = None,
        *,
        revision: str = "main",
        context_length: int | None = None,
        kv_cache_type: str = "f16",
    ) -> dict[str, Any]:
        """:func:`hfollama_widgets.gguf.estimate_memory` for a repo's file: the quant's header is
        read here (the one :meth:`auto_select` picks when none is named).

        >>> from hfollama_widgets.testing import FakeHub
        >>> with FakeHub() as fake:
        ...     est = Hub(fake.url).estimate_memory("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
        ...                                         "Q4_K_M", context_length=8192)
        >>> est["kv_cache_bytes"] / 2**30
        1.0
        """
        repo_id = repo_id_from_input(repo_id)
        if quantization_or_filename is None:
            _, row = self.auto_select(repo_id, revision=revision)
            quantization_or_filename = str(row["filename"])
        meta = self.gguf_metadata(repo_id, quantization_or_filename, revision=revision)
        return gguf.estimate_memory(
            meta, context_length=context_length, kv_cache_type=kv_cache_type
        )

    def clear_cache(self, repo_id: str | None = None) -> None:
        """Forget cached listings (memory and the persistent cache) and infos (of one repo, or
        all)."""
        self._trees.clear(repo_id)
        with self._lock:
            for frame_key in [k for k in self._frames if repo_id is None or k[1] == repo_id]:
                del self._frames[frame_key]
            for info_key in [k for k in self._infos if repo_id is None or k[1] == repo_id]:
                del self._infos[info_key]
