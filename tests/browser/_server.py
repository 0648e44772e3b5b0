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
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfollama_widgets.demo import free_port
from hfollama_widgets.demo.jupyter import JupyterLab, launch_jupyter
from hfollama_widgets.errors import HFOllamaError

#: Seconds to wait for ``/api/status`` to answer after starting the server.
SERVER_START_TIMEOUT = 90.0
#: What the tests add to the demo's command line: no terminals, no news, the app on ``window``.
TEST_SERVER_ARGS = (
    "--ServerApp.terminals_enabled=False",
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.expose_app_in_browser=True",
    "--JupyterNotebookApp.expose_app_in_browser=True",
)


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
    _write_user_settings(dirs["JUPYTER_CONFIG_DIR"])
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class JupyterServer:
    """A running ``jupyter lab`` server (JupyterLab at ``/lab``, Notebook 7 at ``/tree``),
    launched the way ``hfollama demo`` launches it (:func:`launch_jupyter`).

    Attributes: ``url`` (``http://127.0.0.1:PORT``, no trailing slash), ``token``,
    ``root_dir`` (where notebooks are written), ``runtime_dir`` (kernel connection files),
    ``log_path`` (server stdout+stderr).
    """

    lab: JupyterLab
    runtime_dir: Path

    @property
    def url(self) -> str:
        return self.lab.url

    @property
    def token(self) -> str:
        return self.lab.token

    @property
    def root_dir(self) -> Path:
        return self.lab.root_dir

    @property
    def log_path(self) -> Path:
        return self.lab.log_path

    @property
    def process(self) -> subprocess.Popen[bytes]:
        return self.lab.process

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
            lab = launch_jupyter(
                root_dir,
                env,
                port=free_port(),
                token=secrets.token_hex(16),
                work_dir=base,
                log_path=log_path,
                extra_args=TEST_SERVER_ARGS,
                debugger=False,
            )
            server = cls(lab=lab, runtime_dir=Path(env["JUPYTER_RUNTIME_DIR"]))
            try:
                lab.wait_ready(SERVER_START_TIMEOUT)
                return server
            except HFOllamaError as exc:
                last_error = exc.message
                server.stop()
        raise RuntimeError(last_error)

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
        return self.lab.log_tail(lines) or "(no log)"

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down kernels, then end the server's process group (kill if it lingers)."""
        if self.process.poll() is None:
            self.shutdown_sessions()
        self.lab.stop(timeout)
