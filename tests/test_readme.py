"""The README's Python examples run, top to bottom, against the stand-ins.

Every ```python block is executed in one namespace, in order, with ``OLLAMA_HOST`` pointing at
a FakeOllama and ``HF_ENDPOINT`` (and the default Hub) at a FakeHub, so a renamed function or a
changed return shape breaks this test instead of a user's first try.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import hfollama_widgets as hfw
from hfollama_widgets.testing import FakeHub, FakeOllama

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


@pytest.fixture()
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeHub, FakeOllama]]:
    with FakeHub() as hub, FakeOllama(hub=hub, token_rate=2000) as ollama:
        monkeypatch.setenv("OLLAMA_HOST", ollama.url)
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        hfw.set_default_hub(hfw.Hub(endpoint=hub.url))
        try:
            yield hub, ollama
        finally:
            hfw.set_default_hub(None)


def test_readme_has_the_examples() -> None:
    blocks = python_blocks()
    assert len(blocks) >= 6
    joined = "\n".join(blocks)
    for name in ("list_gguf_files", "auto_select", "GGUFBrowser", "PullProgress", "ChatWidget"):
        assert name in joined


def test_readme_python_examples_run(
    stand_ins: tuple[FakeHub, FakeOllama], capsys: pytest.CaptureFixture[str]
) -> None:
    _hub, ollama = stand_ins
    namespace: dict[str, object] = {"hfw": hfw}
    for index, source in enumerate(python_blocks()):
        try:
            exec(compile(source, f"README.md python block {index}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"README python block {index} failed: {exc!r}\n{source}")
    out = capsys.readouterr().out
    assert "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M" in out
    assert "success" in out
    chat = namespace["chat"]
    assert isinstance(chat, hfw.ChatWidget)
    roles = [m["role"] for m in chat.messages]
    assert roles[-2:] == ["user", "assistant"]
    pulled = {m["name"].lower() for m in hfw.Client(ollama.url).list()["models"]}
    assert "hf.co/bartowski/llama-3.2-1b-instruct-gguf:q4_k_m" in pulled
