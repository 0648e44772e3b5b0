"""Read one GGUF header over HTTP ``Range`` requests, never the weights.

:func:`read_gguf_header` fetches the first 256 KiB, parses as far as the bytes go, and asks for
exactly as much more as the parser says it needs (tokenizer arrays can take several MB).

>>> _next_end(1000, NeedMoreBytes(5000), MAX_HEADER_BYTES)
37768
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from hfollama_widgets.errors import GGUFParseError
from hfollama_widgets.gguf.header import BadGGUF, HeaderParser, NeedMoreBytes
from hfollama_widgets.gguf.metadata import GGUFMetadata, metadata_from_parser
from hfollama_widgets.hub.http_range import (
    display_name,
    fetch_range,
    headers_for,
    http_timeout,
    hub_timeout,
)

__all__ = ["INITIAL_RANGE", "MAX_HEADER_BYTES", "read_gguf_header"]

INITIAL_RANGE = 256 * 1024
"""First request: enough for the whole header of models with small vocabularies."""
MAX_HEADER_BYTES = 128 * 1024 * 1024
"""Refuse headers larger than this (the largest real ones, 256k-token vocabularies, are ~20 MB)."""


def read_gguf_header(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    initial_bytes: int = INITIAL_RANGE,
    max_header_bytes: int = MAX_HEADER_BYTES,
) -> GGUFMetadata:
    """Read the GGUF header at ``url`` with HTTP Range requests (redirects followed).

    Starts with ``initial_bytes`` and grows the range to what the parser says it needs. Without
    ``client``, each request may wait ``HFOLLAMA_HUB_TIMEOUT`` seconds (default 20).
    Raises :class:`GGUFParseError` for non-GGUF bytes, :class:`GatedRepoError` on 401/403,
    :class:`EntryNotFoundError` (or a more precise Hub error) on 404,
    :class:`HubUnreachableError` when the server cannot be reached.

    Example (against the real Hub and Ollama)::

        meta = read_gguf_header("https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF"
            "/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf")
        meta.parameter_count  # -> 1235814432
    """
    own = client is None
    http = client or httpx.Client(follow_redirects=True, timeout=http_timeout(hub_timeout()))
    try:
        return _read(http, url, dict(headers or {}), initial_bytes, max_header_bytes)
    finally:
        if own:
            http.close()


def _read(
    http: httpx.Client, url: str, headers: dict[str, str], initial: int, cap: int
) -> GGUFMetadata:
    parser = HeaderParser()
    buf = bytearray()
    file_size: int | None = None
    requests = 0
    want = max(initial, 32)
    name = display_name(url)
    target = url
    while True:
        end = want if file_size is None else min(want, file_size)
        chunk, total, final = fetch_range(http, target, headers, len(buf), end, name)
        if final != target:  # go straight to the redirect target (the CDN) from now on
            headers = headers_for(final, target, headers)
            target = final
        requests += 1
        buf += chunk
        if total is not None:
            file_size = total
        try:
            parser.feed(buf)
            break
        except NeedMoreBytes as more:
            if not chunk or (file_size is not None and len(buf) >= file_size):
                raise GGUFParseError(
                    f"{name} ends after {len(buf)} bytes, inside its GGUF header.",
                    fix="The file is truncated or still uploading; try another file or later.",
                ) from None
            if more.needed > cap:
                raise GGUFParseError(
                    f"The GGUF header of {name} claims more than {cap // 2**20} MiB.",
                    fix="The file is probably corrupt; pick another quantization.",
                ) from None
            want = _next_end(len(buf), more, cap)
        except BadGGUF as bad:
            raise GGUFParseError(
                f"{name} is not a valid GGUF file: {bad}.",
                fix="Check the file name (it must be a .gguf model file), or pick another file.",
            ) from None
    return metadata_from_parser(parser, file_size=file_size, bytes_read=len(buf), requests=requests)


def _next_end(have: int, more: NeedMoreBytes, cap: int) -> int:
    """Where the next request should end: the parser's estimate of the header end, plus slack."""
    target = max(more.needed, more.hint or 0)
    target += max(32 * 1024, (target - have) // 16)
    return min(target, cap)
