"""The ``hfollama`` console script against services that fail (issue 9): real subprocesses.

Each test runs ``.venv/bin/hfollama`` under a timeout against FakeOllama with faults armed, a
FakeHub, or a ``FaultyServer``; it checks the exit code (the README's table), the
``error:``/``fix:`` lines, that no traceback leaks, and that it did not hang.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ollama
import pytest
from faulty_servers import FaultyServer

LLAMA = "bartowski/Llama-3.2-1B-Instruct-GGUF"
MODEL = f"hf.co/{LLAMA}:Q4_K_M"
SPLIT_ONLY = "unsloth/DeepSeek-V3-0324-GGUF"
HFOLLAMA = str(Path(sys.executable).with_name("hfollama"))


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OLLAMA_HOST", "HF_ENDPOINT", "HF_TOKEN", "HFOLLAMA_TIMEOUT")
    }
    env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1"})
    return env


def run(
    *args: str, stdin: str = "", limit: float = 60
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run the console script; returns the result and the seconds it took."""
    start = time.monotonic()
    result = subprocess.run(
        [HFOLLAMA, *args], input=stdin, capture_output=True, text=True, env=_env(), timeout=limit
    )
    return result, time.monotonic() - start


def clean_failure(result: subprocess.CompletedProcess[str], code: int) -> None:
    """Exit ``code``, an ``error:`` line and a ``fix:`` line, no traceback."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert any(line.startswith("error: ") for line in lines), result.stderr
    assert any(line.strip().startswith("fix: ") for line in lines), result.stderr


@pytest.fixture()
def pulled(fake_ollama: Any) -> Any:
    """A FakeOllama that already has MODEL (the chat needs no Hub)."""
    ollama.Client(host=fake_ollama.url).pull(MODEL)
    fake_ollama.requests.clear()
    return fake_ollama


def chats(fake: Any) -> list[list[dict[str, Any]]]:
    return [r.body["messages"] for r in fake.requests if r.path == "/api/chat"]


# --- chat: a failed reply keeps the conversation --------------------------------------------


def test_chat_dropped_connection_keeps_partial_reply_and_retry_works(pulled: Any) -> None:
    pulled.faults.cut_stream(after_lines=3, path="/api/chat")  # a crash mid-reply
    result, elapsed = run(
        "--host", pulled.url, "chat", MODEL, stdin="first question\n/retry\nsecond\n/exit\n"
    )
    assert result.returncode == 0, result.stderr  # the session went on to the end
    assert "Traceback" not in result.stderr
    assert "error: The connection to Ollama" in result.stderr and "fix: " in result.stderr
    assert "/retry asks again" in result.stderr and "[reply failed" in result.stderr
    sent = chats(pulled)
    assert len(sent) == 3
    # the retry re-sends the user turn alone (the failed partial is not part of the conversation)
    assert [m["role"] for m in sent[1]] == ["user"] and sent[1][0]["content"] == "first question"
    # then the conversation goes on from the good reply
    assert [m["role"] for m in sent[2]] == ["user", "assistant", "user"]
    assert "first question" in sent[2][1]["content"]
    assert elapsed < 60


def test_chat_server_error_keeps_the_user_turn_for_the_next_message(pulled: Any) -> None:
    pulled.faults.http_error(500, path="/api/chat")
    result, elapsed = run("--host", pulled.url, "chat", MODEL, stdin="hello\nand now?\n")
    assert result.returncode == 0, result.stderr
    assert "error: " in result.stderr and "fix: " in result.stderr
    assert "Traceback" not in result.stderr
    sent = chats(pulled)
    assert len(sent) == 2
    assert [m["content"] for m in sent[1]] == ["hello", "and now?"]  # nothing was lost
    assert "*and now?*" in result.stdout  # the stand-in's reply echoes the last message
    assert elapsed < 60


def test_chat_ending_on_a_failed_reply_exits_with_its_code(pulled: Any) -> None:
    pulled.faults.error_line(after_lines=2, message="model runner crashed", path="/api/chat")
    result, elapsed = run("--host", pulled.url, "chat", MODEL, stdin="hi\n")
    clean_failure(result, 4)  # a broken stream: the service failed
    assert "model runner crashed" in result.stderr
    assert elapsed < 60


def test_chat_timeout_mid_session_then_retry(pulled: Any) -> None:
    calls: list[int] = []

    def slow_first(model: str, messages: list[dict[str, Any]]) -> str:
        calls.append(1)
        if len(calls) == 1:
            time.sleep(4)  # longer than --timeout: the CLI gives up on this one
        return f"answer to {messages[-1]['content']}"

    pulled.reply = slow_first
    result, elapsed = run(
        "--host", pulled.url, "--timeout", "1", "chat", MODEL, stdin="are you there\n/retry\n"
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"error: Ollama at .*(did not answer|sent nothing)", result.stderr)
    assert "fix: " in result.stderr
    assert "answer to are you there" in result.stdout
    assert "Traceback" not in result.stderr
    assert elapsed < 30


def test_chat_with_a_silent_ollama_times_out_and_exits_3() -> None:
    with FaultyServer("silent") as server:
        result, elapsed = run("--host", server.url, "--timeout", "1", "chat", "llama3.2")
    clean_failure(result, 3)
    assert "OLLAMA_HOST" in result.stderr
    assert elapsed < 30


def test_stalled_hub_with_timeout_exits_3() -> None:
    with FaultyServer("silent") as hub:
        result, elapsed = run("--hf-endpoint", hub.url, "--timeout", "2", "ls", LLAMA)
    clean_failure(result, 3)
    assert "HF_ENDPOINT" in result.stderr
    assert elapsed < 30


def test_a_web_page_at_the_ollama_host_is_named_as_not_ollama_and_exits_3() -> None:
    with FaultyServer("html") as web:
        result, elapsed = run("--host", web.url, "pull", "llama3.2")
    clean_failure(result, 3)
    assert "does not look like an Ollama server" in result.stderr
    assert "pull it" not in result.stderr.lower()
    assert "OLLAMA_HOST" in result.stderr
    assert elapsed < 30


# --- exit codes ---------------------------------------------------------------------------


def test_hub_5xx_exits_4() -> None:
    with FaultyServer("status", status=503, body={"error": "Service Unavailable"}) as hub:
        result, elapsed = run("--hf-endpoint", hub.url, "ls", LLAMA, limit=120)
    clean_failure(result, 4)
    assert "503" in result.stderr
    assert elapsed < 120


def test_ollama_5xx_on_pull_exits_4(fake_hub: Any, fake_ollama: Any) -> None:
    fake_ollama.faults.http_error(500, path="/api/pull")
    result, elapsed = run("--hf-endpoint", fake_hub.url, "--host", fake_ollama.url, "pull", MODEL)
    clean_failure(result, 4)
    assert elapsed < 60


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["ls", LLAMA, "--max-size-gb", "nan"], "--max-size-gb"),
        (["ls", LLAMA, "--max-size-gb", "0"], "--max-size-gb"),
        (["pull", LLAMA, "--max-size-gb", "inf"], "--max-size-gb"),
        (["pull", LLAMA, "--max-size-gb", "-2"], "--max-size-gb"),
        (["info", LLAMA, "--context", "0"], "--context"),
        (["chat", "llama3.2", "--temperature", "nan"], "--temperature"),
        (["fake-servers", "--pull-speed", "inf"], "--pull-speed"),
        (["--timeout", "nan", "ls", LLAMA], "--timeout"),
    ],
)
def test_bad_numbers_are_usage_errors_naming_the_option(args: list[str], option: str) -> None:
    result, elapsed = run(*args)
    assert result.returncode == 2, result.stderr
    assert option in result.stderr and "Traceback" not in result.stderr
    assert elapsed < 30


# --- info --quant tells the truth ---------------------------------------------------------


def test_info_quant_shows_the_asked_quant_and_the_real_recommendation(fake_hub: Any) -> None:
    result, elapsed = run("--hf-endpoint", fake_hub.url, "info", LLAMA, "--quant", "Q8_0")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"--quant Q8_0: hf.co/{LLAMA}:Q8_0" in out
    assert f"recommended: hf.co/{LLAMA}:Q4_K_M" in out
    assert "every quant is split" not in out
    assert "GGUF header of Llama-3.2-1B-Instruct-Q8_0.gguf" in out
    assert elapsed < 60


def test_info_split_only_repo_gives_the_reason(fake_hub: Any) -> None:
    result, _ = run("--hf-endpoint", fake_hub.url, "info", SPLIT_ONLY, "--quant", "Q4_K_M")
    assert result.returncode == 0, result.stderr
    assert "0 pullable by Ollama" in result.stdout
    assert "--quant Q4_K_M: Q4_K_M is split into" in result.stdout
    assert "recommended: none (every quant is split" in result.stdout


def test_info_unknown_quant_exits_1(fake_hub: Any) -> None:
    result, _ = run("--hf-endpoint", fake_hub.url, "info", LLAMA, "--quant", "Q9_9")
    clean_failure(result, 1)
    assert "Q9_9" in result.stderr


# --- fake-servers on a busy port ----------------------------------------------------------


@pytest.fixture()
def busy_port() -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.mark.parametrize("option", ["--hub-port", "--ollama-port"])
def test_fake_servers_on_a_busy_port(busy_port: int, option: str) -> None:
    result, elapsed = run("fake-servers", option, str(busy_port), limit=60)
    clean_failure(result, 1)
    assert str(busy_port) in result.stderr and option in result.stderr
    assert len([ln for ln in result.stderr.splitlines() if ln.startswith("error:")]) == 1
    assert elapsed < 30


def test_python_m_testing_on_a_busy_port(busy_port: int) -> None:
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "hfollama_widgets.testing", "--hub-port", str(busy_port)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    clean_failure(result, 1)
    assert time.monotonic() - start < 30


def test_stand_ins_left_running_are_stopped_after_an_ollama_port_clash(busy_port: int) -> None:
    # the FakeHub started first must not keep the process alive after FakeOllama fails
    result, elapsed = run("fake-servers", "--ollama-port", str(busy_port), limit=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "FakeHub:" not in result.stdout  # nothing was announced as running
    assert elapsed < 30
