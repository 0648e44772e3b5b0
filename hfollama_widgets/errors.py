"""One exception hierarchy for everything hfollama-widgets raises.

Every error carries a human message (``.message``) and, where there is one, the
fix (``.fix``); ``str(error)`` joins both. Widgets show the two parts apart.

    HFOllamaError
    ├── InvalidModelRefError (also ValueError)      bad repo id / model reference
    ├── InvalidArgumentError (also ValueError)      an argument out of range (names it)
    │   └── InvalidArgumentTypeError (also TypeError)
    ├── HubError                                     Hugging Face Hub side
    │   ├── HubUnreachableError
    │   ├── HubServerError                           HTTP 5xx: the Hub failed
    │   ├── InvalidTokenError                        401: the token was rejected
    │   ├── RateLimitedError                         429: too many requests
    │   ├── RepoNotFoundError
    │   ├── GatedRepoError                           401/403: accept terms, set HF_TOKEN
    │   ├── RevisionNotFoundError
    │   ├── EntryNotFoundError                       a file missing from the repo
    │   ├── NoGGUFFilesError
    │   ├── GGUFParseError                           a remote header that is not valid GGUF
    │   └── SelectionError (also LookupError)        choosing a quant failed
    │       ├── QuantizationNotFoundError
    │       ├── NoQuantFitsError
    │       └── SplitOnlyError
    └── OllamaError                                  Ollama server side
        ├── OllamaConnectionError                    server not running / unreachable
        ├── OllamaTimeoutError
        ├── OllamaProtocolError                      malformed line / unexpected body
        │   └── NotOllamaError                       the URL answers HTTP, but is not Ollama
        ├── ChatBusyError                            a reply is still streaming in a ChatWidget
        └── OllamaResponseError (.status_code, .error)
            ├── ModelNotFoundError                   404: pull it first
            ├── OllamaServerError                    HTTP 5xx
            ├── StreamError                          {"error": …} inside a 200 stream
            └── PullError
                ├── ManifestNotFoundError            pull model manifest: file does not exist
                ├── ShardedGGUFError                 the Hub refuses split GGUF to Ollama
                ├── UnknownTagError                  the Hub has no such quant tag
                ├── PrivateRepoAuthError             401 / realm host: key + huggingface.co/ form
                ├── NotGGUFRepoError                 the Hub: the repo holds no usable GGUF
                └── IncompletePullError              stream ended without "success"

Secrets never appear in messages: :func:`redact` is applied to every message, fix, ``str``,
``repr`` and :meth:`HFOllamaError.to_dict` (also to what :func:`remember_secret` learns later).
"""

from __future__ import annotations

from hfollama_widgets.redaction import redact, remember_secret

__all__ = [
    "ChatBusyError",
    "EntryNotFoundError",
    "GGUFParseError",
    "GatedRepoError",
    "HFOllamaError",
    "HubError",
    "HubServerError",
    "HubUnreachableError",
    "IncompletePullError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "InvalidModelRefError",
    "InvalidTokenError",
    "ManifestNotFoundError",
    "ModelNotFoundError",
    "NoGGUFFilesError",
    "NoQuantFitsError",
    "NotGGUFRepoError",
    "NotOllamaError",
    "OllamaConnectionError",
    "OllamaError",
    "OllamaProtocolError",
    "OllamaResponseError",
    "OllamaServerError",
    "OllamaTimeoutError",
    "PrivateRepoAuthError",
    "PullError",
    "QuantizationNotFoundError",
    "RateLimitedError",
    "RepoNotFoundError",
    "RevisionNotFoundError",
    "SelectionError",
    "ShardedGGUFError",
    "SplitOnlyError",
    "StreamError",
    "UnknownTagError",
    "redact",
    "remember_secret",
]


def _join(message: str, fix: str | None) -> str:
    """``message`` then ``fix`` as two sentences (server text often lacks a final period).

    >>> _join("HTTP 500: internal server error", "Retry."), _join("Gone.", None)
    ('HTTP 500: internal server error. Retry.', 'Gone.')
    """
    if not fix:
        return message
    end = "" if message.rstrip().endswith((".", "!", "?")) else "."
    return f"{message.rstrip()}{end} {fix}"


class HFOllamaError(Exception):
    """Base class of every error this package raises.

    ``message`` says what went wrong, ``fix`` what to do about it (may be ``None``).
    """

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = redact(message)
        self.fix = redact(fix) if fix else None
        super().__init__(_join(self.message, self.fix))

    def __str__(self) -> str:
        # Redacted again: a secret registered after the error was made is removed too.
        return redact(super().__str__())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def to_dict(self) -> dict[str, str | None]:
        """The error as plain data, for a widget's error state (redacted).

        >>> HFOllamaError("sent hf_abcdefghijklmnop", fix="Retry.").to_dict()["message"]
        'sent ***'
        """
        fix = redact(self.fix) if self.fix else None
        return {"type": type(self).__name__, "message": redact(self.message), "fix": fix}


class InvalidModelRefError(HFOllamaError, ValueError):
    """A repo id or model reference breaks the Hub's or Ollama's naming rules."""


class InvalidArgumentError(HFOllamaError, ValueError):
    """An argument's value is out of range (``max_size_gb=-1``, ``context_length=nan``, ...).

    ``param`` names the argument and ``value`` is what was given.

    >>> err = InvalidArgumentError("max_size_gb", -1.0, "must be a finite number > 0",
    ...                            fix="Pass the size limit in GB, e.g. max_size_gb=8.")
    >>> err.message, isinstance(err, ValueError)
    ('max_size_gb=-1.0 is not valid: it must be a finite number > 0', True)
    """

    def __init__(self, param: str, value: object, problem: str, *, fix: str | None = None):
        self.param, self.value = param, value
        super().__init__(f"{param}={value!r} is not valid: it {problem}", fix=fix)


class InvalidArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument has the wrong type (``max_size_gb="abc"``, ``max_size_gb=True``)."""


# --- Hugging Face Hub -------------------------------------------------------------------


class HubError(HFOllamaError):
    """Something went wrong talking to the Hugging Face Hub (or choosing from its files);
    ``status_code`` is the HTTP status when the Hub answered one."""

    def __init__(
        self,
        message: str,
        *,
        fix: str | None = None,
        repo_id: str | None = None,
        status_code: int | None = None,
    ) -> None:
        self.repo_id, self.status_code = repo_id, status_code
        super().__init__(message, fix=fix)


class HubUnreachableError(HubError):
    """The Hub endpoint could not be reached (network down, wrong ``HF_ENDPOINT``)."""


class HubServerError(HubError):
    """The Hub answered HTTP 5xx (``status_code``): reachable, but failing (an outage)."""


class InvalidTokenError(HubError):
    """The Hub rejected the token (HTTP 401 "Invalid credentials"): make a new one, set HF_TOKEN."""


class RateLimitedError(HubError):
    """The Hub answered 429: too many requests from this address; wait, or sign in with a token.

    ``retry_after`` is the seconds until the limit lifts, when the Hub said (``RateLimit``
    ``t=`` or ``Retry-After``)."""

    retry_after: int | None = None


class RepoNotFoundError(HubError):
    """The repository does not exist (or is private and no valid token was sent)."""


class GatedRepoError(HubError):
    """The repository is gated or private: accept its terms on the Hub and set ``HF_TOKEN``."""


class RevisionNotFoundError(HubError):
    """The branch, tag or commit does not exist in the repository."""


class EntryNotFoundError(HubError):
    """A file does not exist in the repository at that revision."""


class NoGGUFFilesError(HubError):
    """The repository has no ``.gguf`` model files."""


class GGUFParseError(HubError):
    """A remote file is not a valid GGUF file (bad magic, truncated header, ...)."""


class SelectionError(HubError, LookupError):
    """No quantization could be chosen from a repository's files."""


class QuantizationNotFoundError(SelectionError):
    """A requested quantization is not in the repository (the message lists what is)."""


class NoQuantFitsError(SelectionError):
    """Nothing fits the size (or memory) limit (the message gives the smallest available)."""


class SplitOnlyError(SelectionError):
    """Every quant in the repository is split into shards, which Ollama cannot pull."""


# --- Ollama -------------------------------------------------------------------------------


class OllamaError(HFOllamaError):
    """Something went wrong talking to the Ollama server."""


class OllamaConnectionError(OllamaError, ConnectionError):
    """The Ollama server could not be reached at the host tried."""


class OllamaTimeoutError(OllamaError, TimeoutError):
    """The Ollama server did not answer in time."""


class OllamaProtocolError(OllamaError):
    """The server sent something that is not the Ollama protocol (a malformed NDJSON line)."""


class NotOllamaError(OllamaProtocolError):
    """The host answers HTTP but is not an Ollama server (a web page, another app, a proxy's 404):
    ``OLLAMA_HOST`` (or ``Client(host)``) points at the wrong place. ``status_code`` is the
    HTTP status it answered (-1 when the body of a 200 gave it away)."""

    def __init__(self, message: str, *, fix: str | None = None, status_code: int = -1) -> None:
        self.status_code = status_code
        super().__init__(message, fix=fix)


class ChatBusyError(OllamaError):
    """A ChatWidget is still streaming a reply: wait for it (``chat.wait()``) or stop it first."""


class OllamaResponseError(OllamaError):
    """The server answered an error: ``status_code`` (-1 inside a stream) and ``error`` text."""

    def __init__(
        self,
        message: str,
        *,
        fix: str | None = None,
        status_code: int = -1,
        error: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.error = redact(error if error is not None else message)
        super().__init__(message, fix=fix)


class ModelNotFoundError(OllamaResponseError):
    """The model is not in the local Ollama store (HTTP 404): pull it first."""


class OllamaServerError(OllamaResponseError):
    """The server failed with an HTTP 5xx status."""


class StreamError(OllamaResponseError):
    """An ``{"error": ...}`` line arrived inside a streaming (HTTP 200) response."""


class PullError(OllamaResponseError):
    """A pull failed."""


class ManifestNotFoundError(PullError):
    """``pull model manifest: file does not exist``: no such model or tag in the registry."""


class ShardedGGUFError(PullError):
    """The Hub refuses split (sharded) GGUF files to Ollama: pick a single-file quant."""


class UnknownTagError(PullError):
    """The Hub has no file for that quantization tag."""


class PrivateRepoAuthError(PullError):
    """The Hub answered 401 to Ollama (private, gated or missing repo), or current Ollama refused
    the Hub's auth challenge for an ``hf.co/`` name (realm host ``huggingface.co``): register
    Ollama's public key on the Hub and pull with the ``huggingface.co/`` form.

    ``retry_model`` is the same model in the ``huggingface.co/…`` form when that form would get
    past the realm check (``None`` otherwise)."""

    retry_model: str | None = None


class NotGGUFRepoError(PullError):
    """The Hub's ``Repository is not GGUF or is not compatible with llama.cpp``."""


class IncompletePullError(PullError):
    """The pull stream ended without a ``success`` status."""
