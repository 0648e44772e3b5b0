"""How FakeOllama answers a registry's ``401``: read the challenge, check its realm, get a token.

Mirrors ollama/ollama ``server/images.go`` ``makeRequestWithRetry`` (lines 1309-1353) and
``server/auth.go`` ``getAuthorizationToken``:

- the first request goes without credentials; on ``401`` Ollama parses ``WWW-Authenticate``
  (``Bearer realm="…",service="…",scope="…"``);
- since v0.14.3 (PR #13738, commit 7601f0e9, ``server/auth.go:60``) a realm whose host differs
  from the requested host is refused:
  ``realm host "huggingface.co" does not match original host "hf.co"``;
- otherwise it asks the realm for a token (request signed with Ollama's ed25519 key); a refusal
  there comes back as ``<status>: <body>`` (``fmt.Errorf("%d: %s", …)`` in getAuthorizationToken),
  which the pull wraps as ``pull model manifest: 401: {"error":"Invalid username or password."}``
  (the text of ollama/ollama#8045 and Pyenb/Ollama-models#8);
- then it repeats the request with ``Authorization: Bearer <token>``.

The real hf.co answers a private, gated or (without a token) missing repo with
``401`` + ``Www-Authenticate: Bearer realm="https://huggingface.co/v2/token",service="…"``
(ollama/ollama PR #16180, issue #15661). Hub-side contract (FakeHub, owned by the Hub stand-in):
its ``/v2`` manifest route sends exactly that challenge, realm host ``huggingface.co`` whatever
host served the request. Until it does, a bare ``401`` is treated as carrying that challenge.
The realm's host is compared with the *name's* host (``hf.co`` or ``huggingface.co``), never with
the 127.0.0.1 address the stand-in listens on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["HF_REALM", "Challenge", "parse_challenge", "realm_mismatch"]

#: What hf.co and huggingface.co send as realm (ollama/ollama PR #16180).
HF_REALM = "https://huggingface.co/v2/token"
_PARAM = re.compile(r'(\w+)\s*=\s*"([^"]*)"')


@dataclass(frozen=True)
class Challenge:
    """A parsed ``WWW-Authenticate: Bearer …`` header."""

    realm: str
    service: str = ""
    scope: str = ""

    @property
    def realm_host(self) -> str:
        return urlsplit(self.realm).netloc


def parse_challenge(header: str | None) -> Challenge:
    """The challenge in ``header``; a missing one is the Hub's (see the module docstring).

    >>> parse_challenge('Bearer realm="https://huggingface.co/v2/token",service="hf"').realm_host
    'huggingface.co'
    >>> parse_challenge(None).realm == HF_REALM
    True
    """
    params = dict(_PARAM.findall(header or ""))
    if not params.get("realm"):
        return Challenge(HF_REALM)
    return Challenge(params["realm"], params.get("service", ""), params.get("scope", ""))


def realm_mismatch(challenge: Challenge, original_host: str) -> str | None:
    """Ollama's error when the realm's host is not ``original_host`` (server/auth.go:60), else None.

    >>> realm_mismatch(parse_challenge(None), "hf.co")
    'realm host "huggingface.co" does not match original host "hf.co"'
    >>> realm_mismatch(parse_challenge(None), "huggingface.co") is None
    True
    """
    if challenge.realm_host == original_host:
        return None
    # Go's %q quoting of both hosts (fmt.Errorf("realm host %q does not match original host %q")).
    return f'realm host "{challenge.realm_host}" does not match original host "{original_host}"'
