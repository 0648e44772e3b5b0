"""``hfollama demo``: the real Ollama and Hub when both answer, else the bundled stand-ins.

Start-up in small steps, each usable (and testable) on its own:

1. :func:`probe_ollama` / :func:`probe_hub`: ``GET {OLLAMA_HOST}/api/version`` and
   ``GET {HF_ENDPOINT}/api/models?limit=1`` with short timeouts.
2. :func:`plan_demo` -> :class:`DemoPlan`: which services to use, their URLs, what to tell the
   user, and the environment for JupyterLab (``plan.env()``).
3. :class:`StandIns`: the FakeHub + FakeOllama the plan asks for, on loopback.
4. :func:`hfollama_widgets.demo.jupyter.run_demo`: JupyterLab on ``notebooks/quickstart.ipynb``
   with that environment (``hfollama demo``).

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
from typing import Any

import httpx

from hfollama_widgets.hub import Hub, set_default_hub
from hfollama_widgets.ollama import Client
from hfollama_widgets.ollama._host import parse_host
from hfollama_widgets.testing.catalogue import load_catalogue
from hfollama_widgets.testing.stand_ins import DEMO_PULL_SPEED, StandIns

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
    "port_is_free",
    "probe_hub",
    "probe_ollama",
]

DEFAULT_HF_ENDPOINT = "https://huggingface.co"
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


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True if ``port`` on ``host`` can be bound right now.

    >>> port_is_free(free_port())
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


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

        return Client(self.ollama_url)

    @property
    def hub(self) -> Hub:
        """A new :class:`~hfollama_widgets.Hub` for :attr:`hub_url` (no token on stand-ins)."""

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

    Example (against the real Hub and Ollama)::

        services = connect()
        print(services)                             # says plainly what is used
        client, hub = services.client, services.hub
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
            set_default_hub(services.hub)
        return services
    plan = probe()
    started = plan.start_stand_ins(pull_speed=pull_speed)
    _CONNECTED = Services(plan.ollama_url, plan.hub_url, plan.stand_ins, plan.messages(), started)
    if started is not None:
        # Code that uses the defaults (hfw.Client(), hfw.list_gguf_files) reaches them too.

        os.environ.update({"OLLAMA_HOST": plan.ollama_url, "HF_ENDPOINT": plan.hub_url})
        os.environ[STAND_INS_ENV] = "1"
        set_default_hub(_CONNECTED.hub)
    return _CONNECTED
