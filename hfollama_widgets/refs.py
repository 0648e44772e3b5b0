"""Repo ids and Ollama model references for Hugging Face GGUF repos (pure, no I/O).

Ollama pulls a Hub repo through a reference ``hf.co/{owner}/{repo}[:{tag}]``; the tag is a
quant label (``Q4_K_M``, case-insensitive on the Hub) or a file name.

>>> model_ref("bartowski/Llama-3.2-1B-Instruct-GGUF", "q4_k_m")
'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'
>>> parse_model_ref("https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF").repo_id
'bartowski/Llama-3.2-1B-Instruct-GGUF'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hfollama_widgets.errors import InvalidModelRefError
from hfollama_widgets.quants import quant_info

__all__ = [
    "HF_HOSTS",
    "ModelRef",
    "is_hf_model",
    "is_hf_name",
    "looks_like_hf_ref",
    "model_ref",
    "normalize_tag",
    "parse_model_ref",
    "to_model_ref",
    "validate_repo_id",
]

#: Hosts Ollama can pull Hugging Face repos from (Ollama keeps them as distinct local names).
HF_HOSTS: tuple[str, ...] = ("hf.co", "huggingface.co")

#: Hub: at most 96 characters per part (huggingface_hub ``REPO_ID_REGEX``).
HUB_MAX_PART = 96
#: Ollama: at most 80 characters per name part and per tag (``types/model/name.go``).
OLLAMA_MAX_PART = 80

_EXAMPLE = "bartowski/Llama-3.2-1B-Instruct-GGUF"
_HUB_CHARS = re.compile(r"[A-Za-z0-9_.\-]+")
_WORD_CHAR = re.compile(r"[A-Za-z0-9_]")
_OLLAMA_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_OLLAMA_CREATE_FIX = (
    "Download the .gguf file instead (for example `hf download {repo} <file>.gguf`) and load it "
    "with `ollama create <name> -f Modelfile` where the Modelfile says `FROM ./<file>.gguf`."
)


def _fail(repo_id: str, problem: str, fix: str) -> InvalidModelRefError:
    return InvalidModelRefError(f"Invalid repo id {repo_id!r}: {problem}.", fix=fix)


def _check_hub_part(repo_id: str, what: str, part: str) -> None:
    if not part:
        raise _fail(
            repo_id,
            f"the {what} part is empty",
            f"Write it as 'owner/name', e.g. {_EXAMPLE!r}.",
        )
    bad = sorted(set(_HUB_CHARS.sub("", part)))
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise _fail(
            repo_id,
            f"the {what} {part!r} contains {shown}; the Hub allows only ASCII letters, digits, "
            "'-', '_' and '.'",
            "Copy the repo id from the model page on huggingface.co "
            "(the 'owner/name' under the title).",
        )
    if len(part) > HUB_MAX_PART:
        raise _fail(
            repo_id,
            f"the {what} is {len(part)} characters long; the Hub allows at most {HUB_MAX_PART}",
            "Check that the repo id was not pasted twice or with extra text.",
        )
    if not _WORD_CHAR.fullmatch(part[0]) or not _WORD_CHAR.fullmatch(part[-1]):
        raise _fail(
            repo_id,
            f"the {what} {part!r} starts or ends with '-' or '.', which the Hub does not allow",
            "Remove the leading/trailing '-' or '.'.",
        )


def validate_repo_id(repo_id: str, *, for_ollama: bool = False) -> str:
    """Check ``repo_id`` against the Hub's naming rules (and Ollama's, if ``for_ollama``).

    Hub rules: ``owner/name``; ASCII letters, digits, ``-``, ``_``, ``.``; each part 1-96
    characters, starting and ending with a letter, digit or ``_``; no ``--`` or ``..``; not
    ending in ``.git``. Ollama adds: no ``.`` in the owner, at most 80 characters per part.
    Returns ``repo_id`` unchanged; raises :class:`InvalidModelRefError` naming the rule broken.

    >>> validate_repo_id("bartowski/Llama-3.2-1B-Instruct-GGUF")
    'bartowski/Llama-3.2-1B-Instruct-GGUF'
    >>> validate_repo_id("mistral.ai/Model-GGUF", for_ollama=True)
    Traceback (most recent call last):
    ...
    hfollama_widgets.errors.InvalidModelRefError: Invalid repo id 'mistral.ai/Model-GGUF': ...
    """
    if not isinstance(repo_id, str):
        raise InvalidModelRefError(
            f"A repo id must be a string, not {type(repo_id).__name__}.",
            fix=f"Pass it as 'owner/name', e.g. {_EXAMPLE!r}.",
        )
    if not repo_id:
        raise InvalidModelRefError(
            "The repo id is empty.", fix=f"Pass it as 'owner/name', e.g. {_EXAMPLE!r}."
        )
    if repo_id != repo_id.strip():
        raise _fail(repo_id, "it has leading or trailing whitespace", "Remove the spaces.")
    if looks_like_hf_ref(repo_id):
        raise _fail(
            repo_id,
            "this is a URL or model reference, not a repo id",
            "Pass only 'owner/name', or use parse_model_ref() / to_model_ref() for references.",
        )
    parts = repo_id.split("/")
    if len(parts) == 1:
        raise _fail(
            repo_id,
            "the owner part is missing (a repo id is 'owner/name')",
            f"Add the user or organisation, e.g. {_EXAMPLE!r}.",
        )
    if len(parts) > 2:
        raise _fail(
            repo_id,
            f"it has {len(parts) - 1} '/' but a repo id has exactly one ('owner/name')",
            "Drop any file path or branch; keep only 'owner/name'.",
        )
    owner, name = parts
    _check_hub_part(repo_id, "owner", owner)
    _check_hub_part(repo_id, "name", name)
    for seq in ("--", ".."):
        if seq in repo_id:
            raise _fail(
                repo_id,
                f"it contains {seq!r}, which the Hub does not allow",
                f"Remove the {seq!r}.",
            )
    if repo_id.lower().endswith(".git"):
        raise _fail(
            repo_id,
            "it ends with '.git', which the Hub does not allow in a repo id",
            "Remove the '.git' suffix.",
        )
    if for_ollama:
        fix = _OLLAMA_CREATE_FIX.format(repo=repo_id)
        if "." in owner:
            raise _fail(
                repo_id,
                f"the owner {owner!r} contains '.', and Ollama does not accept a dot in the "
                "namespace of a model name (types/model/name.go), so `ollama pull` cannot fetch it",
                fix,
            )
        for what, part in (("owner", owner), ("name", name)):
            if len(part) > OLLAMA_MAX_PART:
                raise _fail(
                    repo_id,
                    f"the {what} is {len(part)} characters long; Ollama accepts at most "
                    f"{OLLAMA_MAX_PART} per name part (the Hub allows {HUB_MAX_PART}; "
                    "ollama/ollama#18278 would raise the limit), so `ollama pull` fails with "
                    "'invalid model name'",
                    fix,
                )
    return repo_id


def normalize_tag(tag: str) -> str:
    """The canonical form of an Ollama tag for a Hub repo.

    Known quant labels are upper-cased (``q4_k_m`` → ``Q4_K_M``, ``ud-q2_k_xl`` →
    ``UD-Q2_K_XL``); anything else (a file name such as ``Model-IQ3_M.gguf``, ``latest``,
    ``IQ3_S-imat``) is kept as given. Raises :class:`InvalidModelRefError` if the tag breaks
    Ollama's tag rules (``[A-Za-z0-9_][A-Za-z0-9_.-]*``, at most 80 characters).

    >>> normalize_tag("ud-q2_k_xl")
    'UD-Q2_K_XL'
    """
    if not isinstance(tag, str) or not tag:
        raise InvalidModelRefError(
            f"Invalid tag {tag!r}: a tag must be a non-empty string.",
            fix="Use a quant label such as 'Q4_K_M', or a .gguf file name from the repo.",
        )
    if not _OLLAMA_TAG.fullmatch(tag):
        raise InvalidModelRefError(
            f"Invalid tag {tag!r}: Ollama tags use only letters, digits, '_', '.' and '-', and "
            "start with a letter, digit or '_'.",
            fix="Use a quant label such as 'Q4_K_M', or the file's base name (no folder).",
        )
    if len(tag) > OLLAMA_MAX_PART:
        raise InvalidModelRefError(
            f"Invalid tag {tag!r}: it is {len(tag)} characters long; Ollama accepts at most "
            f"{OLLAMA_MAX_PART}.",
            fix="Use the quant label (e.g. 'Q4_K_M') instead of the file name.",
        )
    if tag.lower().endswith(".gguf"):
        return tag
    upper = tag.upper()
    return upper if quant_info(upper) is not None else tag


def model_ref(repo_id: str, quantization: str | None = None) -> str:
    """The Ollama reference for a Hub repo: ``hf.co/{repo}`` or ``hf.co/{repo}:{TAG}``.

    The repo id is checked against the Hub's and Ollama's rules, the tag by
    :func:`normalize_tag`.

    >>> model_ref("bartowski/Llama-3.2-1B-Instruct-GGUF")
    'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF'
    >>> model_ref("unsloth/Qwen3-4B-GGUF", "ud-q2_k_xl")
    'hf.co/unsloth/Qwen3-4B-GGUF:UD-Q2_K_XL'
    """
    validate_repo_id(repo_id, for_ollama=True)
    if quantization is None:
        return f"hf.co/{repo_id}"
    return f"hf.co/{repo_id}:{normalize_tag(quantization)}"


@dataclass(frozen=True)
class ModelRef:
    """A parsed Hugging Face model reference.

    >>> r = ModelRef("hf.co", "bartowski/Llama-3.2-1B-Instruct-GGUF", "Q4_K_M")
    >>> str(r)
    'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'
    """

    host: str
    repo_id: str
    quantization: str | None = None

    @property
    def ref(self) -> str:
        """The normalized reference string, ``{host}/{repo_id}[:{quantization}]``."""
        base = f"{self.host}/{self.repo_id}"
        return f"{base}:{self.quantization}" if self.quantization else base

    @property
    def owner(self) -> str:
        """The user or organisation part of the repo id."""
        return self.repo_id.split("/", 1)[0]

    @property
    def name(self) -> str:
        """The repository name part of the repo id."""
        return self.repo_id.split("/", 1)[-1]

    def __str__(self) -> str:
        return self.ref


def _not_hf(ref: str, why: str) -> InvalidModelRefError:
    return InvalidModelRefError(
        f"{ref!r} is not a Hugging Face model reference: {why}.",
        fix=f"Write it as 'hf.co/owner/name[:TAG]', e.g. 'hf.co/{_EXAMPLE}:Q4_K_M'.",
    )


def parse_model_ref(ref: str) -> ModelRef:
    """Parse ``hf.co/owner/name[:tag]`` (or ``huggingface.co/…``, with or without ``https://``).

    Also accepts a trailing ``/`` and a model-page URL; ``…/blob/<rev>/<file>.gguf`` and
    ``…/resolve/<rev>/<file>.gguf`` give the file's base name as the tag. The host is kept
    (``hf.co`` and ``huggingface.co`` are different local names in Ollama); the repo id is
    checked against the Hub's rules (use :func:`to_model_ref` for Ollama's stricter ones).
    Non-HF names (``llama3.2``, ``registry.ollama.ai/library/llama3``) raise
    :class:`InvalidModelRefError`.

    >>> parse_model_ref("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:q4_k_m")
    ModelRef(host='hf.co', repo_id='bartowski/Llama-3.2-1B-Instruct-GGUF', quantization='Q4_K_M')
    """
    if not isinstance(ref, str):
        raise InvalidModelRefError(
            f"A model reference must be a string, not {type(ref).__name__}.",
            fix=f"Pass e.g. 'hf.co/{_EXAMPLE}:Q4_K_M'.",
        )
    text = ref.strip()
    scheme = _SCHEME.match(text)
    if scheme:
        if scheme.group(0).lower() not in ("http://", "https://"):
            raise _not_hf(ref, f"unsupported scheme {scheme.group(0)!r}")
        text = text[scheme.end() :]
    host, _, rest = text.partition("/")
    host = host.lower()
    if host == "www.huggingface.co":
        host = "huggingface.co"
    if host not in HF_HOSTS:
        raise _not_hf(ref, "it does not start with hf.co/ or huggingface.co/")
    segments = rest.split("/")
    while segments and segments[-1] == "":
        segments.pop()
    tag: str | None = None
    if len(segments) > 2:
        # A model-page URL: owner/name/{blob,resolve,tree}/<rev>[/path...]
        kind = segments[2]
        if kind in ("blob", "resolve") and len(segments) >= 5:
            tag = segments[-1]
            if not tag.lower().endswith(".gguf"):
                raise _not_hf(ref, "the URL points to a file that is not a .gguf file")
        elif kind == "tree" and len(segments) >= 4:
            pass
        else:
            raise _not_hf(ref, "expected exactly 'owner/name' after the host")
        segments = segments[:2]
    if len(segments) < 2:
        raise _not_hf(ref, "the 'owner/name' repo id after the host is incomplete")
    name = segments[1]
    if ":" in name:
        name, _, given = name.partition(":")
        if tag is not None or ":" in given:
            raise _not_hf(ref, "it has more than one tag")
        tag = given
    elif ":" in segments[0]:
        raise _not_hf(ref, "':' may only separate the tag at the end")
    repo_id = validate_repo_id(f"{segments[0]}/{name}")
    return ModelRef(
        host=host, repo_id=repo_id, quantization=None if tag is None else normalize_tag(tag)
    )


def is_hf_model(ref: str) -> bool:
    """True if ``ref`` is a valid Hugging Face model reference (never raises).

    >>> is_hf_model("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"), is_hf_model("llama3.2")
    (True, False)
    """
    try:
        parse_model_ref(ref)
    except (InvalidModelRefError, TypeError, ValueError):
        return False
    return True


def looks_like_hf_ref(text: str) -> bool:
    """True if ``text`` is written as a reference (``hf.co/…``, ``huggingface.co/…``, a URL),
    not as a bare repo id; it may still be invalid.

    >>> looks_like_hf_ref("hf.co/a/b"), looks_like_hf_ref("https://x/a"), looks_like_hf_ref("a/b")
    (True, True, False)
    """
    lowered = text.strip().lower()
    if _SCHEME.match(lowered):
        return True
    return lowered.split("/", 1)[0] in (*HF_HOSTS, "www.huggingface.co")


def is_hf_name(name: str) -> bool:
    """A Hugging Face repo id or ``hf.co/…`` reference (else an Ollama model name).

    ``owner/name`` is a Hub repo id; a bare ``name[:tag]`` and ``host.tld/namespace/name``
    are Ollama names.

    >>> [is_hf_name(n) for n in ("bartowski/X-GGUF", "hf.co/a/b:Q4_K_M", "llama3.2", "r.io/a/b")]
    [True, True, False, False]
    """
    if looks_like_hf_ref(name):
        return True
    parts = name.strip().split("/")
    return len(parts) == 2 and all(parts)


def to_model_ref(repo_or_ref: str, quantization: str | None = None) -> str:
    """A pullable reference from a repo id or an ``hf.co/…`` reference, plus an optional quant.

    The host of a given reference is kept. A reference that already has a tag and a different
    ``quantization`` is an error. The result is checked against Ollama's rules.

    >>> to_model_ref("bartowski/Llama-3.2-1B-Instruct-GGUF", "Q4_K_M")
    'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M'
    >>> to_model_ref("huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF:q8_0")
    'huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q8_0'
    """
    if not isinstance(repo_or_ref, str) or not looks_like_hf_ref(repo_or_ref):
        return model_ref(repo_or_ref, quantization)
    parsed = parse_model_ref(repo_or_ref)
    validate_repo_id(parsed.repo_id, for_ollama=True)
    tag = parsed.quantization
    if quantization is not None:
        wanted = normalize_tag(quantization)
        if tag is not None and tag.lower() != wanted.lower():
            raise InvalidModelRefError(
                f"Conflicting tags: the reference {repo_or_ref!r} asks for {tag!r} but "
                f"quantization={quantization!r} was also given.",
                fix="Give the quantization once: either in the reference or as the argument.",
            )
        tag = tag or wanted
    return ModelRef(parsed.host, parsed.repo_id, tag).ref
