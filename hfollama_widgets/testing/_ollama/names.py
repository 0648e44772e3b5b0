"""Model names the way Ollama parses them (``types/model/name.go``), for FakeOllama.

``[scheme://][host/][namespace/]model[:tag]``; missing parts default to
``registry.ollama.ai/library/…:latest``. Parts are validated like ``isValidPart``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HF_HOSTS", "Name", "parse_name"]

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"
HF_HOSTS = frozenset({"hf.co", "huggingface.co"})


def _valid_part(kind: str, part: str) -> bool:
    limit = 350 if kind == "host" else 80
    if not 1 <= len(part) <= limit:
        return False
    for i, ch in enumerate(part):
        word = ch.isascii() and (ch.isalnum() or ch == "_")
        if i == 0:
            if not word:
                return False
            continue
        if ch in "_-" or word:
            continue
        if ch == ".":
            if kind == "namespace":
                return False
            continue
        if ch == ":" and kind == "host":
            continue
        return False
    return True


@dataclass(frozen=True)
class Name:
    """A parsed model name: ``scheme``, ``host``, ``namespace``, ``model``, ``tag``."""

    scheme: str
    host: str
    namespace: str
    model: str
    tag: str
    valid: bool

    @property
    def is_hf(self) -> bool:
        return self.host.lower() in HF_HOSTS

    def display(self) -> str:
        """The name as ``ollama list`` shows it (``DisplayShortest``)."""
        if self.host == DEFAULT_HOST and self.namespace == DEFAULT_NAMESPACE:
            return f"{self.model}:{self.tag}"
        if self.host == DEFAULT_HOST:
            return f"{self.namespace}/{self.model}:{self.tag}"
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"

    def full(self) -> str:
        """``host/namespace/model:tag``: Ollama's ``Model.Name`` (``GetFullTagname``)."""
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"

    def key(self) -> str:
        """Case-insensitive identity (``strings.EqualFold`` on every part)."""
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}".lower()


def parse_name(text: str) -> Name:
    """Parse like ``model.ParseName`` (fills defaults); ``.valid`` says whether Ollama accepts it.

    >>> parse_name("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF").display()
    'hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:latest'
    >>> parse_name("hf.co/bad.owner/x").valid
    False
    """
    s = text.strip()
    tag = model = namespace = host = ""
    scheme = "https"
    missing = False  # a separator with nothing on one side (Go's MissingPart): invalid
    if s.rfind(":") > s.rfind("/"):
        s, _, tag = s.rpartition(":")
        missing |= not tag or not s
    s, slash, model = s.rpartition("/")
    if not slash:
        s = ""
    else:
        missing |= not s or not model
        s, slash, namespace = s.rpartition("/")
        if not slash:
            s = ""
        else:
            missing |= not s or not namespace
            if "://" in s:
                scheme, _, host = s.partition("://")
            else:
                host = s
    host = host or DEFAULT_HOST
    namespace = namespace or DEFAULT_NAMESPACE
    tag = tag or DEFAULT_TAG
    valid = (
        not missing
        and _valid_part("host", host)
        and _valid_part("namespace", namespace)
        and _valid_part("model", model)
        and _valid_part("tag", tag)
        and "/" not in host
    )
    return Name(scheme, host, namespace, model, tag, valid)
