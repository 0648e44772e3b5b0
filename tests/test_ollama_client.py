"""The sync Ollama client over real HTTP against FakeOllama (pulling from the session FakeHub)."""

from __future__ import annotations

import base64
import json
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import hfollama_widgets as hfw
from hfollama_widgets.testing import FakeOllama

CATALOGUE = Path(hfw.__file__).parent / "testing" / "catalogue"
LLAMA = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"
QWEN = "hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M"  # thinking-capable
NOMIC = "hf.co/nomic-ai/nomic-embed-text-v1.5-GGUF:Q4_K_M"  # embedding
HI = [{"role": "user", "content": "Hi there"}]


def catalogue_size(repo_id: str, filename: str) -> int:
    data = json.loads((CATALOGUE / (repo_id.replace("/", "__") + ".json")).read_text())
    return next(int(f["size"]) for f in data["files"] if f["path"] == filename)


@pytest.fixture()
def fake(fake_ollama: FakeOllama) -> FakeOllama:
    fake_ollama.pull_speed = 1e12  # transfers take one progress tick
    fake_ollama.token_rate = 0  # no pause between tokens
    return fake_ollama


@pytest.fixture()
def client(fake: FakeOllama) -> Iterator[hfw.Client]:
    with hfw.Client(fake.url) as c:
        yield c


@pytest.fixture()
def llama(client: hfw.Client) -> str:
    assert client.pull(LLAMA) == {"status": "success"}
    return LLAMA


def last_body(fake: FakeOllama, path: str) -> Any:
    return [r for r in fake.requests if r.path == path][-1].body


# --- basic methods --------------------------------------------------------------------------


def test_version_list_ps_on_an_empty_server(client: hfw.Client) -> None:
    assert client.version().count(".") == 2
    assert client.list() == {"models": []}
    assert client.ps() == {"models": []}


def test_pull_without_stream_sends_stream_false_and_returns_success(
    client: hfw.Client, fake: FakeOllama
) -> None:
    assert client.pull(LLAMA) == {"status": "success"}
    assert last_body(fake, "/api/pull") == {"model": LLAMA, "stream": False}
    (entry,) = client.list()["models"]
    assert entry["name"] == LLAMA
    assert entry["size"] >= catalogue_size(
        "bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q4_K_M.gguf"
    )


@pytest.mark.parametrize("final_layer_line", [False, True])
def test_pull_stream_has_the_real_sequence(
    client: hfw.Client, fake: FakeOllama, final_layer_line: bool
) -> None:
    fake.pull_speed = 3e9  # a few progress lines for the 736 MB layer
    fake.final_layer_line = final_layer_line
    with client.pull(LLAMA, stream=True) as stream:
        assert isinstance(stream, hfw.Stream)
        lines = list(stream)
    statuses = [p["status"] for p in lines]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    size = catalogue_size(
        "bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q4_K_M.gguf"
    )
    model_lines = [p for p in lines if p.get("total") == size]
    assert len(model_lines) >= 3
    assert model_lines[0]["status"] == "pulling " + model_lines[0]["digest"][7:19]
    done = [p.get("completed", 0) for p in model_lines]
    assert done == sorted(done)
    if final_layer_line:  # the old stand-in: a line at once (omitempty: no completed) and at 100 %
        assert done[-1] == size and "completed" not in model_lines[0]
    else:  # Ollama's 60 ms ticker (server/download.go:446-466): every line is short of total
        assert done[0] > 0 and done[-1] < size


def test_second_pull_finds_the_layers_on_disk(client: hfw.Client, llama: str) -> None:
    layers = [p for p in client.pull(llama, stream=True) if p.get("digest")]
    assert layers and all(p["completed"] == p["total"] for p in layers)
    assert len({p["digest"] for p in layers}) == len(layers)  # one line per layer


def test_show_delete_and_list(client: hfw.Client, llama: str) -> None:
    info = client.show(llama.lower())  # names are matched case-insensitively
    assert "completion" in info["capabilities"]
    assert info["details"]["format"] == "gguf"
    assert info["model_info"]["general.architecture"] == info["details"]["family"]
    client.delete(llama)
    assert client.list() == {"models": []}
    with pytest.raises(hfw.ModelNotFoundError) as err:
        client.delete(llama)
    assert err.value.status_code == 404


def test_chat_non_stream_and_stream_agree(client: hfw.Client, llama: str) -> None:
    reply = client.chat(llama, HI)
    assert reply["done"] is True and reply["done_reason"] == "stop"
    content = reply["message"]["content"]
    assert "```" in content  # markdown with a fenced code block
    for key in ("total_duration", "load_duration", "prompt_eval_count", "eval_count"):
        assert isinstance(reply[key], int) and reply[key] > 0
    chunks = list(client.chat(llama, HI, stream=True))
    assert chunks[-1]["done"] is True and chunks[-1]["message"]["content"] == ""
    assert all(c["done"] is False for c in chunks[:-1])
    assert "".join(c["message"]["content"] for c in chunks) == content


def test_chat_omits_unset_fields_and_passes_the_rest(client: hfw.Client, fake: FakeOllama) -> None:
    client.pull(LLAMA)
    client.chat(LLAMA, HI)
    assert last_body(fake, "/api/chat") == {"model": LLAMA, "messages": HI, "stream": False}
    opts = {"temperature": 0.1, "num_predict": 5}
    reply = client.chat(LLAMA, HI, options=opts, keep_alive="1m", format="json")
    body = last_body(fake, "/api/chat")
    assert body["options"] == opts and body["keep_alive"] == "1m" and body["format"] == "json"
    assert reply["done_reason"] == "length" and reply["eval_count"] == 5


def test_structured_output_with_a_schema(client: hfw.Client, llama: str) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "n": {"type": "integer"}},
    }
    data = json.loads(client.chat(llama, HI, format=schema)["message"]["content"])
    assert set(data) == {"city", "n"} and isinstance(data["n"], int)


def test_thinking_model_streams_thinking_first(client: hfw.Client) -> None:
    client.pull(QWEN)
    assert "thinking" in client.show(QWEN)["capabilities"]
    chunks = list(client.chat(QWEN, HI, stream=True))
    kinds = ["t" if c["message"].get("thinking") else "c" for c in chunks[:-1]]
    assert kinds[0] == "t" and "c" in kinds
    assert "".join(kinds) == "t" * kinds.count("t") + "c" * kinds.count("c")
    no_think = client.chat(QWEN, HI, think=False)
    assert "thinking" not in no_think["message"]
    joined = client.chat(QWEN, HI, think=True)
    assert joined["message"]["thinking"] == "".join(
        c["message"].get("thinking", "") for c in chunks
    )


def test_echo_reply_is_verbatim(client: hfw.Client, llama: str) -> None:
    payload = "<img src=x onerror=alert(1)> & <script>alert('x')</script>"
    chunks = client.chat(llama, [{"role": "user", "content": "echo:" + payload}], stream=True)
    assert "".join(c["message"]["content"] for c in chunks) == payload


def test_generate_with_images_of_every_kind(
    client: hfw.Client, llama: str, fake: FakeOllama, tmp_path: Path
) -> None:
    png = b"\x89PNG\r\n\x1a\n-fake-image"
    path = tmp_path / "cat.png"
    path.write_bytes(png)
    b64 = base64.b64encode(png).decode()
    reply = client.generate(
        llama, "Describe", system="Be brief", images=[png, path, str(path), b64]
    )
    assert reply["done"] is True and reply["response"]
    body = last_body(fake, "/api/generate")
    assert body["images"] == [b64] * 4 and body["system"] == "Be brief"
    streamed = list(client.generate(llama, "Describe", system="Be brief", stream=True))
    assert "".join(c["response"] for c in streamed) == reply["response"]
    with pytest.raises(FileNotFoundError):
        client.generate(llama, "x", images=[str(tmp_path / "missing.png")])


def test_generate_empty_prompt_loads_and_keep_alive_zero_unloads(
    client: hfw.Client, llama: str
) -> None:
    assert client.generate(llama)["done_reason"] == "load"
    assert [m["name"] for m in client.ps()["models"]] == [llama]
    assert client.generate(llama, keep_alive=0)["done_reason"] == "unload"
    assert client.ps() == {"models": []}


def test_embed_vectors_are_normalised_and_deterministic(client: hfw.Client) -> None:
    client.pull(NOMIC)
    assert client.show(NOMIC)["capabilities"] == ["embedding"]
    out = client.embed(NOMIC, ["the cat sat", "the cat sat down", "quantum physics"])
    a, b, c = out["embeddings"]
    for v in (a, b, c):
        assert math.isclose(math.fsum(x * x for x in v), 1.0, rel_tol=1e-9)
    assert client.embed(NOMIC, "the cat sat")["embeddings"] == [a]

    def cos(u: list[float], v: list[float]) -> float:
        return math.fsum(x * y for x, y in zip(u, v, strict=True))

    assert cos(a, b) > cos(a, c)  # shared words bring vectors together
    short = client.embed(NOMIC, "the cat sat", dimensions=64)["embeddings"][0]
    assert len(short) == 64
    assert math.isclose(math.fsum(x * x for x in short), 1.0, rel_tol=1e-9)


# --- streams: early close, other threads, context managers ----------------------------------


def test_closing_a_stream_early_ends_it_and_the_client_still_works(
    client: hfw.Client, llama: str
) -> None:
    stream = client.chat(llama, HI, stream=True)
    first = [next(stream) for _ in range(3)]
    assert all(c["done"] is False for c in first)
    stream.close()
    stream.close()  # twice is fine
    assert stream.closed and list(stream) == []
    assert client.chat(llama, HI)["done"] is True


def test_context_manager_closes_the_stream(client: hfw.Client, llama: str) -> None:
    with client.generate(llama, "Hello", stream=True) as stream:
        next(stream)
    assert stream.closed


def test_close_from_another_thread_unblocks_a_waiting_chat_read(
    client: hfw.Client, fake: FakeOllama, llama: str
) -> None:
    fake.token_rate = 20
    stream = client.chat(llama, HI, stream=True)  # headers come with the first token
    assert next(stream)["done"] is False
    fake.token_rate = 0.5  # 2 s per token from now on: the reader blocks in a socket read
    got: list[dict[str, Any]] = []
    closer = threading.Timer(0.3, stream.close)
    start = time.monotonic()
    closer.start()
    got.extend(stream)  # ends quietly once closed (a cancel is not an error)
    elapsed = time.monotonic() - start
    closer.join()
    assert len(got) <= 3 and stream.closed  # a token or two may be in flight
    assert elapsed < 1.9  # it did not wait for the next token to arrive
    fake.token_rate = 0
    assert client.chat(llama, HI)["done"] is True


def test_cancelled_pull_resumes_where_it_stopped(client: hfw.Client, fake: FakeOllama) -> None:
    fake.pull_speed = 2e8  # ~4 s for the 736 MB model layer
    stream = client.pull(LLAMA, stream=True)
    seen: list[dict[str, Any]] = []

    def read() -> None:
        seen.extend(stream)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.5)
    stream.close()  # from this thread, while the reader waits for the next line
    reader.join(timeout=5)
    assert not reader.is_alive()
    model_lines = [p for p in seen if p.get("total", 0) > 10**8]
    progress = [p.get("completed", 0) for p in model_lines]
    assert progress and 0 < progress[-1] < model_lines[-1]["total"]  # stopped part-way
    assert client.list() == {"models": []}  # not finished, not listed
    fake.pull_speed = 2e9  # a few 60 ms ticks (an instant download sends no layer line)
    resumed = [p for p in client.pull(LLAMA, stream=True) if p.get("total", 0) > 10**8]
    assert resumed[0].get("completed", 0) >= progress[-1]  # resumed, not restarted
    assert [m["model"] for m in client.list()["models"]] == [LLAMA]


# --- headers --------------------------------------------------------------------------------


def test_user_agent_and_api_key(fake: FakeOllama, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", "sk-secret-ollama-key")
    with hfw.Client(fake.url, headers={"X-Trace": "t1"}) as client:
        client.version()
        assert "sk-secret" not in repr(client)
    headers = fake.requests[-1].headers
    assert headers["user-agent"] == f"hfollama-widgets/{hfw.__version__}"
    assert headers["authorization"] == "Bearer ***"  # sent (FakeOllama masks the value)
    assert headers["x-trace"] == "t1"
    with pytest.raises(hfw.OllamaConnectionError) as err:
        hfw.Client("127.0.0.1:9").version()
    assert "sk-secret" not in str(err.value)


def test_api_key_value_on_the_wire(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    monkeypatch.setenv("OLLAMA_API_KEY", "sk-secret-ollama-key")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"version": "9.9.9"})

    with hfw.Client("h:1", transport=httpx.MockTransport(handler)) as client:
        assert client.version() == "9.9.9"
    with hfw.Client(
        "h:1", headers={"Authorization": "Bearer mine"}, transport=httpx.MockTransport(handler)
    ) as client:
        client.version()
    assert seen[0].headers["authorization"] == "Bearer sk-secret-ollama-key"
    assert seen[1].headers["authorization"] == "Bearer mine"  # the caller's header wins


# --- errors, each triggered for real ---------------------------------------------------------


def dead_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: nothing listens there


@pytest.mark.parametrize("stream", [False, True])
def test_connection_refused_names_host_and_fix_at_call_time(stream: bool) -> None:
    port = dead_port()
    client = hfw.Client(f"127.0.0.1:{port}")
    calls = [
        lambda: client.pull(LLAMA, stream=stream),
        lambda: client.chat(LLAMA, HI, stream=stream),
        lambda: client.generate(LLAMA, "x", stream=stream),
    ]
    for call in calls:
        with pytest.raises(hfw.OllamaConnectionError) as err:
            call()  # raised here, not at the first next()
        assert f"127.0.0.1:{port}" in err.value.message
        assert "ollama serve" in (err.value.fix or "") and "OLLAMA_HOST" in (err.value.fix or "")
    with pytest.raises(ConnectionError):  # also a builtin ConnectionError
        client.list()


@pytest.mark.parametrize("stream", [False, True])
def test_unknown_model_is_model_not_found_with_a_pull_hint(
    client: hfw.Client, stream: bool
) -> None:
    for call in (
        lambda: client.chat(LLAMA, HI, stream=stream),
        lambda: client.generate(LLAMA, "x", stream=stream),
    ):
        with pytest.raises(hfw.ModelNotFoundError) as err:
            call()
        assert err.value.status_code == 404 and LLAMA in err.value.message
        assert "hfw.pull" in (err.value.fix or "") and f"ollama pull {LLAMA}" in (
            err.value.fix or ""
        )
    for call in (lambda: client.show(LLAMA), lambda: client.embed(LLAMA, "x")):
        with pytest.raises(hfw.ModelNotFoundError):
            call()


def test_http_5xx_faults(client: hfw.Client, fake: FakeOllama, llama: str) -> None:
    fake.faults.http_error(503, path="/api/chat")
    with pytest.raises(hfw.OllamaServerError) as err:
        client.chat(llama, HI, stream=True)
    assert err.value.status_code == 503 and "retry" in (err.value.fix or "").lower()
    assert "server busy" in err.value.error
    fake.faults.http_error(500, path="/api/tags", times=2, message="disk full")
    for _ in range(2):
        with pytest.raises(hfw.OllamaServerError, match="disk full"):
            client.list()
    assert client.list()["models"]  # the fault is used up
    assert client.chat(llama, HI)["done"]


def test_error_line_inside_a_200_stream(client: hfw.Client, fake: FakeOllama, llama: str) -> None:
    fake.faults.error_line(after_lines=3, message="model runner crashed", path="/api/chat")
    stream = client.chat(llama, HI, stream=True)
    got = []
    with pytest.raises(hfw.StreamError) as err:
        for part in stream:
            got.append(part)
    assert len(got) == 3 and err.value.status_code == -1
    assert err.value.error == "model runner crashed"
    fake.faults.error_line(after_lines=0, message="registry timeout", path="/api/pull")
    with pytest.raises(hfw.PullError, match="registry timeout"):
        client.pull(LLAMA, stream=True).__next__()


def test_malformed_line_is_a_protocol_error(
    client: hfw.Client, fake: FakeOllama, llama: str
) -> None:
    fake.faults.garbage_line(after_lines=2, path="/api/generate")
    stream = client.generate(llama, "Hello", stream=True)
    with pytest.raises(hfw.OllamaProtocolError):
        list(stream)
    assert stream.closed


@pytest.mark.parametrize("clean", [False, True])
def test_pull_stream_cut_before_success_is_incomplete(
    client: hfw.Client, fake: FakeOllama, clean: bool
) -> None:
    fake.faults.cut_stream(after_lines=2, path="/api/pull", clean=clean)
    got = []
    with pytest.raises(hfw.IncompletePullError) as err:
        for part in client.pull(LLAMA, stream=True):
            got.append(part)
    assert len(got) == 2 and "again" in (err.value.fix or "")


@pytest.mark.parametrize("clean", [False, True])
def test_pull_without_stream_cut_before_success_is_incomplete(
    client: hfw.Client, fake: FakeOllama, clean: bool
) -> None:
    fake.faults.cut_stream(after_lines=2, path="/api/pull", clean=clean)
    with pytest.raises(hfw.IncompletePullError):
        client.pull(LLAMA)


def test_chat_stream_cut_mid_reply_raises(client: hfw.Client, fake: FakeOllama, llama: str) -> None:
    fake.faults.cut_stream(after_lines=4, path="/api/chat")
    with pytest.raises(hfw.OllamaConnectionError, match="closed before"):
        list(client.chat(llama, HI, stream=True))
    fake.faults.cut_stream(after_lines=4, path="/api/chat", clean=True)
    with pytest.raises(hfw.OllamaProtocolError, match="done"):
        list(client.chat(llama, HI, stream=True))


@pytest.mark.parametrize("stream", [False, True])
def test_registry_refusals_map_to_pull_errors(client: hfw.Client, stream: bool) -> None:
    cases: list[tuple[str, type[hfw.PullError], str]] = [
        ("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q9_Z", hfw.UnknownTagError, "list_gguf_files"),
        ("hf.co/Qwen/Qwen2.5-7B-Instruct-GGUF:Q8_0", hfw.ShardedGGUFError, "single-file"),
        ("hf.co/example-org/Private-Model-GGUF:Q4_K_M", hfw.PrivateRepoAuthError, "id_ed25519.pub"),
        # The Hub answers 401, not 404, for a missing repo without credentials (FakeHub's
        # registry_routes; huggingface_hub utils/_http.py), so a misspelled repo reads as
        # private on Ollama before the 0.14.3 realm check (ollama/ollama#8045).
        ("hf.co/nobody/No-Such-Repo-GGUF:Q4_K_M", hfw.PrivateRepoAuthError, "id_ed25519.pub"),
        ("llama3.2", hfw.ManifestNotFoundError, "name"),
    ]
    for model, error, fix in cases:
        with pytest.raises(error) as err:
            if stream:
                list(client.pull(model, stream=True))
            else:
                client.pull(model)
        assert model in err.value.message and fix in (err.value.fix or "")
        assert err.value.status_code == (-1 if stream else 500)
    assert client.list() == {"models": []}


PRIVATE = "example-org/Private-Model-GGUF:Q4_K_M"


def test_private_repo_pulls_when_ollamas_key_is_registered(fake_hub: Any) -> None:
    # Old Ollama (< 0.14.3) follows hf.co's challenge to huggingface.co: hf.co/ works.
    old = FakeOllama(hub=fake_hub, hf_token="hf_fake_token_for_tests", version="0.12.6")
    with old as fake, hfw.Client(fake.url) as client:
        assert client.pull(f"hf.co/{PRIVATE}")["status"] == "success"
        assert "hf_fake" not in repr(fake)
    # Current Ollama refuses the realm host for hf.co/ even with the key; huggingface.co/ works.
    new = FakeOllama(hub=fake_hub, hf_token="hf_fake_token_for_tests")
    with new as fake, hfw.Client(fake.url) as client:
        with pytest.raises(hfw.PrivateRepoAuthError) as err:
            client.pull(f"hf.co/{PRIVATE}")
        assert err.value.retry_model == f"huggingface.co/{PRIVATE}"
        assert "does not match original host" in err.value.error
        assert client.pull(f"huggingface.co/{PRIVATE}")["status"] == "success"


def test_bad_requests_are_response_errors(client: hfw.Client, llama: str) -> None:
    with pytest.raises(hfw.PullError) as err:
        client.pull("hf.co/bad.owner/x:Q4_K_M")
    assert err.value.status_code == 400 and "invalid model name" in err.value.error
    with pytest.raises(hfw.OllamaResponseError) as err2:
        client.chat(llama, HI, think=True)  # Llama 3.2 cannot think
    assert err2.value.status_code == 400 and "does not support thinking" in err2.value.error
    assert "think" in (err2.value.fix or "")
    with pytest.raises(hfw.InvalidModelRefError):
        client.chat("", HI)


def test_timeouts(fake: FakeOllama, llama: str) -> None:
    import httpx

    fake.latency = 0.6
    with hfw.Client(fake.url, timeout=httpx.Timeout(0.2, connect=2)) as client:
        with pytest.raises(hfw.OllamaTimeoutError) as err:
            client.version()
        assert "timeout" in (err.value.fix or "").lower()
        fake.latency = 0
        fake.token_rate = 50
        stream = client.chat(llama, HI, stream=True)
        next(stream)
        fake.token_rate = 2  # 0.5 s between tokens > 0.2 s read timeout: fails mid-stream
        with pytest.raises(hfw.OllamaTimeoutError):
            list(stream)
        with pytest.raises(hfw.OllamaTimeoutError):  # no first token in time: at the call
            client.chat(llama, HI, stream=True)


def test_reply_callable_overrides_the_text(
    client: hfw.Client, fake: FakeOllama, llama: str
) -> None:
    seen: list[tuple[str, list[dict[str, Any]]]] = []

    def reply(model: str, messages: list[dict[str, Any]]) -> str:
        seen.append((model, messages))
        return f"{len(messages)} messages for {model}"

    fake.reply = reply
    history = [{"role": "system", "content": "Be brief"}, *HI]
    assert client.chat(llama, history)["message"]["content"] == f"2 messages for {llama}"
    assert seen == [(llama, history)]
    streamed = client.generate(llama, "Hello", stream=True)
    assert "".join(c["response"] for c in streamed) == f"1 messages for {llama}"
