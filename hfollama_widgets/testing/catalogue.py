"""The FakeHub catalogue: one JSON file per fake repo, loaded into small dataclasses.

Format (see docs/architecture.md): ``id``, ``author``, ``downloads``, ``likes``, ``private``,
``gated`` (false, "auto" or "manual"), ``tags``, ``pipeline_tag``, ``created_at``,
``last_modified``, ``capabilities``, ``gguf`` (the Hub's expand block), ``metadata`` (GGUF
KV pairs), ``vocab_size``, ``files`` (``{"path", "size"}``, optional ``content`` for small text
files, optional ``lfs``: give it for LFS files whose names the suffix list misses,
e.g. the byte-split parts ``….gguf.part1of2``). Optional: ``sha`` (derived from the content
when absent), ``special_tokens`` (token id -> text), ``tied_embeddings``, ``ollama`` (``template``,
``params``, ``system`` for the registry layers), ``card_data``, ``library_name``.
A file entry may be ``{"generate": {"pattern": "data/{i:05d}.txt", "count": 1200, "size": 64}}``
to stand for many files.

>>> cat = load_catalogue()
>>> cat.get("BARTOWSKI/llama-3.2-1b-instruct-gguf").id
'bartowski/Llama-3.2-1B-Instruct-GGUF'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "CATALOGUE_DIR",
    "Catalogue",
    "CatalogueFile",
    "CatalogueRepo",
    "load_catalogue",
    "synthetic_catalogue",
]

CATALOGUE_DIR = Path(__file__).with_name("catalogue")

# Extensions the real Hub stores with Git LFS (its default .gitattributes) in these repos.
_LFS_SUFFIXES = (
    ".gguf", ".safetensors", ".bin", ".h5", ".msgpack", ".onnx", ".ot", ".imatrix", ".dat",
    ".pt", ".pth", ".ckpt", ".mlmodel", ".tflite", ".npz", ".zip", ".gguf_file",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class CatalogueFile:
    """One file of a fake repo. ``content`` is set for small text files served verbatim."""

    path: str
    size: int
    lfs: bool
    content: bytes | None
    oid: str  # git blob sha1 (40 hex)
    sha256: str  # LFS oid (64 hex); deterministic even for non-LFS files
    quant: str | None = None  # explicit quant label for the GGUF writer (else parsed from path)

    @property
    def pointer_size(self) -> int:
        """Size of the Git LFS pointer file that stands for this file in git."""
        text = "version https://git-lfs.github.com/spec/v1\n"
        text += f"oid sha256:{self.sha256}\nsize {self.size}\n"
        return len(text)


@dataclass(frozen=True, eq=False)
class CatalogueRepo:
    """One fake repo. ``raw`` keeps the JSON object for fields the dataclass does not name."""

    id: str
    author: str
    sha: str
    private: bool
    gated: bool | str
    downloads: int
    likes: int
    tags: tuple[str, ...]
    pipeline_tag: str | None
    library_name: str | None
    created_at: str
    last_modified: str
    capabilities: tuple[str, ...]
    gguf: Mapping[str, Any] | None
    metadata: Mapping[str, Any]
    vocab_size: int
    files: tuple[CatalogueFile, ...]
    raw: Mapping[str, Any] = field(repr=False)

    def file(self, path: str) -> CatalogueFile | None:
        """The file at ``path`` or ``None``."""
        return self._by_path().get(path)

    def _by_path(self) -> dict[str, CatalogueFile]:
        cached = self.__dict__.get("_paths")
        if cached is None:
            cached = {f.path: f for f in self.files}
            object.__setattr__(self, "_paths", cached)
        return cached

    @property
    def directories(self) -> tuple[str, ...]:
        """Every folder that holds a file, sorted (``a``, ``a/b``, ...)."""
        dirs: set[str] = set()
        for f in self.files:
            parts = f.path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        return tuple(sorted(dirs))

    @property
    def chat_template(self) -> str | None:
        """The Jinja chat template (the ``gguf`` block's), if any."""
        return (self.gguf or {}).get("chat_template")

    @property
    def used_storage(self) -> int:
        """Total bytes of all files, as the Hub's ``usedStorage``."""
        return sum(f.size for f in self.files)

    @property
    def object_id(self) -> str:
        """A Mongo-style ``_id`` (24 hex), deterministic."""
        return hashlib.sha1(self.id.encode()).hexdigest()[:24]


class Catalogue(Mapping[str, CatalogueRepo]):
    """Repos by id; lookups are case-insensitive like the Hub's URLs."""

    def __init__(self, repos: Iterable[CatalogueRepo]) -> None:
        self._repos: dict[str, CatalogueRepo] = {}
        for repo in repos:
            key = repo.id.lower()
            if key in self._repos:
                raise ValueError(f"duplicate repo id in catalogue: {repo.id}")
            self._repos[key] = repo

    def __getitem__(self, repo_id: str) -> CatalogueRepo:
        return self._repos[repo_id.lower()]

    def __iter__(self) -> Iterator[str]:
        return (r.id for r in self._repos.values())

    def __len__(self) -> int:
        return len(self._repos)

    def get(self, repo_id: str, default: Any = None) -> Any:
        """The repo (any letter case) or ``default``."""
        return self._repos.get(repo_id.lower(), default)

    @classmethod
    def from_dicts(cls, items: Iterable[Mapping[str, Any]]) -> Catalogue:
        """Build a catalogue from JSON-shaped dicts (handy for tests with ad-hoc repos)."""
        return cls(repo_from_dict(item) for item in items)


def _git_blob_sha1(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _expand_files(entries: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for entry in entries:
        gen = entry.get("generate")
        if gen is None:
            yield entry
            continue
        for i in range(int(gen["count"])):
            yield {"path": str(gen["pattern"]).format(i=i), "size": int(gen.get("size", 64))}


def _file_from_dict(repo_id: str, entry: Mapping[str, Any]) -> CatalogueFile:
    path = str(entry["path"])
    raw_content = entry.get("content")
    content = raw_content.encode() if isinstance(raw_content, str) else None
    size = len(content) if content is not None else int(entry["size"])
    lfs = bool(entry.get("lfs", content is None and (path.lower().endswith(_LFS_SUFFIXES))))
    seed = f"{repo_id}\0{path}".encode()
    sha256 = (
        hashlib.sha256(content).hexdigest()
        if content is not None
        else hashlib.sha256(seed + b"\0lfs").hexdigest()
    )
    oid = _git_blob_sha1(content) if content is not None else hashlib.sha1(seed).hexdigest()
    return CatalogueFile(
        path=path,
        size=size,
        lfs=lfs,
        content=content,
        oid=oid,
        sha256=sha256,
        quant=entry.get("quant"),
    )


def repo_from_dict(data: Mapping[str, Any]) -> CatalogueRepo:
    """Build one :class:`CatalogueRepo` from its JSON object (see the module docstring)."""
    repo_id = str(data["id"])
    files = tuple(_file_from_dict(repo_id, e) for e in _expand_files(data.get("files", [])))
    sha = (
        data.get("sha")
        or hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    )
    gated = data.get("gated", False)
    return CatalogueRepo(
        id=repo_id,
        author=str(data.get("author") or repo_id.split("/")[0]),
        sha=str(sha),
        private=bool(data.get("private", False)),
        gated=gated if isinstance(gated, str) else bool(gated),
        downloads=int(data.get("downloads", 0)),
        likes=int(data.get("likes", 0)),
        tags=tuple(data.get("tags", ())),
        pipeline_tag=data.get("pipeline_tag"),
        library_name=data.get("library_name"),
        created_at=str(data.get("created_at", "2024-01-01T00:00:00.000Z")),
        last_modified=str(
            data.get("last_modified", data.get("created_at", "2024-01-01T00:00:00.000Z"))
        ),
        capabilities=tuple(data.get("capabilities", ())),
        gguf=data.get("gguf"),
        metadata=dict(data.get("metadata", {})),
        vocab_size=int(data.get("vocab_size", 0)),
        files=files,
        raw=data,
    )


def load_catalogue(source: str | Path | None = None) -> Catalogue:
    """Load every ``*.json`` repo of a folder (default: the bundled catalogue).

    The bundled catalogue is loaded once and shared.
    """
    if source is None:
        return _bundled()
    return _load_dir(Path(source))


def _load_dir(folder: Path) -> Catalogue:
    items = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    return Catalogue.from_dicts(items)


@lru_cache(maxsize=1)
def _bundled() -> Catalogue:
    return _load_dir(CATALOGUE_DIR)


def synthetic_catalogue(
    count: int,
    *,
    template: str = "bartowski/Llama-3.2-1B-Instruct-GGUF",
    author: str = "synthetic",
    include_bundled: bool = True,
) -> Catalogue:
    """The bundled catalogue plus ``count`` copies of ``template`` under new ids
    (``synthetic/Model-00001-GGUF``, ...; downloads falling with the number, so a search sorted
    by downloads returns them in order), for benchmarks and tests of many repos.

    >>> cat = synthetic_catalogue(3)
    >>> len(cat) - len(load_catalogue()), cat["synthetic/Model-00002-GGUF"].downloads
    (3, 2)
    """
    base = _bundled()
    source = dict(base[template].raw)
    made = []
    for i in range(1, count + 1):
        repo = {**source, "id": f"{author}/Model-{i:05d}-GGUF", "author": author}
        repo.pop("sha", None)  # derived from the new content: every copy has its own commit
        repo["downloads"] = count - i + 1
        made.append(repo)
    bundled = [r.raw for r in base.values()] if include_bundled else []
    return Catalogue.from_dicts([*bundled, *made])
