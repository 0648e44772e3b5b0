"""Pull errors by their text: what the Hub and Ollama put in a pull's ``error`` (no I/O).

:func:`pull_line_error` maps a known text to its typed error (sharded, shards-only, not GGUF,
unknown tag, 401 / realm host, missing manifest); :func:`generic_pull_error` covers the rest.
The texts and their sources are next to each branch.
"""

from __future__ import annotations

import re
from typing import Any

from hfollama_widgets.errors import (
    ManifestNotFoundError,
    NotGGUFRepoError,
    PrivateRepoAuthError,
    PullError,
    ShardedGGUFError,
    UnknownTagError,
)
from hfollama_widgets.ollama._core import Call

__all__ = ["generic_pull_error", "huggingface_form", "pull_line_error"]


_HF_REF = re.compile(r"^(?:https?://)?(?:hf\.co|huggingface\.co)/([^/:]+/[^/:]+)", re.IGNORECASE)
_STATUS_401 = re.compile(r"(?<![\w.])401(?![\w.])")


def _repo_hint(model: str | None) -> str:
    """The HF repo id inside an ``hf.co/…`` name, else the name itself (for fix messages)."""
    if not model:
        return "<repo>"
    match = _HF_REF.match(model)
    return match.group(1) if match else model


_KEY_STEP = (
    "Add Ollama's public key ~/.ollama/id_ed25519.pub (Linux service install: "
    "/usr/share/ollama/.ollama/id_ed25519.pub) at https://huggingface.co/settings/keys, "
    "and accept the repo's terms if it is gated. HF_TOKEN does not reach Ollama."
)
# Ollama >= 0.14.3 refuses an auth challenge whose realm host differs from the requested host
# (ollama/ollama server/auth.go:60, PR #13738); hf.co's realm is huggingface.co (PR #16180), so
# every 401 via `hf.co/…` (private, gated, or a misspelled repo) ends in this text (#15661).
_REALM = re.compile(r'realm host "([^"]*)" does not match original host "([^"]*)"')


def huggingface_form(model: str) -> str | None:
    """``model`` with the ``huggingface.co/`` host instead of ``hf.co/`` (``None`` if not hf.co).

    >>> huggingface_form("hf.co/o/m:Q4_K_M"), huggingface_form("llama3")
    ('huggingface.co/o/m:Q4_K_M', None)
    """
    match = re.match(r"^(https?://)?hf\.co/", model, re.IGNORECASE)
    return f"{match.group(1) or ''}huggingface.co/{model[match.end() :]}" if match else None


def _auth_error(call: Call, error: str, kw: dict[str, Any]) -> PrivateRepoAuthError:
    model = call.model or "?"
    retry = huggingface_form(model)
    realm = _REALM.search(error)
    if realm:
        message = (
            f"Ollama refused the Hugging Face Hub's login for {model}: the Hub asks it to sign in "
            f"at {realm.group(1)}, another host than {realm.group(2)} (Ollama >= 0.14.3 checks "
            "this). The Hub does that for private and gated repos and for repos that do not "
            "exist."
        )
    else:
        message = (
            f"The Hugging Face Hub refused Ollama access to {model} (401): the repo is private "
            "or gated (or does not exist) and Ollama's key is not registered on your Hub account."
        )
    steps = f"1. {_KEY_STEP} 2. Pull with the huggingface.co/ form"
    steps += f": {retry!r}." if retry else " (huggingface.co/owner/repo:TAG)."
    steps += " Check the repo name too: the Hub answers a missing repo the same way."
    err = PrivateRepoAuthError(message, fix=steps, **kw)
    err.retry_model = retry if realm else None
    return err


def pull_line_error(call: Call, error: str, *, status_code: int = -1) -> PullError | None:
    """The specific pull error for an error text, or ``None`` when the text is not a known one."""
    model = call.model or "?"
    repo = _repo_hint(call.model)
    lowered = error.lower()
    kw: dict[str, Any] = {"status_code": status_code, "error": error}
    if "only contains sharded gguf" in lowered:
        # The Hub's shards-only text (ollama/ollama PR #17743; older: "The specified repository
        # contains sharded GGUF", unsloth#3594): no tag of this repo can be pulled.
        return ShardedGGUFError(
            f"The Hugging Face Hub cannot serve {model} to Ollama: the repo has only split "
            f"(sharded) GGUF files, which Ollama cannot pull yet ({error}).",
            fix="Download the shards (hf download <repo> --include '*<quant>*'), merge them with "
            "llama.cpp's `llama-gguf-split --merge` and load the result with `ollama create`; "
            "or use another repo of this model that has single-file quantizations.",
            **kw,
        )
    if "sharded gguf" in lowered:
        return ShardedGGUFError(
            f"The Hugging Face Hub refuses to serve {model} to Ollama: that quantization is a "
            f"split (sharded) GGUF, which Ollama cannot pull yet ({error}).",
            fix=f"Pick a single-file quantization: hfw.list_gguf_files({repo!r}) shows which "
            "(column ollama_pullable), or download the shards and merge them with `ollama create`.",
            **kw,
        )
    if "not gguf or is not compatible" in lowered:
        # huggingface/hub-docs#1451: the Hub's answer for a repo without a usable GGUF file.
        return NotGGUFRepoError(
            f"The Hugging Face repo in {model} has no GGUF file Ollama can use ({error}).",
            fix="Pick a repo that holds .gguf files (often the same name with -GGUF, e.g. by "
            "bartowski or unsloth): hfw.list_gguf_files(repo) checks one.",
            **kw,
        )
    if "tag is not available" in lowered or "not a valid quantization" in lowered:
        return UnknownTagError(
            f"The Hugging Face repo has no file for the tag in {model} ({error}).",
            fix=f"List the repo's quantizations with hfw.list_gguf_files({repo!r}) and use a tag "
            "from its ollama_tag column, or omit the tag to let the Hub choose.",
            **kw,
        )
    # "unauthorized: access denied": a second 401 after the token (errUnauthorized,
    # server/images.go:1307, makeRequestWithRetry).
    if (
        _REALM.search(error)
        or ("pull model manifest" in lowered and _STATUS_401.search(error))
        or "unauthorized: access denied" in lowered
    ):
        return _auth_error(call, error, kw)
    if "file does not exist" in lowered:
        return ManifestNotFoundError(
            f"No such model or tag in the registry: {model} ({error}).",
            fix=f"Check the name; for a Hugging Face repo check that {repo!r} exists on the Hub "
            f"and list its quantizations with hfw.list_gguf_files({repo!r}).",
            **kw,
        )
    return None


def generic_pull_error(call: Call, error: str, status_code: int) -> PullError:
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
