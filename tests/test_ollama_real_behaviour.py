"""Issue 10 (Ollama half): FakeOllama behaves like current Ollama, checked through the official
`ollama` package (its ResponseError carries status and text) and through our client.

Sources (ollama/ollama at fb30760, v0.33.0-rc2): server/auth.go:60 realm-host check (PR #13738,
v0.14.3); api/types.go:991-1091 Options.FromMap, 1243-1271 Duration.UnmarshalJSON;
server/routes.go:202-232 scheduleRunner, 2611-2637 think before capabilities, 3107-3119
handleScheduleError; server/download.go:446-466 the 60 ms ticker.
"""

from __future__ import annotations

from typing import Any

import ollama
import pytest

import hfollama_widgets as hfw
from hfollama_widgets.testing import FakeOllama

PRIVATE = "example-org/Private-Model-GGUF:Q4_K_M"
LLAMA = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"
NOMIC = "hf.co/nomic-ai/nomic-embed-text-v1.5-GGUF:Q4_K_M"
REALM = 'pull model manifest: realm host "huggingface.co" does not match original host "hf.co"'
REFUSED = 'pull model manifest: 401: {"error":"Invalid username or password."}'
KEY = "hf_fake_token_for_tests"
HI = [{"role": "user", "content": "Hi"}]


def _official_pull_error(fake: FakeOllama, model: str) -> ollama.ResponseError:
    with pytest.raises(ollama.ResponseError) as err:
        ollama.Client(host=fake.url).pull(model)
    return err.value


@pytest.mark.parametrize(
    ("version", "hf_co_text"), [("0.33.0", REALM), ("0.14.3", REALM), ("0.14.2", REFUSED)]
)
def test_private_pull_errors_by_version(fake_hub: Any, version: str, hf_co_text: str) -> None:
    with FakeOllama(hub=fake_hub, version=version) as fake:
        with hfw.Client(fake.url) as client:
            assert client.version() == version
        err = _official_pull_error(fake, f"hf.co/{PRIVATE}")
        assert err.error == hf_co_text
        # huggingface.co/ passes the realm check, then the Hub refuses the unregistered key.
        assert _official_pull_error(fake, f"huggingface.co/{PRIVATE}").error == REFUSED
        with hfw.Client(fake.url) as client:
            with pytest.raises(hfw.PrivateRepoAuthError) as ours:
                client.pull(f"hf.co/{PRIVATE}")
            fix = ours.value.fix or ""
            assert "https://huggingface.co/settings/keys" in fix
            assert f"huggingface.co/{PRIVATE}" in fix
            expected_retry = f"huggingface.co/{PRIVATE}" if hf_co_text == REALM else None
            assert ours.value.retry_model == expected_retry


def test_challenge_header_of_the_hub_is_read(fake_hub: Any) -> None:
    """The Hub's challenge (realm huggingface.co) decides; the stand-in's 127.0.0.1 never does."""
    with FakeOllama(hub=fake_hub) as fake:
        list(ollama.Client(host=fake.url).pull(LLAMA, stream=True))  # public: no challenge
        assert [m.model for m in ollama.Client(host=fake.url).list().models] == [LLAMA]


@pytest.mark.parametrize("version", ["0.33.0", "0.12.6"])
def test_hfw_pull_and_pull_progress_work_on_both_versions(fake_hub: Any, version: str) -> None:
    fake = FakeOllama(hub=fake_hub, hf_token=KEY, version=version, pull_speed=1e12)
    with fake, hfw.Client(fake.url) as client:
        repo, quant = PRIVATE.split(":")
        assert hfw.hf.pull(client, repo, quantization=quant) == {"status": "success"}
        widget = hfw.PullProgress(client, f"hf.co/{PRIVATE}")
        assert widget.wait(timeout=60) == {"status": "success"}
        host = "huggingface.co" if version == "0.33.0" else "hf.co"
        assert widget.model == f"{host}/{PRIVATE}"
        assert [m["model"] for m in client.list()["models"]] == [f"{host}/{PRIVATE}"]
        # chat by repo finds the pulled model whichever host form it has
        assert hfw.hf.chat(client, repo, HI)["message"]["content"]


def test_wrongly_typed_options_500_and_ours_fail_before_sending(fake_ollama: Any) -> None:
    fake_ollama.pull_speed, fake_ollama.token_rate = 1e12, 0
    official = ollama.Client(host=fake_ollama.url)
    official.pull(LLAMA)
    with pytest.raises(ollama.ResponseError) as err:
        official.chat(LLAMA, HI, options={"temperature": "0.2"})
    assert (err.value.status_code, err.value.error) == (
        500,
        'option "temperature" must be of type float32',
    )
    with pytest.raises(ollama.ResponseError) as err:
        official.generate(LLAMA, "Hi", options={"stop": "x"})
    assert err.value.error == 'option "stop" must be of type array'
    assert official.chat(LLAMA, HI, options={"temperature": 1, "nonsense": "x"}).done
    with hfw.Client(fake_ollama.url) as client:
        before = len(fake_ollama.requests)
        with pytest.raises(hfw.InvalidArgumentTypeError) as ours:
            client.chat(LLAMA, HI, options={"temperature": "0.2"})
        assert "temperature" in ours.value.message and "0.7" in (ours.value.fix or "")
        assert len(fake_ollama.requests) == before  # nothing was sent


def test_keep_alive_is_a_go_duration(fake_ollama: Any) -> None:
    fake_ollama.pull_speed, fake_ollama.token_rate = 1e12, 0
    official = ollama.Client(host=fake_ollama.url)
    official.pull(LLAMA)
    for value, text in [
        ("300", 'time: missing unit in duration "300"'),
        ("5 minutes", 'time: unknown unit " minutes" in duration "5 minutes"'),
    ]:
        with pytest.raises(ollama.ResponseError) as err:
            official.chat(LLAMA, HI, keep_alive=value)
        assert (err.value.status_code, err.value.error) == (400, text)
    assert official.chat(LLAMA, HI, keep_alive="1h30m").done
    assert official.chat(LLAMA, HI, keep_alive=300).done
    with hfw.Client(fake_ollama.url) as client:
        with pytest.raises(hfw.InvalidArgumentError) as ours:
            client.chat(LLAMA, HI, keep_alive="300")
        assert "'5m'" in (ours.value.fix or "")
        assert client.chat(LLAMA, HI, keep_alive="5m")["done"]


def test_capability_errors_full_name_and_think_first(fake_ollama: Any) -> None:
    fake_ollama.pull_speed, fake_ollama.token_rate = 1e12, 0
    official = ollama.Client(host=fake_ollama.url)
    official.pull(LLAMA)
    official.pull(NOMIC)
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    with pytest.raises(ollama.ResponseError) as err:
        official.generate(LLAMA, "Hi", suffix="x")
    assert err.value.error == f"{LLAMA} does not support insert"
    # An embedding model lacks completion and thinking: thinking is checked first.
    with pytest.raises(ollama.ResponseError) as err:
        official.chat(NOMIC, HI, think=True)
    assert err.value.error == f'"{NOMIC}" does not support thinking'
    with pytest.raises(ollama.ResponseError) as err:
        official.chat(NOMIC, HI, tools=[tool])
    assert err.value.error == f'"{NOMIC}" does not support chat'
    with hfw.Client(fake_ollama.url) as client, pytest.raises(hfw.OllamaResponseError) as ours:
        client.chat(NOMIC, HI, think=True)
    assert "think" in (ours.value.fix or "")


@pytest.mark.parametrize(
    ("text", "error", "not_in_fix"),
    [
        (
            "This repository only contains sharded GGUF files. Ollama does not yet support "
            "pulling sharded GGUF via the registry; please download the shards and merge them "
            "locally with `ollama create` (…), or use a repository with single-file "
            "quantizations.",
            hfw.ShardedGGUFError,
            "Pick a single-file",
        ),
        (
            "Repository is not GGUF or is not compatible with llama.cpp",
            hfw.NotGGUFRepoError,
            "sharded",
        ),
    ],
)
def test_hub_texts_map_to_their_own_errors(
    fake_ollama: Any, text: str, error: type[hfw.PullError], not_in_fix: str
) -> None:
    # The Hub's 400 inside the pull stream, as Ollama relays it (ollama/ollama PR #17743;
    # huggingface/hub-docs#1451).
    message = "pull model manifest: 400: " + '{"error":"' + text.replace("`", "`") + '"}'
    with hfw.Client(fake_ollama.url) as client:
        fake_ollama.faults.error_line(after_lines=1, message=message, path="/api/pull")
        with pytest.raises(error) as err:
            list(client.pull(LLAMA, stream=True))
        assert not_in_fix not in (err.value.fix or "")


def test_pull_lines_have_no_final_layer_line(fake_ollama: Any) -> None:
    fake_ollama.pull_speed = 4e9
    lines = list(ollama.Client(host=fake_ollama.url).pull(LLAMA, stream=True))
    layer_lines = [p for p in lines if p.digest]
    assert layer_lines and all((p.completed or 0) < (p.total or 0) for p in layer_lines)
    statuses = [p.status for p in lines if not p.digest]
    assert statuses == [
        "pulling manifest",
        "verifying sha256 digest",
        "writing manifest",
        "success",
    ]
    tracker = hfw.PullTracker()
    for part in lines:
        tracker.update(part.model_dump(exclude_none=True))
    assert all(layer.done for layer in tracker.layers) and tracker.fraction == 1.0


@pytest.mark.parametrize(("version", "listed"), [("0.33.0", True), ("0.29.1", False)])
def test_tags_capabilities_since_0_30(fake_hub: Any, version: str, listed: bool) -> None:
    with FakeOllama(hub=fake_hub, version=version, pull_speed=1e12, token_rate=0) as fake:
        ollama.Client(host=fake.url).pull(LLAMA)
        with hfw.Client(fake.url) as client:  # the installed `ollama` package drops the field
            (entry,) = client.list()["models"]
        assert ("completion" in entry.get("capabilities", [])) is listed


def test_ps_lists_the_latest_expiry_first(fake_ollama: Any) -> None:
    fake_ollama.pull_speed, fake_ollama.token_rate = 1e12, 0
    official = ollama.Client(host=fake_ollama.url)
    official.pull(LLAMA)
    official.pull(NOMIC)
    official.generate(LLAMA, "Hi", keep_alive="1h")
    official.embed(NOMIC, "Hi", keep_alive="10m")
    assert [m.model for m in official.ps().models] == [LLAMA, NOMIC]
    official.generate(LLAMA, "Hi", keep_alive="1m")
    assert [m.model for m in official.ps().models] == [NOMIC, LLAMA]


def test_tool_calls_when_the_request_has_tools(fake_ollama: Any) -> None:
    fake_ollama.pull_speed, fake_ollama.token_rate = 1e12, 0
    qwen = "hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M"
    official = ollama.Client(host=fake_ollama.url)
    official.pull(qwen)
    params = {"type": "object", "properties": {}}
    no_tools = {"type": "function", "function": {"name": "f", "parameters": params}}
    with pytest.raises(ollama.ResponseError) as err:  # full name, unquoted (routes.go:211-213)
        official.chat(qwen, HI, tools=[no_tools])
    assert err.value.error == f"{qwen} does not support tools"
    # No catalogue template uses .Tools yet: give the pulled model one (the stand-in's state).
    from hfollama_widgets.testing._ollama.names import parse_name

    record = fake_ollama.store.find(parse_name(qwen))
    assert record is not None
    record.template += "{{ if .Tools }}{{ .Tools }}{{ end }}"
    assert "tools" in (official.show(qwen).capabilities or [])
    params = {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": params}}
    ask = [{"role": "user", "content": "Weather in Paris?"}]
    reply = official.chat(qwen, ask, tools=[tool], think=False)
    (call,) = reply.message.tool_calls or []
    assert call.function.name == "get_weather" and call.function.arguments == {"city": "example"}
    streamed = [
        c for part in official.chat(qwen, ask, tools=[tool], stream=True, think=False)
        for c in (part.message.tool_calls or [])
    ]  # fmt: skip
    assert [c.function.name for c in streamed] == ["get_weather"]
    with hfw.Client(fake_ollama.url) as client:  # ours passes `tools` through and keeps id/index
        ours = client.chat(qwen, ask, tools=[tool], think=False)["message"]["tool_calls"]
        assert ours[0]["id"].startswith("call_") and ours[0]["function"]["index"] == 0
        answer = [*ask, ours and {"role": "assistant", "content": "", "tool_calls": ours}]
        answer.append({"role": "tool", "content": "sunny", "tool_name": "get_weather"})
        assert client.chat(qwen, answer, tools=[tool], think=False)["message"]["content"]
