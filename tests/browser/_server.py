"""A throw-away ``jupyter lab`` server for the browser tests.

The server runs from this interpreter's environment (``sys.executable -m jupyterlab``) on
127.0.0.1 with a random free port and a random token, in an isolated set of Jupyter dirs
(config, data, runtime, IPython) under a temporary folder, so nothing from the user's own
Jupyter setup (kernelspecs, settings, workspaces) leaks in. The ``python3`` kernelspec is
pinned to this interpreter, so notebooks run the same venv (and the same editable
``hfollama_widgets``) as the tests.

Example::

    server = JupyterServer.start(Path("/tmp/jl"))
    server.api("GET", "/api/status")["started"]        # -> '2026-…'
    server.stop()
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Seconds to wait for ``/api/status`` to answer after starting the server.
SERVER_START_TIMEOUT = 90.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_kernelspec(kernels_dir: Path) -> None:
    """Pin the ``python3`` kernelspec to this interpreter (found first via JUPYTER_PATH)."""
    spec_dir = kernels_dir / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")


def _write_user_settings(config_dir: Path) -> None:
    """JupyterLab user settings: no "official Jupyter news?" toast over the notebook."""
    settings = config_dir / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8"
    )


def _server_env(base: Path) -> dict[str, str]:
    """Environment for the server and the kernels it starts: isolated Jupyter dirs, no HMR."""
    env = dict(os.environ)
    for key in ("ANYWIDGET_HMR", "JUPYTER_TOKEN", "JUPYTER_PREFER_ENV_PATH", "PYTHONSTARTUP"):
        env.pop(key, None)
    dirs = {
        "JUPYTER_CONFIG_DIR": base / "config",
        "JUPYTER_DATA_DIR": base / "data",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "IPYTHONDIR": base / "ipython",
        "JUPYTER_PATH": base / "path",
    }
    for key, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[key] = str(path)
    _write_kernelspec(dirs["JUPYTER_PATH"] / "kernels")
    _write_user_settings(dirs["JUPYTER_CONFIG_DIR"])
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class JupyterServer:
    """A running ``jupyter lab`` server (JupyterLab at ``/lab``, Notebook 7 at ``/tree``).

    Attributes: ``url`` (``http://127.0.0.1:PORT``, no trailing slash), ``token``,
    ``root_dir`` (where notebooks are written), ``runtime_dir`` (kernel connection files),
    ``log_path`` (server stdout+stderr).
    """

    url: str
    token: str
    root_dir: Path
    runtime_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @classmethod
    def start(cls, base: Path, *, log_path: Path | None = None) -> JupyterServer:
        """Start a server with its root and Jupyter dirs under ``base``; wait until it answers."""
        base.mkdir(parents=True, exist_ok=True)
        root_dir = base / "notebooks"
        root_dir.mkdir(exist_ok=True)
        env = _server_env(base / "jupyter")
        log_path = log_path or base / "jupyter-server.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_path.write_bytes(b"")
        last_error = ""
        for _attempt in range(3):  # a "free" port can be taken between probe and bind
            port = free_port()
            token = secrets.token_hex(16)
            argv = [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root_dir}",
                "--ServerApp.terminals_enabled=False",
                "--ServerApp.allow_root=True",  # CI runs as root
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.expose_app_in_browser=True",
                "--JupyterNotebookApp.expose_app_in_browser=True",
            ]
            with log_path.open("ab") as log:
                process = subprocess.Popen(
                    argv,
                    cwd=root_dir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, ended as one by stop()
                )
            server = cls(
                url=f"http://127.0.0.1:{port}",
                token=token,
                root_dir=root_dir,
                runtime_dir=Path(env["JUPYTER_RUNTIME_DIR"]),
                log_path=log_path,
                process=process,
            )
            try:
                server._wait_until_up()
                return server
            except RuntimeError as exc:
                last_error = str(exc)
                server.stop()
        raise RuntimeError(last_error)

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.process.returncode} while starting;"
                    f" log tail:\n{self.log_tail()}"
                )
            try:
                self.api("GET", "/api/status", timeout=2.0)
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.25)
        raise RuntimeError(
            f"jupyter lab did not answer /api/status within {SERVER_START_TIMEOUT:.0f} s;"
            f" log tail:\n{self.log_tail()}"
        )

    def api(self, method: str, path: str, body: Any = None, *, timeout: float = 30.0) -> Any:
        """Call the server's REST API with the token; return the decoded JSON (or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def page_url(self, path: str, *, ui: str = "lab", workspace: str | None = None) -> str:
        """Browser URL of notebook ``path`` in JupyterLab (``ui="lab"``) or Notebook 7."""
        if ui == "lab":
            prefix = f"/lab/workspaces/{workspace}" if workspace else "/lab"
            return f"{self.url}{prefix}/tree/{path}?reset&token={self.token}"
        if ui == "notebook":
            return f"{self.url}/notebooks/{path}?token={self.token}"
        raise ValueError(f"unknown ui {ui!r}: use 'lab' or 'notebook'")

    def forget_lab_tree_path(self) -> None:
        """Work around jupyterlab_server writing a JupyterLab page's ``treePath`` and
        ``workspace`` into the page config it shares with Notebook 7: after ``/lab/tree/x``,
        every Notebook 7 page inherits ``treePath=x`` and throws "Command
        'filebrowser:open-path' not registered". Loading plain ``/lab`` resets both.
        """
        request = urllib.request.Request(
            f"{self.url}/lab", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def kernel_id_for(self, path: str) -> str | None:
        """The id of the kernel of the session whose notebook is ``path``, if any."""
        for session in self.api("GET", "/api/sessions"):
            if session.get("path") == path and session.get("kernel"):
                return str(session["kernel"]["id"])
        return None

    def connection_file(self, kernel_id: str) -> Path:
        """The connection file the server wrote for ``kernel_id``."""
        return self.runtime_dir / f"kernel-{kernel_id}.json"

    def shutdown_sessions(self, path: str | None = None) -> None:
        """Delete the sessions (and so shut down the kernels) of ``path``, or of every notebook."""
        with contextlib.suppress(OSError, urllib.error.URLError):
            for session in self.api("GET", "/api/sessions"):
                if path is None or session.get("path") == path:
                    with contextlib.suppress(OSError, urllib.error.URLError):
                        self.api("DELETE", f"/api/sessions/{session['id']}")

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the server log."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down kernels, then terminate the server's process group (kill if it lingers)."""
        if self.process.poll() is None:
            self.shutdown_sessions()
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            if self.process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(wait)
        # anything the server spawned in its group (kernels get their own session and exit
        # with their parent through ipykernel's parent poller) must not outlive it
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
