"""Keep secrets out of every text we show: :func:`redact`, :func:`remember_secret`,
:func:`scrub_exception` (pure; re-exported by :mod:`hfollama_widgets.errors`).

Whatever was configured (``Hub(token=)``, ``HF_TOKEN``, ``Client(headers=)``, credentials in
``OLLAMA_HOST``) is registered and removed in any shape; so are header values
(``Authorization``, ``Cookie``), ``user:pass@`` in URLs and common token shapes.

>>> redact("Authorization: Bearer abcdefghijklmnop")
'Authorization: Bearer ***'
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import threading

__all__ = ["redact", "remember_secret", "scrub_exception"]

# What a secret looks like when nobody told us about it.
# Header values: ``Authorization: Bearer x`` / ``"authorization": "Basic x"`` keep the scheme word;
# ``Cookie`` / ``Set-Cookie`` values lose everything up to the end of the line or a quote (their
# ``a=1; b=2`` pairs are separated by ``;``, so stopping there would leak the rest). A value in
# ``<angle brackets>`` is a placeholder in our own fix texts, kept.
_AUTH_HEADER_RE = re.compile(
    r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)"
    r"(?!(?:[a-z]+\s+)?<)((?:bearer|basic|token|digest|negotiate|ntlm|apikey)\s+)?[^\s;,\"']+"
)
_COOKIE_HEADER_RE = re.compile(r"(?i)\b((?:set-)?cookie[\"']?\s*[:=]\s*[\"']?)[^\r\n\"']+")
# A scheme with a credential anywhere in the text ("sent Bearer abc..."), not only after a name.
_SCHEME_RE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
# ``user:pass@`` (or ``token@``) in a URL; ``user:pass@host`` without a scheme (OLLAMA_HOST form).
_URL_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@\"'<>]+@")
_BARE_USERINFO_RE = re.compile(r"(?<![\w/@.:-])[\w.~%-]+:[^\s/@\"'<>]+@(?=[\w\[])")
# Token shapes: Hugging Face user (``hf_``) and org (``api_org_``) tokens, ``api_...`` keys,
# ``sk-`` API keys, GitHub tokens, JWTs (``eyJ`` = base64 of ``{"``, two dot-separated parts).
_TOKEN_SHAPES_RE = re.compile(
    r"\b(?:hf_[A-Za-z0-9]{8,}|api_org_[A-Za-z0-9]{8,}|api_[A-Za-z0-9]{16,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)?)\b"
    r"|(?<![\w-])sk-[A-Za-z0-9_-]{16,}"
)
_ENV_SECRETS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "OLLAMA_API_KEY")
_MIN_SECRET = 4

_CONFIGURED_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()


def _secret_parts(value: str) -> list[str]:
    """``value`` and what a server may echo of it: the credential after a scheme word, and for
    ``Basic`` the decoded ``user:password`` and the password.

    >>> _secret_parts("Basic dXNlcjpzM2NyZXQ=")[1:]
    ['dXNlcjpzM2NyZXQ=', 'user:s3cret', 's3cret']
    """
    parts = [value.strip()]
    scheme, _, credential = parts[0].partition(" ")
    if credential.strip() and scheme.isalpha():
        parts.append(credential.strip())
        with contextlib.suppress(binascii.Error, ValueError):
            if scheme.lower() == "basic":
                decoded = base64.b64decode(parts[1], validate=True).decode("utf-8")
                parts.extend([decoded, decoded.partition(":")[2]] if ":" in decoded else [])
    return [p for p in parts if len(p) >= _MIN_SECRET]


def remember_secret(value: str | None) -> None:
    """Register a configured secret (a token, an ``Authorization``/``Cookie`` value, a password)
    so that :func:`redact` removes it, in any shape, from every message from now on.

    >>> remember_secret("Token mirror-key-0042")
    >>> redact("server said: bad key mirror-key-0042")
    'server said: bad key ***'
    """
    if isinstance(value, str):
        with _SECRETS_LOCK:
            _CONFIGURED_SECRETS.update(_secret_parts(value))


def redact(text: str, *secrets: str | None) -> str:
    """Remove secrets from ``text``: the given ones, those registered with
    :func:`remember_secret`, ``HF_TOKEN``/``OLLAMA_API_KEY``, ``Authorization``/``Cookie`` header
    values, ``user:pass@`` in URLs, and anything shaped like a token.

    >>> redact("failed with token hf_abcdefghijklmnop", None)
    'failed with token ***'
    >>> redact("headers: authorization: Bearer abc.def; cookie: s=1; t=2")
    'headers: authorization: Bearer ***; cookie: ***'
    >>> redact("GET http://bob:pa55@proxy.lan/api and bob:pa55@10.0.0.1:11434")
    'GET http://***@proxy.lan/api and ***@10.0.0.1:11434'
    """
    if not isinstance(text, str):
        text = str(text)
    candidates = {s for s in secrets if isinstance(s, str)}
    with _SECRETS_LOCK:
        candidates.update(_CONFIGURED_SECRETS)
    for name in _ENV_SECRETS:
        value = os.environ.get(name)
        if value:
            candidates.update(_secret_parts(value))
    for secret in sorted(candidates, key=len, reverse=True):
        if len(secret) >= _MIN_SECRET:
            text = text.replace(secret, "***")
    text = _AUTH_HEADER_RE.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}***", text)
    text = _COOKIE_HEADER_RE.sub(r"\1***", text)
    text = _SCHEME_RE.sub(r"\1 ***", text)
    text = _URL_USERINFO_RE.sub(r"\1***@", text)
    text = _BARE_USERINFO_RE.sub("***@", text)
    return _TOKEN_SHAPES_RE.sub("***", text)


def scrub_exception(exc: BaseException | None) -> None:
    """Make a third-party exception we replace hold no secret, since Python keeps it as our
    error's ``__context__`` even under ``raise ... from None``: its text is redacted, attributes
    that are objects (an httpx request with its headers, a response) are dropped, the locals of
    its finished frames cleared (the traceback's lines stay); its own chain is scrubbed and cut.

    >>> exc = KeyError("Authorization: Bearer abc123secret")
    >>> exc.response = object()
    >>> scrub_exception(exc)
    >>> exc.args, exc.response
    (('Authorization: Bearer ***',), None)
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc.args = tuple(redact(a) if isinstance(a, str) else a for a in exc.args)
        for name, value in list(getattr(exc, "__dict__", {}).items()):
            if isinstance(value, str):
                setattr(exc, name, redact(value))
            elif not isinstance(value, (int, float, type(None))):
                setattr(exc, name, None)
        tb = exc.__traceback__
        while tb is not None:
            with contextlib.suppress(RuntimeError):  # a frame still running: keep it
                tb.tb_frame.clear()
            tb = tb.tb_next
        chained = exc.__cause__ or exc.__context__
        exc.__cause__ = exc.__context__ = None
        exc.__suppress_context__ = True
        exc = chained
