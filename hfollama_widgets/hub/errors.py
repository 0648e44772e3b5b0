"""Map huggingface_hub / httpx exceptions to the package's :mod:`~hfollama_widgets.errors`.

Every mapped error names the repo, the endpoint where it helps, and the fix. Secrets never
appear: the token is registered with :func:`~hfollama_widgets.errors.remember_secret`, messages
are built from our own text plus the server's first line (redacted), every error is raised
``from None`` (huggingface_hub's exception holds the request, with its ``Authorization`` header,
and a message that may echo it), and :class:`~hfollama_widgets.errors.HFOllamaError` redacts
anything token-shaped on top.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx
from huggingface_hub import errors as hf_errors

from hfollama_widgets.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HFOllamaError,
    HubError,
    HubServerError,
    HubUnreachableError,
    InvalidModelRefError,
    InvalidTokenError,
    RateLimitedError,
    RepoNotFoundError,
    RevisionNotFoundError,
    redact,
    remember_secret,
)
from hfollama_widgets.redaction import scrub_exception

__all__ = [
    "gated_repo_error",
    "hub_errors",
    "map_hub_error",
    "retry_after_seconds",
    "unreachable",
]

_TOKEN_FIX = "pass token= to Hub(...) or set HF_TOKEN to a token with access"


def unreachable(endpoint: str, repo_id: str | None, what: str) -> HubUnreachableError:
    """The error for a Hub that cannot be reached at ``endpoint``."""
    return HubUnreachableError(
        f"Could not reach the Hugging Face Hub at {endpoint} ({what}).",
        fix="Check your network connection, or point HF_ENDPOINT (or Hub(endpoint=...)) at a "
        "reachable Hub; unset HF_HUB_OFFLINE if you set it.",
        repo_id=repo_id,
    )


def gated_repo_error(endpoint: str, repo_id: str | None, *, token_sent: bool) -> GatedRepoError:
    """The error for a gated repo whose files were refused; the fix points at the repo's page
    on ``endpoint`` (where the terms are accepted).

    >>> gated_repo_error("https://hub.example", "o/M-GGUF", token_sent=False).fix[:43]
    'Accept the terms at https://hub.example/o/M'
    """
    page = f"{endpoint.rstrip('/')}/{repo_id}"
    if token_sent:
        return GatedRepoError(
            f"{repo_id} is a gated repo and the token sent has not been granted access.",
            fix=f"Accept the terms at {page} with the account that owns the token "
            "(HF_TOKEN or token=), then wait for access to be granted.",
            repo_id=repo_id,
        )
    return GatedRepoError(
        f"{repo_id} is a gated repo: its files need an accepted licence and a token.",
        fix=f"Accept the terms at {page}, then set HF_TOKEN (or pass token=) to a token "
        "of that account.",
        repo_id=repo_id,
    )


_RATELIMIT_RESET = re.compile(r";\s*t\s*=\s*(\d+)")


def retry_after_seconds(headers: Mapping[str, str]) -> int | None:
    """Seconds until a 429 lifts: the ``t=`` of ``RateLimit`` (IETF draft, as the Hub sends it),
    else a numeric ``Retry-After``.

    >>> retry_after_seconds({"RateLimit": '"api";r=0;t=55'}), retry_after_seconds({})
    (55, None)
    """
    lower = {k.lower(): v for k, v in headers.items()}
    m = _RATELIMIT_RESET.search(lower.get("ratelimit", ""))
    if m:
        return int(m.group(1))
    value = lower.get("retry-after", "").strip()
    return int(value) if value.isdigit() else None


def _for(repo_id: str | None) -> str:
    return f" for {repo_id}" if repo_id else ""


def _server_message(exc: hf_errors.HfHubHTTPError) -> str:
    """The server's first line: huggingface_hub takes it from the ``X-Error-Message`` header or
    the body's ``error``/``errors`` (huggingface_hub/utils/_http.py, ``_format``), so a server
    that echoes the request brings the ``Authorization`` header back here: redacted, cut short."""
    msg = (exc.server_message or "").strip().splitlines()
    return redact(msg[0])[:300] if msg else ""


def _status(exc: hf_errors.HfHubHTTPError) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


@contextmanager
def hub_errors(
    *, endpoint: str, repo_id: str | None, revision: str | None = None, token: str | None = None
) -> Iterator[None]:
    """Translate exceptions raised inside the block (``token`` is redacted if it ever shows).

    Ours are raised ``from None`` and the replaced exception is scrubbed
    (:func:`~hfollama_widgets.errors.scrub_exception`): Python still keeps it as
    ``__context__``, and huggingface_hub's holds the request with its ``Authorization`` header.
    """
    remember_secret(token)
    try:
        yield
    except Exception as exc:
        mapped = map_hub_error(exc, endpoint=endpoint, repo_id=repo_id, revision=revision)
        if mapped is None:
            if isinstance(exc, HFOllamaError):  # ours, from an inner block: clean what it holds
                scrub_exception(exc.__cause__)
                scrub_exception(exc.__context__)
            raise
        scrub_exception(exc)
        raise mapped from None


def map_hub_error(
    exc: Exception, *, endpoint: str, repo_id: str | None, revision: str | None = None
) -> HFOllamaError | None:
    """Our error for a huggingface_hub / httpx exception (``None``: not one of theirs).

    >>> map_hub_error(httpx.ConnectError("refused"), endpoint="https://h", repo_id="o/m").message
    'Could not reach the Hugging Face Hub at https://h (ConnectError).'
    """
    if isinstance(exc, hf_errors.GatedRepoError):  # subclass of RepositoryNotFoundError: first
        # 401: no token was sent; 403: a token without access.
        return gated_repo_error(endpoint, repo_id, token_sent=_status(exc) == 403)
    if isinstance(exc, hf_errors.RevisionNotFoundError):
        return RevisionNotFoundError(
            f"Revision {revision!r} does not exist in {repo_id}.",
            fix="Use a branch, tag or commit of the repo (the default is 'main').",
            repo_id=repo_id,
        )
    if isinstance(exc, hf_errors.RepositoryNotFoundError):
        return RepoNotFoundError(
            f"Repository {repo_id} was not found on {endpoint}.",
            fix=f"Check the id (owner/name, case matters less than spelling). If the repo is "
            f"private, {_TOKEN_FIX}.",
            repo_id=repo_id,
        )
    if isinstance(exc, hf_errors.RemoteEntryNotFoundError):
        return EntryNotFoundError(
            f"A file requested from {repo_id} does not exist at revision {revision or 'main'!r}.",
            fix="List the repo's files with list_gguf_files() and use one of those names.",
            repo_id=repo_id,
        )
    if isinstance(exc, hf_errors.OfflineModeIsEnabled):
        return HubUnreachableError(
            f"HF_HUB_OFFLINE is set, so the Hub at {endpoint} is not contacted.",
            fix="Unset HF_HUB_OFFLINE (before importing huggingface_hub) to list Hub repos.",
            repo_id=repo_id,
        )
    if isinstance(exc, hf_errors.HFValidationError):
        return InvalidModelRefError(f"Invalid repo id {repo_id!r}: {redact(str(exc))}")
    if isinstance(exc, hf_errors.HfHubHTTPError):
        return _http_error(exc, endpoint, repo_id)
    if isinstance(exc, hf_errors.LocalTokenNotFoundError):
        return HubError(
            "token=True asks for a Hugging Face token, but none is configured.",
            fix="Set HF_TOKEN, run `hf auth login`, or pass token='hf_...' to Hub(...).",
            repo_id=repo_id,
        )
    if isinstance(exc, httpx.TimeoutException):
        return unreachable(endpoint, repo_id, "timed out")
    if isinstance(exc, (httpx.TransportError, ConnectionError, OSError)):
        return unreachable(endpoint, repo_id, type(exc).__name__)
    return None


def _http_error(exc: hf_errors.HfHubHTTPError, endpoint: str, repo_id: str | None) -> HubError:
    """The error for an HTTP answer huggingface_hub did not give a class of its own."""
    status, server = _status(exc), _server_message(exc)
    if status == 401:
        # What is left of 401 after the repo/gated codes: "Invalid credentials in
        # Authorization header", i.e. the token itself was rejected (unknown, revoked).
        return InvalidTokenError(
            f"The Hub at {endpoint} rejected the token sent with the request{_for(repo_id)}"
            + (f" ({server})." if server else "."),
            fix=f"Create a token at {endpoint}/settings/tokens and set HF_TOKEN (or "
            "token=) to it, or unset HF_TOKEN for public repos.",
            repo_id=repo_id,
            status_code=status,
        )
    if status == 429:
        response = getattr(exc, "response", None)
        wait = retry_after_seconds(response.headers) if response is not None else None
        limited = RateLimitedError(
            f"The Hub at {endpoint} is rate-limiting requests{_for(repo_id)}"
            + (f" (retry in {wait} s)." if wait is not None else "."),
            fix=(f"Wait {wait} seconds" if wait is not None else "Wait a minute")
            + " and retry; requests with a token (HF_TOKEN) get a higher limit.",
            repo_id=repo_id,
            status_code=status,
        )
        limited.retry_after = wait
        return limited
    if status is not None and status >= 500:
        # Reachable but failing: a service failure (the CLI's exit 4), not HubUnreachableError
        # (exit 3).
        return HubServerError(
            f"The Hub at {endpoint} failed with HTTP {status}{_for(repo_id)}"
            + (f": {server}" if server else "."),
            fix="The Hub may be having an outage: retry later (status.huggingface.co); if "
            "HF_ENDPOINT points at a mirror, check that mirror.",
            repo_id=repo_id,
            status_code=status,
        )
    return HubError(
        f"The Hub at {endpoint} answered HTTP {status}{_for(repo_id)}"
        + (f": {server}" if server else "."),
        fix="Check the repo id and arguments; if it persists, report it with this message.",
        repo_id=repo_id,
        status_code=status,
    )
