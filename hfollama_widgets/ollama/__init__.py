"""Ollama HTTP client (httpx underneath): :class:`Client`, :class:`AsyncClient`, streams.

>>> from hfollama_widgets.ollama import Client, parse_host
>>> parse_host("localhost:8080")
'http://localhost:8080'
"""

from __future__ import annotations

from hfollama_widgets.ollama._async import AsyncClient
from hfollama_widgets.ollama._core import DEFAULT_TIMEOUT, encode_image
from hfollama_widgets.ollama._host import DEFAULT_HOST, default_host, parse_host
from hfollama_widgets.ollama._stream import AsyncStream, Stream
from hfollama_widgets.ollama._sync import Client

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_TIMEOUT",
    "AsyncClient",
    "AsyncStream",
    "Client",
    "Stream",
    "default_host",
    "encode_image",
    "parse_host",
]
