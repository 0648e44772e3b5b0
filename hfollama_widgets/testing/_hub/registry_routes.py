"""The Ollama registry protocol the Hub serves for ``hf.co/{user}/{repo}:{tag}`` pulls.

``GET /v2/{user}/{repo}/manifests/{tag}`` and ``GET /v2/{user}/{repo}/blobs/{digest}``; the
contract with FakeOllama is in docs/architecture.md.

Tags (case-insensitive, hub-docs ``docs/hub/ollama.md``): ``latest`` is Q4_K_M when a single
file has it, else a reasonable single-file quant (the Hub's order is not public); any other tag
must match the END of a file's name without ``.gguf`` (starting after a ``-`` or ``.``), or be
the whole file name. Public reports show the Hub refusing a label that is not at the end:
``…-IQ3_S-imat.gguf`` answers ``:IQ3_S-imat`` but not ``:IQ3_S``
(https://qiita.com/7shi/items/6ea02124c5b25df237c2), and quant-first names
(``Q4_K_M-Model.gguf``) refuse ``:Q4_K_M``. The Hub's code is not public; the ``-``/``.``
boundary is our reading of those reports (the full file name always works).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from hfollama_widgets.testing._hub.api_routes import quote_path
from hfollama_widgets.testing._hub.http import HubState, Request, Response, json_response
from hfollama_widgets.testing.catalogue import CatalogueFile, CatalogueRepo
from hfollama_widgets.testing.labels import hub_label, is_gguf, parse_shard, sidecar_kind

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
# The Hub's current 400 for a tag no file matches (https://qiita.com/7shi/items/6ea02124c5b25df237c2,
# seen as `pull model manifest: 400: {"error":"The specified tag is not available …"}`).
NOT_AVAILABLE = (
    'The specified tag is not available in the repository. Please use another tag or "latest"'
)
# A tag naming a split GGUF, current text (huggingface/hub-docs#2702, 2026-08-13;
# ollama/ollama#14270).
SHARDED = (
    "The specified tag is a sharded GGUF. Ollama does not support this yet. "
    'Please use another tag or "latest". '
    "Follow this issue for more info: https://github.com/ollama/ollama/issues/5245"
)
# A repo whose model GGUFs are all split, for ANY tag (ollama/ollama PR #17743, 2026-08-14: seen
# for the explicit tag `:Q4_0` of owalsh/SmolLM2-135M-Instruct-GGUF-Split).
SPLIT_ONLY = (
    "This repository only contains sharded GGUF files. Ollama does not yet support pulling "
    "sharded GGUF via the registry; please download the shards and merge them locally with "
    "`ollama create` (workaround detailed at https://github.com/ollama/ollama/issues/5245), or "
    "use a repository with single-file quantizations."
)
# A repo with no model GGUF at all: a plain-text 400 body, shown by Ollama as
# `pull model manifest: 400: Repository is not GGUF or is not compatible with llama.cpp`
# (huggingface/hub-docs#1451, 2024-10; no JSON braces in the reported text).
NOT_GGUF = "Repository is not GGUF or is not compatible with llama.cpp"
# The 401 body (ollama/ollama#8045: `pull model manifest: 401: {"error":"Invalid username or
# password."}`) and its challenge: hf.co answers `Www-Authenticate: Bearer
# realm="https://huggingface.co/v2/token"` (ollama/ollama PR #16180, issue #15661), for private,
# gated and, without credentials, missing repos (huggingface_hub utils/_http.py
# hf_raise_for_status: 401 "is returned for private and gated repos if user is not
# authenticated, missing repos"). The realm host is huggingface.co whichever host was asked.
UNAUTHORIZED = "Invalid username or password."
TOKEN_REALM = "https://huggingface.co/v2/token"
CHALLENGE = f'Bearer realm="{TOKEN_REALM}"'
# The order "latest" falls back through when a repo has no single-file Q4_K_M (ours: the Hub's
# order is not public, hub-docs only says "one reasonable quant").
_LATEST = (
    "Q4_K_M", "Q4_K_S", "Q5_K_M", "Q4_0", "Q5_K_S", "IQ4_XS", "IQ4_NL", "Q6_K", "Q8_0",
    "UD-Q4_K_XL", "Q3_K_M", "Q3_K_L", "MXFP4", "MXFP4_MOE", "F16", "BF16",
)  # fmt: skip
_BOUNDARY = "-."


@dataclass(frozen=True)
class Group:
    """A model file or the shards of one split model."""

    files: tuple[CatalogueFile, ...]
    label: str | None

    @property
    def sharded(self) -> bool:
        return len(self.files) > 1 or parse_shard(self.files[0].path) is not None

    @property
    def basename(self) -> str:
        return self.files[0].path.rsplit("/", 1)[-1]

    @property
    def stem(self) -> str:
        """The base name without ``.gguf`` (and without ``-0000N-of-0000M`` for shards)."""
        shard = parse_shard(self.files[0].path)
        name = shard.prefix.rsplit("/", 1)[-1] if shard else self.basename
        return name[:-5] if name.lower().endswith(".gguf") else name

    def answers(self, tag: str) -> bool:
        """True if ``tag`` (lower-case) names this group: the full file name, or the end of
        the name without ``.gguf`` at a separator boundary."""
        stem = self.stem.lower()
        if tag in (stem, self.basename.lower()):
            return True
        return stem.endswith(tag) and stem[-len(tag) - 1] in _BOUNDARY


def model_groups(repo: CatalogueRepo) -> list[Group]:
    """The repo's model GGUFs (sidecars excluded), shards grouped."""
    groups: dict[str, list[CatalogueFile]] = {}
    for f in repo.files:
        if not is_gguf(f.path) or sidecar_kind(f.path, f.size) != "model":
            continue
        shard = parse_shard(f.path)
        groups.setdefault(f"{shard.prefix}\0{shard.count}" if shard else f.path, []).append(f)
    return [Group(tuple(fs), hub_label(fs[0].path)) for fs in groups.values()]


def resolve_tag(repo: CatalogueRepo, tag: str) -> Group | str:
    """The file group a tag names, or the Hub's 400 message."""
    groups = model_groups(repo)
    if not groups:
        return NOT_GGUF
    single = [g for g in groups if not g.sharded]
    if not single:
        return SPLIT_ONLY
    want = tag.lower()
    if want == "latest":
        for label in _LATEST:
            hits = [g for g in single if (g.label or "").upper() == label]
            if hits:
                return min(hits, key=lambda g: len(g.basename))
        return min(single, key=lambda g: g.files[0].size)
    hits = [g for g in groups if g.answers(want)]
    singles = [g for g in hits if not g.sharded]
    if singles:
        return min(singles, key=lambda g: (len(g.basename), g.basename))
    return SHARDED if hits else NOT_AVAILABLE


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _size_label(n: int) -> str:
    if n >= 100e9:
        return f"{n / 1e9:.0f}B"
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


def _layers(repo: CatalogueRepo, group: Group) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """Manifest layers and the small blobs (template, params, system) they point at."""
    blobs: dict[str, bytes] = {}
    f = group.files[0]
    layers = [
        {
            "mediaType": "application/vnd.ollama.image.model",
            "digest": "sha256:" + f.sha256,
            "size": f.size,
        }
    ]
    projectors = [p for p in repo.files if is_gguf(p.path) and sidecar_kind(p.path) == "mmproj"]
    if projectors:
        p = projectors[0]
        layers.append(
            {
                "mediaType": "application/vnd.ollama.image.projector",
                "digest": "sha256:" + p.sha256,
                "size": p.size,
            }
        )
    ollama = dict(repo.raw.get("ollama", {}))
    pieces = [("template", ollama.get("template")), ("system", ollama.get("system"))]
    params = ollama.get("params")
    pieces.append(("params", json.dumps(params, indent=2) if params else None))
    for kind, text in pieces:
        if text:
            data = str(text).encode()
            digest = _digest(data)
            blobs[digest] = data
            layers.append(
                {
                    "mediaType": f"application/vnd.ollama.image.{kind}",
                    "digest": digest,
                    "size": len(data),
                }
            )
    return layers, blobs


def manifest(repo: CatalogueRepo, group: Group) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest for a group and every small blob it references (config included)."""
    layers, blobs = _layers(repo, group)
    arch = (repo.gguf or {}).get("architecture") or repo.metadata.get(
        "general.architecture", "llama"
    )
    config = {
        "model_format": "gguf",
        "model_family": arch,
        "model_families": [arch],
        "model_type": _size_label(int((repo.gguf or {}).get("total") or 0)),
        "file_type": group.label or "unknown",
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [layer["digest"] for layer in layers]},
    }
    config_bytes = json.dumps(config, separators=(",", ":")).encode()
    digest = _digest(config_bytes)
    blobs[digest] = config_bytes
    body = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "digest": digest, "size": len(config_bytes)},
        "layers": layers,
    }
    return body, blobs


def _repo_for(hub: HubState, req: Request) -> CatalogueRepo | Response:
    repo = hub.catalogue.get(f"{req.seg(1)}/{req.seg(2)}")
    if repo is None and req.auth == "valid":
        return json_response({"error": "Repository not found"}, 404)
    if repo is None or ((repo.private or repo.gated) and req.auth != "valid"):
        return json_response({"error": UNAUTHORIZED}, 401, [("WWW-Authenticate", CHALLENGE)])
    return repo


def manifests(hub: HubState, req: Request) -> Response:
    """GET /v2/{user}/{repo}/manifests/{tag}"""
    repo = _repo_for(hub, req)
    if isinstance(repo, Response):
        return repo
    group = resolve_tag(repo, req.seg(4))
    if group == NOT_GGUF:
        return Response(400, [("Content-Type", "text/plain; charset=utf-8")], NOT_GGUF.encode())
    if isinstance(group, str):
        return json_response({"error": group}, 400)
    body, _ = manifest(repo, group)
    data = json.dumps(body, separators=(",", ":")).encode()
    return Response(
        200, [("Content-Type", MANIFEST_TYPE), ("Docker-Content-Digest", _digest(data))], data
    )


def blobs(hub: HubState, req: Request) -> Response:
    """GET /v2/{user}/{repo}/blobs/{digest}: small blobs inline, model files by redirect."""
    repo = _repo_for(hub, req)
    if isinstance(repo, Response):
        return repo
    digest = req.seg(4)
    for f in repo.files:
        if digest == "sha256:" + f.sha256:
            location = f"{req.base_url}/{repo.id}/resolve/{repo.sha}/{quote_path(f.path)}"
            return Response(307, [("Location", location)])
    for group in model_groups(repo):
        _, small = manifest(repo, group)
        if digest in small:
            return Response(200, [("Content-Type", "application/octet-stream")], small[digest])
    return json_response(
        {"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown to registry"}]}, 404
    )
