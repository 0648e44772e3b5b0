"""What FakeOllama reads from a pulled model's GGUF header: ``model_info``, tensors, memory.

Ollama opens the model blob and reports its key/values in ``/api/show``, its
``context_length``/``embedding_length`` in ``/api/tags`` and sizes ``/api/ps`` from them.
FakeOllama fetches the header bytes of the model layer from the registry (a Range request on
the blob, see :meth:`Registry.header`) and parses them here with the project's own parser.

>>> from hfollama_widgets.testing._ollama.gguf_info import model_info
>>> model_info(b"", verbose=False)
{}
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import Any

from hfollama_widgets.gguf.header import BadGGUF, HeaderParser, NeedMoreBytes
from hfollama_widgets.gguf.memory import estimate_memory
from hfollama_widgets.gguf.metadata import metadata_from_parser

__all__ = ["context_length", "embedding_length", "loaded_size", "model_info", "parse_header"]

#: server/routes.go (ollama/ollama fb30760) ~1396-1621 GetModelInfo: `delete(kvData,
#: "general.name")`, `delete(kvData, "tokenizer.chat_template")`.
HIDDEN_KEYS = frozenset({"general.name", "tokenizer.chat_template"})
#: routes.go getModelData: without `verbose`, arrays longer than 5 items are sent as `[]`
#: (`len(t) > 5` -> `[]any{}`); with it, every item (maxArraySize -1).
SHORT_ARRAY = 5
_ALL_ITEMS = 1 << 31


class _TensorParser(HeaderParser):
    """A :class:`HeaderParser` that also keeps each tensor's name, type and shape."""

    def __init__(self, keep_array_items: int) -> None:
        super().__init__(keep_array_items)
        self.tensors: list[dict[str, Any]] = []

    def _tensor_info(self, view: memoryview) -> None:
        start = self._pos
        name = self._string(view)
        (n_dims,) = self._unpack(view, "I")
        dims = self._unpack(view, f"{n_dims}{self._len}") if 0 < n_dims <= 8 else ()
        (ggml_type, _offset) = self._unpack(view, "IQ")
        self._pos = start
        super()._tensor_info(view)
        self.tensors.append({"name": name, "type": ggml_type, "shape": [int(d) for d in dims]})


@functools.lru_cache(maxsize=16)
def parse_header(header: bytes, keep_array_items: int = SHORT_ARRAY) -> _TensorParser | None:
    """The parsed header, or ``None`` when ``header`` is empty, cut short or not GGUF.

    Cached (a bytes object keeps its hash), so /api/tags and /api/ps do not re-parse a
    several-MB header per call. Callers must not modify the result.
    """
    if not header:
        return None
    parser = _TensorParser(keep_array_items)
    try:
        parser.feed(header)
    except (NeedMoreBytes, BadGGUF):
        return None
    return parser


def _type_name(ggml_type: int) -> str:
    from gguf.constants import GGMLQuantizationType

    try:
        return GGMLQuantizationType(ggml_type).name
    except ValueError:
        return str(ggml_type)


def model_info(
    header: bytes, verbose: bool, hidden: Collection[str] = HIDDEN_KEYS
) -> dict[str, Any]:
    """``/api/show``'s ``model_info`` (routes.go ~1396-1621): every key but :data:`HIDDEN_KEYS`;
    arrays over 5 items empty unless ``verbose``."""
    parser = parse_header(header, _ALL_ITEMS if verbose else SHORT_ARRAY)
    if parser is None:
        return {}
    info = {k: v for k, v in parser.kv.items() if k not in hidden}
    for key in parser.array_lengths:  # arrays the parser skipped (over 5 items)
        if key not in hidden:
            info[key] = []
    # fs/ggml/gguf.go Decode: "patch KV with parameter count", the sum of the tensors'
    # elements, replacing whatever the file says.
    info["general.parameter_count"] = parser.parameter_count
    return dict(sorted(info.items()))


def tensors(header: bytes) -> list[dict[str, Any]]:
    """``/api/show`` ``tensors`` (api/types.go Tensor: name, type, shape). GetModelInfo sets
    them with or without ``verbose`` (server/routes.go, ``resp.Tensors = tensorData``)."""
    parser = parse_header(header)
    if parser is None:
        return []
    return [
        {"name": t["name"], "type": _type_name(t["type"]), "shape": t["shape"]}
        for t in parser.tensors
    ]


def _arch_key(header: bytes, suffix: str) -> int | None:
    parser = parse_header(header)
    if parser is None:
        return None
    value = parser.kv.get(f"{parser.kv.get('general.architecture')}.{suffix}")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def context_length(header: bytes) -> int | None:
    """``{arch}.context_length`` (what /api/tags reports since v0.30.0)."""
    return _arch_key(header, "context_length")


def embedding_length(header: bytes) -> int | None:
    """``{arch}.embedding_length``."""
    return _arch_key(header, "embedding_length")


def loaded_size(header: bytes, file_size: int, num_ctx: int) -> int:
    """Bytes a loaded model takes: weights + KV cache (+ recurrent state) at ``num_ctx``.

    Ollama's ps ``size`` is the runner's memory estimate, KV cache included (routes.go
    2271-2303, api/types.go:835-844); the estimate here is
    :func:`hfollama_widgets.gguf.memory.estimate_memory`. Falls back to the file size.
    """
    parser = parse_header(header)
    if parser is None:
        return file_size
    meta = metadata_from_parser(parser, file_size=file_size, bytes_read=len(header), requests=1)
    est = estimate_memory(meta, context_length=num_ctx, file_size=file_size)
    kv = est.get("kv_cache_bytes")
    if not isinstance(kv, int | float):
        return file_size
    return int(file_size + kv + (est.get("recurrent_state_bytes") or 0))
