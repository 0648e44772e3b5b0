"""Both stand-ins take a client hanging up (a reset connection) quietly, like real servers."""

from __future__ import annotations

import socket
import struct
import time
from typing import Any

import pytest

from hfollama_widgets.testing import FakeOllama


def _reset_after_partial_read(url: str, path: str) -> None:
    """Send a request, read a few bytes of the answer, then reset the connection (RST)."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        assert sock.recv(8).startswith(b"HTTP/1.1")
        time.sleep(0.1)  # the rest of the answer is now unread in our receive buffer
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@pytest.mark.parametrize("server", ["hub", "ollama"])
def test_a_reset_connection_prints_no_traceback(
    server: str, fake_hub: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOllama(hub=fake_hub) as ollama:
        url, path = (fake_hub.url, "/api/models") if server == "hub" else (ollama.url, "/")
        capsys.readouterr()
        for _ in range(3):
            _reset_after_partial_read(url, path)
        time.sleep(0.3)  # the server thread notices the reset when it reads the next request
        err = capsys.readouterr().err
        assert "Traceback" not in err and "ConnectionResetError" not in err
        import httpx

        assert httpx.get(url + path, timeout=5).status_code == 200  # still serving
