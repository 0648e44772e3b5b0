"""Incremental GGUF header parser for a growing byte buffer (pure; no I/O).

``gguf.GGUFReader`` wants the whole file (it memory-maps it); a remote reader only has the first
bytes. :class:`HeaderParser` parses magic, version, counts, key/value pairs (every value type,
nested arrays included) and tensor infos from a buffer that starts at offset 0. When the buffer
runs out it raises :class:`NeedMoreBytes` with the minimum length it needs (and, inside a big
string array, an estimate of where the array ends); call :meth:`HeaderParser.feed` again with a
longer buffer and it resumes at the item it was parsing. Layout: ggml ``docs/gguf.md``.

>>> p = HeaderParser()
>>> p.feed(b"GGUF" + (3).to_bytes(4, "little") + bytes(16))
>>> p.version, p.tensor_count, p.kv
(3, 0, {})
"""

from __future__ import annotations

import struct
from typing import Any

from gguf.constants import (
    GGML_QUANT_SIZES,
    GGUF_DEFAULT_ALIGNMENT,
    GGUF_MAGIC,
    GGMLQuantizationType,
    GGUFValueType,
    LlamaFileType,
)

__all__ = ["BadGGUF", "HeaderParser", "NeedMoreBytes", "file_type_name", "tensor_nbytes"]

KEEP_ARRAY_ITEMS = 1024
"""Arrays longer than this (tokenizer tokens, scores, merges) are skipped, only counted."""

_SCALARS: dict[int, str] = {
    GGUFValueType.UINT8: "B",
    GGUFValueType.INT8: "b",
    GGUFValueType.UINT16: "H",
    GGUFValueType.INT16: "h",
    GGUFValueType.UINT32: "I",
    GGUFValueType.INT32: "i",
    GGUFValueType.FLOAT32: "f",
    GGUFValueType.BOOL: "?",
    GGUFValueType.UINT64: "Q",
    GGUFValueType.INT64: "q",
    GGUFValueType.FLOAT64: "d",
}
# File types gguf-py no longer lists (removed from llama.cpp) but old files still carry.
_OLD_FILE_TYPES = {
    4: "Q4_1_SOME_F16",
    5: "Q4_2",
    6: "Q4_3",
    33: "Q4_0_4_4",
    34: "Q4_0_4_8",
    35: "Q4_0_8_8",
    41: "Q2_0",
}
_KV_GUESS = 64  # bytes of a typical scalar key/value pair (big arrays announce themselves)
_TI_GUESS = 96  # bytes of a typical tensor info ("blk.12.attn_q.weight", 2 dims, type, offset)
_MAX_STRING = 1 << 30
_MAX_COUNT = 1 << 32
_MAX_DIMS = 8


class NeedMoreBytes(Exception):
    """The buffer ended: ``needed`` is the minimum total length; ``hint`` where the header
    probably ends (an estimate from what was parsed so far), if known."""

    def __init__(self, needed: int, hint: int | None = None) -> None:
        super().__init__(f"need at least {needed} bytes")
        self.needed = needed
        self.hint = hint

    def plus(self, rest: int) -> NeedMoreBytes:
        """The same shortfall, with ``rest`` more bytes expected after the current item."""
        return NeedMoreBytes(self.needed, max(self.needed, self.hint or 0) + max(rest, 0))


class BadGGUF(ValueError):
    """The bytes are not a GGUF header (bad magic, unknown version or type, absurd sizes)."""


def file_type_name(code: int | None) -> str | None:
    """The ``general.file_type`` code as a label.

    >>> file_type_name(15), file_type_name(1), file_type_name(33), file_type_name(None)
    ('Q4_K_M', 'F16', 'Q4_0_4_4', None)
    """
    if code is None:
        return None
    if code in _OLD_FILE_TYPES:
        return _OLD_FILE_TYPES[code]
    try:
        name = LlamaFileType(code).name
    except ValueError:
        return f"type {code}"
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def tensor_role(name: str) -> str:
    """What a tensor is for, as the decode-speed ceiling needs it (by llama.cpp's tensor names).

    ``token_embd`` (one row is read per token, unless it doubles as the output layer),
    ``output`` (the LM head), ``experts`` (routed MoE experts, ``*_exps``: only
    ``expert_used_count`` of ``expert_count`` are read per token) or ``other``.

    >>> tensor_role("blk.3.ffn_up_exps.weight"), tensor_role("token_embd.weight")
    ('experts', 'token_embd')
    """
    if name.startswith("token_embd."):
        return "token_embd"
    if name == "output.weight":
        return "output"
    return "experts" if "_exps." in name else "other"


def tensor_nbytes(ggml_type: int, n_elements: int) -> int | None:
    """Bytes a tensor of ``n_elements`` takes in ``ggml_type`` (None for an unknown type).

    >>> tensor_nbytes(8, 4096)  # Q8_0: 34 bytes per block of 32
    4352
    """
    try:
        block, size = GGML_QUANT_SIZES[GGMLQuantizationType(ggml_type)]
    except (ValueError, KeyError):
        return None
    return n_elements // block * size


class HeaderParser:
    """Parse a GGUF header from a buffer that grows; see the module docstring."""

    def __init__(self, keep_array_items: int = KEEP_ARRAY_ITEMS) -> None:
        self.keep_array_items = keep_array_items
        self.version = 0
        self.tensor_count = 0
        self.kv_count = 0
        self.kv: dict[str, Any] = {}
        self.array_lengths: dict[str, int] = {}
        self.parameter_count = 0
        self.tensor_bytes = 0
        self.tensor_types: dict[str, int] = {}
        self.tensor_role_bytes: dict[str, int] = {}
        self.header_end = 0
        self.done = False
        self._pos = 0
        self._stage = 0  # 0 preamble, 1 key/values, 2 tensor infos, 3 done
        self._kv_done = 0
        self._tensors_done = 0
        self._e = "<"
        self._len = "Q"  # width of lengths and counts: u64 (v2, v3) or u32 (v1)
        self._tensors_start = 0

    @property
    def alignment(self) -> int:
        value = self.kv.get("general.alignment")
        if isinstance(value, int) and value > 0 and value & (value - 1) == 0:
            return value
        return GGUF_DEFAULT_ALIGNMENT

    @property
    def data_offset(self) -> int:
        """Where the tensor data starts (end of the header, aligned)."""
        a = self.alignment
        return (self.header_end + a - 1) // a * a

    def feed(self, buf: bytes | bytearray | memoryview) -> None:
        """Parse as far as ``buf`` goes; raises :class:`NeedMoreBytes` or :class:`BadGGUF`."""
        view = memoryview(buf)
        if self._stage == 0:
            self._preamble(view)
        while self._stage == 1 and self._kv_done < self.kv_count:
            start = self._pos
            try:
                key = self._string(view)
                (vtype,) = self._unpack(view, "I")
                value = self._value(view, vtype, key)
            except NeedMoreBytes as more:
                self._pos = start
                rest = (self.kv_count - self._kv_done - 1) * _KV_GUESS + self._tensors_guess(0)
                raise more.plus(rest) from None
            if value is not _SKIPPED:
                self.kv[key] = value
            self._kv_done += 1
        if self._stage == 1:
            self._stage = 2
            self._tensors_start = self._pos
        while self._tensors_done < self.tensor_count:
            start = self._pos
            try:
                self._tensor_info(view)
            except NeedMoreBytes as more:
                self._pos = start
                raise more.plus(self._tensors_guess(1)) from None
            self._tensors_done += 1
        self._stage = 3
        self.header_end = self._pos
        self.done = True

    def _tensors_guess(self, current: int) -> int:
        """Bytes the tensor infos not yet parsed probably take (measured once some are)."""
        done = self._tensors_done
        per = (self._pos - self._tensors_start) / done if done and self._stage == 2 else _TI_GUESS
        return int((self.tensor_count - done - current) * per)

    # --- pieces ----------------------------------------------------------------------------

    def _preamble(self, view: memoryview) -> None:
        if len(view) < 8:
            raise NeedMoreBytes(24)
        (magic,) = struct.unpack_from("<I", view, 0)
        if magic != GGUF_MAGIC:
            raise BadGGUF(f"it starts with {bytes(view[:4])!r}, not b'GGUF'")
        (version,) = struct.unpack_from("<I", view, 4)
        if version & 0xFFFF == 0:  # written big-endian
            self._e = ">"
            (version,) = struct.unpack_from(">I", view, 4)
        if version not in (1, 2, 3):
            raise BadGGUF(f"unsupported GGUF version {version}")
        self.version = version
        self._len = "I" if version == 1 else "Q"
        self._pos = 8
        try:
            (self.tensor_count,) = self._unpack(view, self._len)
            (self.kv_count,) = self._unpack(view, self._len)
        except NeedMoreBytes:
            self._pos = 0
            raise
        if self.tensor_count > _MAX_COUNT or self.kv_count > _MAX_COUNT:
            raise BadGGUF("absurd tensor or key/value count")
        self._stage = 1

    def _unpack(self, view: memoryview, fmt: str) -> tuple[Any, ...]:
        s = struct.Struct(self._e + fmt)
        end = self._pos + s.size
        if end > len(view):
            raise NeedMoreBytes(end)
        out = s.unpack_from(view, self._pos)
        self._pos = end
        return out

    def _string(self, view: memoryview) -> str:
        (n,) = self._unpack(view, self._len)
        if n > _MAX_STRING:
            raise BadGGUF(f"a string of {n} bytes at offset {self._pos}")
        end = self._pos + n
        if end > len(view):
            raise NeedMoreBytes(end)
        text = bytes(view[self._pos : end]).decode("utf-8", errors="replace")
        self._pos = end
        return text

    def _value(self, view: memoryview, vtype: int, key: str) -> Any:
        fmt = _SCALARS.get(vtype)
        if fmt is not None:
            return self._unpack(view, fmt)[0]
        if vtype == GGUFValueType.STRING:
            return self._string(view)
        if vtype == GGUFValueType.ARRAY:
            return self._array(view, key)
        raise BadGGUF(f"unknown value type {vtype} for key {key!r}")

    def _array(self, view: memoryview, key: str | None) -> Any:
        (etype, count) = self._unpack(view, "I" + self._len)
        if count > _MAX_COUNT:
            raise BadGGUF(f"an array of {count} items for key {key!r}")
        keep = count <= self.keep_array_items
        fmt = _SCALARS.get(etype)
        if fmt is not None:
            s = struct.Struct(f"{self._e}{count}{fmt}" if keep else self._e + fmt)
            size = s.size if keep else s.size * count
            end = self._pos + size
            if end > len(view):
                raise NeedMoreBytes(end)
            values = list(s.unpack_from(view, self._pos)) if keep else None
            self._pos = end
        elif etype == GGUFValueType.STRING:
            start = self._pos
            try:
                values = self._string_array(view, count, keep)
            except NeedMoreBytes as more:
                if key != "tokenizer.ggml.tokens":
                    raise
                raise more.plus(
                    self._after_tokens(count, (more.hint or more.needed) - start)
                ) from None
        elif etype == GGUFValueType.ARRAY:
            values = [self._array(view, None) for _ in range(count)]
        else:
            raise BadGGUF(f"unknown array item type {etype} for key {key!r}")
        if keep:
            return values
        if key is not None:
            self.array_lengths[key] = count
        return _SKIPPED

    def _string_array(self, view: memoryview, count: int, keep: bool) -> list[str] | None:
        if keep:
            return [self._string(view) for _ in range(count)]
        # Skip without decoding: only the lengths matter. Estimate the end when bytes run out.
        n_len = struct.Struct(self._e + self._len)
        step, limit = n_len.size, len(view)
        start = pos = self._pos
        for i in range(count):
            if pos + step > limit:
                raise NeedMoreBytes(pos + step, _estimate(start, pos, i, count, step))
            (n,) = n_len.unpack_from(view, pos)
            if n > _MAX_STRING:
                raise BadGGUF(f"a string of {n} bytes at offset {pos}")
            pos += step + n
        if pos > limit:
            raise NeedMoreBytes(pos)
        self._pos = pos
        return None

    def _after_tokens(self, count: int, tokens_bytes: int) -> int:
        """Bytes the other tokenizer arrays (written right after the tokens) probably take.

        llama.cpp writes ``token_type`` (i32 each), then ``scores`` (f32 each) for SentencePiece
        / WordPiece vocabularies or ``merges`` (about as many bytes as the tokens) for BPE.
        Asking for them together with the tokens saves a round trip.
        """
        model = self.kv.get("tokenizer.ggml.model")
        extra = count * 4  # token_type
        if model in ("llama", "bert", "t5", "rwkv"):
            extra += count * 4  # scores
        elif model == "gpt2":
            extra += tokens_bytes  # merges
        return extra

    def _tensor_info(self, view: memoryview) -> None:
        name = self._string(view)
        (n_dims,) = self._unpack(view, "I")
        if n_dims > _MAX_DIMS:
            raise BadGGUF(f"a tensor with {n_dims} dimensions")
        dims = self._unpack(view, f"{n_dims}{self._len}") if n_dims else ()
        (ggml_type, _offset) = self._unpack(view, "IQ")
        n = 1
        for d in dims:
            n *= int(d)
        self.parameter_count += n
        nbytes = tensor_nbytes(ggml_type, n) or 0
        self.tensor_bytes += nbytes
        role = tensor_role(name)
        self.tensor_role_bytes[role] = self.tensor_role_bytes.get(role, 0) + nbytes
        try:
            type_name = GGMLQuantizationType(ggml_type).name
        except ValueError:
            type_name = f"type {ggml_type}"
        self.tensor_types[type_name] = self.tensor_types.get(type_name, 0) + 1


class _Skipped:
    def __repr__(self) -> str:
        return "<skipped array>"


_SKIPPED: Any = _Skipped()


def _estimate(start: int, pos: int, done: int, count: int, step: int) -> int:
    """Where a string array of ``count`` items probably ends, from the ``done`` items seen."""
    per_item = (pos - start) / done if done else step + 8
    return int(pos + (count - done) * per_item * 1.1)  # later tokens tend to be longer
