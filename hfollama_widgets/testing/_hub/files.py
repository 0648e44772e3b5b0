"""FakeHub's file downloads: ``HEAD``/``GET /{repo}/resolve/{rev}/{path}`` and its CDN.

Small (git) files answer 200/206 from ``resolve`` itself. LFS files answer ``302 Found`` to a
signed CDN URL on the same server under another host name (``localhost`` for ``127.0.0.1`` and
back; ``/cdn/{owner}/{name}/{sha256}/{file name}?sig=…``), as the real Hub
redirects LFS/Xet files to its CDN (cas-bridge.xethub.hf.co, cdn-lfs.hf.co). The redirect
carries the headers huggingface_hub's ``get_hf_file_metadata`` reads from it without following
it (file_download.py; constants.py ``HUGGINGFACE_HEADER_X_LINKED_SIZE``/``_X_LINKED_ETAG``/
``_X_REPO_COMMIT``): ``X-Repo-Commit``, ``ETag`` and ``X-Linked-Etag`` (the sha256 in quotes),
``X-Linked-Size``, and a ``Location`` on another host: huggingface_hub 1.33 follows a HEAD
redirect only to the same host name (utils/_http.py ``_is_same_or_hub_host``), and httpx drops
``Authorization`` on a cross-origin redirect, as with the real CDN. The CDN honours ``Range``
(206 with ``Content-Range``, 416 when unsatisfiable) and needs no token (the URL is signed).
Bodies are streamed lazily.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import quote, unquote

from hfollama_widgets.testing._hub.api_routes import check_revision, visible
from hfollama_widgets.testing._hub.http import (
    HubState,
    Request,
    Response,
    gated_error,
    hub_error,
    parse_range,
    repo_not_found,
)
from hfollama_widgets.testing.gguf_synth import FileBody, file_body

_TEXT_SUFFIXES = (".md", ".json", ".txt", ".py", ".gitattributes")
# Signs CDN URLs so a CDN link only exists after an authorised ``resolve`` (the real CDN URLs
# are signed and expire; expiry is not imitated).
_CDN_KEY = secrets.token_bytes(16)


def _cdn_signature(repo_id: str, sha256: str) -> str:
    return hmac.new(_CDN_KEY, f"{repo_id}/{sha256}".encode(), hashlib.sha256).hexdigest()[:32]


def _cdn_base(base_url: str) -> str:
    """The CDN's origin: the same server under its other loopback name (another host to
    clients), or the same origin when FakeHub is reached by any other name."""
    scheme, _, rest = base_url.partition("://")
    host, sep, port = rest.rpartition(":") if rest.count(":") == 1 else (rest, "", "")
    other = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}.get(host.lower(), host)
    return f"{scheme}://{other}{sep}{port}"


def resolve(hub: HubState, req: Request) -> Response:
    """``/{owner}/{name}/resolve/{rev}/{path…}`` (HEAD or GET)."""
    repo = hub.catalogue.get(f"{req.seg(0)}/{req.seg(1)}")
    if repo is None or not visible(repo, req):
        return repo_not_found(req)
    if repo.gated and req.auth != "valid":
        return gated_error(req, repo.id)
    rev = req.seg(3)
    err = check_revision(repo, rev)
    if err:
        return err
    path = unquote("/".join(req.segments[4:]))
    f = repo.file(path)
    if f is None:
        return hub_error(404, "EntryNotFound", "Entry not found")
    name = path.rsplit("/", 1)[-1]
    etag = f'"{f.sha256}"' if f.lfs else f'"{f.oid}"'
    headers = [
        (
            "Content-Type",
            "text/plain; charset=utf-8"
            if name.endswith(_TEXT_SUFFIXES)
            else "application/octet-stream",
        ),
        ("Accept-Ranges", "bytes"),
        ("ETag", etag),
        ("X-Repo-Commit", repo.sha),
        ("Content-Disposition", f"inline; filename*=UTF-8''{quote(name, safe='')}"),
        ("Cache-Control", "public, max-age=3600"),
    ]
    if f.lfs:
        headers += [("X-Linked-Size", str(f.size)), ("X-Linked-Etag", etag)]
        location = (
            f"{_cdn_base(req.base_url)}/cdn/{repo.id}/{f.sha256}/{quote(name, safe='')}"
            f"?sig={_cdn_signature(repo.id, f.sha256)}"
            f"&response-content-disposition={quote(f'inline; filename={name}', safe='')}"
        )
        return Response(302, [*headers, ("Location", location)])
    return _ranged(req, headers, file_body(repo, f), f.size)


def cdn(hub: HubState, req: Request) -> Response:
    """``/cdn/{owner}/{name}/{sha256}/{file name}?sig=…`` (HEAD or GET): an LFS file, Range ok."""
    repo_id = f"{req.seg(1)}/{req.seg(2)}"
    sha256 = req.seg(3)
    repo = hub.catalogue.get(repo_id)
    good = hmac.compare_digest(req.q("sig") or "", _cdn_signature(repo_id, sha256))
    f = next((x for x in repo.files if x.lfs and x.sha256 == sha256), None) if repo else None
    if repo is None or f is None or not good:
        # The CDN's refusal is an S3-style XML 403; only its status matters to clients.
        return Response(403, [("Content-Type", "application/xml")], b"<Error>AccessDenied</Error>")
    disposition = req.q("response-content-disposition") or "inline"
    headers = [
        ("Content-Type", "application/octet-stream"),
        ("Accept-Ranges", "bytes"),
        ("ETag", f'"{f.sha256}"'),
        ("Content-Disposition", disposition),
        ("Cache-Control", "public, max-age=604800, immutable"),
    ]
    return _ranged(req, headers, file_body(repo, f), f.size)


def _ranged(req: Request, headers: list[tuple[str, str]], body: FileBody, size: int) -> Response:
    rng = parse_range(req.headers.get("range"), size)
    if rng == "invalid":
        return Response(416, [*headers, ("Content-Range", f"bytes */{size}")])
    if rng is None:
        return Response(200, headers, stream=(body, 0, size))
    start, end = rng
    headers = [*headers, ("Content-Range", f"bytes {start}-{end - 1}/{size}")]
    return Response(206, headers, stream=(body, start, end))
