"""Local stand-ins for the Hugging Face Hub and Ollama: real HTTP servers on 127.0.0.1.

Used by the tests, the notebooks and the offline demo::

    from hfollama_widgets.testing import FakeHub, FakeOllama

    with FakeHub() as hub, FakeOllama(hub=hub) as ollama:
        ...  # Hub(endpoint=hub.url), Client(ollama.url)

Run both from a shell with ``python -m hfollama_widgets.testing``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hfollama_widgets.testing.fake_hub import FakeHub
    from hfollama_widgets.testing.fake_ollama import FakeOllama

__all__ = ["FakeHub", "FakeOllama"]


def __getattr__(name: str) -> Any:
    # lazy: `import hfollama_widgets.testing` (the demo, `hfollama --help`) does not load the
    # servers' code, ~50 ms, until a stand-in is used
    if name == "FakeHub":
        from hfollama_widgets.testing.fake_hub import FakeHub

        return FakeHub
    if name == "FakeOllama":
        from hfollama_widgets.testing.fake_ollama import FakeOllama

        return FakeOllama
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
