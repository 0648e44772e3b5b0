"""The Hub's HTTP plumbing: deadlines (``HFOLLAMA_HUB_TIMEOUT``, :func:`hub_deadline` for HfApi
calls) and Range reads of the start of a remote file, Hub errors mapped to ours.

Used by :mod:`hfollama_widgets.hub.metadata`. A server that ignores ``Range`` (HTTP 200) is read
only as far as needed and then hung up on, so a whole model file is never downloaded.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar

import httpx
from huggingface_hub.utils import get_session

from hfollama_widgets.errors import (
    EntryNotFoundError,
    GatedRepoError,
    GGUFParseError,
    HubError,
    HubUnreachableError,
    InvalidArgumentError,
    RepoNotFoundError,
    RevisionNotFoundError,
)
from hfollama_widgets.redaction import scrub_exception

__all__ = [
    "DEFAULT_HUB_TIMEOUT",
    "HUB_TIMEOUT_ENV",
    "display_name",
    "fetch_range",
    "headers_for",
    "http_timeout",
    "hub_deadline",
    "hub_timeout",
    "safe_url",
]

HUB_TIMEOUT_ENV = "HFOLLAMA_HUB_TIMEOUT"
"""Seconds any Hub request (API, tree, search, Range read) may wait for an answer or a chunk."""
DEFAULT_HUB_TIMEOUT = 20.0
_CONNECT = 10.0
_SLACK = 64 * 1024


def hub_timeout(value: float | None = None) -> float:
    """The Hub deadline in seconds: ``value``, else ``HFOLLAMA_HUB_TIMEOUT``, else 20.

    >>> hub_timeout(5), hub_timeout(None) == float(os.environ.get(HUB_TIMEOUT_ENV) or 20)
    (5.0, True)
    """
    shown: object
    if value is None:
        raw = os.environ.get(HUB_TIMEOUT_ENV, "").strip()
        if not raw:
            return DEFAULT_HUB_TIMEOUT
        param, shown = HUB_TIMEOUT_ENV, raw
        try:
            seconds = float(raw)
        except ValueError:
            seconds = math.nan
    else:
        param, shown = "timeout", value
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        seconds = float(value) if ok else math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidArgumentError(
            param, shown, "must be a number of seconds > 0",
            fix=f"Pass Hub(timeout=60) or set {HUB_TIMEOUT_ENV}=60.",
        )  # fmt: skip
    return seconds


def http_timeout(seconds: float) -> httpx.Timeout:
    """httpx limits for a Hub deadline: ``seconds`` per read/write/pool wait, connect ≤ 10 s.

    >>> http_timeout(30).as_dict()["connect"], http_timeout(2).as_dict()["connect"]
    (10.0, 2.0)
    """
    return httpx.Timeout(float(seconds), connect=min(float(seconds), _CONNECT))


# huggingface_hub 1.x sends every HfApi request through one shared httpx.Client built with
# timeout=None (huggingface/huggingface_hub src/huggingface_hub/utils/_http.py:
# default_client_factory, get_session), and list_repo_tree / list_models page through
# utils/_pagination.py paginate(..., timeout=None) with no timeout parameter of their own.
# set_client_factory() would change the limit for the whole process, so instead a request
# event hook on that shared client sets the per-request timeout extension (httpx carries
# timeouts as request.extensions["timeout"], docs: python-httpx.org/advanced/extensions) from
# a context variable that only this Hub's calls set; other users of the session are untouched.
_DEADLINE: ContextVar[httpx.Timeout | None] = ContextVar("hfollama_hub_deadline", default=None)
_hook_lock = threading.Lock()


def _apply_deadline(request: httpx.Request) -> None:
    limit = _DEADLINE.get()
    if limit is not None:
        request.extensions = {**request.extensions, "timeout": limit.as_dict()}


def _install_deadline_hook() -> None:
    session = get_session()
    with _hook_lock:
        hooks = session.event_hooks.get("request", [])
        if _apply_deadline not in hooks:
            session.event_hooks = {**session.event_hooks, "request": [*hooks, _apply_deadline]}


@contextlib.contextmanager
def hub_deadline(
    endpoint: str, seconds: float, *, repo_id: str | None, what: str
) -> Iterator[None]:
    """Bound every HfApi request made inside to ``seconds`` (see ``_apply_deadline``); a timeout
    becomes a :class:`HubUnreachableError` naming the URL, the seconds and the fix."""
    _install_deadline_hook()
    token = _DEADLINE.set(http_timeout(seconds))
    started = time.monotonic()
    try:
        yield
    except httpx.TimeoutException as exc:
        try:
            url = safe_url(exc.request.url)
        except RuntimeError:  # no request attached
            url = endpoint
        scrub_exception(exc)  # still our error's __context__: its request holds the token
        raise HubUnreachableError(
            f"The Hugging Face Hub at {url} did not answer {what} within {seconds:g} s "
            f"(waited {time.monotonic() - started:.1f} s, {type(exc).__name__}).",
            fix="Check your network connection and HF_ENDPOINT; on a slow link allow longer: "
            f"Hub(timeout=60) or {HUB_TIMEOUT_ENV}=60.",
            repo_id=repo_id,
        ) from None
    finally:
        _DEADLINE.reset(token)


def safe_url(url: str | httpx.URL) -> str:
    """``url`` without credentials or query (for messages).

    >>> safe_url("https://u:p@hub.example/api/models?search=x")
    'https://hub.example/api/models'
    """
    u = httpx.URL(str(url))
    return str(u.copy_with(username=None, password=None, query=None, fragment=None))


def display_name(url: str) -> str:
    """``file in owner/repo`` for a Hub resolve URL, else the last path segment (no query)."""
    path = httpx.URL(url).path
    if "/resolve/" in path:
        repo, _, rest = path.lstrip("/").partition("/resolve/")
        return f"{rest.partition('/')[2]} in {repo}"
    return path.rsplit("/", 1)[-1] or url


def fetch_range(
    http: httpx.Client, url: str, headers: dict[str, str], start: int, end: int, name: str
) -> tuple[bytes, int | None, str]:
    """GET bytes [start, end) of ``url``.

    Returns (bytes, total file size if the server said, final URL after redirects).
    """
    req_headers = {**headers, "Range": f"bytes={start}-{end - 1}", "Accept-Encoding": "identity"}
    want = end - start
    try:
        with http.stream("GET", url, headers=req_headers) as response:
            if response.status_code == 416:
                if start == 0:
                    raise GGUFParseError(
                        f"{name} is empty.", fix="Pick another file of the repository."
                    )
                return b"", start, str(response.url)
            if response.status_code >= 400:
                response.read()
                raise _http_error(response, name)
            total: int | None = None
            skip = 0
            if response.status_code == 206:
                total = _content_range_total(response.headers.get("Content-Range"))
            else:  # 200: the server ignored Range; read just what we need, then hang up
                skip = start
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
            out = bytearray()
            for part in response.iter_bytes():
                if skip:
                    cut = min(skip, len(part))
                    part, skip = part[cut:], skip - cut
                out += part
                # A 206 is read to its end so the connection can serve the next range (httpx
                # drops a connection whose body was left unread); a 200 (the whole file), or a
                # 206 far longer than asked, is hung up on once we have what we need.
                if len(out) >= want and (response.status_code != 206 or len(out) > want + _SLACK):
                    break
            return bytes(out[:want]), total, str(response.url)
    except httpx.TimeoutException as exc:
        seconds = http.timeout.connect if isinstance(exc, httpx.ConnectTimeout) else None
        seconds = seconds or http.timeout.read
        limit = f"{seconds:g} s" if seconds else "the time allowed"
        raise HubUnreachableError(
            f"The Hub at {safe_url(url)} did not answer within {limit} while reading the "
            f"header of {name} ({type(exc).__name__}).",
            fix="Check your connection (or HF_ENDPOINT) and retry; a slow link needs a longer "
            f"deadline: Hub(timeout=60) or {HUB_TIMEOUT_ENV}=60.",
        ) from None
    except httpx.TransportError as exc:
        raise HubUnreachableError(
            f"Could not reach the Hub to read {name} ({type(exc).__name__}).",
            fix="Check your connection, proxy settings or HF_ENDPOINT, then retry.",
        ) from None


def _content_range_total(value: str | None) -> int | None:
    # "bytes 0-262143/4920734016"
    if not value or "/" not in value:
        return None
    total = value.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None


def _http_error(response: httpx.Response, name: str) -> HubError:
    status = response.status_code
    code = response.headers.get("X-Error-Code", "")
    if code == "GatedRepo" or status in (401, 403):
        return GatedRepoError(
            f"The Hub refused access to {name} (HTTP {status}): the repository is gated or "
            "private.",
            fix="Accept the model's terms on its Hub page and set HF_TOKEN to a token with "
            "read access (or pass Hub(token=...)).",
        )
    if code == "RepoNotFound":
        return RepoNotFoundError(
            f"Repository not found while reading {name}.", fix="Check the repo id spelling."
        )
    if code == "RevisionNotFound":
        return RevisionNotFoundError(
            f"Revision not found while reading {name}.", fix="Check the branch, tag or commit."
        )
    if status == 404:
        return EntryNotFoundError(
            f"{name} does not exist (HTTP 404).",
            fix="List the repository's files with list_gguf_files() and pick one of those.",
        )
    return HubError(
        f"The Hub answered HTTP {status} while reading {name}.",
        fix="Retry later; if it persists, check the Hub status page.",
    )


def headers_for(url: str, original: str, headers: dict[str, str]) -> dict[str, str]:
    """``headers`` to send to ``url`` (a redirect target of ``original``): no credentials when
    the host differs, exactly as httpx does when it follows a cross-origin redirect."""
    a, b = httpx.URL(url), httpx.URL(original)
    if (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port):
        return headers
    return {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")}
