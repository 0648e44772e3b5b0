"""``hfollama demo``: the real Ollama and Hub when both answer, else the bundled stand-ins.

Start-up in small steps, each usable (and testable) on its own:

1. :func:`probe_ollama` / :func:`probe_hub`: ``GET {OLLAMA_HOST}/api/version`` and
   ``GET {HF_ENDPOINT}/api/models?limit=1`` with short timeouts.
2. :func:`plan_demo` -> :class:`DemoPlan`: which services to use, their URLs, what to tell the
   user, and the environment for JupyterLab (``plan.env()``).
3. :class:`StandIns`: the FakeHub + FakeOllama the plan asks for, on loopback.
4. :func:`run_demo`: JupyterLab on ``notebooks/quickstart.ipynb`` with that environment.

The rule: both real services when both answer; otherwise both stand-ins. A stand-in Ollama
can only pull from a registry it can reach, and a real Ollama pulls ``hf.co/…`` from the real
Hub only, so mixing one real and one stand-in service would leave pulls broken.

Notebooks call :func:`connect` for the same decision inside the kernel:

>>> from hfollama_widgets.demo import plan_demo
>>> plan = plan_demo("127.0.0.1:9", "http://127.0.0.1:9", ollama_timeout=0.5, hub_timeout=0.5)
>>> plan.stand_ins, plan.env({})["OLLAMA_HOST"] == plan.ollama_url
(True, True)
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from hfollama_widgets.ollama._host import parse_host

if TYPE_CHECKING:
    from hfollama_widgets.hub import Hub
    from hfollama_widgets.ollama import Client
    from hfollama_widgets.testing import FakeHub, FakeOllama

__all__ = [
    "DEFAULT_HF_ENDPOINT",
    "DEMO_PULL_SPEED",
    "STAND_INS_ENV",
    "DemoPlan",
    "Probe",
    "Services",
    "StandIns",
    "connect",
    "free_port",
    "plan_demo",
    "probe_hub",
    "probe_ollama",
]

DEFAULT_HF_ENDPOINT = "https://huggingface.co"
#: Simulated pull speed of the demo's stand-in Ollama (bytes/s): a 0.8 GB pull takes ~4 s.
DEMO_PULL_SPEED = 2e8
#: Set to "1" in the kernel's environment when OLLAMA_HOST / HF_ENDPOINT are stand-ins.
STAND_INS_ENV = "HFOLLAMA_STAND_INS"
_TOKEN_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that was free a moment ago.

    >>> 0 < free_port() < 65536
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def hub_endpoint(hf_endpoint: str | None = None) -> str:
    """``hf_endpoint``, else ``HF_ENDPOINT``, else the real Hub (no trailing slash).

    >>> hub_endpoint("http://127.0.0.1:8000/")
    'http://127.0.0.1:8000'
    """
    value = hf_endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_HF_ENDPOINT
    return value.strip().rstrip("/")


# --- probes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """What one check found. ``reachable`` is ``None`` when the service was not checked."""

    service: str  # "Ollama" or "Hub"
    url: str
    reachable: bool | None
    detail: str = ""


def _failure(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused"
        if "name" in text or "resolve" in text or "known" in text:
            return "host name not found"
        return "cannot connect"
    return type(exc).__name__


def probe_ollama(host: str | None = None, *, timeout: float = 1.5) -> Probe:
    """Is an Ollama server answering ``GET /api/version`` at ``host`` (default OLLAMA_HOST)?

    >>> probe_ollama("127.0.0.1:9", timeout=0.5).reachable
    False
    """
    url = parse_host(host or os.environ.get("OLLAMA_HOST"))
    try:
        response = httpx.get(f"{url}/api/version", timeout=timeout)
    except httpx.HTTPError as exc:
        return Probe("Ollama", url, False, _failure(exc))
    if response.status_code != 200:
        return Probe("Ollama", url, False, f"HTTP {response.status_code}: not an Ollama server?")
    try:
        version = str(response.json().get("version", "?"))
    except (ValueError, AttributeError):
        return Probe("Ollama", url, False, "the answer is not Ollama's")
    return Probe("Ollama", url, True, f"version {version}")


def probe_hub(hf_endpoint: str | None = None, *, timeout: float = 3.0) -> Probe:
    """Is a Hugging Face Hub answering ``GET /api/models?limit=1`` (default HF_ENDPOINT)?

    >>> probe_hub("http://127.0.0.1:9", timeout=0.5).reachable
    False
    """
    url = hub_endpoint(hf_endpoint)
    try:
        response = httpx.get(f"{url}/api/models", params={"limit": 1}, timeout=timeout)
    except httpx.HTTPError as exc:
        return Probe("Hub", url, False, _failure(exc))
    if response.status_code != 200:
        return Probe("Hub", url, False, f"HTTP {response.status_code}")
    try:
        ok = isinstance(response.json(), list)
    except ValueError:
        ok = False
    return Probe("Hub", url, ok, "" if ok else "the answer is not the Hub's model list")


# --- the plan ---------------------------------------------------------------------------


def _catalogue_size() -> int:
    from hfollama_widgets.testing.catalogue import load_catalogue

    return len(load_catalogue())


@dataclass(frozen=True)
class DemoPlan:
    """The demo's decision: which Ollama and Hub the notebooks talk to, and why.

    ``ollama_url`` / ``hub_url`` are what the notebooks use (a stand-in's loopback URL when
    ``stand_ins``); :meth:`env` is the environment for JupyterLab and its kernels.
    """

    ollama: Probe
    hub: Probe
    stand_ins: bool
    ollama_url: str
    hub_url: str
    repos: int = 0  # repos in the stand-in catalogue

    def messages(self) -> list[str]:
        """What the demo says about each service, plainly (one line each)."""
        if not self.stand_ins:
            return [
                f"Ollama: using {self.ollama.url} ({self.ollama.detail})",
                f"Hub: using {self.hub.url}",
            ]
        o, h = self.ollama, self.hub
        fake_o = f"the bundled stand-in at {self.ollama_url} (simulated models)"
        fake_h = f"the bundled stand-in at {self.hub_url} ({self.repos} offline repos)"
        if o.reachable is None:
            lines = [f"Ollama: not checked (--offline) -> using {fake_o}"]
        elif o.reachable:
            lines = [
                f"Ollama: reachable at {o.url}, but it pulls from the real Hub, which is not "
                f"reachable -> using {fake_o} (your Ollama is left alone)"
            ]
        else:
            lines = [f"Ollama: not reachable at {o.url} ({o.detail}) -> using {fake_o}"]
        if h.reachable is None:
            lines.append(f"Hub: not checked (--offline) -> using {fake_h}")
        elif h.reachable:
            lines.append(
                f"Hub: reachable at {h.url}, but the stand-in Ollama cannot pull from it "
                f"-> using {fake_h} too"
            )
        else:
            lines.append(f"Hub: not reachable at {h.url} ({h.detail}) -> using {fake_h}")
        lines.append(
            "Stand-ins: pulls are simulated and chat replies are canned text, not a real model."
        )
        return lines

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (default ``os.environ``) with OLLAMA_HOST and HF_ENDPOINT set for the kernel.

        With the stand-ins, Hub tokens are left out (the stand-in needs none) and
        ``HFOLLAMA_STAND_INS=1`` tells :func:`connect` in the kernel what it is talking to.
        """
        env = dict(os.environ if base is None else base)
        env["OLLAMA_HOST"] = self.ollama_url
        env["HF_ENDPOINT"] = self.hub_url
        env.pop(STAND_INS_ENV, None)
        if self.stand_ins:
            env[STAND_INS_ENV] = "1"
            env["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"  # no saved token sent to the stand-in
            for name in _TOKEN_VARS:
                env.pop(name, None)
        return env

    def start_stand_ins(self, **kwargs: Any) -> StandIns | None:
        """Start the stand-ins on the plan's ports (``None`` when the plan uses real services)."""
        if not self.stand_ins:
            return None
        return StandIns(
            hub_port=_port_of(self.hub_url), ollama_port=_port_of(self.ollama_url), **kwargs
        ).start()


def _port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def plan_demo(
    ollama_host: str | None = None,
    hf_endpoint: str | None = None,
    *,
    offline: bool = False,
    ollama_timeout: float = 1.5,
    hub_timeout: float = 3.0,
    hub_port: int = 0,
    ollama_port: int = 0,
) -> DemoPlan:
    """Probe Ollama and the Hub (unless ``offline``) and decide what the demo uses.

    Stand-in ports of 0 are chosen now (free loopback ports), so the plan has final URLs.

    >>> plan = plan_demo(offline=True)
    >>> plan.stand_ins, plan.ollama.reachable
    (True, None)
    """
    o_url = parse_host(ollama_host or os.environ.get("OLLAMA_HOST"))
    h_url = hub_endpoint(hf_endpoint)
    if offline:
        ollama, hub = Probe("Ollama", o_url, None), Probe("Hub", h_url, None)
    else:
        ollama = probe_ollama(o_url, timeout=ollama_timeout)
        hub = probe_hub(h_url, timeout=hub_timeout)
    if ollama.reachable and hub.reachable:
        return DemoPlan(ollama, hub, stand_ins=False, ollama_url=o_url, hub_url=h_url)
    return DemoPlan(
        ollama,
        hub,
        stand_ins=True,
        ollama_url=f"http://127.0.0.1:{ollama_port or free_port()}",
        hub_url=f"http://127.0.0.1:{hub_port or free_port()}",
        repos=_catalogue_size(),
    )


# --- the stand-ins ----------------------------------------------------------------------


class StandIns:
    """A FakeHub and a FakeOllama that pulls ``hf.co/…`` from it, on loopback.

    >>> with StandIns() as s:
    ...     s.ollama_url.startswith("http://127.0.0.1:") and s.hub_url != s.ollama_url
    True
    """

    def __init__(
        self,
        *,
        hub_port: int = 0,
        ollama_port: int = 0,
        pull_speed: float = DEMO_PULL_SPEED,
        token_rate: float = 60.0,
    ) -> None:
        self.hub_port, self.ollama_port = hub_port, ollama_port
        self.pull_speed, self.token_rate = pull_speed, token_rate
        self.hub: FakeHub | None = None
        self.ollama: FakeOllama | None = None

    def start(self) -> StandIns:
        """Start both (idempotent); the Hub first, so the Ollama stand-in can pull from it."""
        from hfollama_widgets.testing import FakeHub, FakeOllama

        if self.hub is None:
            self.hub = FakeHub(port=self.hub_port).start()
        if self.ollama is None:
            try:
                self.ollama = FakeOllama(
                    hub=self.hub,
                    port=self.ollama_port,
                    pull_speed=self.pull_speed,
                    token_rate=self.token_rate,
                ).start()
            except BaseException:
                self.stop()
                raise
        return self

    @property
    def hub_url(self) -> str:
        """The FakeHub's URL (use as HF_ENDPOINT)."""
        if self.hub is None:
            raise RuntimeError("StandIns are not running: call start()")
        return self.hub.url

    @property
    def ollama_url(self) -> str:
        """The FakeOllama's URL (use as OLLAMA_HOST)."""
        if self.ollama is None:
            raise RuntimeError("StandIns are not running: call start()")
        return self.ollama.url

    def stop(self) -> None:
        """Stop both (idempotent)."""
        ollama, hub, self.ollama, self.hub = self.ollama, self.hub, None, None
        if ollama is not None:
            ollama.stop()
        if hub is not None:
            hub.stop()

    def __enter__(self) -> StandIns:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# --- notebooks --------------------------------------------------------------------------


@dataclass
class Services:
    """The Ollama server and Hub a notebook talks to (see :func:`connect`)."""

    ollama_url: str
    hub_url: str
    stand_ins: bool
    messages: list[str] = field(default_factory=list)
    _started: StandIns | None = field(default=None, repr=False)

    @property
    def client(self) -> Client:
        """A new :class:`~hfollama_widgets.Client` for :attr:`ollama_url`."""
        from hfollama_widgets.ollama import Client

        return Client(self.ollama_url)

    @property
    def hub(self) -> Hub:
        """A new :class:`~hfollama_widgets.Hub` for :attr:`hub_url` (no token on stand-ins)."""
        from hfollama_widgets.hub import Hub

        token = False if self.stand_ins else None
        return Hub(endpoint=self.hub_url, token=token)

    def stop(self) -> None:
        """Stop stand-ins this process started (no-op otherwise)."""
        if self._started is not None:
            self._started.stop()

    def __str__(self) -> str:
        return "\n".join(self.messages)


_CONNECTED: Services | None = None


def connect(
    *,
    pull_speed: float = DEMO_PULL_SPEED,
    probe: Callable[..., DemoPlan] = plan_demo,
) -> Services:
    """The services a notebook should use; starts the stand-ins in this process if needed.

    - ``OLLAMA_HOST`` or ``HF_ENDPOINT`` set (e.g. by ``hfollama demo``): use them as they are.
    - Neither set: probe the defaults; if not both answer, start the stand-ins here (once per
      process; later calls reuse them) and set ``OLLAMA_HOST`` / ``HF_ENDPOINT`` for this process.

    >>> services = connect()                        # doctest: +SKIP
    >>> print(services)                             # says plainly what is used   # doctest: +SKIP
    >>> client, hub = services.client, services.hub  # doctest: +SKIP
    """
    global _CONNECTED
    if _CONNECTED is not None and _CONNECTED._started is not None:
        return _CONNECTED
    env_ollama, env_hub = os.environ.get("OLLAMA_HOST"), os.environ.get("HF_ENDPOINT")
    if env_ollama or env_hub:
        stand_ins = os.environ.get(STAND_INS_ENV) == "1"
        ollama_url, hub_url = parse_host(env_ollama), hub_endpoint(env_hub)
        if stand_ins:
            messages = [
                f"Ollama: the bundled stand-in at {ollama_url} (simulated models)",
                f"Hub: the bundled stand-in at {hub_url} (offline repos)",
                "Stand-ins: pulls are simulated and chat replies are canned text.",
            ]
        else:
            messages = [f"Ollama: {ollama_url}", f"Hub: {hub_url}"]
        services = Services(ollama_url, hub_url, stand_ins, messages)
        if stand_ins:
            from hfollama_widgets.hub import set_default_hub

            set_default_hub(services.hub)
        return services
    plan = probe()
    started = plan.start_stand_ins(pull_speed=pull_speed)
    _CONNECTED = Services(plan.ollama_url, plan.hub_url, plan.stand_ins, plan.messages(), started)
    if started is not None:
        # Code that uses the defaults (hfw.Client(), hfw.list_gguf_files) reaches them too.
        from hfollama_widgets.hub import set_default_hub

        os.environ.update({"OLLAMA_HOST": plan.ollama_url, "HF_ENDPOINT": plan.hub_url})
        os.environ[STAND_INS_ENV] = "1"
        set_default_hub(_CONNECTED.hub)
    return _CONNECTED


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
    import signal
    import webbrowser

    from hfollama_widgets._cli_jupyter import find_notebook, start_jupyter

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


def serve_stand_ins(
    *,
    hub_port: int = 0,
    ollama_port: int = 0,
    pull_speed: float = DEMO_PULL_SPEED,
    token_rate: float = 60.0,
    say: Callable[[str], None] = print,
) -> None:
    """Run the stand-ins until Ctrl-C (or SIGTERM), printing their URLs and the exports."""
    import signal
    import threading

    from hfollama_widgets.testing.catalogue import load_catalogue

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with StandIns(
            hub_port=hub_port, ollama_port=ollama_port, pull_speed=pull_speed, token_rate=token_rate
        ) as s:
            say(f"FakeHub:    {s.hub_url}  ({len(load_catalogue())} offline repos)")
            say(f"FakeOllama: {s.ollama_url}  (simulated models, pulls hf.co/... from the FakeHub)")
            say("Use them from another shell:")
            say(f"  export HF_ENDPOINT={s.hub_url}")
            say(f"  export OLLAMA_HOST={s.ollama_url}")
            say("Press Ctrl-C to stop.")
            threading.Event().wait()
    except KeyboardInterrupt:
        say("Stopped.")
    finally:
        signal.signal(signal.SIGTERM, previous)
