"""Map huggingface_hub / httpx exceptions to the package's :mod:`~hfollama_widgets.errors`.

Every mapped error names the repo, the endpoint where it helps, and the fix. Tokens never
appear: messages are built from our own text plus the server's short message, and
:class:`~hfollama_widgets.errors.HFOllamaError` redacts anything token-shaped on top.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from huggingface_hub import errors as hf_errors

from hfollama_widgets.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HubError,
    HubUnreachableError,
    InvalidModelRefError,
    RepoNotFoundError,
    RevisionNotFoundError,
    redact,
)

__all__ = ["hub_errors", "unreachable"]

_TOKEN_FIX = "pass token= to Hub(...) or set HF_TOKEN to a token with access"


def unreachable(endpoint: str, repo_id: str | None, what: str) -> HubUnreachableError:
    """The error for a Hub that cannot be reached at ``endpoint``."""
    return HubUnreachableError(
        f"Could not reach the Hugging Face Hub at {endpoint} ({what}).",
        fix="Check your network connection, or point HF_ENDPOINT (or Hub(endpoint=...)) at a "
        "reachable Hub; unset HF_HUB_OFFLINE if you set it.",
        repo_id=repo_id,
    )


def _server_message(exc: hf_errors.HfHubHTTPError) -> str:
    msg = (exc.server_message or "").strip().splitlines()
    return redact(msg[0]) if msg else ""


def _status(exc: hf_errors.HfHubHTTPError) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


@contextmanager
def hub_errors(
    *, endpoint: str, repo_id: str | None, revision: str | None = None, token: str | None = None
) -> Iterator[None]:
    """Translate exceptions raised inside the block (``token`` is redacted if it ever shows)."""
    try:
        yield
    except hf_errors.GatedRepoError as exc:  # subclass of RepositoryNotFoundError: first
        page = f"https://huggingface.co/{repo_id}"
        if _status(exc) == 403:
            raise GatedRepoError(
                f"{repo_id} is a gated repo and the token sent has not been granted access.",
                fix=f"Accept the terms at {page} with the account that owns the token "
                "(HF_TOKEN or token=), then wait for access to be granted.",
                repo_id=repo_id,
            ) from None
        raise GatedRepoError(
            f"{repo_id} is a gated repo: its files need an accepted licence and a token.",
            fix=f"Accept the terms at {page}, then set HF_TOKEN (or pass token=) to a token "
            "of that account.",
            repo_id=repo_id,
        ) from None
    except hf_errors.RevisionNotFoundError:
        raise RevisionNotFoundError(
            f"Revision {revision!r} does not exist in {repo_id}.",
            fix="Use a branch, tag or commit of the repo (the default is 'main').",
            repo_id=repo_id,
        ) from None
    except hf_errors.RepositoryNotFoundError:
        raise RepoNotFoundError(
            f"Repository {repo_id} was not found on {endpoint}.",
            fix=f"Check the id (owner/name, case matters less than spelling). If the repo is "
            f"private, {_TOKEN_FIX}.",
            repo_id=repo_id,
        ) from None
    except hf_errors.RemoteEntryNotFoundError:
        raise EntryNotFoundError(
            f"A file requested from {repo_id} does not exist at revision {revision or 'main'!r}.",
            fix="List the repo's files with list_gguf_files() and use one of those names.",
            repo_id=repo_id,
        ) from None
    except hf_errors.OfflineModeIsEnabled:
        raise HubUnreachableError(
            f"HF_HUB_OFFLINE is set, so the Hub at {endpoint} is not contacted.",
            fix="Unset HF_HUB_OFFLINE (before importing huggingface_hub) to list Hub repos.",
            repo_id=repo_id,
        ) from None
    except hf_errors.HFValidationError as exc:
        raise InvalidModelRefError(
            f"Invalid repo id {repo_id!r}: {redact(str(exc), token)}"
        ) from None
    except hf_errors.HfHubHTTPError as exc:
        status, server = _status(exc), _server_message(exc)
        if status == 401:
            raise HubError(
                f"The Hub at {endpoint} rejected the token sent with the request for {repo_id}"
                + (f" ({server})." if server else "."),
                fix="Set HF_TOKEN (or token=) to a valid token from "
                "https://huggingface.co/settings/tokens, or unset it for public repos.",
                repo_id=repo_id,
            ) from None
        if status == 429:
            raise HubError(
                f"The Hub at {endpoint} is rate-limiting requests for {repo_id}.",
                fix="Wait a minute and retry; logging in (HF_TOKEN) raises the limit.",
                repo_id=repo_id,
            ) from None
        if status is not None and status >= 500:
            raise HubUnreachableError(
                f"The Hub at {endpoint} failed with HTTP {status} for {repo_id}.",
                fix="The Hub may be having an outage: retry later (status.huggingface.co).",
                repo_id=repo_id,
            ) from None
        raise HubError(
            f"The Hub at {endpoint} answered HTTP {status} for {repo_id}"
            + (f": {server}" if server else "."),
            fix="Check the repo id and arguments; if it persists, report it with this message.",
            repo_id=repo_id,
        ) from None
    except hf_errors.LocalTokenNotFoundError:
        raise HubError(
            "token=True asks for a Hugging Face token, but none is configured.",
            fix="Set HF_TOKEN, run `hf auth login`, or pass token='hf_...' to Hub(...).",
            repo_id=repo_id,
        ) from None
    except httpx.TimeoutException:
        raise unreachable(endpoint, repo_id, "timed out") from None
    except (httpx.TransportError, ConnectionError, OSError) as exc:
        raise unreachable(endpoint, repo_id, type(exc).__name__) from None
