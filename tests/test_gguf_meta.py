"""GGUF header parsing and Range reading, on bytes we write ourselves with gguf.GGUFWriter.

The parser is checked against gguf's own GGUFReader (which needs the whole file); the HTTP reader
runs against a small Range-capable server on 127.0.0.1 that logs every request.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest

from hfollama_widgets._gguf_header import BadGGUF, HeaderParser, NeedMoreBytes
from hfollama_widgets.errors import (
    EntryNotFoundError,
    GatedRepoError,
    GGUFParseError,
    HubUnreachableError,
)
from hfollama_widgets.gguf_meta import read_gguf_header

Q8_0 = gguf.GGMLQuantizationType.Q8_0

# Tensors as (name, numpy shape, ggml type); parameter count by hand:
#   token_embd 100×16 = 1600, blk.0.attn_q 16×16 = 256, blk.0.attn_k 16×8 = 128 (Q8_0 needs
#   rows of 32: 64×32 = 2048 instead), output_norm 16, blk.1.ffn 4×8×32 = 1024
#   → 1600 + 256 + 2048 + 16 + 1024 = 4944
TENSORS: list[tuple[str, tuple[int, ...], Any]] = [
    ("token_embd.weight", (100, 16), np.float16),
    ("blk.0.attn_q.weight", (16, 16), np.float32),
    ("blk.0.attn_k.weight", (64, 32), Q8_0),
    ("output_norm.weight", (16,), np.float32),
    ("blk.1.ffn_up_exps.weight", (4, 8, 32), np.float16),
]
HAND_PARAMS = 1600 + 256 + 2048 + 16 + 1024


def write_gguf(
    path: Path,
    *,
    vocab: int = 2000,
    endianess: gguf.GGUFEndian = gguf.GGUFEndian.LITTLE,
    tensors: list[tuple[str, tuple[int, ...], Any]] = TENSORS,
) -> bytes:
    """A complete little GGUF file (header + tensor data) of an imaginary 2-layer llama."""
    w = gguf.GGUFWriter(str(path), "llama", endianess=endianess)
    w.add_name("Tiny Test Model")
    w.add_size_label("5K")
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    w.add_context_length(8192)
    w.add_embedding_length(16)
    w.add_block_count(2)
    w.add_feed_forward_length(64)
    w.add_head_count(4)
    w.add_head_count_kv([2, 0])
    w.add_expert_count(4)
    w.add_expert_used_count(2)
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -5)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_int32("test.i32", -(2**31))
    w.add_uint64("test.u64", 2**40 + 3)
    w.add_int64("test.i64", -(2**40))
    w.add_float32("test.f32", 0.5)
    w.add_float64("test.f64", 1.25)
    w.add_bool("test.bool", True)
    w.add_array("test.nested", [[1, 2], [3, 4, 5]])
    w.add_array("test.strings", ["a", "bé", "c"])
    w.add_tokenizer_model("gpt2")
    w.add_token_list([f"token-{i}" for i in range(vocab)])
    w.add_token_scores([float(i) for i in range(vocab)])
    w.add_chat_template("{{ messages }}")
    rng = np.random.default_rng(0)
    for name, shape, dtype in tensors:
        if dtype is Q8_0:
            rows, cols = shape
            raw = rng.integers(0, 255, size=(rows, cols // 32 * 34), dtype=np.uint8)
            w.add_tensor(name, raw, raw_dtype=Q8_0)
        else:
            w.add_tensor(name, rng.standard_normal(shape).astype(dtype))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path.read_bytes()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    path = tmp_path_factory.mktemp("gguf") / "tiny.gguf"
    return path, write_gguf(path)


def parse_growing(data: bytes, step: int) -> tuple[HeaderParser, int]:
    """Feed ``data`` in ``step``-byte increments; returns the parser and how many feeds it took."""
    parser, have, feeds = HeaderParser(), 0, 0
    while True:
        have = min(len(data), have + step)
        feeds += 1
        try:
            parser.feed(data[:have])
            return parser, feeds
        except NeedMoreBytes as more:
            assert more.needed > have  # it never asks for bytes it already has
            assert have < len(data)


# --- the parser ---------------------------------------------------------------------------


def test_parser_agrees_with_gguf_reader(tiny: tuple[Path, bytes]) -> None:
    path, data = tiny
    parser, _ = parse_growing(data, len(data))
    reader = gguf.GGUFReader(path)
    for name, field in reader.fields.items():
        if name.startswith("GGUF."):
            continue
        value = field.contents()
        if name in parser.array_lengths:
            assert parser.array_lengths[name] == len(value)
        elif name == "test.nested":  # GGUFReader.contents() flattens nested arrays
            assert [x for inner in parser.kv[name] for x in inner] == value
        elif isinstance(value, float):
            assert parser.kv[name] == pytest.approx(value)
        else:
            assert parser.kv[name] == value, name
    assert parser.tensor_count == len(reader.tensors)
    assert parser.parameter_count == sum(int(t.n_elements) for t in reader.tensors)
    assert parser.tensor_bytes == sum(int(t.n_bytes) for t in reader.tensors)
    assert parser.data_offset == reader.data_offset


def test_parameter_count_is_the_hand_sum(tiny: tuple[Path, bytes]) -> None:
    parser, _ = parse_growing(tiny[1], 4096)
    assert parser.parameter_count == HAND_PARAMS
    assert parser.tensor_types == {"F16": 2, "F32": 2, "Q8_0": 1}
    # Q8_0: 2048 weights in blocks of 32 × 34 bytes; F16 2 bytes; F32 4 bytes
    assert parser.tensor_bytes == 2048 // 32 * 34 + (1600 + 1024) * 2 + (256 + 16) * 4


@pytest.mark.parametrize("step", [1, 7, 64, 1000, 10**6])
def test_resumes_at_any_split_point(tiny: tuple[Path, bytes], step: int) -> None:
    data = tiny[1]
    whole, _ = parse_growing(data, len(data))
    parser, feeds = parse_growing(data, step)
    assert parser.kv == whole.kv
    assert (
        parser.array_lengths
        == whole.array_lengths
        == {
            "tokenizer.ggml.tokens": 2000,
            "tokenizer.ggml.scores": 2000,
        }
    )
    assert parser.header_end == whole.header_end < len(data)
    if step == 1:
        assert feeds == whole.header_end  # one byte at a time: stops exactly at the header's end


def test_small_arrays_kept_big_ones_counted(tmp_path: Path) -> None:
    data = write_gguf(tmp_path / "v.gguf", vocab=1025)
    parser, _ = parse_growing(data, len(data))
    assert parser.kv["test.strings"] == ["a", "bé", "c"]
    assert parser.kv["test.nested"] == [[1, 2], [3, 4, 5]]
    assert parser.kv["llama.attention.head_count_kv"] == [2, 0]
    assert "tokenizer.ggml.tokens" not in parser.kv
    assert parser.array_lengths["tokenizer.ggml.tokens"] == 1025


def test_string_array_hint_points_near_the_array_end(tmp_path: Path) -> None:
    data = write_gguf(tmp_path / "big.gguf", vocab=50_000)
    parser, have = HeaderParser(), 64 * 1024
    with pytest.raises(NeedMoreBytes) as more:
        parser.feed(data[:have])
    full, _ = parse_growing(data, len(data))
    tokens_end = full.header_end - 50_000 * 4  # the scores array (f32) follows the tokens
    assert more.value.hint is not None
    assert abs(more.value.hint - tokens_end) < 0.1 * tokens_end


def test_big_endian_file(tmp_path: Path) -> None:
    data = write_gguf(tmp_path / "be.gguf", endianess=gguf.GGUFEndian.BIG)
    parser, _ = parse_growing(data, 333)
    assert parser.version == 3
    assert parser.kv["llama.block_count"] == 2
    assert parser.kv["test.u64"] == 2**40 + 3
    assert parser.parameter_count == HAND_PARAMS


def test_version_1_header() -> None:
    # GGUF v1: string lengths, counts, array lengths and dims are u32 (offsets stay u64).
    def s(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("<I", len(raw)) + raw

    kv = s("general.architecture") + struct.pack("<I", 8) + s("llama")
    kv += s("llama.block_count") + struct.pack("<II", 4, 22)
    kv += s("x.arr") + struct.pack("<III", 9, 4, 2) + struct.pack("<ii", 7, 8)
    ti = s("w") + struct.pack("<I", 2) + struct.pack("<II", 3, 5) + struct.pack("<IQ", 0, 0)
    data = b"GGUF" + struct.pack("<III", 1, 1, 3) + kv + ti
    parser, _ = parse_growing(data, 5)
    assert parser.version == 1
    assert parser.kv == {"general.architecture": "llama", "llama.block_count": 22, "x.arr": [7, 8]}
    assert parser.parameter_count == 15
    assert parser.header_end == len(data)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"<!DOCTYPE html><html>" + bytes(100), "not b'GGUF'"),
        (b"GGUF" + struct.pack("<I", 9) + bytes(16), "version 9"),
        (b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1) + b"k" + struct.pack("<I", 99), "type 99"),
    ],
)
def test_bad_bytes(data: bytes, problem: str) -> None:
    with pytest.raises(BadGGUF, match=problem):
        HeaderParser().feed(data)


# --- over HTTP ----------------------------------------------------------------------------


class RangeServer:
    """Serves fixed bytes per path on 127.0.0.1 with Range support and a request log."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.status: dict[str, int] = {}  # path -> forced error status
        self.ignore_range: set[str] = set()
        self.redirects: dict[str, str] = {}
        self.log: list[dict[str, Any]] = []
        self.sent = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.log.append(
                    {
                        "path": self.path,
                        "range": self.headers.get("Range"),
                        "auth": self.headers.get("Authorization"),
                    }
                )
                if self.path in outer.redirects:
                    self.send_response(302)
                    self.send_header("Location", outer.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path in outer.status:
                    self.send_response(outer.status[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = outer.files.get(self.path)
                if data is None:
                    self.send_response(404)
                    self.send_header("X-Error-Code", "EntryNotFound")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                rng = self.headers.get("Range")
                if rng and self.path not in outer.ignore_range:
                    a, b = rng.removeprefix("bytes=").split("-")
                    start, end = int(a), min(int(b), len(data) - 1)
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    body = data[start : end + 1]
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                else:
                    body = data
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for i in range(0, len(body), 65536):
                        self.wfile.write(body[i : i + 65536])
                        outer.sent += min(65536, len(body) - i)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server() -> Iterator[RangeServer]:
    srv = RangeServer()
    yield srv
    srv.close()


def test_reads_small_header_in_one_request(server: RangeServer, tiny: tuple[Path, bytes]) -> None:
    data = tiny[1]
    server.files["/tiny.gguf"] = data
    meta = read_gguf_header(server.url + "/tiny.gguf", headers={"Authorization": "Bearer hf_x"})
    assert meta.requests == 1 == len(server.log)
    assert server.log[0]["range"] == "bytes=0-262143"
    assert server.log[0]["auth"] == "Bearer hf_x"
    assert meta.bytes_read == len(data) == meta.file_size  # file smaller than 256 KiB
    assert meta.architecture == "llama"
    assert meta.parameter_count == HAND_PARAMS
    assert (meta.block_count, meta.head_count, meta.head_count_kv) == (2, 4, [2, 0])
    assert (meta.key_length, meta.value_length) == (4, 4)  # embedding 16 / 4 heads
    assert (meta.context_length, meta.embedding_length, meta.feed_forward_length) == (8192, 16, 64)
    assert (meta.expert_count, meta.expert_used_count, meta.is_moe) == (4, 2, True)
    assert (meta.file_type, meta.file_type_name) == (7, "Q8_0")
    assert meta.has_chat_template and meta.tokenizer_model == "gpt2" and meta.vocab_size == 2000
    assert (meta.name, meta.size_label) == ("Tiny Test Model", "5K")
    assert "tokenizer.ggml.tokens" not in meta.kv


def test_grows_the_range_to_what_the_header_needs(server: RangeServer, tmp_path: Path) -> None:
    data = write_gguf(tmp_path / "big.gguf", vocab=300_000)  # ~3.9 MB of tokenizer
    server.files["/big.gguf"] = data + bytes(20_000_000)  # 20 MB of "weights" behind it
    meta = read_gguf_header(server.url + "/big.gguf")
    header = meta.header_bytes
    assert header > 3_000_000
    assert meta.requests == len(server.log) <= 4
    assert header <= meta.bytes_read <= header * 1.1 + 256 * 1024
    assert server.sent == meta.bytes_read  # the weights were never sent
    starts = [int(r["range"].removeprefix("bytes=").split("-")[0]) for r in server.log]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)  # no byte read twice
    assert meta.file_size == len(data) + 20_000_000
    assert meta.vocab_size == 300_000


def test_server_ignoring_range_is_hung_up_on(server: RangeServer, tmp_path: Path) -> None:
    data = write_gguf(tmp_path / "x.gguf", vocab=10)
    server.files["/x.gguf"] = data + bytes(50_000_000)
    server.ignore_range.add("/x.gguf")
    meta = read_gguf_header(server.url + "/x.gguf")
    assert meta.parameter_count == HAND_PARAMS
    assert meta.bytes_read < 1_000_000
    assert server.sent < 10_000_000  # stopped long before the 50 MB body


def test_follows_redirects(server: RangeServer, tiny: tuple[Path, bytes]) -> None:
    server.files["/cdn/tiny.gguf"] = tiny[1]
    server.redirects["/resolve/tiny.gguf"] = server.url + "/cdn/tiny.gguf"
    meta = read_gguf_header(server.url + "/resolve/tiny.gguf")
    assert meta.parameter_count == HAND_PARAMS
    assert [r["path"] for r in server.log] == ["/resolve/tiny.gguf", "/cdn/tiny.gguf"]


@pytest.mark.parametrize("status", [401, 403])
def test_gated(server: RangeServer, status: int) -> None:
    server.status["/g.gguf"] = status
    with pytest.raises(GatedRepoError) as err:
        read_gguf_header(server.url + "/g.gguf", headers={"Authorization": "Bearer hf_secret123"})
    assert "hf_secret123" not in str(err.value) and "HF_TOKEN" in str(err.value)


def test_missing_file(server: RangeServer) -> None:
    with pytest.raises(EntryNotFoundError, match=r"nope\.gguf"):
        read_gguf_header(server.url + "/nope.gguf")


def test_not_gguf_and_truncated_and_empty(server: RangeServer, tiny: tuple[Path, bytes]) -> None:
    server.files["/page.gguf"] = b"<html>Not a model</html>" * 10
    with pytest.raises(GGUFParseError, match="not a valid GGUF"):
        read_gguf_header(server.url + "/page.gguf")
    server.files["/cut.gguf"] = tiny[1][:500]
    with pytest.raises(GGUFParseError, match="ends after 500 bytes"):
        read_gguf_header(server.url + "/cut.gguf")
    server.files["/empty.gguf"] = b""
    with pytest.raises(GGUFParseError, match="empty"):
        read_gguf_header(server.url + "/empty.gguf")


def test_unreachable() -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(HubUnreachableError, match="Could not reach"):
        read_gguf_header(f"http://127.0.0.1:{port}/m.gguf")
