"""FakeHub's file downloads: ``HEAD``/``GET /{repo}/resolve/{rev}/{path}`` with Range support.

Headers as huggingface_hub's ``get_hf_file_metadata`` reads them: ``X-Repo-Commit``,
``ETag`` (git sha1, or the sha256 in quotes for LFS files), ``X-Linked-Size`` and
``X-Linked-Etag`` for LFS files, ``Content-Length``, ``Accept-Ranges: bytes``. A ``Range``
answers 206 with ``Content-Range`` (416 when unsatisfiable). Bodies are streamed lazily.
"""

from __future__ import annotations

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
from hfollama_widgets.testing.gguf_synth import file_body

_TEXT_SUFFIXES = (".md", ".json", ".txt", ".py", ".gitattributes")


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
    body = file_body(repo, f)
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
    rng = parse_range(req.headers.get("range"), f.size)
    if rng == "invalid":
        return Response(416, [*headers, ("Content-Range", f"bytes */{f.size}")])
    if rng is None:
        return Response(200, headers, stream=(body, 0, f.size))
    start, end = rng
    headers.append(("Content-Range", f"bytes {start}-{end - 1}/{f.size}"))
    return Response(206, headers, stream=(body, start, end))
