"""What a GGUF header says about a model: :class:`GGUFMetadata`, built from a parsed header.

:func:`metadata_from_parser` turns the raw key/value pairs and tensor infos of a
:class:`~hfollama_widgets.gguf.header.HeaderParser` into named fields (architecture,
context length, attention heads, ...), filling in what the GGUF spec says is implied.

>>> from hfollama_widgets.gguf.header import HeaderParser
>>> p = HeaderParser()
>>> p.feed(b"GGUF" + (3).to_bytes(4, "little") + bytes(16))
>>> meta = metadata_from_parser(p, file_size=None, bytes_read=24, requests=1)
>>> meta.version, meta.architecture, meta.parameter_count
(3, None, 0)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from hfollama_widgets.gguf.header import HeaderParser, file_type_name

__all__ = ["GGUFMetadata", "metadata_from_parser"]


@dataclass(frozen=True)
class GGUFMetadata:
    """What a GGUF header says about a model (``None`` where the header has no such key).

    ``head_count`` / ``head_count_kv`` are an ``int``, or a per-layer ``list`` for models like
    OpenELM. ``key_length`` / ``value_length`` default to ``embedding_length / head_count`` as the
    GGUF spec says. ``kv`` holds every key/value pair except arrays of more than 1024 items (the
    tokenizer's), whose lengths are in ``array_lengths``. ``parameter_count`` is the sum of the
    tensor shapes and ``tensor_bytes`` their size by ggml type (both over all shards of a split
    file). ``header_bytes`` is where the tensor infos
    end; ``bytes_read`` / ``requests`` are what reading it cost (over all shards).
    """

    architecture: str | None
    parameter_count: int
    context_length: int | None
    block_count: int | None
    head_count: int | list[int] | None
    head_count_kv: int | list[int] | None
    key_length: int | None
    value_length: int | None
    embedding_length: int | None
    feed_forward_length: int | list[int] | None
    file_type: int | None
    file_type_name: str | None
    expert_count: int | None
    expert_used_count: int | None
    has_chat_template: bool
    tokenizer_model: str | None
    vocab_size: int | None
    size_label: str | None
    name: str | None
    quantization: str | None
    tensor_count: int
    tensor_bytes: int
    tensor_types: dict[str, int]
    version: int
    alignment: int
    data_offset: int
    header_bytes: int
    file_size: int | None
    bytes_read: int
    requests: int
    split_count: int = 1
    filename: str | None = None
    repo_id: str | None = None
    revision: str | None = None
    kv: dict[str, Any] = field(default_factory=dict, repr=False)
    array_lengths: dict[str, int] = field(default_factory=dict, repr=False)
    tensor_role_bytes: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def is_moe(self) -> bool:
        """True for mixture-of-experts models (``expert_count`` > 1)."""
        return bool(self.expert_count and self.expert_count > 1)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (no ``kv``), e.g. for a widget or a DataFrame row."""
        out = dataclasses.asdict(self)
        out.pop("kv")
        out.pop("array_lengths")
        out.pop("tensor_role_bytes")
        return out


def metadata_from_parser(
    parser: HeaderParser, *, file_size: int | None, bytes_read: int, requests: int
) -> GGUFMetadata:
    """The :class:`GGUFMetadata` of a fully parsed header (and what reading it cost)."""
    kv = parser.kv
    arch = kv.get("general.architecture")
    arch = arch if isinstance(arch, str) else None

    def key(suffix: str) -> Any:
        return kv.get(f"{arch}.{suffix}") if arch else None

    head_count = _int_or_list(key("attention.head_count"))
    embedding = _int(key("embedding_length"))
    first_heads = _first_nonzero(head_count)
    default_head_dim = embedding // first_heads if embedding and first_heads else None
    head_count_kv = _int_or_list(key("attention.head_count_kv"))
    ft = _int(kv.get("general.file_type"))
    model = kv.get("tokenizer.ggml.model")
    tokens = "tokenizer.ggml.tokens"
    vocab = parser.array_lengths.get(tokens)
    if vocab is None and isinstance(kv.get(tokens), list):
        vocab = len(kv[tokens])
    split_count = _int(kv.get("split.count")) or 1
    return GGUFMetadata(
        architecture=arch,
        parameter_count=parser.parameter_count,
        context_length=_int(key("context_length")),
        block_count=_int(key("block_count")),
        head_count=head_count,
        head_count_kv=head_count if head_count_kv is None else head_count_kv,
        key_length=_int(key("attention.key_length")) or default_head_dim,
        value_length=_int(key("attention.value_length")) or default_head_dim,
        embedding_length=embedding,
        feed_forward_length=_int_or_list(key("feed_forward_length")),
        file_type=ft,
        file_type_name=file_type_name(ft),
        expert_count=_int(key("expert_count")),
        expert_used_count=_int(key("expert_used_count")),
        has_chat_template=bool(kv.get("tokenizer.chat_template")),
        tokenizer_model=model if isinstance(model, str) else None,
        vocab_size=vocab,
        size_label=_str(kv.get("general.size_label")),
        name=_str(kv.get("general.name")),
        quantization=file_type_name(ft),
        tensor_count=parser.tensor_count,
        tensor_bytes=parser.tensor_bytes,
        tensor_types=dict(parser.tensor_types),
        version=parser.version,
        alignment=parser.alignment,
        data_offset=parser.data_offset,
        header_bytes=parser.header_end,
        file_size=file_size,
        bytes_read=bytes_read,
        requests=requests,
        split_count=split_count,
        kv=dict(kv),
        array_lengths=dict(parser.array_lengths),
        tensor_role_bytes=dict(parser.tensor_role_bytes),
    )


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def _int_or_list(value: Any) -> int | list[int] | None:
    if isinstance(value, list):
        ints = [_int(v) for v in value]
        return [v if v is not None else 0 for v in ints]
    return _int(value)


def _first_nonzero(value: int | list[int] | None) -> int | None:
    if isinstance(value, list):
        return next((v for v in value if v), None)
    return value or None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
