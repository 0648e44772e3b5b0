"""Which Ollama release FakeOllama imitates, and the behaviours that depend on it.

``FakeOllama(version=...)`` picks the release; the default is a current one. Behaviours that
changed between releases are switched here, each with the release that changed it:

>>> Behaviour.of("0.33.0").realm_check, Behaviour.of("0.12.6").realm_check
(True, False)
>>> Behaviour.of("0.33.0").tags_capabilities, Behaviour.of("0.29.1").tags_capabilities
(True, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CURRENT", "OLD", "Behaviour", "parse_version"]

#: Newest release the facts were read from: ollama/ollama fb30760 (v0.33.0-rc2, 2026-08-21),
#: see /work/shared/reference/real-services-2026.md and ollama/ollama releases.
CURRENT = "0.33.0"
#: The release FakeOllama imitated before the realm-host check (its old default).
OLD = "0.12.6"
#: ollama/ollama PR #13738, commit 7601f0e9 (2026-01-16), first released in v0.14.3:
#: server/auth.go:60 `if redirectURL.Host != originalHost` refuses a realm on another host.
REALM_CHECK_SINCE = (0, 14, 3)
#: ollama/ollama v0.30.0: /api/tags entries carry `capabilities` and
#: `details.context_length`/`embedding_length` (server/model_list_cache.go:311-385).
TAGS_CAPABILITIES_SINCE = (0, 30, 0)


def parse_version(text: str) -> tuple[int, int, int]:
    """``"0.14.3"`` (or ``"v0.33.0-rc2"``) as ``(0, 14, 3)``.

    >>> parse_version("v0.33.0-rc2")
    (0, 33, 0)
    """
    match = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    if not match:
        raise ValueError(f"not an Ollama version: {text!r} (use e.g. '0.33.0')")
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


@dataclass(frozen=True)
class Behaviour:
    """The version-dependent switches of one release."""

    version: str
    realm_check: bool
    tags_capabilities: bool

    @classmethod
    def of(cls, version: str) -> Behaviour:
        parsed = parse_version(version)
        return cls(
            version=version,
            realm_check=parsed >= REALM_CHECK_SINCE,
            tags_capabilities=parsed >= TAGS_CAPABILITIES_SINCE,
        )
