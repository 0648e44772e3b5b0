"""Which Ollama model a Hugging Face call means (shared by the sync and async functions of ``hf``).

:func:`resolve_ref` turns a repo id or ``hf.co/…`` reference (plus an optional quantization)
into an Ollama reference, asking the Hub for the best quant when none is given;
:func:`local_pick` finds a model of that repo already on the Ollama server.

>>> as_ref("bartowski/Llama-3.2-1B-Instruct-GGUF")
'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF'
>>> local_pick({"models": [{"model": "hf.co/o/m:Q8_0"}]}, "hf.co/o/m")
'hf.co/o/m:Q8_0'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hfollama_widgets.checks import positive_number
from hfollama_widgets.errors import InvalidModelRefError, PrivateRepoAuthError
from hfollama_widgets.hub import Hub, default_hub
from hfollama_widgets.refs import ModelRef, looks_like_hf_ref, parse_model_ref, to_model_ref
from hfollama_widgets.repo_input import split_repo_input

__all__ = ["as_ref", "local_pick", "realm_retry", "resolve_ref", "tag_of"]

_HOST = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*://)?([^/]*)")


def as_ref(repo: str) -> str:
    """``repo`` as an ``hf.co/…`` reference (a repo id gets the ``hf.co/`` host; a reference
    keeps its host). Anything :func:`~hfollama_widgets.repo_input.split_repo_input` takes
    works, e.g. a file URL with ``?download=true``.

    >>> as_ref("https://huggingface.co/o/M-GGUF/resolve/main/M-Q8_0.gguf?download=true")
    'huggingface.co/o/M-GGUF:M-Q8_0.gguf'
    """
    text = repo.strip()
    if not looks_like_hf_ref(text):
        return f"hf.co/{text}"
    try:
        parse_model_ref(text)
    except InvalidModelRefError:
        repo_id, tag = split_repo_input(text)  # the forgiving parser, or its typed error
        host = _HOST.match(text)
        name = "huggingface.co" if host and "huggingface" in host.group(1).lower() else "hf.co"
        return ModelRef(name, repo_id, tag).ref
    return text


def realm_retry(err: PrivateRepoAuthError) -> str:
    """The ``huggingface.co/…`` name to pull again after ``err``, or re-raise ``err``.

    Why: Ollama >= 0.14.3 refuses an auth challenge whose realm host is not the requested host
    (ollama/ollama server/auth.go:60, PR #13738), and hf.co's realm is
    ``https://huggingface.co/v2/token`` (PR #16180, issue #15661); so a private or gated
    ``hf.co/…`` pull always fails there, while the ``huggingface.co/…`` form (same registry,
    hub-docs docs/hub/ollama.md) passes the check. Older Ollama never sends the realm error, so
    it never retries. Refs stay ``hf.co/…`` by default: the form public repos are pulled as.
    """
    if err.retry_model is None:
        raise err
    return err.retry_model


def tag_of(ref: str) -> str | None:
    """The tag (quantization) of an ``hf.co/…`` reference, ``None`` without one."""
    return parse_model_ref(ref).quantization


def resolve_ref(
    repo: str,
    quantization: str | None = None,
    *,
    hub: Hub | None = None,
    max_size_gb: float | None = None,
) -> str:
    """The Ollama reference for ``repo``; without a quantization or tag, the Hub's best pick.

    ``max_size_gb`` is checked first (a finite number > 0, or ``None``), even when the tag
    makes it moot, so a bad value never passes silently.

    >>> resolve_ref("hf.co/unsloth/Qwen3-4B-GGUF:q4_k_m")
    'hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M'
    >>> resolve_ref("unsloth/Qwen3-4B-GGUF:q4_k_m", max_size_gb=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hfollama_widgets.errors.InvalidArgumentTypeError: max_size_gb=True is not valid: ...
    """
    max_size_gb = positive_number("max_size_gb", max_size_gb)
    ref = to_model_ref(as_ref(repo), quantization)
    if tag_of(ref) is not None:
        return ref
    if hub is None:
        hub = default_hub()
    chosen, _row = hub.auto_select(parse_model_ref(ref).repo_id, max_size_gb=max_size_gb)
    return to_model_ref(ref, tag_of(chosen))


def local_pick(models: Mapping[str, Any], ref: str) -> str | None:
    """A pulled model of the same repo (most recently modified first), if any."""
    wanted = parse_model_ref(ref).repo_id.lower()
    for item in models.get("models") or []:
        name = str(item.get("model") or item.get("name") or "")
        try:
            parsed = parse_model_ref(name)
        except ValueError:
            continue
        if parsed.repo_id.lower() == wanted:
            return name
    return None
