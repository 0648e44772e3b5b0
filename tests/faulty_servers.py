"""Small HTTP servers that misbehave on purpose, for the fault tests (issue 9).

Each is a real TCP server on 127.0.0.1 in a daemon thread; use it as a context manager::

    with FaultyServer("silent") as server:     # accepts, reads the request, never answers
        hfw.Client(server.url, timeout=1).version()   # -> OllamaTimeoutError after ~1 s

Modes:

- ``"silent"``: accept the connection, read the request, never answer (a stuck proxy).
- ``"no_accept"``: a listening socket whose backlog is never accepted (connect may stall).
- ``"slow"``: answer ``body`` after ``delay`` seconds.
- ``"html"``: ``200 text/html`` with a web page for every path (not an Ollama / Hub).
- ``"status"``: ``status`` with ``body`` (JSON if it is a dict) for every path.
- ``"echo"``: ``status`` (default 500) with a JSON body ``{"error": "<every request header>"}``,
  so a secret sent in a header comes back in the error text.
- ``"ndjson_stall"``: ``200 application/x-ndjson``, the ``lines`` given, then nothing (the
  connection stays open: an idle stream).
- ``"ndjson_reset"``: the ``lines`` given, then the connection is reset mid-stream.

``server.requests`` records ``(method, path, headers)`` of what arrived.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

__all__ = ["FaultyServer"]


class FaultyServer:
    """A misbehaving HTTP/1.1 server on loopback (see the module docstring for the modes)."""

    def __init__(
        self,
        mode: str,
        *,
        status: int = 200,
        body: Any = None,
        delay: float = 0.0,
        lines: Sequence[dict[str, Any]] = (),
        content_type: str | None = None,
    ) -> None:
        self.mode = mode
        self.status = status
        self.body = body
        self.delay = delay
        self.lines = list(lines)
        self.content_type = content_type
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(0 if mode == "no_accept" else 16)
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"faulty-{mode}")

    def __enter__(self) -> FaultyServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        for conn in [*self._conns, self._sock]:
            with contextlib.suppress(OSError):
                conn.close()

    # -- serving ----------------------------------------------------------------------------

    def _serve(self) -> None:
        if self.mode == "no_accept":
            self._stop.wait()
            return
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self._conns.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> bool:
        conn.settimeout(10)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return False
                data += chunk
        except OSError:
            return False
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path = ([*lines[0].split(" "), "", ""])[:2]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        try:
            while len(rest) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                rest += chunk
        except OSError:
            pass
        self.requests.append((method, path, headers))
        self._last_headers = headers
        return True

    def _send(self, conn: socket.socket, status: int, body: bytes, content_type: str) -> None:
        head = (
            f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            conn.sendall(head.encode() + body)

    def _handle(self, conn: socket.socket) -> None:
        if not self._read_request(conn):
            return
        mode = self.mode
        if mode == "silent":
            self._stop.wait()
            return
        if mode == "slow":
            time.sleep(self.delay)
            mode = "status"
        if mode == "html":
            page = b"<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>"
            self._send(conn, 200, page, self.content_type or "text/html")
        elif mode == "status":
            body = self.body
            if isinstance(body, (dict, list)):
                self._send(
                    conn, self.status, json.dumps(body).encode(),
                    self.content_type or "application/json",
                )  # fmt: skip
            else:
                text = (body or "").encode() if isinstance(body, str) else (body or b"")
                self._send(conn, self.status, text, self.content_type or "text/plain")
        elif mode == "echo":
            echoed = "; ".join(f"{k}: {v}" for k, v in self._last_headers.items())
            status = self.status if self.status != 200 else 500
            self._send(conn, status, json.dumps({"error": echoed}).encode(), "application/json")
        elif mode in ("ndjson_stall", "ndjson_reset"):
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            )
            try:
                conn.sendall(head.encode())
                for line in self.lines:
                    data = (json.dumps(line) + "\n").encode()
                    conn.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                if mode == "ndjson_reset":
                    # SO_LINGER 0: close() sends RST, a connection reset mid-stream
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    conn.close()
                    return
            except OSError:
                return
            self._stop.wait()
        else:  # pragma: no cover - a typo in a test
            raise ValueError(f"unknown mode {self.mode!r}")
