"""HTTP plumbing shared by FakeHub's routes: requests, responses, errors, Range parsing.

Routes are plain functions ``(hub, req) -> Response``; the handler in :mod:`fake_hub` turns a
``Response`` into bytes on the wire (streaming a :class:`GGUFBody` range lazily).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import unquote

from hfollama_widgets.testing.catalogue import Catalogue
from hfollama_widgets.testing.gguf_synth import FileBody

Auth = Literal["none", "valid", "no_access", "invalid"]


@dataclass
class Request:
    """One parsed request. ``segments`` are the raw path parts (still %-encoded)."""

    method: str
    path: str
    segments: list[str]
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    auth: Auth
    base_url: str  # scheme://host[:port] as the client addressed us

    def q(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def flag(self, name: str) -> bool:
        """A boolean query parameter (``true``/``1``/``True``)."""
        return (self.q(name) or "").lower() in ("1", "true", "yes")

    def seg(self, i: int) -> str:
        """Path segment ``i``, %-decoded."""
        return unquote(self.segments[i])


@dataclass
class Response:
    """What a route answers: a status, headers and either bytes or a body range to stream."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    content: bytes = b""
    stream: tuple[FileBody, int, int] | None = None  # (body, start, end exclusive)

    @property
    def length(self) -> int:
        if self.stream is not None:
            return self.stream[2] - self.stream[1]
        return len(self.content)


def json_response(
    data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None
) -> Response:
    """A JSON body (compact, UTF-8)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(
        status, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])], body
    )


def hub_error(status: int, code: str | None, message: str) -> Response:
    """An error the way the Hub sends it: ``X-Error-Code``/``X-Error-Message`` + ``{"error"}``."""
    headers = [("X-Error-Message", message)]
    if code:
        headers.insert(0, ("X-Error-Code", code))
    return json_response({"error": message}, status, headers)


def repo_not_found(req: Request) -> Response:
    """401 without credentials, 404 with them (the Hub hides private repos behind both)."""
    status = 404 if req.auth in ("valid", "no_access") else 401
    msg = "Repository not found"
    return hub_error(status, "RepoNotFound", msg)


def gated_error(req: Request, repo_id: str) -> Response:
    """401 when not logged in, 403 when logged in without access (as the Hub answers).

    Only downloads (``resolve``) and ``auth-check`` answer this: a gated repo's info and file
    listing are public.
    """
    if req.auth in ("valid", "no_access"):
        msg = (
            f"Access to model {repo_id} is restricted and you are not in the authorized list. "
            f"Visit {req.base_url}/{repo_id} to ask for access."
        )
        return hub_error(403, "GatedRepo", msg)
    msg = (
        f"Access to model {repo_id} is restricted. You must have access to it and be "
        "authenticated to access it. Please log in."
    )
    return hub_error(401, "GatedRepo", msg)


def rate_limited(reset_seconds: int) -> Response:
    """429 with the IETF-draft ``RateLimit`` headers huggingface_hub reads (remaining 0, reset
    in ``reset_seconds``) and ``Retry-After``. The body text is not verified against the Hub."""
    headers = [
        ("RateLimit", f'"api";r=0;t={reset_seconds}'),
        ("RateLimit-Policy", '"fixed window";"api";q=500;w=300'),
        ("Retry-After", str(reset_seconds)),
    ]
    return json_response({"error": "Too Many Requests"}, 429, headers)


def invalid_credentials() -> Response:
    """The Hub's answer to a bearer token it does not know."""
    return hub_error(401, None, "Invalid credentials in Authorization header")


_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | Literal["invalid"] | None:
    """``(start, end_exclusive)`` for a single ``bytes=`` range, ``None`` for no (or a multi)
    range, ``"invalid"`` when unsatisfiable (416).

    >>> parse_range("bytes=0-3", 10), parse_range("bytes=-4", 10), parse_range("bytes=8-", 10)
    ((0, 4), (6, 10), (8, 10))
    >>> parse_range("bytes=10-", 10)
    'invalid'
    """
    if not header:
        return None
    header = header.strip().replace(" ", "")
    if "," in header:
        return None  # multi-range: ignored, the whole body is sent (allowed by RFC 9110)
    m = _RANGE_RE.match(header)
    if not m or (not m.group(1) and not m.group(2)):
        return "invalid"
    first, last = m.group(1), m.group(2)
    if not first:  # suffix range: the last N bytes
        n = int(last)
        return (max(0, size - n), size) if n > 0 and size > 0 else "invalid"
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or end <= start:
        return "invalid"
    return start, end


class HubState(Protocol):
    """What FakeHub's routes read from the server they serve (a protocol, so the route
    modules never import :mod:`~hfollama_widgets.testing.fake_hub`, which imports them)."""

    catalogue: Catalogue
