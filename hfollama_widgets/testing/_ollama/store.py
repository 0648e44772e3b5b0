"""FakeOllama's state: pulled models, blobs (whole or partly downloaded), loaded models.

The JSON shapes of ``/api/tags``, ``/api/ps`` and ``/api/show`` are built here.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hfollama_widgets.testing._ollama import gguf_info
from hfollama_widgets.testing._ollama.names import Name
from hfollama_widgets.testing._ollama.options import parse_keep_alive
from hfollama_widgets.testing._ollama.registry import PROJECTOR_TYPE, Manifest

__all__ = ["ModelRecord", "Store", "capabilities_for", "now_iso", "num_ctx_of", "parse_keep_alive"]

EMBEDDING_FAMILIES = frozenset(
    {"bert", "nomic-bert", "nomic-bert-moe", "xlm-roberta", "xlmroberta", "jina-bert-v2"}
)
GPT_OSS_FAMILIES = frozenset({"gptoss", "gpt-oss"})
DEFAULT_CONTEXT = 4096
_FOREVER = datetime(2318, 1, 1).astimezone()


def now_iso(moment: datetime | None = None) -> str:
    """A timestamp like Go's ``time.Time`` JSON (local time with offset)."""
    return (moment or datetime.now()).astimezone().isoformat()


def capabilities_for(manifest: Manifest, config: dict[str, Any], template: str) -> list[str]:
    """What ``/api/show`` reports, derived from the manifest the way Ollama derives it."""
    families = [str(f).lower() for f in (config.get("model_families") or [])]
    family = str(config.get("model_family") or "").lower()
    embedding = family in EMBEDDING_FAMILIES or any(f in EMBEDDING_FAMILIES for f in families)
    caps = ["embedding"] if embedding else ["completion"]
    if not embedding:
        if ".Tools" in template:  # the template uses the `tools` variable
            caps.append("tools")
        if ".Suffix" in template:
            caps.append("insert")
    if any(layer.media_type == PROJECTOR_TYPE for layer in manifest.layers):
        caps.append("vision")
    # thinking.InferTags finds <think>…</think> around .Thinking; gpt-oss thinks natively.
    if "<think>" in template or family in GPT_OSS_FAMILIES:
        caps.append("thinking")
    return caps


def _parameter_count(model_type: str) -> int:
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMBT]?)\s*", model_type or "", re.IGNORECASE)
    if not match:
        return 0
    scale = {"": 1, "K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}[match.group(2).upper()]
    return int(float(match.group(1)) * scale)


@dataclass
class ModelRecord:
    """A pulled model."""

    name: Name
    manifest: Manifest
    config: dict[str, Any]
    template: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    system: str = ""
    license: str = ""
    modified_at: datetime = field(default_factory=datetime.now)
    header: bytes = b""  # the model blob's GGUF header (b"" when it could not be read)
    projector_header: bytes = b""  # the projector blob's GGUF header, if any

    @property
    def display(self) -> str:
        return self.name.display()

    @property
    def size(self) -> int:
        return sum(layer.size for layer in self.manifest.all_layers())

    @property
    def capabilities(self) -> list[str]:
        return capabilities_for(self.manifest, self.config, self.template)

    @property
    def family(self) -> str:
        return str(self.config.get("model_family") or "")

    @property
    def model_size(self) -> int:
        """Bytes of the model layer (the weights file)."""
        return sum(x.size for x in self.manifest.layers if x.media_type.endswith(".model"))

    def details(self, lengths: bool = False) -> dict[str, Any]:
        """``ModelDetails``; ``lengths`` adds ``context_length``/``embedding_length`` from the
        GGUF header, as /api/tags does since v0.30.0 (api/types.go:822-832,
        server/model_list_cache.go:311-385)."""
        family = self.family
        out: dict[str, Any] = {
            "parent_model": "",
            "format": self.config.get("model_format") or "gguf",
            "family": family,
            "families": list(self.config.get("model_families") or ([family] if family else [])),
            "parameter_size": str(self.config.get("model_type") or ""),
            "quantization_level": str(self.config.get("file_type") or ""),
        }
        if lengths:
            for key, value in (
                ("context_length", gguf_info.context_length(self.header)),
                ("embedding_length", gguf_info.embedding_length(self.header)),
            ):
                if value:  # omitempty
                    out[key] = value
        return out

    def tags_entry(self, capabilities: bool = True) -> dict[str, Any]:
        """An ``/api/tags`` entry (``ListModelResponse``, api/types.go:822-832); ``capabilities``
        since v0.30.0 (server/model_list_cache.go:311-385)."""
        entry: dict[str, Any] = {
            "name": self.display,
            "model": self.display,
            "modified_at": now_iso(self.modified_at),
            "size": self.size,
            "digest": self.manifest.digest,
            "details": self.details(lengths=capabilities),
        }
        if capabilities:
            entry["capabilities"] = self.capabilities
        return entry

    def parameters_text(self) -> str:
        lines = []
        for key, value in self.params.items():
            for item in value if isinstance(value, list) else [value]:
                lines.append(f"{key:<30} {json.dumps(item)}")
        return "\n".join(lines)

    def show(self, verbose: bool = False) -> dict[str, Any]:
        family = self.family or "llama"
        model_layer = next(
            (x for x in self.manifest.layers if x.media_type.endswith(".model")), None
        )
        model_info = gguf_info.model_info(self.header, verbose)
        if not model_info:  # no header read: the three keys every GGUF has
            model_info = {
                "general.architecture": family,
                "general.parameter_count": _parameter_count(
                    str(self.config.get("model_type") or "")
                ),
                "general.quantization_version": 2,
            }
        blob = (model_layer.digest if model_layer else "sha256:0").replace(":", "-")
        modelfile = (
            '# Modelfile generated by "ollama show"\n'
            "# To build a new Modelfile based on this, replace FROM with:\n"
            f"# FROM {self.display}\n\n"
            f"FROM /root/.ollama/models/blobs/{blob}\n"
            f'TEMPLATE """{self.template}"""\n'
        )
        modelfile += "".join(f"PARAMETER {line}\n" for line in self.parameters_text().splitlines())
        out: dict[str, Any] = {
            "modelfile": modelfile,
            "parameters": self.parameters_text(),
            "template": self.template,
            "details": self.details(),
            "model_info": model_info,
            "capabilities": self.capabilities,
            "modified_at": now_iso(self.modified_at),
        }
        tensors = gguf_info.tensors(self.header)
        if tensors:  # ShowResponse.Tensors, omitempty; set with or without verbose (routes.go)
            out["tensors"] = tensors
        if self.system:
            out["system"] = self.system
        if self.license:
            out["license"] = self.license
        if "vision" in out["capabilities"]:
            # getModelData(m.ProjectorPaths[0], verbose), nothing deleted (server/routes.go)
            projector = gguf_info.model_info(self.projector_header, verbose, hidden=())
            out["projector_info"] = projector or {
                "general.architecture": "clip",
                "clip.has_vision_encoder": True,
            }
        return out


@dataclass
class Loaded:
    record: ModelRecord
    expires_at: datetime
    context_length: int = DEFAULT_CONTEXT
    size: int = 0  # weights + KV cache at context_length


def num_ctx_of(options: Any) -> int:
    """The context a request loads with: ``options.num_ctx`` or the default 4096 (Ollama's
    ``defaultNumCtx`` without a GPU of 23 GiB or more, server/routes.go Serve)."""
    value = options.get("num_ctx") if isinstance(options, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return int(value)
    return DEFAULT_CONTEXT


class Store:
    """Everything FakeOllama remembers. All methods are thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._models: dict[str, ModelRecord] = {}
        self._complete: set[str] = set()  # digests fully on "disk"
        self._partial: dict[str, int] = {}  # digest -> bytes downloaded so far
        self._loaded: dict[str, Loaded] = {}
        self._contents: dict[str, bytes] = {}  # small blobs really downloaded (template, ...)
        #: GPU memory the stand-in pretends to have (it has none): ps `size_vram` is
        #: min(size, vram_bytes). Set ``fake.store.vram_bytes`` in a test.
        self.vram_bytes = 0

    # -- models -------------------------------------------------------------------------
    def find(self, name: Name) -> ModelRecord | None:
        with self.lock:
            return self._models.get(name.key())

    def put(self, record: ModelRecord) -> list[str]:
        """Store a pulled model; returns the digests of layers it replaced (now unused)."""
        with self.lock:
            old = self._models.get(record.name.key())
            self._models[record.name.key()] = record
            if old is None:
                return []
            kept = {x.digest for x in record.manifest.all_layers()}
            return [x.digest for x in old.manifest.all_layers() if x.digest not in kept]

    def delete(self, name: Name) -> ModelRecord | None:
        with self.lock:
            record = self._models.pop(name.key(), None)
            self._loaded.pop(name.key(), None)
            if record is not None:
                used = {x.digest for m in self._models.values() for x in m.manifest.all_layers()}
                for layer in record.manifest.all_layers():
                    if layer.digest not in used:
                        self._complete.discard(layer.digest)
                        self._contents.pop(layer.digest, None)
            return record

    def models(self) -> list[ModelRecord]:
        with self.lock:
            return sorted(self._models.values(), key=lambda r: r.modified_at, reverse=True)

    # -- blobs --------------------------------------------------------------------------
    def has_blob(self, digest: str) -> bool:
        with self.lock:
            return digest in self._complete

    def content(self, digest: str) -> bytes | None:
        with self.lock:
            return self._contents.get(digest) if digest in self._complete else None

    def put_content(self, digest: str, data: bytes) -> None:
        with self.lock:
            self._contents[digest] = data
            self._complete.add(digest)
            self._partial.pop(digest, None)

    def progress(self, digest: str) -> int:
        with self.lock:
            return self._partial.get(digest, 0)

    def set_progress(self, digest: str, completed: int, total: int) -> None:
        with self.lock:
            if completed >= total:
                self._partial.pop(digest, None)
                self._complete.add(digest)
            else:
                self._partial[digest] = max(completed, self._partial.get(digest, 0))

    # -- loaded models (ps) -------------------------------------------------------------
    def touch(
        self, record: ModelRecord, keep_alive: float | None, num_ctx: int = DEFAULT_CONTEXT
    ) -> bool:
        """Mark ``record`` loaded with ``num_ctx`` until now + keep_alive; True if it was not
        loaded before (a new ``num_ctx`` reloads it, as Ollama's scheduler does)."""
        with self.lock:
            key = record.name.key()
            was_loaded = key in self._loaded
            if keep_alive == 0:
                self._loaded.pop(key, None)
                return not was_loaded
            expires = (
                _FOREVER if keep_alive is None else datetime.now() + timedelta(seconds=keep_alive)
            )
            old = self._loaded.get(key)
            if old is not None and old.context_length == num_ctx:
                size = old.size
            else:
                weights = record.model_size
                size = (
                    record.size - weights + gguf_info.loaded_size(record.header, weights, num_ctx)
                )
            self._loaded[key] = Loaded(record, expires.astimezone(), num_ctx, size)
            return old is None or old.context_length != num_ctx

    def unload(self, record: ModelRecord) -> None:
        with self.lock:
            self._loaded.pop(record.name.key(), None)

    def running(self) -> list[dict[str, Any]]:
        now = datetime.now().astimezone()
        with self.lock:
            for key in [k for k, v in self._loaded.items() if v.expires_at <= now]:
                del self._loaded[key]
            return [
                {
                    "name": item.record.display,
                    "model": item.record.display,
                    # v.llama.MemorySize(): total (weights + KV cache + ...) and the VRAM part
                    # (server/routes.go PsHandler 2271-2303, api/types.go:835-844)
                    "size": item.size,
                    "digest": item.record.manifest.digest,
                    "details": item.record.details(),
                    "expires_at": now_iso(item.expires_at),
                    "size_vram": min(item.size, max(0, int(self.vram_bytes))),
                    "context_length": item.context_length,  # v.llama.ContextLength()
                }
                # ps lists the most recently expiring first (server/routes.go:2271-2303)
                for item in sorted(self._loaded.values(), key=lambda x: x.expires_at, reverse=True)
            ]
