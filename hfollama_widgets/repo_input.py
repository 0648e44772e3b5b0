"""Forgiving repo input (pure, no I/O): a repo id from whatever is pasted into a repo box.

:func:`split_repo_input` takes ``owner/name``, ``hf.co/…``, ``huggingface.co/…`` and model-page
URLs (``/tree/<rev>``, ``/blob/<rev>/<file>``, ``/resolve/<rev>/<file>``) plus an optional
``:QUANT`` suffix; :func:`repo_id_from_input` is the same for places that want only a repo and
refuses the suffix with a fix that says to drop it. The result is always a repo id that
:func:`~hfollama_widgets.refs.validate_repo_id` (strict, unchanged) accepts.

>>> split_repo_input("https://huggingface.co/unsloth/Qwen3-4B-GGUF/tree/main")
('unsloth/Qwen3-4B-GGUF', None)
"""

from __future__ import annotations

import re

from hfollama_widgets.errors import InvalidModelRefError
from hfollama_widgets.refs import HF_HOSTS, normalize_tag, validate_repo_id

__all__ = [
    "merge_quantization",
    "quant_suffix_error",
    "repo_id_from_input",
    "split_repo_input",
]

_EXAMPLE = "bartowski/Llama-3.2-1B-Instruct-GGUF"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
#: Model-page URL kinds after ``owner/name`` (huggingface.co/owner/name/<kind>/...).
_URL_KINDS = ("tree", "blob", "resolve", "commit", "discussions", "files")


def _not_hf(text: str, why: str) -> InvalidModelRefError:
    return InvalidModelRefError(
        f"{text!r} is not a Hugging Face repo: {why}.",
        fix=f"Pass 'owner/name' or its page URL, e.g. 'https://huggingface.co/{_EXAMPLE}'.",
    )


def _split_input(text: object) -> tuple[str, str | None, bool]:
    """(repo id, tag or None, whether the tag came from a ``:TAG`` suffix)."""
    if not isinstance(text, str):
        raise InvalidModelRefError(
            f"A repo id must be a string, not {type(text).__name__}.",
            fix=f"Pass it as 'owner/name', e.g. {_EXAMPLE!r}.",
        )
    raw = text.strip()
    rest = raw
    scheme = _SCHEME.match(rest)
    if scheme:
        if scheme.group(0).lower() not in ("http://", "https://"):
            raise _not_hf(text, f"unsupported scheme {scheme.group(0)!r}")
        rest = rest[scheme.end() :]
    rest = rest.split("#", 1)[0].split("?", 1)[0]  # a copied URL may carry ?query / #anchor
    host, _, after = rest.partition("/")
    if host.lower() in (*HF_HOSTS, "www.huggingface.co"):
        rest = after
    elif scheme:
        raise _not_hf(text, "the URL is not on hf.co or huggingface.co")
    segments = rest.split("/")
    while segments and segments[-1] == "":
        segments.pop()
    if not segments:
        raise InvalidModelRefError(
            f"No repo id in {text!r}." if raw else "The repo id is empty.",
            fix=f"Pass it as 'owner/name', e.g. {_EXAMPLE!r}.",
        )
    tag: str | None = None
    if len(segments) > 2 and segments[2] in _URL_KINDS:
        # A model-page URL (huggingface.co/owner/name/blob/<rev>/<file>): the file is the tag.
        if segments[2] in ("blob", "resolve") and segments[-1].lower().endswith(".gguf"):
            tag = segments[-1]
        segments = segments[:2]
    if len(segments) > 2:
        raise InvalidModelRefError(
            f"Invalid repo id {text!r}: {'/'.join(segments)!r} has {len(segments) - 1} '/' but a "
            "repo id has exactly one ('owner/name').",
            fix="Keep only 'owner/name', or paste the model page URL "
            f"(https://huggingface.co/owner/name), e.g. {_EXAMPLE!r}.",
        )
    if len(segments) == 2 and ":" in segments[1]:
        name, _, suffix = segments[1].partition(":")
        segments[1] = name
        return validate_repo_id("/".join(segments)), normalize_tag(suffix), True
    repo_id = validate_repo_id("/".join(segments))
    return repo_id, None if tag is None else normalize_tag(tag), False


def split_repo_input(text: str) -> tuple[str, str | None]:
    """A repo id and an optional quant tag from anything pasted into a repo box.

    Accepts ``owner/name``, ``hf.co/owner/name``, ``huggingface.co/owner/name``, ``https://``
    URLs, ``…/tree/<rev>``, ``…/blob/<rev>/<file>`` and ``…/resolve/<rev>/<file>`` (a ``.gguf``
    file gives its base name as the tag), a trailing ``/``, surrounding whitespace, and a
    ``:QUANT`` suffix (returned normalized). The repo id is checked by :func:`validate_repo_id`.

    >>> split_repo_input("  bartowski/Llama-3.2-1B-Instruct-GGUF/ ")
    ('bartowski/Llama-3.2-1B-Instruct-GGUF', None)
    >>> split_repo_input("hf.co/unsloth/Qwen3-4B-GGUF:q4_k_m")
    ('unsloth/Qwen3-4B-GGUF', 'Q4_K_M')
    >>> split_repo_input("https://huggingface.co/o/M-GGUF/blob/main/sub/M-Q8_0.gguf")
    ('o/M-GGUF', 'M-Q8_0.gguf')
    >>> split_repo_input("https://huggingface.co/o/M-GGUF/resolve/main/M-Q8_0.gguf?download=1")
    ('o/M-GGUF', 'M-Q8_0.gguf')
    """
    repo_id, tag, _suffix = _split_input(text)
    return repo_id, tag


def quant_suffix_error(text: str, repo_id: str, tag: str) -> InvalidModelRefError:
    """The error for a ``:QUANT`` suffix where only a repo is wanted: its fix says drop it.

    >>> print(quant_suffix_error("o/M-GGUF:Q4_K_M", "o/M-GGUF", "Q4_K_M").fix)
    Drop `:Q4_K_M` (pass 'o/M-GGUF'), or give the quant as quantization='Q4_K_M'.
    """
    return InvalidModelRefError(
        f"{text!r} names a quantization ({tag}), but a repo id is wanted here.",
        fix=f"Drop `:{tag}` (pass {repo_id!r}), or give the quant as quantization={tag!r}.",
    )


def repo_id_from_input(text: str) -> str:
    """The repo id of anything :func:`split_repo_input` accepts; a ``:QUANT`` suffix is refused
    (:func:`quant_suffix_error`); a file URL names its repo.

    >>> [repo_id_from_input(t) for t in ("o/M-GGUF", "hf.co/o/M-GGUF",
    ...  "huggingface.co/o/M-GGUF/", "https://huggingface.co/o/M-GGUF/tree/main")]
    ['o/M-GGUF', 'o/M-GGUF', 'o/M-GGUF', 'o/M-GGUF']
    >>> repo_id_from_input("o/M-GGUF:Q4_K_M")
    Traceback (most recent call last):
    ...
    hfollama_widgets.errors.InvalidModelRefError: 'o/M-GGUF:Q4_K_M' names ... Drop `:Q4_K_M` ...
    """
    repo_id, tag, suffix = _split_input(text)
    if suffix and tag is not None:
        raise quant_suffix_error(text, repo_id, tag)
    return repo_id


def merge_quantization(text: str, quantization: str | None) -> tuple[str, str | None]:
    """(repo id, quantization) from a repo input and a ``quantization=`` argument: the input's
    ``:QUANT`` (or ``.gguf`` file) is used when the argument is ``None``; two different ones
    are an error.

    >>> merge_quantization("hf.co/o/M-GGUF:q8_0", None)
    ('o/M-GGUF', 'Q8_0')
    >>> merge_quantization("o/M-GGUF:Q8_0", "Q4_K_M")
    Traceback (most recent call last):
    ...
    hfollama_widgets.errors.InvalidModelRefError: Conflicting quantizations: ...
    """
    repo_id, tag = split_repo_input(text)
    if quantization is None or tag is None:
        return repo_id, tag if quantization is None else quantization
    if normalize_tag(quantization).lower() != tag.lower():
        raise InvalidModelRefError(
            f"Conflicting quantizations: {text!r} asks for {tag!r} but "
            f"quantization={quantization!r} was also given.",
            fix=f"Give it once: drop `:{tag}` from the repo, or leave out quantization=.",
        )
    return repo_id, tag
