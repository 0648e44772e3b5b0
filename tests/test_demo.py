"""``hfollama demo``'s start-up: probes, the plan, the stand-ins, ``connect()``, and one real
launch of JupyterLab. A FakeOllama / FakeHub plays "the real service"; a free port that nobody
listens on plays "not running".
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import ollama
import pytest
from huggingface_hub import HfApi

import hfollama_widgets.demo.services as demo
from hfollama_widgets.demo import connect, free_port, plan_demo, probe_hub, probe_ollama
from hfollama_widgets.hub import set_default_hub

LLAMA = "bartowski/Llama-3.2-1B-Instruct-GGUF"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture()
def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def _assert_stand_ins_work(ollama_url: str, hub_url: str) -> None:
    """The stand-ins answer the real clients, and the Ollama one pulls from the Hub one."""
    assert HfApi(endpoint=hub_url, token=False).model_info(LLAMA).id == LLAMA
    client = ollama.Client(host=ollama_url)
    assert client.pull(f"hf.co/{LLAMA}:Q4_K_M").status == "success"
    assert f"hf.co/{LLAMA}:Q4_K_M" in [m.model for m in client.list().models]


# --- probes -------------------------------------------------------------------------------


def test_probes_tell_running_from_dead(fake_hub: Any, fake_ollama: Any, dead_url: str) -> None:
    version = httpx.get(f"{fake_ollama.url}/api/version").json()["version"]
    up = probe_ollama(fake_ollama.url)
    assert up.reachable is True and up.detail == f"version {version}"
    down = probe_ollama(dead_url, timeout=1)
    assert down.reachable is False and down.detail == "connection refused"
    assert probe_hub(fake_hub.url).reachable is True
    assert probe_hub(dead_url, timeout=1).reachable is False
    # a server that is not the one we ask for does not count
    assert probe_ollama(fake_hub.url).reachable is False
    assert probe_hub(fake_ollama.url).reachable is False


# --- the plan -----------------------------------------------------------------------------


def test_both_reachable_uses_them(fake_hub: Any, fake_ollama: Any) -> None:
    plan = plan_demo(fake_ollama.url, fake_hub.url)
    assert plan.stand_ins is False
    assert (plan.ollama_url, plan.hub_url) == (fake_ollama.url, fake_hub.url)
    assert plan.messages()[0] == f"Ollama: using {fake_ollama.url} ({plan.ollama.detail})"
    env = plan.env({"HF_TOKEN": "hf_secretsecret", "HFOLLAMA_STAND_INS": "1"})
    assert env["OLLAMA_HOST"] == fake_ollama.url and env["HF_ENDPOINT"] == fake_hub.url
    assert env["HF_TOKEN"] == "hf_secretsecret"  # the real Hub gets the user's token
    assert "HFOLLAMA_STAND_INS" not in env


def test_ollama_down_uses_both_stand_ins(fake_hub: Any, dead_url: str) -> None:
    plan = plan_demo(dead_url, fake_hub.url, ollama_timeout=1)
    assert plan.stand_ins is True
    assert plan.ollama_url != dead_url and plan.hub_url != fake_hub.url
    ollama_line, hub_line, note = plan.messages()
    assert ollama_line == (
        f"Ollama: not reachable at {dead_url} (connection refused) -> using the bundled "
        f"stand-in at {plan.ollama_url} (simulated models)"
    )
    assert hub_line.startswith(f"Hub: reachable at {fake_hub.url}, but the stand-in Ollama")
    assert plan.hub_url in hub_line and "simulated" in note
    env = plan.env({"HF_TOKEN": "hf_secretsecret", "PATH": "/bin"})
    assert env["OLLAMA_HOST"] == plan.ollama_url and env["HF_ENDPOINT"] == plan.hub_url
    assert env["HFOLLAMA_STAND_INS"] == "1" and "HF_TOKEN" not in env and env["PATH"] == "/bin"

    stand_ins = plan.start_stand_ins(pull_speed=5e9)
    assert stand_ins is not None
    try:
        assert (stand_ins.ollama_url, stand_ins.hub_url) == (plan.ollama_url, plan.hub_url)
        _assert_stand_ins_work(plan.ollama_url, plan.hub_url)
    finally:
        stand_ins.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(plan.ollama_url, timeout=2)


def test_hub_down_leaves_a_running_ollama_alone(fake_ollama: Any, dead_url: str) -> None:
    plan = plan_demo(fake_ollama.url, dead_url, hub_timeout=1)
    assert plan.stand_ins is True and plan.ollama_url != fake_ollama.url
    ollama_line, hub_line, _ = plan.messages()
    assert ollama_line.startswith(f"Ollama: reachable at {fake_ollama.url}, but")
    assert "left alone" in ollama_line
    assert hub_line.startswith(f"Hub: not reachable at {dead_url} (connection refused) -> using")


def test_offline_probes_nothing(fake_hub: Any, fake_ollama: Any) -> None:
    fake_ollama.requests.clear()
    plan = plan_demo(fake_ollama.url, fake_hub.url, offline=True)
    assert plan.stand_ins is True and plan.ollama.reachable is None
    assert len(fake_ollama.requests) == 0
    assert plan.messages()[0].startswith("Ollama: not checked (--offline) -> using the bundled")


# --- connect() (what the notebooks call) --------------------------------------------------


@pytest.fixture()
def clean_connect(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("OLLAMA_HOST", "HF_ENDPOINT", "HFOLLAMA_STAND_INS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(demo, "_CONNECTED", None)
    yield
    if demo._CONNECTED is not None:
        demo._CONNECTED.stop()
    set_default_hub(None)


def test_connect_uses_the_environment(
    clean_connect: None, monkeypatch: pytest.MonkeyPatch, fake_hub: Any, fake_ollama: Any
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    services = connect(probe=lambda: pytest.fail("must not probe when the env says where"))
    assert (services.ollama_url, services.hub_url, services.stand_ins) == (
        fake_ollama.url,
        fake_hub.url,
        False,
    )
    assert services.client.version()
    assert len(services.hub.list_gguf_files(LLAMA)) > 5


def test_connect_starts_stand_ins_once_when_nothing_answers(
    clean_connect: None, dead_url: str
) -> None:
    def probe() -> Any:
        return plan_demo(dead_url, dead_url, ollama_timeout=1, hub_timeout=1)

    services = connect(probe=probe, pull_speed=5e9)
    assert services.stand_ins is True
    assert "not reachable" in str(services) and "bundled stand-in" in str(services)
    assert os.environ["OLLAMA_HOST"] == services.ollama_url
    assert os.environ["HF_ENDPOINT"] == services.hub_url
    _assert_stand_ins_work(services.ollama_url, services.hub_url)
    import hfollama_widgets as hfw

    assert hfw.list_gguf_files(LLAMA).shape[0] > 5  # the default Hub is the stand-in too
    assert connect(probe=lambda: pytest.fail("probed twice")) is services


# --- the command --------------------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OLLAMA_HOST", "HF_ENDPOINT")}
    env.update({"PYTHONUNBUFFERED": "1", "NO_COLOR": "1"})
    env.update(extra)
    return env


def test_demo_dry_run_prints_the_plan(fake_hub: Any, dead_url: str) -> None:
    cmd = [sys.executable, "-m", "hfollama_widgets.cli", "--host", dead_url]
    cmd += ["--hf-endpoint", fake_hub.url, "demo", "--dry-run"]
    result = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"Ollama: not reachable at {dead_url} (connection refused) -> using the bundled" in out
    env = dict(re.findall(r"^  (\w+)=(\S+)$", out, re.M))
    assert env["HFOLLAMA_STAND_INS"] == "1"
    assert env["OLLAMA_HOST"].startswith("http://127.0.0.1:") and env["OLLAMA_HOST"] in out
    assert "quickstart.ipynb" in out
    # a dry run starts nothing
    with pytest.raises(httpx.ConnectError):
        httpx.get(env["OLLAMA_HOST"], timeout=2)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")
def test_demo_launches_jupyterlab_with_the_stand_ins(tmp_path: Path) -> None:
    port, token = free_port(), "hfollama-test-token"
    cmd = [sys.executable, "-m", "hfollama_widgets.cli", "demo", "--offline", "--no-browser"]
    cmd += ["--port", str(port), "--token", token]
    process = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(), cwd=tmp_path
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 150
        while not any("JupyterLab: ready" in line for line in lines):
            line = process.stdout.readline()
            assert line and time.monotonic() < deadline, "".join(lines)
            lines.append(line)
        out = "".join(lines)
        urls = re.findall(r"using the bundled stand-in at (http://127\.0\.0\.1:\d+)", out)
        ollama_url, hub_url = urls
        assert f"http://127.0.0.1:{port}/lab/tree/quickstart.ipynb?token={token}" in out

        headers = {"Authorization": f"token {token}"}
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/api/status", headers=headers).status_code == 200
        assert httpx.get(f"{base}/api/status").status_code == 403  # the token is required
        nb = httpx.get(f"{base}/api/contents/quickstart.ipynb", headers=headers).json()
        assert nb["type"] == "notebook"
        # a copy in the working folder, never the notebooks the checkout tracks
        assert (tmp_path / "hfollama-notebooks" / "quickstart.ipynb").is_file()
        assert f"notebook {tmp_path / 'hfollama-notebooks' / 'quickstart.ipynb'}" in out
        # no "get notified about official Jupyter news?" toast: a default for this server only
        notification = "@jupyterlab/apputils-extension:notification"
        setting = httpx.get(f"{base}/lab/api/settings/{notification}", headers=headers).json()
        assert setting["schema"]["properties"]["fetchNews"]["default"] == "false", setting
        specs = httpx.get(f"{base}/api/kernelspecs", headers=headers).json()
        argv0 = specs["kernelspecs"]["python3"]["spec"]["argv"][0]
        assert argv0 == sys.executable  # the kernel runs this venv
        _assert_stand_ins_work(ollama_url, hub_url)

        (jupyter,) = _children(process.pid)
        env = _environ(jupyter)  # what the kernels inherit
        assert env["OLLAMA_HOST"] == ollama_url and env["HF_ENDPOINT"] == hub_url
        assert env["HFOLLAMA_STAND_INS"] == "1"

        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        assert process.returncode == 0, out + rest
        assert "Stopped." in rest and "Traceback" not in out + rest
        for url in (base, ollama_url, hub_url):
            with pytest.raises(httpx.ConnectError):
                httpx.get(url, timeout=2)
        assert not Path(f"/proc/{jupyter}").exists()  # JupyterLab was stopped and reaped
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
