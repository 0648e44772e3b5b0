"""FakeOllama checked by a client we did not write: the official `ollama` package.

Its pydantic models validate the shapes (field names and types); its ResponseError carries
the status codes. Also checked here: raw HTTP details (content types, empty delete body, HEAD).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import ollama
import pytest

import hfollama_widgets as hfw
from hfollama_widgets.testing import FakeOllama

CATALOGUE = Path(hfw.__file__).parent / "testing" / "catalogue"
LLAMA = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"
QWEN = "hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M"
NOMIC = "hf.co/nomic-ai/nomic-embed-text-v1.5-GGUF:Q4_K_M"
LLAVA = "hf.co/mys/ggml_llava-v1.5-7b:ggml-model-q4_k.gguf"  # the file name as tag
HI = [{"role": "user", "content": "Hi there"}]


@pytest.fixture()
def fake(fake_ollama: FakeOllama) -> FakeOllama:
    fake_ollama.pull_speed = 1e12
    fake_ollama.token_rate = 0
    return fake_ollama


@pytest.fixture()
def official(fake: FakeOllama) -> ollama.Client:
    return ollama.Client(host=fake.url)


def test_pull_list_show_delete(official: ollama.Client, fake: FakeOllama) -> None:
    assert official.list().models == []
    fake.pull_speed = 4e9  # a few 60 ms ticks: an instant download sends no layer line at all
    progress = list(official.pull(LLAMA, stream=True))
    assert progress[0].status == "pulling manifest" and progress[-1].status == "success"
    layer = next(p for p in progress if p.digest and p.total and p.total > 10**8)
    assert layer.status == f"pulling {(layer.digest or '')[7:19]}"
    assert official.pull(QWEN).status == "success"
    models = {m.model: m for m in official.list().models}
    assert set(models) == {LLAMA, QWEN}
    details = models[QWEN].details
    assert details is not None and details.quantization_level == "Q4_K_M"
    assert models[QWEN].size and models[QWEN].modified_at is not None
    shown = official.show(QWEN)
    assert shown.capabilities and "thinking" in shown.capabilities
    assert shown.modelinfo and shown.modelinfo["general.architecture"] == "qwen3"
    assert shown.template and "<think>" in shown.template
    assert official.delete(QWEN).status == "success"
    assert [m.model for m in official.list().models] == [LLAMA]


def test_chat_generate_embed_ps(official: ollama.Client) -> None:
    official.pull(LLAMA)
    chunks = list(official.chat(LLAMA, messages=HI, stream=True))
    assert chunks[-1].done and chunks[-1].done_reason == "stop"
    assert chunks[-1].eval_count and chunks[-1].eval_duration
    text = "".join(c.message.content or "" for c in chunks)
    assert official.chat(LLAMA, messages=HI).message.content == text
    gen = official.generate(LLAMA, "Why is the sky blue?")
    assert gen.done and gen.response and gen.prompt_eval_count
    streamed = "".join(g.response or "" for g in official.generate(LLAMA, "Why?", stream=True))
    assert streamed
    official.pull(NOMIC)
    emb = official.embed(NOMIC, ["one", "two"])
    assert len(emb.embeddings) == 2 and len(emb.embeddings[0]) > 100
    legacy = official.embeddings(NOMIC, "one")
    assert len(legacy.embedding) == len(emb.embeddings[0])
    running = {m.model for m in official.ps().models}
    assert running == {LLAMA, NOMIC}
    assert all(m.expires_at is not None for m in official.ps().models)


def test_thinking_fields(official: ollama.Client) -> None:
    official.pull(QWEN)
    reply = official.chat(QWEN, messages=HI, think=True)
    assert reply.message.thinking and reply.message.content
    assert official.chat(QWEN, messages=HI, think=False).message.thinking is None


def test_capabilities_follow_the_catalogue(official: ollama.Client) -> None:
    # The catalogue says what each repo can do; FakeOllama derives it from the manifest.
    for ref in (LLAMA, QWEN, NOMIC, LLAVA):
        official.pull(ref)
        repo = ref.removeprefix("hf.co/").split(":")[0]
        declared = json.loads((CATALOGUE / (repo.replace("/", "__") + ".json")).read_text())
        shown = official.show(ref)
        expected = [c for c in declared["capabilities"] if c != "tools"]
        if shown.template and ".Tools" in shown.template:
            expected = declared["capabilities"]
        assert shown.capabilities == expected, ref


def test_response_errors_carry_status_codes(official: ollama.Client, fake: FakeOllama) -> None:
    cases = [
        (lambda: official.chat(LLAMA, messages=HI), 404),
        (lambda: official.show(LLAMA), 404),
        (lambda: official.delete(LLAMA), 404),
        (lambda: official.pull("hf.co/nobody/No-Such-Repo-GGUF:Q4_K_M"), 500),
        (lambda: official.pull("hf.co/bad.owner/x"), 400),
    ]
    for call, status in cases:
        with pytest.raises(ollama.ResponseError) as err:
            call()
        assert err.value.status_code == status
    with pytest.raises(ollama.ResponseError) as err:
        list(official.pull("hf.co/Qwen/Qwen2.5-7B-Instruct-GGUF:Q8_0", stream=True))
    assert err.value.status_code == -1 and "sharded GGUF" in err.value.error  # in-stream
    official.pull(LLAMA)
    with pytest.raises(ollama.ResponseError) as err:
        official.chat(LLAMA, messages=HI, think=True)
    assert err.value.status_code == 400 and "does not support thinking" in err.value.error
    fake.faults.http_error(503, path="/api/generate")
    with pytest.raises(ollama.ResponseError) as err:
        official.generate(LLAMA, "x")
    assert err.value.status_code == 503


def test_raw_http_details(fake: FakeOllama) -> None:
    with httpx.Client(base_url=fake.url) as http:
        for method in ("GET", "HEAD"):
            root = http.request(method, "/")
            assert root.status_code == 200
        assert http.get("/").text == "Ollama is running"
        assert http.head("/api/version").status_code == 200
        with http.stream("POST", "/api/pull", json={"model": LLAMA}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/x-ndjson"
            assert response.headers["transfer-encoding"] == "chunked"
            lines = [json.loads(line) for line in response.iter_lines() if line]
        assert lines[-1] == {"status": "success"}
        single = http.post("/api/pull", json={"model": LLAMA, "stream": False})
        assert single.headers["content-type"].startswith("application/json")
        assert single.json() == {"status": "success"}
        deleted = http.request("DELETE", "/api/delete", json={"model": LLAMA})
        assert deleted.status_code == 200 and deleted.content == b""
        missing = http.post("/api/chat", json={"model": "nope:1", "messages": HI})
        assert missing.status_code == 404 and missing.json() == {
            "error": "model 'nope:1' not found"
        }
        assert http.post("/api/pull", content=b"").json() == {"error": "missing request body"}
    assert [r.path for r in fake.requests][:2] == ["/", "/"]


def test_command_line_server(fake_hub: Any) -> None:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "hfollama_widgets.testing.fake_ollama", "--hub", fake_hub.url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = first.split()[2]
        assert url.startswith("http://127.0.0.1:")
        official = ollama.Client(host=url)
        assert official.pull(LLAMA).status == "success"
        assert [m.model for m in official.list().models] == [LLAMA]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
