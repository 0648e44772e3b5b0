"""``RepoInfo``: what the Hub says about a repo, built from ``huggingface_hub.ModelInfo``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["RepoInfo"]


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else (str(value) if value else None)


def _license(card: Any, tags: tuple[str, ...]) -> str | None:
    data = card if isinstance(card, Mapping) else getattr(card, "data", None) or {}
    if isinstance(data, Mapping) and data.get("license"):
        return str(data["license"])
    for tag in tags:
        if tag.startswith("license:"):
            return tag.split(":", 1)[1]
    return None


@dataclass(frozen=True)
class RepoInfo:
    """What the Hub says about a repo. ``parameters``, ``architecture``, ``context_length``
    come from the Hub's ``gguf`` block (``None`` when the repo has none).

    >>> RepoInfo(id="o/M-GGUF", author="o").to_dict()["id"]
    'o/M-GGUF'
    """

    id: str
    author: str | None = None
    sha: str | None = None
    downloads: int | None = None
    likes: int | None = None
    tags: tuple[str, ...] = ()
    gated: bool | str | None = None
    private: bool | None = None
    last_modified: datetime | None = None
    created_at: datetime | None = None
    pipeline_tag: str | None = None
    gguf: dict[str, Any] | None = field(default=None, repr=False)
    parameters: int | None = None
    architecture: str | None = None
    context_length: int | None = None
    license: str | None = None
    library_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dates as ISO strings, tags as a list)."""
        return {
            "id": self.id,
            "author": self.author,
            "sha": self.sha,
            "downloads": self.downloads,
            "likes": self.likes,
            "tags": list(self.tags),
            "gated": self.gated,
            "private": self.private,
            "last_modified": _iso(self.last_modified),
            "created_at": _iso(self.created_at),
            "pipeline_tag": self.pipeline_tag,
            "gguf": dict(self.gguf) if self.gguf is not None else None,
            "parameters": self.parameters,
            "architecture": self.architecture,
            "context_length": self.context_length,
            "license": self.license,
            "library_name": self.library_name,
        }

    @classmethod
    def from_model_info(cls, info: Any) -> RepoInfo:
        """Build from a ``huggingface_hub.ModelInfo``."""
        gguf = dict(info.gguf) if isinstance(getattr(info, "gguf", None), Mapping) else None
        tags = tuple(getattr(info, "tags", None) or ())

        def _int(value: Any) -> int | None:
            return (
                int(value)
                if isinstance(value, (int, float)) and not isinstance(value, bool)
                else None
            )

        return cls(
            id=info.id,
            author=getattr(info, "author", None),
            sha=getattr(info, "sha", None),
            downloads=getattr(info, "downloads", None),
            likes=getattr(info, "likes", None),
            tags=tags,
            gated=getattr(info, "gated", None),
            private=getattr(info, "private", None),
            last_modified=getattr(info, "last_modified", None),
            created_at=getattr(info, "created_at", None),
            pipeline_tag=getattr(info, "pipeline_tag", None),
            gguf=gguf,
            parameters=_int((gguf or {}).get("total")),
            architecture=(gguf or {}).get("architecture"),
            context_length=_int((gguf or {}).get("context_length")),
            license=_license(getattr(info, "card_data", None), tags),
            library_name=getattr(info, "library_name", None),
        )
