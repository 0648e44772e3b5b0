"""Parse an Ollama host the way ``OLLAMA_HOST`` is read.

Same rules as ollama-python's ``_parse_host`` (no scheme: ``http`` and port 11434; ``http://``
without a port: 80; ``https://``: 443; a path is kept; IPv6 in brackets), plus the Go server's
client-side rewrite of the unspecified addresses ``0.0.0.0`` and ``::`` to loopback
(``envconfig.ConnectableHost``): a server started with ``OLLAMA_HOST=0.0.0.0`` listens everywhere,
but a client must connect to a real address.

Credentials in the host (``http://user:pass@proxy:11434``, a reverse proxy in front of Ollama)
never appear in the parsed host: :func:`host_credentials` returns them for HTTP Basic auth.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import urllib.parse
from collections.abc import Mapping

from hfollama_widgets.errors import remember_secret

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "default_host",
    "host_credentials",
    "parse_host",
    "remember_header_secrets",
    "resolve_host",
]

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
    >>> parse_host("https://user:secret@proxy.example/ollama")
    'https://proxy.example:443/ollama'
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


def host_credentials(host: str | None) -> tuple[str, str] | None:
    """``(user, password)`` from a host like ``http://user:pass@host`` (percent-decoded), else
    ``None``. :func:`parse_host` drops them; the clients send them as HTTP Basic auth.

    >>> host_credentials("http://me:p%40ss@proxy:8080"), host_credentials("127.0.0.1")
    (('me', 'p@ss'), None)
    """
    text = (host or "").strip()
    if "@" not in text:
        return None
    if "://" not in text:
        text = f"http://{text}"
    split = urllib.parse.urlsplit(text)
    if split.username is None and split.password is None:
        return None
    user = urllib.parse.unquote(split.username or "")
    password = urllib.parse.unquote(split.password or "")
    return user, password


_SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization")
_SECRET_WORDS = ("key", "token", "secret")


def remember_header_secrets(headers: Mapping[str, str]) -> None:
    """Register secret header values (auth, cookies, ``*key*``/``*token*``/``*secret*``) with
    :func:`~hfollama_widgets.errors.remember_secret`, so no message ever shows them.

    >>> from hfollama_widgets.errors import redact
    >>> remember_header_secrets({"X-Api-Key": "k-doctest-5678", "Accept": "text/plain"})
    >>> redact("sent k-doctest-5678 as text/plain")
    'sent *** as text/plain'
    """
    for name, value in headers.items():
        low = name.lower()
        if low in _SECRET_HEADERS or any(word in low for word in _SECRET_WORDS):
            remember_secret(value)
            scheme, _, credential = value.partition(" ")
            if credential and scheme.isalpha():  # "Bearer abc" / "Basic dXNlcjpwYXNz"
                remember_secret(credential.strip())


def resolve_host(host: str | None) -> tuple[str, tuple[str, str] | None]:
    """The host a client shows and dials (``host``, else ``OLLAMA_HOST``), without credentials,
    and the credentials it carried (registered for redaction: they never appear in a message).

    >>> resolve_host("http://u:doctest-pw@127.0.0.1:9")
    ('http://127.0.0.1:9', ('u', 'doctest-pw'))
    """
    raw = host if host else os.environ.get("OLLAMA_HOST")
    creds = host_credentials(raw)
    if creds is not None:
        user, password = creds
        remember_secret(password)
        remember_secret(urllib.parse.quote(password, safe=""))
        # what an HTTP Basic Authorization header carries (an echoing proxy may show it)
        remember_secret(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))
    return parse_host(raw), creds
