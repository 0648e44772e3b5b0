"""Real GGUF v3 headers for the catalogue's files, and lazily generated file bodies.

A header holds the repo's ``metadata`` KV pairs, ``general.file_type`` from the file's quant
label, ``general.name``, ``split.*`` keys for shards, a tokenizer of ``vocab_size`` tokens
(so a Llama-3 header is several MB, like the real one) and tensor infos derived from the
hyperparameters, with ggml types following the quant. The body is the header followed by
deterministic filler up to the declared size, produced on demand (never held in memory).

>>> from hfollama_widgets.testing.catalogue import load_catalogue
>>> repo = load_catalogue()["bartowski/Llama-3.2-1B-Instruct-GGUF"]
>>> body = file_body(repo, repo.file("Llama-3.2-1B-Instruct-Q4_K_M.gguf"))
>>> body.read(0, 4)
b'GGUF'

Run ``python -m hfollama_widgets.testing.gguf_synth --sync-sizes`` after editing a catalogue
repo's hyperparameters: it rewrites each GGUF file's ``size`` to header + tensor data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gguf import GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, GGUFValueType

from hfollama_widgets.testing import _gguf_layout as layout
from hfollama_widgets.testing._tokens import tokenizer_kvs
from hfollama_widgets.testing.catalogue import (
    CATALOGUE_DIR,
    CatalogueFile,
    CatalogueRepo,
    repo_from_dict,
)
from hfollama_widgets.testing.labels import is_gguf, parse_shard, sidecar_kind

__all__ = [
    "FileBody",
    "GGUFBody",
    "file_body",
    "header_bytes",
    "natural_size",
    "parameter_count",
    "tensor_plan",
]

V = GGUFValueType
_U64 = struct.Struct("<Q")
_ALIGN = GGUF_DEFAULT_ALIGNMENT


# --- serialization -------------------------------------------------------------------------


def _str(s: str) -> bytes:
    b = s.encode("utf-8")
    return _U64.pack(len(b)) + b


def _scalar(value: Any) -> tuple[GGUFValueType, bytes]:
    if isinstance(value, bool):
        return V.BOOL, struct.pack("<?", value)
    if isinstance(value, int):
        if 0 <= value < 2**32:
            return V.UINT32, struct.pack("<I", value)
        return (V.INT64, struct.pack("<q", value)) if value < 0 else (V.UINT64, _U64.pack(value))
    if isinstance(value, float):
        return V.FLOAT32, struct.pack("<f", value)
    if isinstance(value, str):
        return V.STRING, _str(value)
    raise TypeError(f"unsupported GGUF metadata value: {value!r}")


def encode_kv(key: str, value: Any, vtype: GGUFValueType | None = None) -> bytes:
    """One KV pair. JSON ints become u32 (i32 inside arrays), floats f32, lists arrays."""
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"empty GGUF array for {key}")
        first = value[0]
        if isinstance(first, str):
            sub, data = V.STRING, b"".join(_str(v) for v in value)
        elif isinstance(first, float):
            sub, data = V.FLOAT32, struct.pack(f"<{len(value)}f", *value)
        else:
            sub, data = V.INT32, struct.pack(f"<{len(value)}i", *value)
        return _str(key) + struct.pack("<II", V.ARRAY, sub) + _U64.pack(len(value)) + data
    if vtype is not None:
        fmt = {V.UINT16: "<H", V.INT32: "<i", V.UINT32: "<I"}[vtype]
        return _str(key) + struct.pack("<I", vtype) + struct.pack(fmt, value)
    vt, data = _scalar(value)
    return _str(key) + struct.pack("<I", vt) + data


def _pad(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


@dataclass(frozen=True)
class PlannedTensor:
    """A tensor with its ggml type and byte size, as written in the header."""

    name: str
    ne: tuple[int, ...]
    qtype: int
    nbytes: int


def _serialize(kv_blocks: Sequence[bytes], n_kv: int, tensors: Sequence[PlannedTensor]) -> bytes:
    parts = [struct.pack("<IIQQ", GGUF_MAGIC, GGUF_VERSION, len(tensors), n_kv), *kv_blocks]
    offset = 0
    for t in tensors:
        parts.append(_str(t.name) + struct.pack("<I", len(t.ne)))
        parts.append(struct.pack(f"<{len(t.ne)}Q", *t.ne) + struct.pack("<IQ", t.qtype, offset))
        offset += _pad(t.nbytes)
    head = b"".join(parts)
    return head + b"\0" * (_pad(len(head)) - len(head))


# --- plans ---------------------------------------------------------------------------------


def _label(file: CatalogueFile) -> str | None:
    return file.quant or layout.file_label(file.path)


def _model_specs(repo: CatalogueRepo) -> list[layout.TensorSpec]:
    tied = bool(repo.raw.get("tied_embeddings", False))
    return layout.model_tensors(repo.metadata, vocab_size=repo.vocab_size, tied=tied)


def _sidecar_metadata(repo: CatalogueRepo, kind: str) -> dict[str, Any]:
    return dict(repo.raw.get(f"{kind}_metadata", {}))


def tensor_plan(repo: CatalogueRepo, file: CatalogueFile) -> list[PlannedTensor]:
    """Every tensor of the file's group (all shards), with ggml types for its quant."""
    kind = sidecar_kind(file.path, file.size)
    if kind == "mmproj":
        arch = repo.metadata["general.architecture"]
        llm_dim = int(repo.metadata[f"{arch}.embedding_length"])
        specs = layout.clip_tensors(_sidecar_metadata(repo, "mmproj"), llm_dim=llm_dim)
        recipe = layout.recipe_for(_label(file))
    elif kind == "imatrix":
        specs, recipe = layout.imatrix_tensors(_model_specs(repo)), layout.recipe_for("F32")
    else:
        specs, recipe = _model_specs(repo), layout.recipe_for(_label(file))
    n_layer = max((s.layer for s in specs), default=0) + 1
    planned = []
    for spec in specs:
        qtype = layout.tensor_type(spec, recipe, n_layer)
        planned.append(
            PlannedTensor(spec.name, spec.ne, int(qtype), layout.tensor_nbytes(spec.ne, qtype))
        )
    return planned


def parameter_count(repo: CatalogueRepo) -> int:
    """Parameters of the repo's model, summed over the tensor shapes (the Hub's ``gguf.total``)."""
    return sum(s.n_elements for s in _model_specs(repo))


def _shard_slices(plan: Sequence[PlannedTensor], count: int) -> list[list[PlannedTensor]]:
    total = sum(_pad(t.nbytes) for t in plan)
    shards: list[list[PlannedTensor]] = [[] for _ in range(count)]
    acc, k = 0, 0
    for i, t in enumerate(plan):
        left_tensors, left_shards = len(plan) - i, count - k
        if (
            shards[k]
            and k < count - 1
            and (acc >= total * (k + 1) / count or left_tensors <= left_shards - 1)
        ):
            k += 1
        shards[k].append(t)
        acc += _pad(t.nbytes)
    return shards


def _size_label(n: int) -> str:
    return f"{n / 1e9:.0f}B" if n >= 10e9 else f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


def _kv_blocks(repo: CatalogueRepo, file: CatalogueFile, kind: str) -> tuple[list[bytes], int]:
    """The KV pairs of a first shard or single file, serialized, and how many there are."""
    label = _label(file)
    md: dict[str, Any]
    if kind == "mmproj":
        md = {"general.architecture": "clip", "general.type": "mmproj"}
        md |= _sidecar_metadata(repo, "mmproj")
        md["general.file_type"] = layout.FILE_TYPE_CODES.get(label or "F16", 1)
        return [encode_kv(k, v) for k, v in md.items()], len(md)
    if kind == "imatrix":
        md = {"general.type": "imatrix", "imatrix.datasets": ["calibration_datav3.txt"]}
        md |= {"imatrix.chunk_count": 125, "imatrix.chunk_size": 512}
        return [encode_kv(k, v) for k, v in md.items()], len(md)
    md = dict(repo.metadata)
    md.setdefault("general.type", "model")
    md.setdefault("general.name", repo.id.split("/")[1].removesuffix("-GGUF").replace("-", " "))
    md.setdefault("general.size_label", _size_label(parameter_count(repo)))
    code = layout.FILE_TYPE_CODES.get((label or "").removeprefix("UD-"))
    if code is not None:
        md["general.file_type"] = code
    md.setdefault("general.quantization_version", 2)
    ordered = sorted(md.items(), key=lambda kv: (not kv[0].startswith("general."), kv[0]))
    blocks = [encode_kv(k, v) for k, v in ordered if not k.startswith("tokenizer.")]
    tok_scalars = {k: v for k, v in md.items() if k.startswith("tokenizer.")}
    tok, n_tok = _tokenizer_block(repo, tok_scalars)
    return [*blocks, tok], len(blocks) + n_tok


_tok_lock = threading.Lock()
_tok_cache: OrderedDict[tuple[str, str], tuple[bytes, int]] = OrderedDict()


def _tokenizer_block(repo: CatalogueRepo, scalars: Mapping[str, Any]) -> tuple[bytes, int]:
    """All ``tokenizer.*`` KV pairs as one block, and how many pairs it holds (cached)."""
    key = (repo.id, repo.sha)
    with _tok_lock:
        hit = _tok_cache.get(key)
    if hit is None:
        kvs = tokenizer_kvs(
            model=str(scalars.get("tokenizer.ggml.model", "gpt2")),
            vocab_size=repo.vocab_size,
            special={int(k): v for k, v in repo.raw.get("special_tokens", {}).items()},
        )
        items = {**scalars, **kvs}
        if repo.chat_template:
            items["tokenizer.chat_template"] = repo.chat_template
        hit = (b"".join(encode_kv(k, v) for k, v in items.items()), len(items))
        with _tok_lock:
            _tok_cache[key] = hit
            while len(_tok_cache) > 8:
                _tok_cache.popitem(last=False)
    return hit


def _build_header(repo: CatalogueRepo, file: CatalogueFile) -> tuple[bytes, int]:
    """(header bytes, tensor data bytes) for one file."""
    kind = sidecar_kind(file.path, file.size)
    plan = tensor_plan(repo, file)
    shard = parse_shard(file.path)
    tensors = plan if shard is None else _shard_slices(plan, shard.count)[shard.number - 1]
    split = []
    if shard is not None:
        split = [
            encode_kv("split.no", shard.number - 1, V.UINT16),
            encode_kv("split.count", shard.count, V.UINT16),
            encode_kv("split.tensors.count", len(plan), V.INT32),
        ]
    if shard is not None and shard.number > 1:
        blocks, n_kv = split, len(split)
    else:
        blocks, n_kv = _kv_blocks(repo, file, kind)
        blocks, n_kv = blocks + split, n_kv + len(split)
    header = _serialize(blocks, n_kv, tensors)
    return header, sum(_pad(t.nbytes) for t in tensors)


_cache_lock = threading.Lock()
_header_cache: OrderedDict[tuple[str, str, str], tuple[bytes, int]] = OrderedDict()
_CACHE_MAX = 16  # headers of big-vocabulary models weigh several MB each


def _cached(repo: CatalogueRepo, file: CatalogueFile) -> tuple[bytes, int]:
    key = (repo.id, repo.sha, file.path)
    with _cache_lock:
        if key in _header_cache:
            _header_cache.move_to_end(key)
            return _header_cache[key]
    built = _build_header(repo, file)
    with _cache_lock:
        _header_cache[key] = built
        while len(_header_cache) > _CACHE_MAX:
            _header_cache.popitem(last=False)
    return built


def header_bytes(repo: CatalogueRepo, file: CatalogueFile) -> bytes:
    """The GGUF header of a catalogue file (up to the aligned start of tensor data). Cached."""
    if not is_gguf(file.path):
        raise ValueError(f"{file.path} is not a .gguf file")
    return _cached(repo, file)[0]


def natural_size(repo: CatalogueRepo, file: CatalogueFile) -> int:
    """Header plus tensor data: the size a real file with these tensors would have."""
    header, data = _cached(repo, file)
    return len(header) + data


# --- bodies --------------------------------------------------------------------------------


class FileBody(Protocol):
    """What FakeHub streams: ``size`` bytes, read in ranges (``end`` exclusive)."""

    @property
    def size(self) -> int: ...

    def read(self, start: int, end: int) -> bytes: ...


_PATTERN_LEN = 1 << 16


class GGUFBody:
    """``header`` then deterministic filler up to ``size`` bytes, generated on demand."""

    def __init__(self, header: bytes, size: int, *, seed: bytes = b"filler") -> None:
        if size < len(header):
            raise ValueError(f"size {size} is smaller than the {len(header)}-byte header")
        self._header = header
        self._size = size
        self._pattern = hashlib.shake_256(seed).digest(_PATTERN_LEN)

    @property
    def size(self) -> int:
        return self._size

    def read(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)``, clipped to the file."""
        start, end = max(0, start), min(end, self._size)
        if start >= end:
            return b""
        out = bytearray()
        if start < len(self._header):
            out += self._header[start : min(end, len(self._header))]
            start = len(self._header)
        while start < end:
            pos = (start - len(self._header)) % _PATTERN_LEN
            chunk = self._pattern[pos : pos + (end - start)]
            out += chunk
            start += len(chunk)
        return bytes(out)

    def iter_chunks(self, start: int, end: int, chunk: int = 1 << 20) -> Iterable[bytes]:
        """Bytes ``[start, end)`` in chunks (for streaming large bodies)."""
        while start < end:
            yield self.read(start, min(end, start + chunk))
            start += chunk


def file_body(repo: CatalogueRepo, file: CatalogueFile) -> GGUFBody:
    """The body FakeHub serves for any catalogue file (GGUF header + filler, text, or filler)."""
    seed = f"{repo.id}\0{file.path}".encode()
    if file.content is not None:
        return GGUFBody(file.content, len(file.content), seed=seed)
    if is_gguf(file.path):
        return GGUFBody(header_bytes(repo, file), file.size, seed=seed)
    return GGUFBody(b"", file.size, seed=seed)


def sync_sizes(folder: Path) -> list[str]:
    """Rewrite each GGUF file's ``size`` in the JSON files of ``folder``; returns changed paths."""
    changed = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        repo = repo_from_dict(data)
        for entry in data.get("files", []):
            if "path" in entry and is_gguf(entry["path"]) and "content" not in entry:
                f = repo.file(entry["path"])
                assert f is not None
                size = natural_size(repo, f)
                if entry.get("size") != size:
                    entry["size"] = size
                    changed.append(f"{repo.id}/{f.path}")
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m hfollama_widgets.testing.gguf_synth --sync-sizes [FOLDER]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sync-sizes", action="store_true", help="rewrite GGUF sizes")
    parser.add_argument("folder", nargs="?", default=str(CATALOGUE_DIR))
    args = parser.parse_args(argv)
    if args.sync_sizes:
        for item in sync_sizes(Path(args.folder)):
            print("updated", item)


if __name__ == "__main__":
    main()
