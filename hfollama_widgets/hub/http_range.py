"""HTTP Range reads of the start of a remote file, Hub errors mapped to ours (no I/O state).

Used by :mod:`hfollama_widgets.hub.metadata`. A server that ignores ``Range`` (HTTP 200) is read
only as far as needed and then hung up on, so a whole model file is never downloaded.
"""

from __future__ import annotations

import httpx

from hfollama_widgets.errors import (
    EntryNotFoundError,
    GatedRepoError,
    GGUFParseError,
    HubError,
    HubUnreachableError,
    RepoNotFoundError,
    RevisionNotFoundError,
)

__all__ = ["display_name", "fetch_range", "headers_for"]


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
                if len(out) >= want:
                    break
            return bytes(out[:want]), total, str(response.url)
    except httpx.TimeoutException as exc:
        raise HubUnreachableError(
            f"Timed out reading the header of {name} ({type(exc).__name__}).",
            fix="Check your connection (or HF_ENDPOINT) and retry.",
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
