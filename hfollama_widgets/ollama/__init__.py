"""Ollama HTTP client (httpx underneath): :class:`Client`, :class:`AsyncClient`, streams.

>>> from hfollama_widgets.ollama import Client, parse_host
>>> parse_host("localhost:8080")
'http://localhost:8080'
"""

from __future__ import annotations

from hfollama_widgets.ollama._async import AsyncClient
from hfollama_widgets.ollama._core import encode_image
from hfollama_widgets.ollama._host import DEFAULT_HOST, default_host, parse_host
from hfollama_widgets.ollama._stream import AsyncStream, Stream
from hfollama_widgets.ollama._sync import Client
from hfollama_widgets.ollama._timeouts import (
    API_TIMEOUT_ENV,
    DEFAULT_TIMEOUT,
    STREAM_IDLE_TIMEOUT_ENV,
    Timeouts,
)

__all__ = [
    "API_TIMEOUT_ENV",
    "DEFAULT_HOST",
    "DEFAULT_TIMEOUT",
    "STREAM_IDLE_TIMEOUT_ENV",
    "AsyncClient",
    "AsyncStream",
    "Client",
    "Stream",
    "Timeouts",
    "default_host",
    "encode_image",
    "parse_host",
]
