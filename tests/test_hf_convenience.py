"""hfw.pull / chat / generate / embed by repo id, over real HTTP (FakeOllama + FakeHub)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hfollama_widgets as hfw
from hfollama_widgets import hub as hub_module
from hfollama_widgets.testing import FakeOllama

CATALOGUE = Path(hfw.__file__).parent / "testing" / "catalogue"
LLAMA_REPO = "bartowski/Llama-3.2-1B-Instruct-GGUF"
NOMIC_REPO = "nomic-ai/nomic-embed-text-v1.5-GGUF"
HI = [{"role": "user", "content": "Hi there"}]


@pytest.fixture()
def fake(fake_ollama: FakeOllama) -> FakeOllama:
    fake_ollama.pull_speed = 1e12
    fake_ollama.token_rate = 0
    return fake_ollama


@pytest.fixture()
def client(fake: FakeOllama) -> Iterator[hfw.Client]:
    with hfw.Client(fake.url) as c:
        yield c


@pytest.fixture()
def hub(fake_hub: Any) -> hfw.Hub:
    return hfw.Hub(endpoint=fake_hub.url)


def models_sent(fake: FakeOllama, path: str) -> list[str]:
    return [r.body["model"] for r in fake.requests if r.path == path]


def catalogue_sizes(repo_id: str) -> dict[str, int]:
    data = json.loads((CATALOGUE / (repo_id.replace("/", "__") + ".json")).read_text())
    return {f["path"]: int(f["size"]) for f in data["files"] if "path" in f and "size" in f}


def test_pull_with_a_quantization_builds_the_reference(
    client: hfw.Client, fake: FakeOllama
) -> None:
    assert hfw.pull(client, LLAMA_REPO, quantization="q4_k_m") == {"status": "success"}
    assert models_sent(fake, "/api/pull") == [f"hf.co/{LLAMA_REPO}:Q4_K_M"]
    # a tag in the repo id, an hf.co ref, a huggingface.co ref (its host is kept)
    hfw.pull(client, f"{LLAMA_REPO}:q8_0")
    hfw.pull(client, f"hf.co/{LLAMA_REPO}:Q6_K")
    hfw.pull(client, f"https://huggingface.co/{LLAMA_REPO}", quantization="Q5_K_M")
    assert models_sent(fake, "/api/pull")[1:] == [
        f"hf.co/{LLAMA_REPO}:Q8_0",
        f"hf.co/{LLAMA_REPO}:Q6_K",
        f"huggingface.co/{LLAMA_REPO}:Q5_K_M",
    ]


def test_pull_auto_selects_when_no_quantization(
    client: hfw.Client, fake: FakeOllama, hub: hfw.Hub
) -> None:
    hfw.pull(client, LLAMA_REPO, hub=hub)
    assert models_sent(fake, "/api/pull") == [f"hf.co/{LLAMA_REPO}:Q4_K_M"]  # the default pick
    hfw.pull(client, LLAMA_REPO, hub=hub, max_size_gb=0.6)
    small = models_sent(fake, "/api/pull")[-1]
    tag = small.rsplit(":", 1)[1]
    sizes = catalogue_sizes(LLAMA_REPO)
    assert sizes[f"Llama-3.2-1B-Instruct-{tag}.gguf"] <= 0.6e9


def test_pull_uses_the_default_hub(
    client: hfw.Client, fake: FakeOllama, fake_hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the default Hub is made from the environment, as in a notebook: HF_ENDPOINT -> FakeHub
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    hub_module.set_default_hub(None)
    fake_hub.clear_requests()
    try:
        hfw.pull(client, f"hf.co/{NOMIC_REPO}")
    finally:
        hub_module.set_default_hub(None)
    assert models_sent(fake, "/api/pull") == [f"hf.co/{NOMIC_REPO}:Q4_K_M"]
    assert any(r["path"].startswith(f"/api/models/{NOMIC_REPO}/tree") for r in fake_hub.requests)


def test_pull_stream_and_progress(client: hfw.Client, fake: FakeOllama) -> None:
    with hfw.pull(client, LLAMA_REPO, quantization="Q4_K_M", stream=True) as stream:
        assert isinstance(stream, hfw.Stream)
        assert [p["status"] for p in stream][-1] == "success"
    # progress=True outside a notebook: a terminal bar, then the final dict
    import contextlib

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        result = hfw.pull(client, LLAMA_REPO, quantization="Q8_0", progress=True)
    assert result == {"status": "success"}
    assert f"hf.co/{LLAMA_REPO}:Q8_0" in {m["name"] for m in client.list()["models"]}


def test_pull_errors_come_from_the_right_layer(
    client: hfw.Client, fake: FakeOllama, hub: hfw.Hub
) -> None:
    with pytest.raises(hfw.InvalidModelRefError):
        hfw.pull(client, "not a repo id", quantization="Q4_K_M")
    with pytest.raises(hfw.InvalidModelRefError):  # two different tags
        hfw.pull(client, f"{LLAMA_REPO}:Q8_0", quantization="Q4_K_M")
    assert len(fake.requests) == 0  # refused before any request
    with pytest.raises(hfw.UnknownTagError):
        hfw.pull(client, LLAMA_REPO, quantization="IQ1_S")
    with pytest.raises(hfw.SplitOnlyError):  # the Hub selection explains it before Ollama fails
        hfw.pull(client, "unsloth/DeepSeek-V3-0324-GGUF", hub=hub)
    with pytest.raises(hfw.ShardedGGUFError):
        hfw.pull(client, "Qwen/Qwen2.5-7B-Instruct-GGUF", quantization="Q8_0")


def test_chat_uses_the_pulled_quant_when_none_is_given(
    client: hfw.Client, fake: FakeOllama, hub: hfw.Hub
) -> None:
    hfw.pull(client, LLAMA_REPO, quantization="Q8_0")
    reply = hfw.chat(client, LLAMA_REPO, HI, hub=hub)
    assert reply["done"] is True
    assert models_sent(fake, "/api/chat") == [f"hf.co/{LLAMA_REPO}:Q8_0"]
    chunks = list(hfw.chat(client, LLAMA_REPO, HI, quantization="q8_0", stream=True, think=False))
    assert "".join(c["message"]["content"] for c in chunks) == reply["message"]["content"]
    out = hfw.generate(client, f"hf.co/{LLAMA_REPO}", "Hello", hub=hub, system="Be brief")
    assert out["response"]
    assert models_sent(fake, "/api/generate") == [f"hf.co/{LLAMA_REPO}:Q8_0"]


def test_chat_without_a_local_model_auto_selects_and_says_to_pull(
    client: hfw.Client, hub: hfw.Hub
) -> None:
    with pytest.raises(hfw.ModelNotFoundError) as err:
        hfw.chat(client, LLAMA_REPO, HI, hub=hub)
    assert f"hf.co/{LLAMA_REPO}:Q4_K_M" in err.value.message
    assert "hfw.pull" in (err.value.fix or "")


def test_embed_by_repo(client: hfw.Client, hub: hfw.Hub) -> None:
    hfw.pull(client, NOMIC_REPO, hub=hub)
    out = hfw.embed(client, NOMIC_REPO, ["one", "two"], hub=hub, dimensions=32)
    assert [len(v) for v in out["embeddings"]] == [32, 32]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_async_twins(fake: FakeOllama, hub: hfw.Hub, anyio_backend: str) -> None:
    async with hfw.AsyncClient(fake.url) as client:
        assert await hfw.apull(client, LLAMA_REPO, hub=hub) == {"status": "success"}
        stream = await hfw.apull(client, NOMIC_REPO, quantization="Q8_0", stream=True)
        assert [p["status"] async for p in stream][-1] == "success"
        reply = await hfw.achat(client, LLAMA_REPO, HI, hub=hub)
        assert reply["message"]["content"]
        gen = await hfw.agenerate(client, LLAMA_REPO, "Hi", hub=hub)
        assert gen["response"]
        emb = await hfw.aembed(client, NOMIC_REPO, "one", hub=hub)
        assert len(emb["embeddings"]) == 1
    assert models_sent(fake, "/api/chat") == [f"hf.co/{LLAMA_REPO}:Q4_K_M"]
    assert models_sent(fake, "/api/embed") == [f"hf.co/{NOMIC_REPO}:Q8_0"]
