"""Parse an Ollama host the way ``OLLAMA_HOST`` is read.

Same rules as ollama-python's ``_parse_host`` (no scheme: ``http`` and port 11434; ``http://``
without a port: 80; ``https://``: 443; a path is kept; IPv6 in brackets), plus the Go server's
client-side rewrite of the unspecified addresses ``0.0.0.0`` and ``::`` to loopback
(``envconfig.ConnectableHost``): a server started with ``OLLAMA_HOST=0.0.0.0`` listens everywhere,
but a client must connect to a real address.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.parse

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "default_host", "parse_host"]

DEFAULT_PORT = 11434
DEFAULT_HOST = f"http://127.0.0.1:{DEFAULT_PORT}"


def _bracket_bare_ipv6(hostport: str) -> str:
    """``::1`` → ``[::1]``: a bare IPv6 address (several colons, no brackets) gets brackets."""
    netloc, sep, path = hostport.partition("/")
    if netloc.count(":") >= 2 and not netloc.startswith("["):
        try:
            ipaddress.IPv6Address(netloc)
        except ValueError:
            return hostport
        return f"[{netloc}]{sep}{path}"
    return hostport


def parse_host(host: str | None) -> str:
    """Normalise an ``OLLAMA_HOST``-style value to ``scheme://host:port[/path]``.

    >>> parse_host(None)
    'http://127.0.0.1:11434'
    >>> parse_host(":56789")
    'http://127.0.0.1:56789'
    >>> parse_host("https://example.com/path/")
    'https://example.com:443/path'
    >>> parse_host("[::1]:56789")
    'http://[::1]:56789'
    >>> parse_host("0.0.0.0")
    'http://127.0.0.1:11434'
    """
    text, port = (host or "").strip(), DEFAULT_PORT
    scheme, _, hostport = text.partition("://")
    if not hostport:
        scheme, hostport = "http", text
    elif scheme == "http":
        port = 80
    elif scheme == "https":
        port = 443
    hostport = _bracket_bare_ipv6(hostport)

    split = urllib.parse.urlsplit(f"{scheme}://{hostport}")
    hostname = split.hostname or "127.0.0.1"
    try:
        explicit_port = split.port
    except ValueError as exc:
        raise ValueError(
            f"Invalid Ollama host {host!r}: the port is not a number between 0 and 65535. "
            "Use host[:port], e.g. 127.0.0.1:11434 or http://example.com:11434."
        ) from exc
    port = explicit_port or port

    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        address = None
    if address is not None and address.is_unspecified:
        # ConnectableHost(): a listen-everywhere address is not something a client can dial.
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
        hostname = str(address)
    if address is not None and address.version == 6:
        hostname = f"[{hostname}]"

    if path := split.path.strip("/"):
        return f"{scheme}://{hostname}:{port}/{path}"
    return f"{scheme}://{hostname}:{port}"


def default_host() -> str:
    """The host from ``OLLAMA_HOST``, or ``http://127.0.0.1:11434`` when unset.

    >>> import os
    >>> default_host() == parse_host(os.environ.get("OLLAMA_HOST"))
    True
    """
    return parse_host(os.environ.get("OLLAMA_HOST"))
