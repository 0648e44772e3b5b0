"""The bundled stand-ins as one unit: a FakeHub plus a FakeOllama that pulls from it.

Used by ``hfollama demo`` / :func:`hfollama_widgets.demo.connect` (in-process) and by
``hfollama fake-servers`` / ``python -m hfollama_widgets.testing`` (:func:`serve_stand_ins`).
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from hfollama_widgets.errors import HFOllamaError
from hfollama_widgets.testing.catalogue import load_catalogue

if TYPE_CHECKING:
    from hfollama_widgets.testing.fake_hub import FakeHub
    from hfollama_widgets.testing.fake_ollama import FakeOllama

__all__ = ["DEMO_PULL_SPEED", "StandInPortError", "StandIns", "serve_stand_ins"]

#: Simulated pull speed of the demo's stand-in Ollama (bytes/s): a 0.8 GB pull takes ~4 s.
DEMO_PULL_SPEED = 2e8


class StandInPortError(HFOllamaError, OSError):
    """A stand-in could not listen on the port asked for (in use, or not allowed)."""


def _port_error(which: str, option: str, port: int, exc: OSError) -> StandInPortError:
    """The bind failure of one stand-in, naming the port and the option that picks it.

    >>> _port_error("FakeHub", "--hub-port", 8080, OSError(98, "Address already in use")).message
    'FakeHub cannot listen on 127.0.0.1:8080: Address already in use.'
    """
    reason = exc.strerror or str(exc)
    return StandInPortError(
        f"{which} cannot listen on 127.0.0.1:{port}: {reason}.",
        fix=f"Stop what uses port {port}, or pick another with {option} PORT (0: a free port).",
    )


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
        # lazy: the servers' code loads only when they start (`hfollama --help` stays fast)
        from hfollama_widgets.testing.fake_hub import FakeHub
        from hfollama_widgets.testing.fake_ollama import FakeOllama

        if self.hub is None:
            try:
                self.hub = FakeHub(port=self.hub_port).start()
            except OSError as exc:
                raise _port_error("FakeHub", "--hub-port", self.hub_port, exc) from None
        if self.ollama is None:
            try:
                self.ollama = FakeOllama(
                    hub=self.hub,
                    port=self.ollama_port,
                    pull_speed=self.pull_speed,
                    token_rate=self.token_rate,
                ).start()
            except OSError as exc:
                self.stop()
                raise _port_error("FakeOllama", "--ollama-port", self.ollama_port, exc) from None
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
