"""The notebooks run top to bottom (nbclient, a python3 kernel of this venv) against stand-ins
the test starts; the kernel finds them through OLLAMA_HOST / HF_ENDPOINT, as with the demo.
And the notebooks are committed without outputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from hfollama_widgets.demo import probe_hub, probe_ollama
from hfollama_widgets.testing import FakeOllama

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LLAMA = "bartowski/Llama-3.2-1B-Instruct-GGUF"


@pytest.fixture()
def kernel_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Pin the ``python3`` kernelspec to this interpreter (found first via JUPYTER_PATH)."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HFOLLAMA_STAND_INS"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    return work


@pytest.fixture()
def stand_ins(fake_hub: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOllama]:
    """A fast FakeOllama (pulling from the session FakeHub), exported for the kernel."""
    with FakeOllama(hub=fake_hub, pull_speed=2e10, token_rate=2000) as ollama:
        monkeypatch.setenv("OLLAMA_HOST", ollama.url)
        monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
        yield ollama


def execute(path: Path, cwd: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()
    return nb


def outputs(nb: nbformat.NotebookNode) -> list[tuple[int, dict[str, Any]]]:
    """(code cell index, output) pairs; errors would have raised in execute()."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    return [(i, o) for i, c in enumerate(code) for o in c.outputs]


def text_of(output: dict[str, Any]) -> str:
    if output["output_type"] == "stream":
        return str(output["text"])
    data = output.get("data", {})
    return str(data.get("text/html") or data.get("text/plain") or "")


def all_text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(text_of(o) for _, o in outputs(nb))


def test_quickstart(kernel_env: Path, stand_ins: FakeOllama, fake_hub: Any) -> None:
    nb = execute(ROOT / "notebooks" / "quickstart.ipynb", kernel_env)
    text = all_text(nb)
    assert f"Ollama: {stand_ins.url}" in text and f"Hub: {fake_hub.url}" in text
    assert "<table" in text and "Q4_K_M" in text  # DataFrames rendered with rows
    assert f"hf.co/{LLAMA}:Q4_K_M" in text  # auto_select's pick
    widgets = [
        o for _, o in outputs(nb) if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(widgets) >= 3  # GGUFBrowser, PullProgress, ChatWidget
    assert "{'status': 'success'}" in text
    assert f"hf.co/{LLAMA}:Q4_K_M" in stand_ins.models()  # really pulled into the stand-in
    chats = [r.body for r in stand_ins.requests if r.path == "/api/chat"]
    assert chats and chats[-1]["messages"][-1]["content"].startswith("What is a GGUF")
    assert "assistant" in text  # the chat exported to a DataFrame


def test_quant_analysis(kernel_env: Path, stand_ins: FakeOllama) -> None:
    nb = execute(ROOT / "notebooks" / "quant-analysis.ipynb", kernel_env)
    images = [o for _, o in outputs(nb) if "image/png" in o.get("data", {})]
    assert len(images) == 2  # the two scatter plots, inline
    text = all_text(nb)
    assert "files/groups in 5 repos" in text
    assert "files are on their repo's Pareto front" in text
    assert "decode ceiling, tok/s at 8k context" in text and "workstation" in text
    for family in ("Llama", "Qwen", "Mistral"):
        assert family in text
    assert "Full GPU offload" in text or "Partial GPU offload" in text  # fit columns
    assert "'unsloth/Qwen3-4B-GGUF': 'Q4_K_M'" in text  # best_quantization per repo


def test_chat_cells(kernel_env: Path, stand_ins: FakeOllama) -> None:
    nb = execute(ROOT / "notebooks" / "chat-cells.ipynb", kernel_env)
    text = all_text(nb)
    models = {r.body["model"] for r in stand_ins.requests if r.path == "/api/chat"}
    assert models == {f"hf.co/{LLAMA}:Q4_K_M", "hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M"}
    streamed = [r for r in stand_ins.requests if r.path == "/api/chat" and r.body.get("stream")]
    assert streamed  # the streaming cell and the widgets stream
    assert "haiku" in text  # the streamed reply (the stand-in echoes the question)
    assert "replies:" in text and "left" in text and "right" in text


def test_quickstart_starts_its_own_stand_ins_without_env(
    kernel_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    if probe_ollama(timeout=1).reachable and probe_hub(timeout=3).reachable:
        pytest.skip("a real Ollama and Hub answer here, so the notebook uses them")
    nb = execute(ROOT / "notebooks" / "quickstart.ipynb", kernel_env)
    first = text_of(outputs(nb)[0][1])
    assert "-> using the bundled stand-in at http://127.0.0.1:" in first
    assert "{'status': 'success'}" in all_text(nb)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebooks_are_committed_without_outputs(path: Path) -> None:
    texts = [path.read_text(encoding="utf-8")]
    committed = subprocess.run(
        ["git", "show", f"HEAD:notebooks/{path.name}"], cwd=ROOT, capture_output=True, text=True
    )
    if committed.returncode == 0:  # also the version in git (when run from a clone)
        texts.append(committed.stdout)
    for text in texts:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_the_three_notebooks_exist() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "chat-cells.ipynb",
        "quant-analysis.ipynb",
        "quickstart.ipynb",
    ]
