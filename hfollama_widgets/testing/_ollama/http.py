"""HTTP plumbing for FakeOllama: a threaded HTTP/1.1 server, JSON and NDJSON responses.

Streams use chunked transfer encoding with ``application/x-ndjson`` like Ollama's Go server.
A :class:`StreamWriter` applies the armed stream faults (cut the connection, error line).
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from hfollama_widgets.testing._ollama.faults import Fault, RecordedRequest

if TYPE_CHECKING:
    from hfollama_widgets.testing._ollama.state import OllamaState

__all__ = ["ClientGone", "Handler", "Server", "StreamStopped", "StreamWriter"]


class ClientGone(Exception):
    """The client closed the connection (a cancelled request)."""


class StreamStopped(Exception):
    """A fault ended the stream; the handler must return without writing more."""


class Server(ThreadingHTTPServer):
    """Threaded server that remembers its open connections so ``stop()`` can drop them."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[Handler], fake: OllamaState):
        self.fake = fake
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up (reset, broken pipe) is normal: no traceback for it."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    """Base request handler: body parsing, JSON answers, request logging."""

    protocol_version = "HTTP/1.1"
    server_version = "FakeOllama"
    server: Server

    status_sent = 0
    record: RecordedRequest | None = None  # the log entry of the request being answered

    # -- helpers ------------------------------------------------------------------------
    @property
    def fake(self) -> OllamaState:
        return self.server.fake

    def setup(self) -> None:
        super().setup()
        # Small writes (headers, then body; one NDJSON line per chunk) must not wait for
        # Nagle's algorithm: without this every answer can stall ~40 ms on delayed ACKs.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_response(self, code: int, message: str | None = None) -> None:
        self.status_sent = code
        if self.record is not None:
            self.record.status = code
        super().send_response(code, message)

    def send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj, separators=(",", ":")).encode()
        self.send_bytes(status, data, "application/json; charset=utf-8")

    def send_error_json(self, status: int, message: str) -> None:
        self.send_json(status, {"error": message})

    def client_gone(self) -> bool:
        """True when the client has closed its side (checked without blocking)."""
        sock = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            return sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def abort_connection(self) -> None:
        """Drop the connection mid-body (no final chunk): what a crashed server looks like."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class StreamWriter:
    """Writes NDJSON lines as HTTP chunks, honouring an armed stream fault."""

    def __init__(self, handler: Handler, fault: Fault | None) -> None:
        self.handler = handler
        self.fault = fault
        self.lines = 0
        self.started = False
        self.ended = False

    def start(self) -> None:
        h = self.handler
        self.started = True
        try:
            h.send_response(200)
            h.send_header("Content-Type", "application/x-ndjson")
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
        except OSError as exc:
            h.close_connection = True
            raise ClientGone from exc

    def _chunk(self, data: bytes) -> None:
        try:
            self.handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.handler.wfile.flush()
        except OSError as exc:  # BrokenPipe / ConnectionReset: the client left
            self.handler.close_connection = True
            raise ClientGone from exc

    def write(self, obj: dict[str, Any]) -> None:
        """Write one line (raises :class:`StreamStopped` when a fault ends the stream here)."""
        if not self.started:
            self.start()
        fault = self.fault
        if fault is not None and self.lines >= fault.after_lines:
            if fault.kind == "error_line":
                self._chunk(json.dumps({"error": fault.message}).encode() + b"\n")
                self.end()
            elif fault.kind == "garbage_line":
                self._chunk(fault.message.encode() + b"\n")
                self.end()
            elif fault.clean:
                self.end()
            else:
                self.handler.abort_connection()
            raise StreamStopped
        self._chunk(json.dumps(obj, separators=(",", ":")).encode() + b"\n")
        self.lines += 1

    def error(self, message: str) -> None:
        """Write the terminal ``{"error": ...}`` line and end the stream."""
        if not self.started:
            self.start()
        self._chunk(json.dumps({"error": message}).encode() + b"\n")
        self.end()

    def end(self) -> None:
        if self.ended:
            return
        if not self.started:
            self.start()
        self.ended = True
        with contextlib.suppress(ClientGone):
            self._chunk(b"")
