"""Which ``hf.co/{repo}:{TAG}`` tag makes the Hub's Ollama registry serve a given file (pure).

The rule, from what the Hub is seen to accept (its code is not public):

- The tag must match the END of the file name without ``.gguf``, case-insensitive; the full
  file name (with ``.gguf``) always works (hub-docs ``docs/hub/ollama.md``: "the full
  filename also works as a tag").
- A label that is not at the end is refused: for ``…-MAX-NEO-D_AU-IQ3_S-imat.gguf`` the Hub
  answers ``:IQ3_S`` with ``400: The specified tag is not available in the repository``
  while ``:IQ3_S-imat`` works (https://qiita.com/7shi/items/6ea02124c5b25df237c2); quant-first
  names (``Q4_K_M-KAT-Coder-….gguf``) get the same 400 for ``:Q4_K_M`` (a public NixOS
  config). So the label found anywhere in the name (huggingface.js ``parseGGUFQuantLabel``,
  :func:`~hfollama_widgets.quants.hub_quant_label`) is not a safe tag.

So :func:`hub_tag` offers the quant label only when it ends the name right after a ``-`` or
``.`` (``Model-Q4_K_M.gguf``, ``model.Q4_K_M.gguf``, ``Model.i1-IQ4_XS.gguf``), spelled as in
the name, and no other model file of the repo ends the same way; otherwise the full file name.

>>> hub_tag("Llama-3.2-1B-Instruct-Q4_K_M.gguf")
'Q4_K_M'
>>> hub_tag("M-MAX-NEO-D_AU-IQ3_S-imat.gguf"), hub_tag("Q4_K_M-KAT-Coder.gguf")
('M-MAX-NEO-D_AU-IQ3_S-imat.gguf', 'Q4_K_M-KAT-Coder.gguf')
>>> hub_tag("BF16/Model-16.gguf")  # the label is in the folder only
'Model-16.gguf'
"""

from __future__ import annotations

from collections.abc import Iterable

from hfollama_widgets.errors import InvalidModelRefError
from hfollama_widgets.quants import parse_quant_label, parse_shard
from hfollama_widgets.refs import normalize_tag

__all__ = ["hub_tag", "tag_matches"]

_BOUNDARY = "-."


def _stem(path: str) -> str:
    """The base name without ``.gguf`` (and without ``-0000N-of-0000M`` for shards)."""
    shard = parse_shard(path)
    name = (shard[0] if shard else path).rsplit("/", 1)[-1]
    return name[:-5] if name.lower().endswith(".gguf") else name


def tag_matches(path: str, tag: str) -> bool:
    """True if the Hub serves ``path`` for ``tag`` by the rule above (case-insensitive).

    >>> tag_matches("Qwen3-4B-UD-Q4_K_XL.gguf", "ud-q4_k_xl"), tag_matches("M-Q4_K_M.gguf", "K_M")
    (True, False)
    """
    stem, want = _stem(path).lower(), tag.lower()
    if want in (stem, path.rsplit("/", 1)[-1].lower()):
        return True
    return stem.endswith(want) and len(stem) > len(want) and stem[-len(want) - 1] in _BOUNDARY


def hub_tag(path: str, others: Iterable[str] = ()) -> str | None:
    """The tag to pull ``path`` with, or ``None`` when no tag names it alone.

    ``others`` are the repo's other model files (shard parts count; sidecars do not). The label
    is used when it ends the name and no other file answers it; else the file's base name when
    no other file has the same base name; ``None`` also when the tag breaks Ollama's rules
    (more than 80 characters, other characters).

    >>> hub_tag("a/M-Q4_0.gguf", ["a/M-Q4_0_4_4.gguf"])
    'Q4_0'
    >>> hub_tag("M-Q4_K_M.gguf", ["M-UD-Q4_K_M.gguf"])  # both end with Q4_K_M
    'M-Q4_K_M.gguf'

    """
    base = path.rsplit("/", 1)[-1]
    rest = [p for p in others if p != path]
    stem = _stem(path)
    label = parse_quant_label(base)
    tag: str | None = None
    if label and not parse_shard(path):
        written = stem[-len(label) :]
        alone = not any(tag_matches(p, written) for p in rest)
        if written.upper() == label.upper() and tag_matches(path, written) and alone:
            tag = written
    if tag is None and not any(p.rsplit("/", 1)[-1].lower() == base.lower() for p in rest):
        tag = base
    if tag is None:
        return None
    try:
        return normalize_tag(tag)
    except InvalidModelRefError:
        return None
