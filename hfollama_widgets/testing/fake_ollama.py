"""FakeOllama: a local stand-in for an Ollama server, a real HTTP server on 127.0.0.1.

It speaks the real API shapes, status codes and content types (NDJSON streams), pulls
``hf.co/…`` references from a FakeHub (or any URL serving the Ollama registry ``/v2`` routes)
exactly as Ollama does, and streams deterministic chat replies. Fault knobs let tests break it::

    from hfollama_widgets.testing import FakeHub, FakeOllama

    with FakeHub() as hub, FakeOllama(hub=hub) as ollama:
        ollama.faults.http_error(503, path="/api/chat")        # next chat gets "server busy"
        ollama.faults.cut_stream(after_lines=3, path="/api/pull")
        ollama.faults.error_line(after_lines=2, message="boom", path="/api/generate")
        ollama.latency = 0.5; ollama.pull_speed = 1e6; ollama.token_rate = 20

Command line: ``python -m hfollama_widgets.testing.fake_ollama --hub http://127.0.0.1:PORT``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from hfollama_widgets.testing._ollama import api
from hfollama_widgets.testing._ollama.chat import chat, generate
from hfollama_widgets.testing._ollama.faults import Faults, RecordedRequest, RequestLog
from hfollama_widgets.testing._ollama.http import Handler, Server
from hfollama_widgets.testing._ollama.pull import pull
from hfollama_widgets.testing._ollama.registry import Registry
from hfollama_widgets.testing._ollama.store import Store
from hfollama_widgets.testing._ollama.text import ReplyFn
from hfollama_widgets.testing._ollama.version import CURRENT, Behaviour

__all__ = ["FakeOllama", "main"]

Route = Callable[[Handler, Any], None]
ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/api/version"): api.version,
    ("HEAD", "/api/version"): api.version,
    ("GET", "/api/tags"): api.tags,
    ("HEAD", "/api/tags"): api.tags,
    ("GET", "/api/ps"): api.ps,
    ("POST", "/api/show"): api.show,
    ("DELETE", "/api/delete"): api.delete,
    ("POST", "/api/pull"): pull,
    ("POST", "/api/chat"): chat,
    ("POST", "/api/generate"): generate,
    ("POST", "/api/embed"): api.embed,
    ("POST", "/api/embeddings"): api.embeddings,
}


class _Handler(Handler):
    def _dispatch(self) -> None:
        fake = self.fake
        path = self.path.split("?", 1)[0]
        raw = self.read_body()
        try:
            body: Any = json.loads(raw) if raw.strip() else {}
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        if "authorization" in headers:  # keep the scheme, never the credential
            headers["authorization"] = headers["authorization"].split(" ", 1)[0] + " ***"
        self.status_sent = 0
        self.record = RecordedRequest(self.command, path, headers, body)
        fake.requests.append(self.record)  # before answering: no answer arrives unlogged
        try:
            if fake.latency > 0:
                time.sleep(fake.latency)
            if path == "/" and self.command in ("GET", "HEAD"):
                self.send_bytes(200, b"Ollama is running", "text/plain; charset=utf-8")
                return
            route = ROUTES.get((self.command, path))
            if route is None:
                known = any(p == path for _, p in ROUTES)
                status = 405 if known else 404
                self.send_bytes(
                    status, b"404 page not found" if status == 404 else b"", "text/plain"
                )
                return
            fault = fake.faults.take(path, "http_error")
            if fault is not None:
                self.send_error_json(fault.status, fault.message)
                return
            if body is None or (raw.strip() and not isinstance(body, dict)):
                self.send_error_json(400, "invalid character in request body")
                return
            if self.command in ("POST", "DELETE") and not raw.strip():
                self.send_error_json(400, "missing request body")
                return
            route(self, body)
        finally:
            self.record = None

    do_GET = do_HEAD = do_POST = do_DELETE = do_PUT = _dispatch


class FakeOllama:
    """A local Ollama stand-in on ``http://127.0.0.1:<port>`` (``.url``).

    ``hub``: a FakeHub (anything with ``.url``) or a URL serving ``/v2`` manifests; ``None``
    means the real ``https://hf.co``. ``hf_token`` stands for Ollama's SSH key being registered
    on the Hub (the token the registry's auth challenge yields, sent as Bearer on the retry).
    ``version``: the Ollama release imitated (``/api/version``, and what changed by release:
    the realm-host check on a registry 401 since 0.14.3, ``/api/tags`` capabilities since 0.30;
    see :mod:`~hfollama_widgets.testing._ollama.version`); ``"0.12.6"`` gives the old behaviour.
    ``final_layer_line``: end each layer with a ``completed == total`` line (False, the real
    behaviour: server/download.go's 60 ms ticker sends none). Knobs settable while running:
    ``pull_speed`` (bytes/s), ``progress_interval`` (s), ``token_rate`` (tokens/s), ``latency``
    (s before each answer), ``reply`` (``(model, messages) -> str``), ``faults``.

    >>> with FakeOllama(hub="http://127.0.0.1:9") as fake:
    ...     fake.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(
        self,
        hub: Any = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        hf_token: str | None = None,
        pull_speed: float = 2e9,
        progress_interval: float = 0.06,
        token_rate: float = 200.0,
        latency: float = 0.0,
        reply: ReplyFn | None = None,
        version: str = CURRENT,
        final_layer_line: bool = False,
    ) -> None:
        hub_url = hub if isinstance(hub, str) or hub is None else str(hub.url)
        self.hub_url = hub_url
        self.pull_speed = pull_speed
        self.progress_interval = progress_interval
        self.token_rate = token_rate
        self.latency = latency
        self.reply = reply
        self.faults = Faults()
        self.requests = RequestLog()
        self.store = Store()
        self.behaviour = Behaviour.of(version)
        self.version = version
        self.final_layer_line = final_layer_line
        self.registry = Registry(hub_url, hf_token, version)
        self.stopping = threading.Event()
        self._address = (host, port)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` (start the server first)."""
        if self._server is None:
            raise RuntimeError("FakeOllama is not running: call start() or use it as `with`.")
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        """The port the server listens on (start the server first)."""
        return int(self.url.rsplit(":", 1)[1])

    def start(self) -> FakeOllama:
        """Start serving in a background thread (idempotent)."""
        if self._server is None:
            self.stopping.clear()
            self._server = Server(self._address, _Handler, self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"FakeOllama:{self._server.server_address[1]}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections (streams in progress end)."""
        server, self._server = self._server, None
        if server is None:
            return
        self.stopping.set()
        server.shutdown()
        server.drop_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.registry.close()
        self.registry = Registry(self.hub_url, self.registry._token, self.version)

    def models(self) -> list[str]:
        """Names of the pulled models (as ``/api/tags`` lists them)."""
        return [r.display for r in self.store.models()]

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"<FakeOllama {where} v{self.version} hub={self.hub_url!r}>"


def main(argv: list[str] | None = None) -> None:
    """``python -m hfollama_widgets.testing.fake_ollama --hub URL [--port N]``."""
    parser = argparse.ArgumentParser(description="Run a FakeOllama server until Ctrl-C.")
    parser.add_argument("--hub", default=None, help="registry URL (a FakeHub); default hf.co")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--pull-speed", type=float, default=2e9, help="simulated bytes/s")
    parser.add_argument("--token-rate", type=float, default=200.0, help="tokens/s")
    parser.add_argument("--hf-token", default=None, help="token sent to the registry")
    parser.add_argument("--version", default=CURRENT, help="Ollama release to imitate")
    args = parser.parse_args(argv)
    fake = FakeOllama(
        args.hub,
        host=args.host,
        port=args.port,
        hf_token=args.hf_token,
        pull_speed=args.pull_speed,
        token_rate=args.token_rate,
        version=args.version,
    )
    with fake:
        print(f"FakeOllama on {fake.url} (hub: {fake.registry.hub_url})", flush=True)
        print(f"  export OLLAMA_HOST={fake.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
