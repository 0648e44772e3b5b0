"""What the sync and async clients share, part 2: decoding answers and mapping errors (no I/O).

The answer to a :class:`~._core.Call` goes through :func:`error_for_status` (HTTP ≥ 400),
:func:`decode_body` (one JSON object) or a :class:`LineDecoder` (NDJSON stream), which raise the
typed errors of :mod:`hfollama_widgets.errors`; :func:`transport_error` maps httpx failures.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from hfollama_widgets.errors import (
    IncompletePullError,
    ManifestNotFoundError,
    ModelNotFoundError,
    OllamaConnectionError,
    OllamaError,
    OllamaProtocolError,
    OllamaResponseError,
    OllamaServerError,
    OllamaTimeoutError,
    PrivateRepoAuthError,
    PullError,
    ShardedGGUFError,
    StreamError,
    UnknownTagError,
)
from hfollama_widgets.ollama._core import Call

__all__ = [
    "LineDecoder",
    "decode_body",
    "error_for_status",
    "pull_line_error",
    "transport_error",
]


_HF_REF = re.compile(r"^(?:https?://)?(?:hf\.co|huggingface\.co)/([^/:]+/[^/:]+)", re.IGNORECASE)
_STATUS_401 = re.compile(r"(?<![\w.])401(?![\w.])")


def _repo_hint(model: str | None) -> str:
    """The HF repo id inside an ``hf.co/…`` name, else the name itself (for fix messages)."""
    if not model:
        return "<repo>"
    match = _HF_REF.match(model)
    return match.group(1) if match else model


def _error_text(text: str) -> str:
    """The ``error`` string of an Ollama error body, or the raw text when it is not JSON."""
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip() or "(empty body)"
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    return text.strip()


def pull_line_error(call: Call, error: str, *, status_code: int = -1) -> PullError | None:
    """The specific pull error for an error text, or ``None`` when the text is not a known one."""
    model = call.model or "?"
    repo = _repo_hint(call.model)
    lowered = error.lower()
    kw: dict[str, Any] = {"status_code": status_code, "error": error}
    if "sharded gguf" in lowered:
        return ShardedGGUFError(
            f"The Hugging Face Hub refuses to serve {model} to Ollama: that quantization is a "
            f"split (sharded) GGUF, which Ollama cannot pull yet ({error}).",
            fix=f"Pick a single-file quantization: hfw.list_gguf_files({repo!r}) shows which "
            "(column ollama_pullable), or download the shards and merge them with `ollama create`.",
            **kw,
        )
    if "tag is not available" in lowered or "not a valid quantization" in lowered:
        return UnknownTagError(
            f"The Hugging Face repo has no file for the tag in {model} ({error}).",
            fix=f"List the repo's quantizations with hfw.list_gguf_files({repo!r}) and use a tag "
            "from its ollama_tag column, or omit the tag to let the Hub choose.",
            **kw,
        )
    if "pull model manifest" in lowered and _STATUS_401.search(error):
        return PrivateRepoAuthError(
            f"The Hugging Face Hub refused Ollama access to {model} (401): the repo is private "
            "or gated and Ollama's key is not registered on your Hub account.",
            fix="Add Ollama's public key ~/.ollama/id_ed25519.pub (Linux service install: "
            "/usr/share/ollama/.ollama/id_ed25519.pub) at https://huggingface.co/settings/keys, "
            "and accept the repo's terms if it is gated. HF_TOKEN does not reach Ollama.",
            **kw,
        )
    if "file does not exist" in lowered:
        return ManifestNotFoundError(
            f"No such model or tag in the registry: {model} ({error}).",
            fix=f"Check the name; for a Hugging Face repo check that {repo!r} exists on the Hub "
            f"and list its quantizations with hfw.list_gguf_files({repo!r}).",
            **kw,
        )
    return None


def _generic_pull_error(call: Call, error: str, status_code: int) -> PullError:
    fix = "Check the model name and that the server can reach the registry, then pull again."
    if "invalid model name" in error:
        fix = (
            "Use a name like hf.co/owner/repo:TAG (owner without dots, parts of ≤ 80 "
            "characters); hfw.model_ref(repo_id, quantization) builds one."
        )
    elif "429" in error or "rate limit" in error.lower():
        fix = "The registry is rate-limiting this IP: wait a few minutes and pull again."
    return PullError(
        f"Pulling {call.model} failed: {error}", fix=fix, status_code=status_code, error=error
    )


def error_for_status(call: Call, status_code: int, text: str, host: str) -> OllamaResponseError:
    """The typed error for an HTTP error answer (status ≥ 400) to ``call``."""
    error = _error_text(text)
    model = call.model
    if call.endpoint == "pull":
        specific = pull_line_error(call, error, status_code=status_code)
        if specific is not None:
            return specific
    if status_code == 404 and model:
        return ModelNotFoundError(
            f"Model {model!r} is not on the Ollama server at {host} ({error}).",
            fix=f"Pull it first: hfw.pull(client, {model!r}), or `ollama pull {model}`.",
            status_code=status_code,
            error=error,
        )
    fix: str | None
    if status_code >= 500:
        if status_code == 503:
            fix = "The server is busy (its request queue is full): retry in a moment."
        else:
            fix = "Check the Ollama server log (journalctl -u ollama, ~/.ollama/logs) and retry."
        return OllamaServerError(
            f"Ollama at {host} failed on {call.method} {call.path} "
            f"with HTTP {status_code}: {error}",
            fix=fix,
            status_code=status_code,
            error=error,
        )
    if call.endpoint == "pull":
        return _generic_pull_error(call, error, status_code)
    fix = None
    if "does not support thinking" in error:
        fix = "Call it without think= (or with think=False): only thinking models accept it."
    elif "invalid model name" in error or "is invalid" in error:
        fix = "Use a name like hf.co/owner/repo:TAG (owner without dots, parts of ≤ 80 characters)."
    elif "does not support" in error:
        fix = "Use a model that has this capability: client.show(model)['capabilities'] lists them."
    return OllamaResponseError(
        f"Ollama rejected {call.method} {call.path}"
        + (f" for {model!r}" if model else "")
        + f" (HTTP {status_code}): {error}",
        fix=fix,
        status_code=status_code,
        error=error,
    )


def transport_error(
    call: Call, exc: Exception, host: str, *, mid_stream: bool = False
) -> OllamaError:
    """Map an httpx transport failure to our errors (connection refused, timeout, cut stream)."""
    if isinstance(exc, httpx.TimeoutException):
        return OllamaTimeoutError(
            f"Ollama at {host} did not answer {call.method} {call.path} in time "
            f"({type(exc).__name__}).",
            fix="Pass a longer timeout, e.g. Client(timeout=httpx.Timeout(600, connect=5)), or "
            "check the server is not stuck (loading a large model can take minutes).",
        )
    dropped = isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError))
    if mid_stream or (dropped and call.endpoint == "pull"):
        if call.endpoint == "pull":
            return IncompletePullError(
                f"The pull of {call.model} stopped before it finished: the connection to "
                f"{host} closed mid-stream ({type(exc).__name__}).",
                fix="Pull again: Ollama resumes from the bytes it already has.",
                error=str(exc),
            )
        return OllamaConnectionError(
            f"The connection to Ollama at {host} closed before the {call.endpoint} reply "
            f"finished ({type(exc).__name__}).",
            fix="Check the server is still running (it may have crashed or restarted) and retry.",
        )
    return OllamaConnectionError(
        f"Could not connect to Ollama at {host} ({type(exc).__name__}: {exc}).",
        fix="Start it with `ollama serve` (or open the Ollama app), or point the client at the "
        "right server: set OLLAMA_HOST or pass Client('http://host:11434').",
    )


def _parse_json(call: Call, text: str, host: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise OllamaProtocolError(
            f"Ollama at {host} sent a reply to {call.method} {call.path} that is not JSON: "
            f"{text[:200]!r}",
            fix="Check that OLLAMA_HOST points at an Ollama server (not a proxy or another app).",
        ) from exc
    if not isinstance(data, dict):
        raise OllamaProtocolError(
            f"Ollama at {host} sent a JSON {type(data).__name__} to {call.path}, "
            f"not an object: {text[:200]!r}",
            fix="Check that OLLAMA_HOST points at an Ollama server.",
        )
    return data


def decode_body(call: Call, text: str, host: str) -> dict[str, Any]:
    """The JSON object of a successful non-streaming answer (errors inside it are raised)."""
    data = _parse_json(call, text, host)
    error = data.get("error")
    if isinstance(error, str):
        if call.endpoint == "pull":
            raise pull_line_error(call, error) or _generic_pull_error(call, error, -1)
        raise StreamError(f"Ollama reported an error: {error}", error=error)
    if call.endpoint == "pull" and data.get("status") != "success":
        raise IncompletePullError(
            f"The pull of {call.model} ended without success (last status: "
            f"{data.get('status')!r}).",
            fix="Pull again: Ollama resumes from the bytes it already has.",
            error=str(data.get("status")),
        )
    return data


class LineDecoder:
    """Turns NDJSON lines of a streaming answer into dicts and checks how the stream ends."""

    def __init__(self, call: Call, host: str) -> None:
        self.call = call
        self.host = host
        self.last: dict[str, Any] | None = None
        self.count = 0

    def feed(self, line: str) -> dict[str, Any] | None:
        """The object on ``line`` (``None`` for a blank line); raise on an ``error`` line."""
        if not line.strip():
            return None
        data = _parse_json(self.call, line, self.host)
        error = data.get("error")
        if isinstance(error, str):
            if self.call.endpoint == "pull":
                raise pull_line_error(self.call, error) or _generic_pull_error(self.call, error, -1)
            raise StreamError(
                f"Ollama reported an error in the middle of the {self.call.endpoint} stream "
                f"for {self.call.model!r}: {error}",
                fix="Retry; if it happens again, check the Ollama server log.",
                error=error,
            )
        self.last = data
        self.count += 1
        return data

    def finish(self) -> None:
        """The server ended the stream: raise if it ended too early."""
        last = self.last or {}
        if self.call.endpoint == "pull":
            if last.get("status") != "success":
                raise IncompletePullError(
                    f"The pull of {self.call.model} ended without success (last status: "
                    f"{last.get('status')!r}).",
                    fix="Pull again: Ollama resumes from the bytes it already has.",
                    error=str(last.get("status")),
                )
        elif not last.get("done"):
            raise OllamaProtocolError(
                f"The {self.call.endpoint} stream from {self.host} ended before its final "
                f"'done' line ({self.count} lines received).",
                fix="The server may have crashed mid-reply: check it is running and retry.",
            )
