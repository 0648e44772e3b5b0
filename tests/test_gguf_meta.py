"""GGUF header parsing and Range reading, on bytes we write ourselves with gguf.GGUFWriter.

The parser is checked against gguf's own GGUFReader (which needs the whole file); the HTTP reader
runs against a small Range-capable server on 127.0.0.1 that logs every request.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest

from hfollama_widgets.errors import (
    EntryNotFoundError,
    GatedRepoError,
    GGUFParseError,
    HubUnreachableError,
)
from hfollama_widgets.gguf.header import BadGGUF, HeaderParser, NeedMoreBytes
from hfollama_widgets.hub.metadata import read_gguf_header

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
    w.add_tokenizer_model("llama")  # SentencePiece: tokens, scores, token types
    w.add_token_list([f"token-{i}" for i in range(vocab)])
    w.add_token_scores([float(i) for i in range(vocab)])
    w.add_token_types([1] * vocab)
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


@pytest.mark.parametrize("step", [7, 64, 1000, 10**6])
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
            "tokenizer.ggml.token_type": 2000,
        }
    )
    assert parser.header_end == whole.header_end < len(data)
    assert feeds == -(-whole.header_end // step) or step >= len(data)


def test_stops_exactly_at_the_header_end(tmp_path: Path) -> None:
    data = write_gguf(tmp_path / "small.gguf", vocab=10)
    parser, feeds = parse_growing(data, 1)  # one byte at a time
    assert feeds == parser.header_end < len(data)
    assert parser.kv["llama.block_count"] == 2 and parser.parameter_count == HAND_PARAMS


def test_small_arrays_kept_big_ones_counted(tmp_path: Path) -> None:
    data = write_gguf(tmp_path / "v.gguf", vocab=1025)
    parser, _ = parse_growing(data, len(data))
    assert parser.kv["test.strings"] == ["a", "bé", "c"]
    assert parser.kv["test.nested"] == [[1, 2], [3, 4, 5]]
    assert parser.kv["llama.attention.head_count_kv"] == [2, 0]
    assert "tokenizer.ggml.tokens" not in parser.kv
    assert parser.array_lengths["tokenizer.ggml.tokens"] == 1025


def test_hint_points_near_the_header_end(tmp_path: Path) -> None:
    # Out of bytes inside the tokens: the hint adds the scores and token types that follow.
    data = write_gguf(tmp_path / "big.gguf", vocab=50_000)
    parser, have = HeaderParser(), 64 * 1024
    with pytest.raises(NeedMoreBytes) as more:
        parser.feed(data[:have])
    full, _ = parse_growing(data, len(data))
    assert more.value.needed <= have + 64
    assert more.value.hint is not None
    assert abs(more.value.hint - full.header_end) < 0.1 * full.header_end


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
    assert meta.has_chat_template and meta.tokenizer_model == "llama" and meta.vocab_size == 2000
    assert (meta.name, meta.size_label) == ("Tiny Test Model", "5K")
    assert "tokenizer.ggml.tokens" not in meta.kv


def test_grows_the_range_to_what_the_header_needs(server: RangeServer, tmp_path: Path) -> None:
    data = write_gguf(tmp_path / "big.gguf", vocab=150_000)  # ~3.5 MB of tokenizer
    server.files["/big.gguf"] = data + bytes(20_000_000)  # 20 MB of "weights" behind it
    meta = read_gguf_header(server.url + "/big.gguf")
    header = meta.header_bytes
    assert header > 3_000_000
    assert meta.vocab_size == 150_000
    assert meta.requests == len(server.log) == 2  # 256 KiB, then the estimated rest
    assert header <= meta.bytes_read <= header * 1.1 + 256 * 1024
    assert server.sent == meta.bytes_read  # the weights were never sent
    starts = [int(r["range"].removeprefix("bytes=").split("-")[0]) for r in server.log]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)  # no byte read twice
    assert meta.file_size == len(data) + 20_000_000


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


def test_later_ranges_go_to_the_cdn_without_the_token(server: RangeServer, tmp_path: Path) -> None:
    cdn = RangeServer()  # another origin, like cdn-lfs.hf.co
    try:
        cdn.files["/blob"] = write_gguf(tmp_path / "big.gguf", vocab=100_000) + bytes(1000)
        server.redirects["/resolve/big.gguf"] = cdn.url + "/blob"
        meta = read_gguf_header(
            server.url + "/resolve/big.gguf", headers={"Authorization": "Bearer hf_tok123456"}
        )
    finally:
        cdn.close()
    assert meta.requests >= 2 and meta.vocab_size == 100_000
    assert [(r["path"], r["auth"]) for r in server.log] == [
        ("/resolve/big.gguf", "Bearer hf_tok123456")
    ]
    assert len(cdn.log) == meta.requests  # every range after the first went straight there
    assert all(r["auth"] is None for r in cdn.log)


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


# --- against FakeHub (real HTTP, synthesized catalogue headers) -----------------------------

LLAMA8 = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"


@pytest.fixture(scope="module")
def hub_server() -> Iterator[Any]:
    """A FakeHub of our own: these tests clear and read its request log."""
    from hfollama_widgets.testing import FakeHub

    with FakeHub() as srv:
        yield srv


@pytest.fixture()
def hub(hub_server: Any) -> Any:
    from hfollama_widgets.hub import Hub
    from hfollama_widgets.hub.metadata import clear_gguf_cache

    clear_gguf_cache()
    hub_server.clear_requests()
    return Hub(endpoint=hub_server.url, token=False)


def settled(srv: Any, expected: int | None = None) -> list[dict[str, Any]]:
    """The request log once the server's handler threads have logged (they log after sending)."""
    deadline = time.monotonic() + 3
    log = srv.requests
    while time.monotonic() < deadline:
        time.sleep(0.05)
        again = srv.requests
        if len(again) == len(log) and (expected is None or len(again) >= expected):
            return again
        log = again
    return log


def range_reads(log: list[dict[str, Any]], filename: str) -> list[dict[str, Any]]:
    """GETs of ``filename`` that returned bytes (FakeHub's ``resolve`` redirects LFS files to
    its CDN with a 302; the CDN path ends with the file name too)."""
    return [
        r
        for r in log
        if r["path"].endswith("/" + filename) and r["method"] == "GET" and r["status"] != 302
    ]


def test_llama3_8b_header_by_label(hub: Any, hub_server: Any) -> None:
    from hfollama_widgets.hub import gguf_metadata

    row = hub.list_gguf_files(LLAMA8).set_index("quantization").loc["Q4_K_M"]
    hub_server.clear_requests()
    meta = gguf_metadata(LLAMA8, "q4_k_m", hub=hub)  # case-insensitive label
    assert meta.filename == row["filename"] and meta.quantization == "Q4_K_M"
    assert (meta.repo_id, meta.revision) == (LLAMA8, "main")
    assert meta.architecture == "llama"
    assert (meta.block_count, meta.head_count, meta.head_count_kv) == (32, 32, 8)
    assert (meta.key_length, meta.value_length, meta.embedding_length) == (128, 128, 4096)
    assert meta.context_length == 131072 and meta.vocab_size == 128256
    assert meta.file_type_name == "Q4_K_M" and meta.file_type == 15
    assert meta.has_chat_template and meta.tokenizer_model == "gpt2"
    assert meta.expert_count is None and not meta.is_moe
    total = hub_server.catalogue.get(LLAMA8).gguf["total"]
    assert meta.parameter_count == pytest.approx(total, rel=0.01)
    assert meta.file_size == row["size_bytes"]
    assert meta.filename is not None and meta.file_size is not None

    reads = range_reads(settled(hub_server, meta.requests), meta.filename)
    assert len(reads) == meta.requests == 2
    assert all(r["range"] and r["status"] == 206 for r in reads)
    assert sum(r["bytes"] for r in reads) == meta.bytes_read
    assert meta.header_bytes <= meta.bytes_read <= 1.15 * meta.header_bytes + 256 * 1024
    assert meta.bytes_read < 0.002 * meta.file_size  # a header, never the weights


def test_second_call_is_cached(hub: Any, hub_server: Any) -> None:
    from hfollama_widgets.hub import gguf_metadata

    first = gguf_metadata(LLAMA8, "Q8_0", hub=hub)
    settled(hub_server)
    hub_server.clear_requests()
    assert gguf_metadata(LLAMA8, "Q8_0", hub=hub) is first
    assert settled(hub_server) == []
    again = gguf_metadata(LLAMA8, "Q8_0", hub=hub, refresh=True)
    assert again == first and again is not first
    assert first.filename is not None
    assert len(range_reads(settled(hub_server, 2), first.filename)) == first.requests


def test_per_layer_kv_heads_openelm(hub: Any, hub_server: Any) -> None:
    from hfollama_widgets.hub import gguf_metadata

    repo = "bartowski/OpenELM-270M-Instruct-GGUF"
    declared = hub_server.catalogue.get(repo).metadata
    meta = gguf_metadata(repo, "Q4_K_M", hub=hub)
    assert meta.architecture == "openelm"
    assert isinstance(meta.head_count_kv, list) and len(meta.head_count_kv) == meta.block_count
    assert meta.head_count_kv == list(declared["openelm.attention.head_count_kv"])
    assert meta.head_count == list(declared["openelm.attention.head_count"])


@pytest.mark.parametrize(
    ("repo", "arch", "experts", "used"),
    [
        ("unsloth/Qwen3-30B-A3B-GGUF", "qwen3moe", 128, 8),
        ("ggml-org/gpt-oss-20b-GGUF", "gpt-oss", 32, 4),
    ],
)
def test_moe(hub: Any, hub_server: Any, repo: str, arch: str, experts: int, used: int) -> None:
    from hfollama_widgets.hub import gguf_metadata

    filename = hub.list_gguf_files(repo).iloc[0]["filename"]
    meta = gguf_metadata(repo, filename, hub=hub)
    assert meta.architecture == arch and meta.is_moe
    assert (meta.expert_count, meta.expert_used_count) == (experts, used)
    total = hub_server.catalogue.get(repo).gguf["total"]
    assert meta.parameter_count == pytest.approx(total, rel=0.01)
    assert meta.requests <= 3


def test_split_group_reads_every_shard_header(hub: Any, hub_server: Any) -> None:
    from hfollama_widgets.hub import gguf_metadata
    from hfollama_widgets.hub.metadata import SHARD_INITIAL_RANGE

    repo = "unsloth/DeepSeek-V3-0324-GGUF"
    row = hub.list_gguf_files(repo).set_index("quantization").loc["UD-IQ1_S"]
    assert row["shards"] > 1
    hub_server.clear_requests()
    meta = gguf_metadata(repo, "UD-IQ1_S", hub=hub)
    assert meta.filename is not None and meta.file_size is not None
    assert meta.filename == row["filename"] and "00001-of-" in meta.filename
    assert meta.split_count == row["shards"]
    assert meta.file_size == row["size_bytes"]  # all shards
    total = hub_server.catalogue.get(repo).gguf["total"]
    assert meta.parameter_count == pytest.approx(total, rel=0.01)  # tensors of all shards
    log = settled(hub_server, meta.requests)
    first = range_reads(log, row["filename"].rsplit("/", 1)[-1])
    assert 1 <= len(first) <= 3
    others = [f for f in row["files"] if f != row["filename"]]
    for shard in others:
        reads = range_reads(log, shard.rsplit("/", 1)[-1])
        assert len(reads) == 1 and reads[0]["range"] == f"bytes=0-{SHARD_INITIAL_RANGE - 1}"
    assert meta.requests == len(first) + len(others)
    assert meta.bytes_read == sum(r["bytes"] for r in log if r["method"] == "GET")
    assert meta.bytes_read < 1e-4 * meta.file_size


def test_gated_repo_needs_a_token(hub_server: Any) -> None:
    from hfollama_widgets.hub import Hub, gguf_metadata
    from hfollama_widgets.testing.fake_hub import DEFAULT_TOKEN, NO_ACCESS_TOKEN

    repo = "example-org/Gated-Llama-GGUF"
    filename = next(
        f.path for f in hub_server.catalogue.get(repo).files if f.path.endswith(".gguf")
    )
    for token in (False, NO_ACCESS_TOKEN):
        hub = Hub(endpoint=hub_server.url, token=token)
        # the listing is public (a label resolves), the header bytes are not
        assert filename in set(hub.list_gguf_files(repo)["filename"])
        for which in (filename, "Q4_K_M"):
            with pytest.raises(GatedRepoError) as err:
                gguf_metadata(repo, which, hub=hub)
            assert NO_ACCESS_TOKEN not in str(err.value) and err.value.repo_id == repo
    meta = gguf_metadata(repo, filename, hub=Hub(endpoint=hub_server.url, token=DEFAULT_TOKEN))
    assert meta.architecture == "llama"


def test_cache_never_serves_a_token_read_to_a_hub_without_it(hub_server: Any) -> None:
    from hfollama_widgets.hub import Hub, clear_gguf_cache, gguf_metadata
    from hfollama_widgets.testing.fake_hub import DEFAULT_TOKEN, NO_ACCESS_TOKEN

    clear_gguf_cache()
    repo = "example-org/Gated-Llama-GGUF"
    granted = Hub(endpoint=hub_server.url, token=DEFAULT_TOKEN)
    first = gguf_metadata(repo, "Q4_K_M", hub=granted)
    assert gguf_metadata(repo, "Q4_K_M", hub=granted) is first  # same token: cached
    for token in (False, NO_ACCESS_TOKEN):
        with pytest.raises(GatedRepoError):
            gguf_metadata(repo, "Q4_K_M", hub=Hub(endpoint=hub_server.url, token=token))


def test_missing_file_and_unknown_label(hub: Any) -> None:
    from hfollama_widgets.errors import QuantizationNotFoundError
    from hfollama_widgets.hub import gguf_metadata

    with pytest.raises(EntryNotFoundError) as err:
        gguf_metadata(LLAMA8, "Meta-Llama-3.1-8B-Instruct-Q9_Z.gguf", hub=hub)
    assert err.value.repo_id == LLAMA8
    with pytest.raises(QuantizationNotFoundError, match="Q4_K_M"):
        gguf_metadata(LLAMA8, "Q9_Z", hub=hub)  # the message lists what the repo has


def test_not_gguf_bytes(hub: Any) -> None:
    with pytest.raises(GGUFParseError, match=r"README\.md"):
        read_gguf_header(hub.file_url(LLAMA8, "README.md"))
