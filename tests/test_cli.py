"""The ``hfollama`` CLI as a user runs it: a subprocess against the stand-ins over real HTTP.

Expected values come from the stand-ins through the real clients (``huggingface_hub.HfApi``,
the official ``ollama`` package) or from the catalogue JSON, not from the CLI's own code.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import ollama
import pytest
from huggingface_hub import HfApi

from hfollama_widgets.demo import free_port
from hfollama_widgets.testing import FakeOllama
from hfollama_widgets.testing.fake_hub import NO_ACCESS_TOKEN

LLAMA = "bartowski/Llama-3.2-1B-Instruct-GGUF"
CATALOGUE = Path(__file__).resolve().parents[1] / "hfollama_widgets" / "testing" / "catalogue"


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OLLAMA_HOST", "HF_ENDPOINT", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
    }
    env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"})
    env.update(extra)
    return env


def hfollama(
    *args: str,
    hub: Any = None,
    ollama_url: str | None = None,
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m hfollama_widgets.cli`` with the stand-ins' URLs as global options."""
    cmd = [sys.executable, "-m", "hfollama_widgets.cli"]
    if hub is not None:
        cmd += ["--hf-endpoint", hub if isinstance(hub, str) else hub.url]
    if ollama_url is not None:
        cmd += ["--host", ollama_url]
    return subprocess.run(
        [*cmd, *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=env or _env(),
        timeout=timeout,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


@pytest.fixture()
def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def hub_gguf_sizes(hub: Any, repo: str) -> dict[str, int]:
    """The repo's model .gguf files and sizes, as huggingface_hub sees them."""
    api = HfApi(endpoint=hub.url, token=False)
    return {
        e.path: e.size
        for e in api.list_repo_tree(repo, recursive=True)
        if e.path.endswith(".gguf") and hasattr(e, "size") and "mmproj" not in e.path.lower()
    }


# --- help / usage -------------------------------------------------------------------------


def test_help_lists_commands_and_exit_codes() -> None:
    result = hfollama("--help")
    assert result.returncode == 0
    for command in ("ls", "search", "pull", "chat", "info", "fake-servers", "demo"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command
    assert "Exit codes" in result.stdout
    assert re.search(r"^\s+3\s+Ollama or the Hub is not reachable", result.stdout, re.M)


def test_usage_errors_exit_2() -> None:
    missing = hfollama("ls")
    assert missing.returncode == 2 and "Missing argument" in missing.stderr
    bad_host = hfollama("--host", "127.0.0.1:999999", "ls", LLAMA)
    assert bad_host.returncode == 2 and "--host" in bad_host.stderr
    no_traceback(bad_host)


# --- ls -----------------------------------------------------------------------------------


def test_ls_table_lists_every_quant_and_recommends_one(fake_hub: Any) -> None:
    result = hfollama("ls", LLAMA, hub=fake_hub)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["quant", "size_gb"]
    assert set(lines[1]) <= {"-", " "}
    rows = lines[2:]
    assert len(rows) == len(hub_gguf_sizes(fake_hub, LLAMA))  # all single-file quants
    q4 = next(r for r in rows if r.split()[0] == "Q4_K_M")
    assert f"hf.co/{LLAMA}:Q4_K_M" in q4 and " yes " in q4
    assert "recommended: Q4_K_M" in result.stderr
    assert f"hfollama pull hf.co/{LLAMA}:Q4_K_M" in result.stderr


def test_ls_json_and_csv_parse_back_to_the_hub_files(fake_hub: Any) -> None:
    sizes = hub_gguf_sizes(fake_hub, LLAMA)
    as_json = hfollama("ls", LLAMA, "--json", hub=fake_hub)
    assert as_json.returncode == 0, as_json.stderr
    records = json.loads(as_json.stdout)
    assert {r["filename"] for r in records} == set(sizes)
    for r in records:
        assert r["size_bytes"] == sizes[r["filename"]]
        assert r["files"] == [r["filename"]]
    assert [r["size_bytes"] for r in records] == sorted(r["size_bytes"] for r in records)

    as_csv = hfollama("ls", LLAMA, "--csv", hub=fake_hub)
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["filename"], int(r["size_bytes"])) for r in rows] == [
        (r["filename"], r["size_bytes"]) for r in records
    ]
    assert {r["quantization"] for r in rows} >= {"Q4_K_M", "Q8_0", "IQ3_M"}


def test_ls_split_repo_counts_shards_and_size_filter(fake_hub: Any) -> None:
    repo = "Qwen/Qwen2.5-7B-Instruct-GGUF"
    sizes = hub_gguf_sizes(fake_hub, repo)
    records = json.loads(hfollama("ls", repo, "--json", hub=fake_hub).stdout)
    assert sum(r["shards"] for r in records) == len(sizes)
    q8 = next(r for r in records if r["quantization"] == "Q8_0")
    assert q8["shards"] == 3 and q8["ollama_pullable"] is False
    assert q8["size_bytes"] == sum(s for p, s in sizes.items() if "q8_0" in p)

    small = json.loads(hfollama("ls", repo, "--json", "--max-size-gb", "5", hub=fake_hub).stdout)
    assert small and all(r["size_gb"] <= 5 for r in small)
    assert len(small) < len(records)


def test_ls_all_includes_sidecars(fake_hub: Any) -> None:
    repo = "mys/ggml_llava-v1.5-7b"
    plain = json.loads(hfollama("ls", repo, "--json", hub=fake_hub).stdout)
    everything = json.loads(hfollama("ls", repo, "--json", "--all", hub=fake_hub).stdout)
    assert "mmproj" not in {r["kind"] for r in plain}
    assert {r["filename"] for r in everything if r["kind"] == "mmproj"} == {"mmproj-model-f16.gguf"}


# --- search / info ------------------------------------------------------------------------


def test_search_matches_huggingface_hub(fake_hub: Any) -> None:
    api = HfApi(endpoint=fake_hub.url, token=False)
    expected = [m.id for m in api.list_models(search="llama", filter="gguf", sort="downloads")]
    result = hfollama("search", "llama", "--json", hub=fake_hub)
    assert result.returncode == 0, result.stderr
    assert [r["id"] for r in json.loads(result.stdout)] == expected
    table = hfollama("search", "llama", hub=fake_hub).stdout
    assert all(repo in table for repo in expected)

    by_author = json.loads(
        hfollama("search", "--author", "unsloth", "--limit", "2", "--json", hub=fake_hub).stdout
    )
    assert len(by_author) == 2 and all(r["id"].startswith("unsloth/") for r in by_author)
    assert hfollama("search", "--sort", "stars", hub=fake_hub).returncode == 2


def test_info_reads_the_gguf_header_and_estimates_memory(fake_hub: Any) -> None:
    repo = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
    catalogue = json.loads((CATALOGUE / f"{repo.replace('/', '__')}.json").read_text())
    result = hfollama("info", repo, "--json", "--context", "8192", hub=fake_hub)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["info"]["id"] == repo
    assert data["recommended"] == f"hf.co/{repo}:Q4_K_M"
    assert data["gguf"]["block_count"] == catalogue["metadata"]["llama.block_count"]
    memory = data["memory"]
    assert memory["context_length"] == 8192
    assert memory["total_bytes"] > memory["weights_bytes"] > 0
    text = hfollama("info", repo, hub=fake_hub).stdout
    assert "Memory estimate" in text and "Q4_K_M" in text


# --- pull / chat --------------------------------------------------------------------------


def test_pull_auto_selects_shows_progress_and_succeeds(fake_hub: Any, fake_ollama: Any) -> None:
    result = hfollama("pull", LLAMA, hub=fake_hub, ollama_url=fake_ollama.url)
    assert result.returncode == 0, result.stderr
    ref = f"hf.co/{LLAMA}:Q4_K_M"
    assert result.stdout.strip() == f"pulled {ref}"
    assert "auto-selected" in result.stderr
    assert "100%" in result.stderr and "success" in result.stderr
    names = [m.model for m in ollama.Client(host=fake_ollama.url).list().models]
    assert ref in names


def test_pull_with_quant_and_an_ollama_name(fake_hub: Any, fake_ollama: Any) -> None:
    result = hfollama(
        "pull", "unsloth/Qwen3-4B-GGUF", "--quant", "q8_0", hub=fake_hub, ollama_url=fake_ollama.url
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pulled hf.co/unsloth/Qwen3-4B-GGUF:Q8_0"
    pulls = [r.body["model"] for r in fake_ollama.requests if r.path == "/api/pull"]
    assert pulls == ["hf.co/unsloth/Qwen3-4B-GGUF:Q8_0"]


def test_chat_repl_streams_replies_and_clears(fake_hub: Any, fake_ollama: Any) -> None:
    session = "hello there\n/clear\nsecond question\n/help\n/exit\nnever sent\n"
    result = hfollama(
        "chat", LLAMA, "--system", "Be brief.", hub=fake_hub, ollama_url=fake_ollama.url,
        input=session,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "*hello there*" in result.stdout and "*second question*" in result.stdout
    assert "never sent" not in result.stdout
    assert "is not in Ollama yet: pulling it first" in result.stderr  # `ollama run`-style pull
    assert "[conversation cleared]" in result.stderr and "/exit" in result.stderr
    chats = [r.body for r in fake_ollama.requests if r.path == "/api/chat"]
    assert [[m["role"] for m in c["messages"]] for c in chats] == [
        ["system", "user"],
        ["system", "user"],  # /clear dropped the first exchange, kept the system prompt
    ]
    assert all(c["model"] == f"hf.co/{LLAMA}:Q4_K_M" and c["stream"] is True for c in chats)


def test_chat_multi_turn_keeps_history_and_uses_a_pulled_model(
    fake_hub: Any, fake_ollama: Any
) -> None:
    ollama.Client(host=fake_ollama.url).pull(f"hf.co/{LLAMA}:Q8_0")
    result = hfollama(
        "chat", LLAMA, hub=fake_hub, ollama_url=fake_ollama.url, input="one\ntwo\n"
    )  # end of input leaves
    assert result.returncode == 0, result.stderr
    assert "pulling" not in result.stderr
    chats = [r.body for r in fake_ollama.requests if r.path == "/api/chat"]
    assert chats[-1]["model"] == f"hf.co/{LLAMA}:Q8_0"
    assert [m["content"] for m in chats[-1]["messages"] if m["role"] == "user"] == ["one", "two"]
    assert [m["role"] for m in chats[-1]["messages"]] == ["user", "assistant", "user"]


# --- errors -------------------------------------------------------------------------------


def test_unknown_repo(fake_hub: Any) -> None:
    result = hfollama("ls", "nobody/no-such-repo-GGUF", hub=fake_hub)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ") and "not found" in lines[0]
    assert lines[1].startswith("  fix: ")
    assert result.stdout == ""
    no_traceback(result)


def test_gated_repo_never_prints_the_token(fake_hub: Any, fake_ollama: Any) -> None:
    result = hfollama(
        "pull",
        "example-org/Gated-Llama-GGUF",
        hub=fake_hub,
        ollama_url=fake_ollama.url,
        env=_env(HF_TOKEN=NO_ACCESS_TOKEN, HF_HUB_DISABLE_IMPLICIT_TOKEN="0"),
    )
    # The Hub lists a gated repo's files without access, so the quant is chosen and Ollama
    # asked; the Hub then refuses Ollama the manifest (401): the error says gated + the fix.
    assert result.returncode == 1
    assert "gated" in result.stderr.lower() and "  fix: " in result.stderr
    assert "settings/keys" in result.stderr
    assert NO_ACCESS_TOKEN not in result.stdout + result.stderr
    assert [r for r in fake_ollama.requests if r.path == "/api/pull"]
    no_traceback(result)


def test_dead_ollama_port_exits_3(fake_hub: Any, dead_url: str) -> None:
    result = hfollama("pull", LLAMA, hub=fake_hub, ollama_url=dead_url)
    assert result.returncode == 3
    assert f"error: Could not connect to Ollama at {dead_url}" in result.stderr
    assert "--host" in result.stderr
    no_traceback(result)
    chat = hfollama("chat", "llama3.2", ollama_url=dead_url, input="hi\n")
    assert chat.returncode == 3
    no_traceback(chat)


def test_dead_hub_exits_3(dead_url: str) -> None:
    result = hfollama("ls", LLAMA, hub=dead_url)
    assert result.returncode == 3
    assert "error: " in result.stderr and dead_url in result.stderr
    no_traceback(result)


@pytest.mark.parametrize(
    ("model", "words"),
    [
        ("unsloth/DeepSeek-V3-0324-GGUF", ["split", "5245"]),  # split-only: the Hub listing
        ("hf.co/unsloth/Qwen3-4B-GGUF:BF16", ["split", "sharded"]),  # Ollama's pull error
        ("hf.co/unsloth/Qwen3-4B-GGUF:Q9_Z", ["no file for the tag"]),
    ],
)
def test_pull_errors_exit_1(fake_hub: Any, fake_ollama: Any, model: str, words: list[str]) -> None:
    result = hfollama("pull", model, hub=fake_hub, ollama_url=fake_ollama.url)
    assert result.returncode == 1, result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith("error: "))
    assert any(w in error for w in words), error
    assert "  fix: " in result.stderr
    no_traceback(result)


def test_ollama_server_error_exits_4(fake_hub: Any, fake_ollama: Any) -> None:
    fake_ollama.faults.http_error(500, path="/api/pull")
    result = hfollama("pull", LLAMA, hub=fake_hub, ollama_url=fake_ollama.url)
    assert result.returncode == 4, result.stderr
    assert "error: " in result.stderr
    no_traceback(result)


def test_chat_unknown_local_model(fake_ollama: Any) -> None:
    result = hfollama("chat", "llama3.2", ollama_url=fake_ollama.url, input="hi\n")
    assert result.returncode == 1
    assert (
        "'llama3.2' is not in Ollama" in result.stderr and "ollama pull llama3.2" in result.stderr
    )


# --- stand-ins ----------------------------------------------------------------------------


@pytest.fixture()
def server_process() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.mark.parametrize(
    "command",
    [["-m", "hfollama_widgets.cli", "fake-servers"], ["-m", "hfollama_widgets.testing"]],
    ids=["hfollama fake-servers", "python -m hfollama_widgets.testing"],
)
def test_fake_servers_answer_then_stop_on_sigint(
    command: list[str], server_process: list[subprocess.Popen[str]]
) -> None:
    ollama_port = free_port()
    process = subprocess.Popen(
        [sys.executable, *command, "--ollama-port", str(ollama_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    server_process.append(process)
    assert process.stdout is not None
    exports: dict[str, str] = {}
    while "OLLAMA_HOST" not in exports or "HF_ENDPOINT" not in exports:
        line = process.stdout.readline()
        assert line, f"exited early: {process.stderr.read() if process.stderr else ''}"
        if match := re.match(r"\s*export (\w+)=(\S+)", line):
            exports[match[1]] = match[2]
    assert exports["OLLAMA_HOST"] == f"http://127.0.0.1:{ollama_port}"
    hub_url = exports["HF_ENDPOINT"]
    assert HfApi(endpoint=hub_url, token=False).model_info(LLAMA).id == LLAMA
    client = ollama.Client(host=exports["OLLAMA_HOST"])
    assert client.pull(f"hf.co/{LLAMA}:Q4_K_M").status == "success"  # pulls from the FakeHub

    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)  # stops in ~0.4 s; generous for a loaded machine
    assert process.returncode == 0, err
    assert "Stopped." in out and "Traceback" not in err
    for url in (hub_url, exports["OLLAMA_HOST"]):
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=2)


def test_global_options_fall_back_to_the_environment(fake_hub: Any) -> None:
    with FakeOllama(hub=fake_hub) as other:
        env = _env(OLLAMA_HOST=other.url, HF_ENDPOINT=fake_hub.url)
        result = hfollama("pull", LLAMA, env=env)  # auto-selection asks the Hub of HF_ENDPOINT
        assert result.returncode == 0, result.stderr
        assert other.models() == [f"hf.co/{LLAMA}:Q4_K_M"]


def test_ls_several_repos_author_and_search_in_one_table(fake_hub: Any) -> None:
    qwen, private = "unsloth/Qwen3-4B-GGUF", "example-org/Private-Model-GGUF"
    table = hfollama("ls", LLAMA, qwen, private, hub=fake_hub)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["repo", "quant", "size_gb"]
    assert {ln.split()[0] for ln in lines[2:]} == {LLAMA, qwen, private}
    assert any(ln.startswith(private) and "error:" in ln for ln in lines)
    assert "1 of 3 repos could not be listed" in table.stderr
    records = json.loads(hfollama("ls", "--author", "unsloth", "--json", hub=fake_hub).stdout)
    found = HfApi(endpoint=fake_hub.url, token=False).list_models(author="unsloth", filter="gguf")
    assert {r["repo_id"] for r in records} == {m.id for m in found}
    assert all(r["error"] is None for r in records)
    as_csv = hfollama("ls", "--search", "Llama", "--limit", "2", "--csv", hub=fake_hub)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert rows and len({r["repo_id"] for r in rows}) == 2
    assert all("llama" in r["repo_id"].lower() for r in rows)
