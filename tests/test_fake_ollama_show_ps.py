"""FakeOllama's /api/show, /api/tags, /api/ps and chat logprobs, as current Ollama answers them.

Each fact is checked through the official ``ollama`` package (a client we did not write) or
through ``hfollama_widgets.Client``; every assertion failed on the stand-in before issue 10.
Expected values are the catalogue's hyperparameters of Llama-3.2-1B (16 layers, 8 KV heads,
head size 64, 2048 wide, 128256 tokens, 131072 context), as in the real GGUF.
"""

from __future__ import annotations

from typing import Any

import httpx
import ollama
import pytest

import hfollama_widgets as hfw
from hfollama_widgets.testing import FakeOllama
from hfollama_widgets.testing._ollama.version import OLD

LLAMA = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"
HI = [{"role": "user", "content": "Hi there"}]


@pytest.fixture()
def fake(fake_ollama: FakeOllama) -> FakeOllama:
    fake_ollama.pull_speed = 1e12
    fake_ollama.token_rate = 0
    return fake_ollama


@pytest.fixture()
def official(fake: FakeOllama) -> ollama.Client:
    client = ollama.Client(host=fake.url)
    client.pull(LLAMA)
    return client


def _raw_show(fake: FakeOllama, verbose: bool) -> dict[str, Any]:
    answer = httpx.post(
        f"{fake.url}/api/show", json={"model": LLAMA, "verbose": verbose}, timeout=60
    )
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def test_show_model_info_has_every_gguf_key_but_name_and_chat_template(
    official: ollama.Client,
) -> None:
    info = official.show(LLAMA).modelinfo or {}
    assert info["llama.context_length"] == 131072  # the repo's GGUF metadata
    assert info["llama.block_count"] == 16 and info["llama.attention.head_count_kv"] == 8
    assert info["tokenizer.ggml.model"] == "gpt2"
    assert "general.name" not in info and "tokenizer.chat_template" not in info
    # fs/ggml/gguf.go patches general.parameter_count with the tensors' element count
    assert info["general.parameter_count"] == 1_235_814_400


def test_show_empties_long_arrays_unless_verbose(fake: FakeOllama, official: ollama.Client) -> None:
    assert (official.show(LLAMA).modelinfo or {})["tokenizer.ggml.tokens"] == []
    verbose = _raw_show(fake, verbose=True)
    assert len(verbose["model_info"]["tokenizer.ggml.tokens"]) == 128256


@pytest.mark.parametrize("verbose", [False, True])
def test_show_lists_tensors_with_type_and_shape(
    fake: FakeOllama, official: ollama.Client, verbose: bool
) -> None:
    # GetModelInfo sets resp.Tensors with or without verbose (server/routes.go)
    tensors = {t["name"]: t for t in _raw_show(fake, verbose=verbose)["tensors"]}
    assert tensors["token_embd.weight"]["shape"] == [2048, 128256]
    assert tensors["output_norm.weight"] == {
        "name": "output_norm.weight",
        "type": "F32",
        "shape": [2048],
    }
    assert len([n for n in tensors if n.startswith("blk.15.")]) > 0


def test_our_client_show_verbose_has_tensors(fake: FakeOllama, official: ollama.Client) -> None:
    shown = hfw.Client(fake.url).show(LLAMA, verbose=True)
    assert shown["model_info"]["llama.embedding_length"] == 2048
    assert any(t["name"] == "blk.0.attn_q.weight" for t in shown["tensors"])


def test_tags_details_carry_context_and_embedding_length(
    fake: FakeOllama, official: ollama.Client
) -> None:
    details = hfw.Client(fake.url).list()["models"][0]["details"]
    assert details["context_length"] == 131072 and details["embedding_length"] == 2048


def test_tags_before_0_30_have_no_context_length(fake_hub: Any) -> None:
    with FakeOllama(hub=fake_hub, version=OLD) as old:
        old.pull_speed = 1e12
        ollama.Client(host=old.url).pull(LLAMA)
        details = hfw.Client(old.url).list()["models"][0]["details"]
    assert "context_length" not in details


def test_ps_size_includes_the_kv_cache_at_the_requested_context(
    fake: FakeOllama, official: ollama.Client
) -> None:
    file_size = official.list().models[0].size or 0
    official.chat(LLAMA, messages=HI, options={"num_ctx": 8192})
    at_8k = official.ps().models[0]
    assert at_8k.context_length == 8192
    official.chat(LLAMA, messages=HI)  # no num_ctx: the 4096 default reloads the model
    at_4k = official.ps().models[0]
    assert at_4k.context_length == 4096
    # Llama 3.2 1B: 16 layers x 8 KV heads x 64 x (K+V) x f16 = 32 KiB per token
    per_token = 16 * 8 * 64 * 2 * 2
    assert (at_8k.size or 0) - (at_4k.size or 0) == pytest.approx(4096 * per_token, rel=0.02)
    assert (at_4k.size or 0) > file_size and at_4k.size_vram == 0


def test_ps_size_vram_is_capped_by_the_vram_knob(fake: FakeOllama, official: ollama.Client) -> None:
    official.chat(LLAMA, messages=HI)
    fake.store.vram_bytes = 500_000_000
    running = hfw.Client(fake.url).ps()["models"][0]
    assert running["size_vram"] == 500_000_000
    fake.store.vram_bytes = 10**12
    assert hfw.Client(fake.url).ps()["models"][0]["size_vram"] == running["size"]


@pytest.mark.parametrize("top", [-1, 21])
def test_top_logprobs_out_of_range_is_a_400(official: ollama.Client, top: int) -> None:
    with pytest.raises(ollama.ResponseError) as err:
        official.chat(LLAMA, messages=HI, top_logprobs=top)
    assert err.value.status_code == 400
    assert err.value.error == "top_logprobs must be between 0 and 20"


def test_top_logprobs_range_is_checked_before_the_model(fake: FakeOllama) -> None:
    answer = httpx.post(
        f"{fake.url}/api/chat", json={"model": "absent:latest", "top_logprobs": 99}, timeout=10
    )
    assert answer.status_code == 400


def test_streamed_chunks_carry_logprobs(official: ollama.Client) -> None:
    chunks = list(official.chat(LLAMA, messages=HI, stream=True, logprobs=True, top_logprobs=3))
    content = [c for c in chunks if not c.done]
    assert content and all(c.logprobs for c in content)
    first = (content[0].logprobs or [])[0]
    assert first.token == content[0].message.content and first.logprob <= 0
    assert len(first.top_logprobs or []) == 3
    joined = official.chat(LLAMA, messages=HI, logprobs=True)
    assert [lp.token for lp in joined.logprobs or []] == [
        lp.token for c in content for lp in c.logprobs or []
    ]


def test_no_logprobs_unless_asked(official: ollama.Client) -> None:
    chunks = list(official.chat(LLAMA, messages=HI, stream=True))
    assert all(c.logprobs is None for c in chunks)


def test_projector_info_is_the_projector_files_gguf_keys(fake: FakeOllama) -> None:
    llava = "hf.co/mys/ggml_llava-v1.5-7b:ggml-model-q4_k.gguf"
    hfw.Client(fake.url).pull(llava)
    shown = hfw.Client(fake.url).show(llava)
    projector = shown["projector_info"]
    assert projector["clip.vision.image_size"] == 336 and projector["clip.vision.patch_size"] == 14
    assert projector["general.architecture"] == "clip"
