"""Header-only GGUF metadata over HTTP ``Range`` requests: know a model before you pull it.

A GGUF file starts with its whole description (key/value metadata, then one entry per tensor:
name, shape, type, offset) and only then the weights. :func:`read_gguf_header` fetches the
first 256 KiB, parses as far as the bytes go, and asks for exactly as much more as the parser
says it needs (tokenizer arrays can take several MB), so it never downloads weights.
:func:`gguf_metadata` does that for a file of a Hub repo, chosen by quantization label or file
name, and caches the result per (endpoint, repo, revision, file).

>>> from hfollama_widgets.testing import FakeHub          # doctest: +SKIP
>>> meta = gguf_metadata("bartowski/Llama-3.2-1B-Instruct-GGUF", "Q4_K_M")  # doctest: +SKIP
>>> meta.architecture, meta.block_count, meta.head_count_kv  # doctest: +SKIP
('llama', 16, 8)
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import pandas as pd

from hfollama_widgets._gguf_header import (
    BadGGUF,
    HeaderParser,
    NeedMoreBytes,
    file_type_name,
)
from hfollama_widgets._http_range import display_name, fetch_range, headers_for
from hfollama_widgets.errors import GGUFParseError, HubError, QuantizationNotFoundError

if TYPE_CHECKING:
    from hfollama_widgets.hub import Hub

__all__ = ["GGUFMetadata", "clear_gguf_cache", "gguf_metadata", "read_gguf_header"]

INITIAL_RANGE = 256 * 1024
"""First request: enough for the whole header of models with small vocabularies."""
SHARD_INITIAL_RANGE = 64 * 1024
"""Later shards of a split file carry no tokenizer: their headers are tensor infos only."""
MAX_PARALLEL_SHARDS = 8
"""Shard headers read at the same time (one connection each)."""
MAX_HEADER_BYTES = 128 * 1024 * 1024
"""Refuse headers larger than this (the largest real ones, 256k-token vocabularies, are ~20 MB)."""

_SHARD_RE = re.compile(r"^(?P<prefix>.*)-(?P<no>\d{5})-of-(?P<total>\d{5})\.gguf$", re.IGNORECASE)


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

    @property
    def is_moe(self) -> bool:
        """True for mixture-of-experts models (``expert_count`` > 1)."""
        return bool(self.expert_count and self.expert_count > 1)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (no ``kv``), e.g. for a widget or a DataFrame row."""
        out = dataclasses.asdict(self)
        out.pop("kv")
        out.pop("array_lengths")
        return out


# --- one URL ------------------------------------------------------------------------------


def read_gguf_header(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    initial_bytes: int = INITIAL_RANGE,
    max_header_bytes: int = MAX_HEADER_BYTES,
) -> GGUFMetadata:
    """Read the GGUF header at ``url`` with HTTP Range requests (redirects followed).

    Starts with ``initial_bytes`` and grows the range to what the parser says it needs.
    Raises :class:`GGUFParseError` for non-GGUF bytes, :class:`GatedRepoError` on 401/403,
    :class:`EntryNotFoundError` (or a more precise Hub error) on 404,
    :class:`HubUnreachableError` when the server cannot be reached.

    >>> meta = read_gguf_header("https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF"
    ...     "/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf")  # doctest: +SKIP
    >>> meta.parameter_count  # doctest: +SKIP
    1235814432
    """
    own = client is None
    http = client or httpx.Client(follow_redirects=True, timeout=httpx.Timeout(30.0, connect=10.0))
    try:
        return _read(http, url, dict(headers or {}), initial_bytes, max_header_bytes)
    finally:
        if own:
            http.close()


def _read(
    http: httpx.Client, url: str, headers: dict[str, str], initial: int, cap: int
) -> GGUFMetadata:
    parser = HeaderParser()
    buf = bytearray()
    file_size: int | None = None
    requests = 0
    want = max(initial, 32)
    name = display_name(url)
    target = url
    while True:
        end = want if file_size is None else min(want, file_size)
        chunk, total, final = fetch_range(http, target, headers, len(buf), end, name)
        if final != target:  # go straight to the redirect target (the CDN) from now on
            headers = headers_for(final, target, headers)
            target = final
        requests += 1
        buf += chunk
        if total is not None:
            file_size = total
        try:
            parser.feed(buf)
            break
        except NeedMoreBytes as more:
            if not chunk or (file_size is not None and len(buf) >= file_size):
                raise GGUFParseError(
                    f"{name} ends after {len(buf)} bytes, inside its GGUF header.",
                    fix="The file is truncated or still uploading; try another file or later.",
                ) from None
            if more.needed > cap:
                raise GGUFParseError(
                    f"The GGUF header of {name} claims more than {cap // 2**20} MiB.",
                    fix="The file is probably corrupt; pick another quantization.",
                ) from None
            want = _next_end(len(buf), more, cap)
        except BadGGUF as bad:
            raise GGUFParseError(
                f"{name} is not a valid GGUF file: {bad}.",
                fix="Check the file name (it must be a .gguf model file), or pick another file.",
            ) from None
    return _to_metadata(parser, file_size=file_size, bytes_read=len(buf), requests=requests)


def _next_end(have: int, more: NeedMoreBytes, cap: int) -> int:
    """Where the next request should end: the parser's estimate of the header end, plus slack."""
    target = max(more.needed, more.hint or 0)
    target += max(32 * 1024, (target - have) // 16)
    return min(target, cap)


def _to_metadata(
    parser: HeaderParser, *, file_size: int | None, bytes_read: int, requests: int
) -> GGUFMetadata:
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


# --- a file of a Hub repo -------------------------------------------------------------------

_cache: dict[tuple[str, str, str, str], GGUFMetadata] = {}
_cache_lock = threading.Lock()


def clear_gguf_cache() -> None:
    """Forget every header read so far (the next :func:`gguf_metadata` call reads again)."""
    with _cache_lock:
        _cache.clear()


def gguf_metadata(
    repo_id: str,
    quantization_or_filename: str,
    *,
    revision: str = "main",
    hub: Hub | None = None,
    refresh: bool = False,
) -> GGUFMetadata:
    """Read the GGUF header of a repo's file, by quantization label (``"Q4_K_M"``) or file name.

    A label is resolved through ``hub.list_gguf_files`` (model files only; for a split group the
    first shard). For split files every shard's header is read (the later ones are tiny) so that
    ``parameter_count`` and ``file_size`` cover the whole model. Results are cached per
    (endpoint, repo, revision, file); ``refresh=True`` reads again.

    >>> from hfollama_widgets.testing import FakeHub
    >>> from hfollama_widgets.hub import Hub
    >>> with FakeHub() as server:                                   # doctest: +SKIP
    ...     meta = gguf_metadata("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "Q4_K_M",
    ...                          hub=Hub(endpoint=server.url))
    >>> meta.block_count, meta.head_count_kv, meta.key_length        # doctest: +SKIP
    (32, 8, 128)
    """
    if hub is None:
        from hfollama_widgets.hub import default_hub

        hub = default_hub()
    filename, files, label = _resolve(hub, repo_id, quantization_or_filename, revision)
    cache_key = (str(hub.endpoint), repo_id, revision, filename)
    if not refresh:
        with _cache_lock:
            hit = _cache.get(cache_key)
        if hit is not None:
            return hit
    headers = dict(hub._auth_headers())
    with httpx.Client(follow_redirects=True, timeout=httpx.Timeout(30.0, connect=10.0)) as http:
        url = hub.file_url(repo_id, filename, revision=revision)
        meta = _with_context(repo_id, lambda: read_gguf_header(url, headers=headers, client=http))
        if meta.split_count > 1:
            meta = _add_shards(hub, http, headers, repo_id, revision, filename, files, meta)
    meta = dataclasses.replace(
        meta,
        filename=filename,
        repo_id=repo_id,
        revision=revision,
        quantization=label or _label_from_filename(filename) or meta.file_type_name,
    )
    with _cache_lock:
        _cache[cache_key] = meta
    return meta


def _add_shards(
    hub: Hub,
    http: httpx.Client,
    headers: dict[str, str],
    repo_id: str,
    revision: str,
    filename: str,
    files: tuple[str, ...],
    first: GGUFMetadata,
) -> GGUFMetadata:
    others = [f for f in files if f != filename] or _sibling_shards(filename)
    params, size = first.parameter_count, first.file_size
    tensors, reads, nbytes = first.tensor_count, first.requests, first.bytes_read
    tensor_bytes = first.tensor_bytes
    types = dict(first.tensor_types)
    urls = [hub.file_url(repo_id, shard, revision=revision) for shard in others]

    def read(url: str) -> GGUFMetadata:
        return _with_context(
            repo_id,
            lambda: read_gguf_header(
                url, headers=headers, client=http, initial_bytes=SHARD_INITIAL_RANGE
            ),
        )

    # The later shards' headers are tiny and independent: read them in parallel.
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_SHARDS, len(urls) or 1)) as pool:
        parts = list(pool.map(read, urls))
    for part in parts:
        params += part.parameter_count
        tensors += part.tensor_count
        tensor_bytes += part.tensor_bytes
        reads += part.requests
        nbytes += part.bytes_read
        size = None if size is None or part.file_size is None else size + part.file_size
        for name, count in part.tensor_types.items():
            types[name] = types.get(name, 0) + count
    return dataclasses.replace(
        first,
        parameter_count=params,
        tensor_count=tensors,
        tensor_bytes=tensor_bytes,
        tensor_types=types,
        file_size=size,
        requests=reads,
        bytes_read=nbytes,
    )


def _sibling_shards(filename: str) -> list[str]:
    match = _SHARD_RE.match(filename)
    if not match:
        return []
    total = int(match["total"])
    names = [f"{match['prefix']}-{i:05d}-of-{match['total']}.gguf" for i in range(1, total + 1)]
    return [n for n in names if n != filename]


def _with_context(repo_id: str, read: Any) -> GGUFMetadata:
    try:
        result: GGUFMetadata = read()
    except HubError as exc:
        if exc.repo_id is None:
            exc.repo_id = repo_id
        raise
    return result


def _resolve(
    hub: Hub, repo_id: str, wanted: str, revision: str
) -> tuple[str, tuple[str, ...], str | None]:
    """(file to read, all files of its group, quantization label) for a label or a file name."""
    if wanted.lower().endswith(".gguf"):
        return wanted, (wanted, *_sibling_shards(wanted)), None
    df = hub.list_gguf_files(repo_id, revision=revision)
    if "kind" in df.columns:
        df = df[df["kind"] == "model"]
    hits = df[_matches(df, wanted)]
    if len(hits):
        row = hits.iloc[0]
        files = tuple(row["files"]) if "files" in row.index else (row["filename"],)
        label = row.get("quantization")
        return str(row["filename"]), files, label if isinstance(label, str) else None
    labels: Any = df["quantization"] if "quantization" in df.columns else ()
    available = ", ".join(q for q in labels if isinstance(q, str)) or "none"
    raise QuantizationNotFoundError(
        f"{repo_id} has no {wanted!r} GGUF file (available: {available}).",
        fix="Pass one of the available labels, or a file name ending in .gguf.",
        repo_id=repo_id,
    )


def _matches(df: pd.DataFrame, wanted: str) -> pd.Series:
    """Rows whose label (aliases understood), Ollama tag or file name is ``wanted``."""
    from hfollama_widgets.quants import canonical_label

    target = (canonical_label(wanted) or wanted.strip()).upper()
    lower = wanted.strip().lower()
    mask = pd.Series(False, index=df.index)
    if "quantization" in df.columns:
        mask |= df["quantization"].map(lambda q: isinstance(q, str) and q.upper() == target)
    if "ollama_tag" in df.columns:
        mask |= df["ollama_tag"].map(lambda t: isinstance(t, str) and t.lower() == lower)
    return mask


def _label_from_filename(filename: str) -> str | None:
    from hfollama_widgets.quants import parse_quant_label

    return parse_quant_label(filename)
