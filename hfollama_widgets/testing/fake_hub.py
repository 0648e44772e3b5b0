"""FakeHub: a local stand-in for the Hugging Face Hub, a real HTTP server on 127.0.0.1.

It serves the catalogue (``testing/catalogue/*.json``) through the routes huggingface_hub
1.x and huggingface.js call (model info with ``expand``, tree with ``Link`` pagination,
paths-info, search, ``resolve`` with HEAD headers and byte ranges), the Hub's error headers,
private repos (invisible without a token) and gated repos (info and file listing public,
downloads 401 without a token / 403 without access, ``X-Error-Code: GatedRepo``), and the
Ollama registry routes (``/v2/...``, 401 for gated and private repos without a registered key)
that FakeOllama pulls ``hf.co/…`` references from.

>>> from huggingface_hub import HfApi
>>> with FakeHub() as hub:
...     api = HfApi(endpoint=hub.url, token=False)
...     api.model_info("bartowski/Llama-3.2-1B-Instruct-GGUF").id
'bartowski/Llama-3.2-1B-Instruct-GGUF'

From a shell: ``python -m hfollama_widgets.testing.fake_hub --port 0`` prints the URL.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hfollama_widgets.testing._hub import api_routes as api
from hfollama_widgets.testing._hub import registry_routes as registry
from hfollama_widgets.testing._hub.files import cdn, resolve
from hfollama_widgets.testing._hub.http import (
    Auth,
    Request,
    Response,
    hub_error,
    invalid_credentials,
    json_response,
    rate_limited,
)
from hfollama_widgets.testing.catalogue import Catalogue, load_catalogue

__all__ = ["DEFAULT_TOKEN", "NO_ACCESS_TOKEN", "FakeHub", "main"]

#: The token FakeHub accepts by default: it can read every gated and private repo.
DEFAULT_TOKEN = "hf_fake_token_for_tests"
#: A token FakeHub knows but without access: gated downloads answer 403, private repos 404.
NO_ACCESS_TOKEN = "hf_fake_token_without_access"

Route = Callable[["FakeHub", Request], Response]
_CHUNK = 1 << 20


def _route(req: Request) -> Route | None:
    s, m = req.segments, req.method
    if s[:2] == ["api", "models"]:
        if len(s) == 2:
            return api.search if m in ("GET", "HEAD") else None
        if len(s) < 4:
            return None
        if len(s) == 4 or (len(s) >= 6 and s[4] == "revision"):
            return api.model_info if m in ("GET", "HEAD") else None
        tail = s[4]
        if tail == "tree" and len(s) >= 6:
            return api.tree
        if tail == "paths-info" and len(s) >= 6 and m == "POST":
            return api.paths_info
        if tail == "auth-check":
            return api.auth_check
        if tail == "refs":
            return api.refs
        return None
    if s and s[0] == "v2" and len(s) == 5:
        return {"manifests": registry.manifests, "blobs": registry.blobs}.get(s[3])
    if len(s) >= 5 and s[2] == "resolve" and m in ("GET", "HEAD"):
        return resolve
    if len(s) == 5 and s[0] == "cdn" and m in ("GET", "HEAD"):
        return cdn
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Buffered writes: the status line, headers and a small body leave in one ``send`` when
    # _send flushes (larger body chunks bypass the buffer).
    wbufsize = 64 * 1024
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Without TCP_NODELAY a second small write waits for the client's delayed ACK (Nagle):
        # every request used to stall ~40-48 ms on loopback.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.fake._connection_opened()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: FakeHub keeps its own log
        return

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _parse(self) -> Request:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        host = headers.get("host") or self.server.fake.url.split("://", 1)[1]
        return Request(
            method=self.command,
            path=parts.path,
            segments=[p for p in parts.path.split("/") if p],
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=headers,
            body=body,
            auth=self.server.fake._auth(headers.get("authorization")),
            base_url=f"http://{host}",
        )

    def _handle(self) -> None:
        fake = self.server.fake
        req = self._parse()
        if fake.latency > 0:
            time.sleep(fake.latency)
        route = _route(req)
        reset = fake._take_rate_limit()
        if reset is not None:
            resp = rate_limited(reset)
        elif route is None:
            resp = hub_error(404, None, "Sorry, we can't find the page you are looking for.")
        elif req.auth == "invalid" and req.segments[:1] != ["v2"]:
            resp = invalid_credentials()
        else:
            try:
                resp = route(fake, req)
            except Exception as exc:  # a bug in a route: answer 500 rather than hang the client
                resp = json_response(
                    {"error": f"FakeHub internal error: {type(exc).__name__}"}, 500
                )
        # Logged before the answer goes out, so a client that got its response sees it logged;
        # "bytes" is corrected if the client hangs up mid-body.
        entry = fake._log(req, resp, 0 if req.method == "HEAD" else resp.length)
        sent = self._send(req, resp)
        if req.method != "HEAD" and sent != resp.length:
            fake._update_bytes(entry, sent)

    def _send(self, req: Request, resp: Response) -> int:
        self.send_response(resp.status)
        self.send_header("X-Request-Id", f"Root=1-{uuid.uuid4().hex[:24]}")
        for name, value in resp.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(resp.length))
        sent = 0
        try:
            self.end_headers()  # into the write buffer, not yet on the wire
            if req.method == "HEAD":
                self.wfile.flush()
                return 0
            if resp.stream is not None:
                body, start, end = resp.stream
                while start < end:
                    chunk = body.read(start, min(end, start + _CHUNK))
                    self.wfile.write(chunk)
                    self.wfile.flush()  # counted as sent once it is on the wire
                    sent += len(chunk)
                    start += len(chunk)
            else:
                self.wfile.write(resp.content)
                self.wfile.flush()
                sent = len(resp.content)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        return sent


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default listen backlog is 5: a batch opening 16 connections at once had
    # SYNs dropped and retried by the kernel a second later (a 1 s stall no real Hub shows).
    request_queue_size = 128
    fake: FakeHub

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up (reset, broken pipe) is normal: no traceback for it."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeHub:
    """A local Hugging Face Hub on loopback serving the catalogue.

    Args:
        catalogue: ``None`` (the bundled repos), a folder of JSON files, a
            :class:`Catalogue`, or an iterable of repo dicts.
        host, port: where to listen (``port=0``: a free port).
        tokens: bearer tokens with access to everything (gated and private repos).
        no_access_tokens: tokens that are valid but not granted gated/private access.
        latency: seconds to wait before answering each request (settable at run time).

    ``requests`` is a log of ``{"method", "path", "query", "range", "status", "bytes",
    "auth"}`` dicts (``auth`` is ``none``/``valid``/``no_access``/``invalid``, never the token).
    """

    def __init__(
        self,
        catalogue: Catalogue | str | Path | Iterable[Mapping[str, Any]] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tokens: Sequence[str] = (DEFAULT_TOKEN,),
        no_access_tokens: Sequence[str] = (NO_ACCESS_TOKEN,),
        latency: float = 0.0,
    ) -> None:
        if catalogue is None or isinstance(catalogue, (str, Path)):
            self.catalogue = load_catalogue(catalogue)
        elif isinstance(catalogue, Catalogue):
            self.catalogue = catalogue
        else:
            self.catalogue = Catalogue.from_dicts(catalogue)
        self.host, self._port = host, port
        self.tokens = tuple(tokens)
        self.no_access_tokens = tuple(no_access_tokens)
        self.latency = latency
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._requests: list[dict[str, Any]] = []
        self._rate_limited: list[int] = []  # reset seconds of the next answers to be 429
        self._connections = 0

    # lifecycle ------------------------------------------------------------------------------
    def start(self) -> FakeHub:
        """Start serving in a daemon thread (idempotent)."""
        if self._server is not None:
            return self
        server = _Server((self.host, self._port), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="FakeHub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError(
                "FakeHub is not running: call start() or use it as a context manager"
            )
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"FakeHub({where}, repos={len(self.catalogue)})"

    # faults ---------------------------------------------------------------------------------
    def rate_limit(self, requests: int = 1, *, reset_seconds: int = 60) -> None:
        """Answer the next ``requests`` requests (any route) with 429 Too Many Requests.

        >>> with FakeHub() as hub:
        ...     hub.rate_limit(1, reset_seconds=30)
        ...     import httpx; httpx.get(hub.url + "/api/models").status_code
        429
        """
        with self._lock:
            self._rate_limited.extend([reset_seconds] * requests)

    def _take_rate_limit(self) -> int | None:
        with self._lock:
            return self._rate_limited.pop(0) if self._rate_limited else None

    # connections --------------------------------------------------------------------------
    @property
    def connections(self) -> int:
        """TCP connections accepted so far (keep-alive clients reuse theirs)."""
        with self._lock:
            return self._connections

    def _connection_opened(self) -> None:
        with self._lock:
            self._connections += 1

    # request log ----------------------------------------------------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:
        """A copy of the request log (thread-safe)."""
        with self._lock:
            return [dict(e) for e in self._requests]

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._requests.clear()

    def _log(self, req: Request, resp: Response, sent: int) -> dict[str, Any]:
        entry = {
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "range": req.headers.get("range"),
            "status": resp.status,
            "bytes": sent,
            "auth": req.auth,
        }
        with self._lock:
            self._requests.append(entry)
        return entry

    def _update_bytes(self, entry: dict[str, Any], sent: int) -> None:
        with self._lock:
            entry["bytes"] = sent

    def _auth(self, header: str | None) -> Auth:
        if not header:
            return "none"
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return "invalid"
        if token in self.tokens:
            return "valid"
        return "no_access" if token in self.no_access_tokens else "invalid"


def main(argv: Sequence[str] | None = None) -> None:
    """Run a FakeHub until interrupted; prints its URL on the first line."""
    parser = argparse.ArgumentParser(description="Run a local Hugging Face Hub stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--catalogue", default=None, help="folder of repo JSON files")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    args = parser.parse_args(argv)
    hub = FakeHub(args.catalogue, host=args.host, port=args.port, latency=args.latency).start()
    print(hub.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()


if __name__ == "__main__":
    main()
