"""FakeHub's JSON API: model info, tree, paths-info, search, auth-check.

Shapes follow the real Hub (``/api/models/...``) as huggingface_hub 1.x and huggingface.js
read them; see shared/reference/hf-hub-gguf.md §1.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode

from hfollama_widgets.testing._hub.http import (
    HubState,
    Request,
    Response,
    gated_error,
    hub_error,
    json_response,
    repo_not_found,
)
from hfollama_widgets.testing.catalogue import CatalogueFile, CatalogueRepo

EXPAND_PROPERTIES = [
    "author",
    "baseModels",
    "cardData",
    "childrenModelCount",
    "config",
    "createdAt",
    "disabled",
    "downloads",
    "downloadsAllTime",
    "evalResults",
    "gated",
    "gguf",
    "inference",
    "inferenceProviderMapping",
    "lastModified",
    "library_name",
    "likes",
    "mask_token",
    "model-index",
    "pipeline_tag",
    "private",
    "resourceGroup",
    "safetensors",
    "sha",
    "siblings",
    "spaces",
    "tags",
    "transformersInfo",
    "trendingScore",
    "usedStorage",
    "widgetData",
]
_DEFAULT_INFO = [
    "author",
    "sha",
    "lastModified",
    "private",
    "disabled",
    "gated",
    "pipeline_tag",
    "tags",
    "downloads",
    "library_name",
    "likes",
    "createdAt",
    "siblings",
    "usedStorage",
    "gguf",
    "cardData",
    "spaces",
]
_DEFAULT_LIST = [
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
    "modelId",
]
_SORTS = {
    "downloads": "downloads",
    "likes": "likes",
    "lastModified": "last_modified",
    "createdAt": "created_at",
    "trendingScore": "trendingScore",
    "id": "id",
}
TREE_PAGE, TREE_PAGE_EXPANDED, SEARCH_PAGE = 1000, 50, 1000


# --- access ------------------------------------------------------------------------------


def visible(repo: CatalogueRepo | None, req: Request) -> bool:
    """A private repo exists only for a valid token."""
    return repo is not None and (not repo.private or req.auth == "valid")


def lookup(hub: HubState, req: Request, *, gate: bool = False) -> CatalogueRepo | Response:
    """The repo named by segments 2-3 (``/api/models/{owner}/{name}``) or an error response.

    A private repo is invisible without a valid token. Gating restricts only the files' bytes:
    like the real Hub, model info, tree and paths-info of a gated repo are public (so its files
    can be listed without a token); ``gate=True`` (auth-check) enforces access, as ``resolve``
    does.
    """
    repo = hub.catalogue.get(f"{req.seg(2)}/{req.seg(3)}")
    if repo is None or not visible(repo, req):
        return repo_not_found(req)
    if gate and repo.gated and req.auth != "valid":
        return gated_error(req, repo.id)
    return repo


def check_revision(repo: CatalogueRepo, rev: str) -> Response | None:
    """``None`` when ``rev`` names the repo's only commit (main, HEAD, the sha or a prefix)."""
    revisions = {"main", "HEAD", repo.sha, *repo.raw.get("revisions", ())}
    if rev in revisions or (len(rev) >= 7 and repo.sha.startswith(rev)):
        return None
    return hub_error(404, "RevisionNotFound", f"Invalid rev id: {rev}")


# --- JSON shapes -------------------------------------------------------------------------


def sibling(f: CatalogueFile, blobs: bool) -> dict[str, Any]:
    """One ``siblings`` entry (``rfilename``; with ``blobs`` also size, blobId and lfs)."""
    out: dict[str, Any] = {"rfilename": f.path}
    if blobs:
        out |= {"size": f.size, "blobId": f.oid}
        if f.lfs:
            out["lfs"] = {"size": f.size, "sha256": f.sha256, "pointerSize": f.pointer_size}
    return out


def _property(repo: CatalogueRepo, name: str, blobs: bool) -> Any:
    raw = repo.raw
    values: dict[str, Any] = {
        "author": repo.author,
        "modelId": repo.id,
        "sha": repo.sha,
        "lastModified": repo.last_modified,
        "createdAt": repo.created_at,
        "private": repo.private,
        "disabled": False,
        "gated": repo.gated,
        "downloads": repo.downloads,
        "downloadsAllTime": raw.get("downloads_all_time", repo.downloads * 7),
        "likes": repo.likes,
        "library_name": repo.library_name,
        "tags": list(repo.tags),
        "pipeline_tag": repo.pipeline_tag,
        "trendingScore": raw.get("trending_score", repo.likes // 10),
        "usedStorage": repo.used_storage,
        "cardData": raw.get("card_data", {}),
        "spaces": [],
        "baseModels": None,
        "childrenModelCount": 0,
        "widgetData": None,
        "config": {},
        "inference": "warm" if repo.pipeline_tag else None,
    }
    if name == "siblings":
        return [sibling(f, blobs) for f in repo.files]
    if name == "gguf":
        return dict(repo.gguf) if repo.gguf is not None else None
    if name == "safetensors":
        return None
    return values.get(name)


def model_json(repo: CatalogueRepo, props: Iterable[str], *, blobs: bool = False) -> dict[str, Any]:
    """``{"_id", "id", ...props}``; properties that are ``None`` are left out like the Hub does."""
    out: dict[str, Any] = {"_id": repo.object_id, "id": repo.id}
    for name in props:
        value = _property(repo, name, blobs)
        if value is not None:
            out[name] = value
    return out


def _expand_list(req: Request) -> list[str] | Response | None:
    values = req.query.get("expand") or req.query.get("expand[]")
    if not values:
        return None
    bad = [v for v in values if v not in EXPAND_PROPERTIES]
    if bad:
        allowed = ", ".join(f'"{p}"' for p in EXPAND_PROPERTIES)
        return hub_error(400, None, f'"expand" must be one of [{allowed}] (got "{bad[0]}")')
    return list(dict.fromkeys(values))


def tree_entry(repo: CatalogueRepo, f: CatalogueFile, expand: bool) -> dict[str, Any]:
    """A tree / paths-info entry for a file (``lfs`` for LFS files; ``size`` is the real size)."""
    out: dict[str, Any] = {"type": "file", "oid": f.oid, "size": f.size, "path": f.path}
    if f.lfs:
        out["lfs"] = {"oid": f.sha256, "size": f.size, "pointerSize": f.pointer_size}
    if expand:
        out["lastCommit"] = _last_commit(repo)
        out["securityFileStatus"] = {
            "status": "safe",
            "avScan": {"virusFound": False},
            "pickleImportScan": None,
        }
    return out


def dir_entry(repo: CatalogueRepo, path: str, expand: bool) -> dict[str, Any]:
    """A tree entry for a folder."""
    oid = hashlib.sha1(f"{repo.id}\0{path}\0tree".encode()).hexdigest()
    out: dict[str, Any] = {"type": "directory", "oid": oid, "size": 0, "path": path}
    if expand:
        out["lastCommit"] = _last_commit(repo)
    return out


def _last_commit(repo: CatalogueRepo) -> dict[str, str]:
    return {
        "id": repo.sha,
        "title": "Upload folder using huggingface_hub",
        "date": repo.last_modified,
    }


# --- pagination ---------------------------------------------------------------------------


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def _offset(req: Request) -> int:
    raw = req.q("cursor")
    if not raw:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["offset"])
    except (ValueError, KeyError, TypeError):
        return 0


def paginate(req: Request, items: list[Any], page: int) -> Response:
    """One page of ``items`` with a GitHub-style ``Link: <…>; rel="next"`` when more remain."""
    start = _offset(req)
    chunk = items[start : start + page]
    headers = []
    if start + page < len(items):
        query = [(k, v) for k, vs in req.query.items() if k != "cursor" for v in vs]
        query.append(("cursor", _cursor(start + page)))
        url = f"{req.base_url}{req.path}?{urlencode(query)}"
        headers.append(("Link", f'<{url}>; rel="next"'))
    return json_response(chunk, headers=headers)


# --- routes -------------------------------------------------------------------------------


def model_info(hub: HubState, req: Request) -> Response:
    """GET /api/models/{repo}[/revision/{rev}]"""
    repo = lookup(hub, req)
    if isinstance(repo, Response):
        return repo
    if len(req.segments) >= 6 and req.seg(4) == "revision":
        err = check_revision(repo, unquote("/".join(req.segments[5:])))
        if err:
            return err
    expand = _expand_list(req)
    if isinstance(expand, Response):
        return expand
    blobs = req.flag("blobs")
    if expand is None:
        return json_response(model_json(repo, [*_DEFAULT_INFO, "modelId"], blobs=blobs))
    return json_response(model_json(repo, expand, blobs=blobs))


def tree(hub: HubState, req: Request) -> Response:
    """GET /api/models/{repo}/tree/{rev}[/{path}]?recursive=&expand= (public for gated repos)"""
    repo = lookup(hub, req)
    if isinstance(repo, Response):
        return repo
    err = check_revision(repo, req.seg(5))
    if err:
        return err
    prefix = unquote("/".join(req.segments[6:])).strip("/")
    recursive, expand = req.flag("recursive"), req.flag("expand")
    if prefix and prefix not in repo.directories and repo.file(prefix) is None:
        return hub_error(404, "EntryNotFound", f'{prefix} does not exist on "main"')
    base = prefix + "/" if prefix else ""
    entries: list[dict[str, Any]] = []
    for d in repo.directories:
        rest = d[len(base) :] if d.startswith(base) else None
        if rest and (recursive or "/" not in rest):
            entries.append(dir_entry(repo, d, expand))
    for f in repo.files:
        rest = f.path[len(base) :] if f.path.startswith(base) else None
        if rest and (recursive or "/" not in rest):
            entries.append(tree_entry(repo, f, expand))
    entries.sort(key=lambda e: (e["path"].count("/") if not recursive else 0, e["path"]))
    return paginate(req, entries, TREE_PAGE_EXPANDED if expand else TREE_PAGE)


def paths_info(hub: HubState, req: Request) -> Response:
    """POST /api/models/{repo}/paths-info/{rev} (form or JSON ``paths`` + ``expand``)."""
    repo = lookup(hub, req)
    if isinstance(repo, Response):
        return repo
    err = check_revision(repo, req.seg(5))
    if err:
        return err
    ctype = req.headers.get("content-type", "")
    if "json" in ctype:
        payload = json.loads(req.body or b"{}")
        paths, expand = list(payload.get("paths", [])), bool(payload.get("expand", False))
    else:
        form = parse_qs(req.body.decode(), keep_blank_values=True)
        paths = form.get("paths", [])
        expand = (form.get("expand", ["false"])[0]).lower() in ("1", "true")
    out = []
    for p in paths:
        p = p.strip("/")
        f = repo.file(p)
        if f is not None:
            out.append(tree_entry(repo, f, expand))
        elif p in repo.directories:
            out.append(dir_entry(repo, p, expand))
    return json_response(out)


def auth_check(hub: HubState, req: Request) -> Response:
    """GET /api/models/{repo}/auth-check: 401/403 ``GatedRepo`` until access is granted."""
    repo = lookup(hub, req, gate=True)
    return repo if isinstance(repo, Response) else json_response({"ok": True})


def refs(hub: HubState, req: Request) -> Response:
    """GET /api/models/{repo}/refs"""
    repo = lookup(hub, req)
    if isinstance(repo, Response):
        return repo
    branch = {"name": "main", "ref": "refs/heads/main", "targetCommit": repo.sha}
    return json_response({"branches": [branch], "converts": [], "tags": []})


def search(hub: HubState, req: Request) -> Response:
    """GET /api/models?search=&author=&filter=&sort=&direction=&limit=&expand=&full="""
    expand = _expand_list(req)
    if isinstance(expand, Response):
        return expand
    sort = req.q("sort")
    if sort is not None and sort not in _SORTS:
        return hub_error(400, None, f'"sort" must be one of [{", ".join(_SORTS)}]')
    repos = [r for r in hub.catalogue.values() if visible(r, req)]
    for term in req.query.get("search", []):
        repos = [r for r in repos if term.lower() in r.id.lower()]
    if req.q("author"):
        repos = [r for r in repos if r.author.lower() == (req.q("author") or "").lower()]
    for f in req.query.get("filter", []):
        repos = [r for r in repos if f in r.tags or f == r.library_name]
    if req.q("pipeline_tag"):
        repos = [r for r in repos if r.pipeline_tag == req.q("pipeline_tag")]
    key = _SORTS.get(sort or "", "")
    if key:
        descending = req.q("direction", "-1") != "1"
        repos.sort(key=lambda r: (_property(r, sort or "", False), r.id), reverse=descending)
    try:
        limit = int(req.q("limit") or SEARCH_PAGE)
    except ValueError:
        return hub_error(400, None, '"limit" must be a number')
    if expand is not None:
        props = expand
    elif req.flag("full"):
        props = [*_DEFAULT_LIST, "author", "sha", "lastModified", "gated", "disabled", "siblings"]
    else:
        props = _DEFAULT_LIST
    items = [model_json(r, props) for r in repos]
    return paginate(req, items, max(1, min(limit, SEARCH_PAGE)))


def quote_path(path: str) -> str:
    """A repo path for a URL (``/`` kept)."""
    return quote(path, safe="/")
