"""JupyterLab for ``hfollama demo``: find the notebooks, start ``jupyter lab``, stop it cleanly.

JupyterLab runs from this interpreter (``sys.executable -m jupyterlab``) in its own process
group, on 127.0.0.1 with a token, its ``python3`` kernel pinned to this interpreter (a
kernelspec found first through ``JUPYTER_PATH``), and the environment the caller passes
(OLLAMA_HOST / HF_ENDPOINT, which the kernels inherit).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from hfollama_widgets.demo.services import DemoPlan, free_port, port_is_free
from hfollama_widgets.errors import HFOllamaError

__all__ = [
    "JupyterLab",
    "find_notebook",
    "launch_jupyter",
    "print_dry_run",
    "run_demo",
    "start_jupyter",
    "write_kernelspec",
]

_PACKAGE = Path(__file__).resolve().parent.parent  # the installed hfollama_widgets/
#: Where a copy of the packaged notebooks goes when the package is not a source checkout.
WORK_FOLDER = "hfollama-notebooks"


def find_notebook(path: str | os.PathLike[str] | None = None, *, cwd: Path | None = None) -> Path:
    """The notebook the demo opens.

    ``path`` if given; else a copy of the notebooks (those of the source checkout this package
    runs from, else those shipped inside it) in ``./hfollama-notebooks/``, made once and never
    overwritten, so they can be edited without touching the originals.
    """
    if path is not None:
        chosen = Path(path).expanduser().resolve()
        if not chosen.is_file():
            raise HFOllamaError(
                f"The notebook {str(chosen)!r} does not exist.",
                fix="Pass the path of an .ipynb file to --notebook.",
            )
        return chosen
    # Always a copy: running and saving the demo never touches the notebooks a source checkout
    # tracks (git status stays clean; /hfollama-notebooks/ is git-ignored) or the installed ones.
    for source_dir in (_PACKAGE.parent / "notebooks", _PACKAGE / "notebooks"):
        if (source_dir / "quickstart.ipynb").is_file():
            target = (cwd or Path.cwd()) / WORK_FOLDER
            target.mkdir(parents=True, exist_ok=True)
            for source in sorted(source_dir.glob("*.ipynb")):
                if not (target / source.name).exists():  # never overwrite the user's edits
                    shutil.copy2(source, target / source.name)
            return target / "quickstart.ipynb"
    raise HFOllamaError(
        "The demo notebooks were not found next to the package.",
        fix="Run `hfollama demo` from a clone of the repository, or pass --notebook PATH.",
    )


def _require_jupyterlab() -> None:
    if importlib.util.find_spec("jupyterlab") is None:
        raise HFOllamaError(
            f"JupyterLab is not installed in this Python ({sys.executable}).",
            fix="Install it with: pip install 'hfollama-widgets[demo]' (or run `make demo`).",
        )


#: Server settings of the demo's JupyterLab: no news feed, no update check.
QUIET_LAB_ARGS = (
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
)
#: Default settings layered under the user's own: no "get notified about Jupyter news?" toast.
QUIET_LAB_DEFAULTS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}
}


def quiet_lab_defaults(config_dir: Path) -> Path:
    """Write ``labconfig/default_setting_overrides.json`` (read by jupyterlab_server from every
    dir of ``JUPYTER_CONFIG_PATH``: ``settings_utils.get_overrides``) under ``config_dir``, for
    one server only: the user's own settings and config are left alone and still win.

    >>> import json, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = quiet_lab_defaults(Path(tmp)) / "labconfig" / "default_setting_overrides.json"
    ...     json.loads(path.read_text())["@jupyterlab/apputils-extension:notification"]["fetchNews"]
    'false'
    """
    labconfig = config_dir / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "default_setting_overrides.json").write_text(
        json.dumps(QUIET_LAB_DEFAULTS, indent=1), encoding="utf-8"
    )
    return config_dir


def write_kernelspec(jupyter_path: Path, *, debugger: bool = True) -> Path:
    """A ``python3`` kernelspec for this interpreter under ``jupyter_path/kernels``, so the
    notebooks run this venv (and this ``hfollama_widgets``); returns ``jupyter_path``."""
    spec_dir = jupyter_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": debugger},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return jupyter_path


@dataclass
class JupyterLab:
    """A running ``jupyter lab`` (see :func:`launch_jupyter` and :func:`start_jupyter`)."""

    process: subprocess.Popen[bytes]
    url: str  # http://127.0.0.1:PORT
    token: str
    root_dir: Path
    log_path: Path
    notebook: Path | None = None
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    @property
    def lab_url(self) -> str:
        """The notebook (else the file browser) in JupyterLab, with the token."""
        tree = f"/tree/{urllib.parse.quote(self.notebook.name)}" if self.notebook else ""
        return f"{self.url}/lab{tree}?token={self.token}"

    def log_tail(self, lines: int = 25) -> str:
        """The end of JupyterLab's log."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Wait until ``/api/status`` answers; raise HFOllamaError (with the log) if not."""
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"token {self.token}"}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HFOllamaError(
                    f"JupyterLab exited with code {self.process.returncode} while starting. "
                    f"Log ({self.log_path}):\n{self.log_tail()}",
                    fix="Fix the problem in the log, or pick another --port.",
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/status", headers=headers, timeout=2).is_success:
                    return
            time.sleep(0.25)
        raise HFOllamaError(
            f"JupyterLab did not answer within {timeout:.0f} s. Log ({self.log_path}):\n"
            f"{self.log_tail()}",
            fix="Look at the log above; a busy machine may need another try.",
        )

    def wait(self) -> int:
        """Block until JupyterLab exits (e.g. File > Shut Down); its exit code."""
        return self.process.wait()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (JupyterLab shuts its kernels down), then SIGKILL after ``timeout`` s; whatever
        else runs in its process group goes too."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def launch_jupyter(
    root_dir: Path,
    env: Mapping[str, str],
    *,
    port: int,
    token: str,
    work_dir: Path,
    log_path: Path | None = None,
    default_url: str | None = None,
    extra_args: Sequence[str] = (),
    debugger: bool = True,
) -> JupyterLab:
    """Start ``jupyter lab`` on 127.0.0.1:``port`` serving ``root_dir`` (not waiting for it; see
    :meth:`JupyterLab.wait_ready`). The kernelspec pins this interpreter (written under
    ``work_dir``); the token goes in the environment, not on the command line ``ps`` shows."""
    run_env = dict(env)
    jupyter_path = str(write_kernelspec(work_dir / "jupyter", debugger=debugger))
    if run_env.get("JUPYTER_PATH"):
        jupyter_path += os.pathsep + run_env["JUPYTER_PATH"]
    run_env["JUPYTER_PATH"] = jupyter_path
    run_env["JUPYTER_TOKEN"] = token
    run_env["PYTHONUNBUFFERED"] = "1"
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root_dir}",
    ]
    if default_url:
        argv.append(f"--LabApp.default_url={default_url}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--ServerApp.allow_root=True")  # containers and CI run as root
    argv.extend(extra_args)
    log_path = log_path or work_dir / "jupyter.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            argv,
            cwd=root_dir,
            env=run_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; stop() ends its whole group
        )
    return JupyterLab(process, f"http://127.0.0.1:{port}", token, root_dir, log_path)


def start_jupyter(
    notebook: Path,
    env: Mapping[str, str],
    *,
    port: int | None = None,
    token: str | None = None,
) -> JupyterLab:
    """The demo's JupyterLab: rooted at ``notebook``'s folder, opening it (not waiting for it;
    see :meth:`JupyterLab.wait_ready`). ``port=None``: 8888 if free, else any free port."""
    _require_jupyterlab()
    if port is None:
        port = 8888 if port_is_free(8888) else free_port()
    tmp = tempfile.TemporaryDirectory(prefix="hfollama-demo-")
    env = {k: v for k, v in env.items() if k != "JUPYTER_TOKEN"}
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(quiet_lab_defaults(Path(tmp.name))), env.get("JUPYTER_CONFIG_PATH")) if p
    )
    lab = launch_jupyter(
        notebook.parent,
        env,
        port=port,
        token=token or secrets.token_hex(24),
        work_dir=Path(tmp.name),
        default_url=f"/lab/tree/{urllib.parse.quote(notebook.name)}",
        extra_args=QUIET_LAB_ARGS,
    )
    lab.notebook, lab._tmp = notebook, tmp
    return lab


# --- the demo -----------------------------------------------------------------------------


def run_demo(
    plan: DemoPlan,
    *,
    notebook: str | os.PathLike[str] | None = None,
    port: int | None = None,
    open_browser: bool = True,
    token: str | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Start what ``plan`` asks for, then JupyterLab on the quickstart; block until Ctrl-C.

    Returns JupyterLab's exit code (0 after Ctrl-C). Stand-ins and JupyterLab are stopped on
    the way out, whatever happens; SIGTERM is handled like Ctrl-C.
    """
    import webbrowser

    path = find_notebook(notebook)
    for line in plan.messages():
        say(line)
    previous = signal.getsignal(signal.SIGTERM)

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    stand_ins = lab = None
    try:
        stand_ins = plan.start_stand_ins()
        lab = start_jupyter(path, plan.env(), port=port, token=token)
        say(f"JupyterLab: starting on {lab.url} (notebook {path}) ...")
        lab.wait_ready()
        say(f"JupyterLab: ready -> {lab.lab_url}")
        say("Press Ctrl-C to stop JupyterLab and the stand-ins.")
        if open_browser:
            webbrowser.open(lab.lab_url)
        code = lab.wait()
        say(f"JupyterLab exited (code {code}).")
        return code
    except KeyboardInterrupt:
        say("Stopping JupyterLab" + (" and the stand-ins" if stand_ins else "") + " ...")
        return 0
    finally:
        try:
            if lab is not None:
                lab.stop()
            if stand_ins is not None:
                stand_ins.stop()
        finally:
            signal.signal(signal.SIGTERM, previous)
        say("Stopped.")


def print_dry_run(
    plan: DemoPlan,
    *,
    notebook: str | os.PathLike[str] | None = None,
    port: int | None = None,
    say: Callable[[str], None] = print,
) -> None:
    """``hfollama demo --dry-run``: say the plan, the notebook and JupyterLab's environment.

    Starts nothing. Without ``notebook`` the source checkout's quickstart is named (or the
    copy the demo would make); with one, it must exist.
    """
    path = find_notebook(notebook) if notebook else _dry_notebook()
    for line in plan.messages():
        say(line)
    say(f"JupyterLab: would open {path} on 127.0.0.1:{port or 8888}")
    say("Environment for JupyterLab and its kernels:")
    env = plan.env({})
    for key in sorted(env):
        say(f"  {key}={env[key]}")


def _dry_notebook() -> str:
    return f"{WORK_FOLDER}/quickstart.ipynb (a copy of the notebooks)"
