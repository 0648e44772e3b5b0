"""Run-time fault knobs and the request log of FakeOllama (both thread-safe)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Fault", "Faults", "RecordedRequest", "RequestLog"]

FaultKind = Literal["http_error", "cut_stream", "error_line", "garbage_line"]

_DEFAULT_MESSAGES = {
    500: "internal server error",
    502: "bad gateway",
    503: "server busy, please try again.  maximum pending requests exceeded",
    429: "too many requests",
}


@dataclass
class Fault:
    """One armed fault: what to do, on which path (``None``: any), how many more times."""

    kind: FaultKind
    path: str | None
    times: int
    status: int = 500
    message: str = ""
    after_lines: int = 0
    clean: bool = False


class Faults:
    """Faults to inject into the next matching requests.

    >>> faults = Faults()
    >>> faults.http_error(503, path="/api/chat")
    >>> faults.take("/api/chat", "http_error").status
    503
    >>> faults.take("/api/chat", "http_error") is None
    True
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[Fault] = []

    def _arm(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._armed.append(fault)

    def http_error(
        self,
        status: int,
        path: str | None = "/api/chat",
        times: int = 1,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests to ``path`` with HTTP ``status`` and
        ``{"error": message}`` (a realistic message by default, e.g. 503's "server busy")."""
        text = message if message is not None else _DEFAULT_MESSAGES.get(status, f"error {status}")
        self._arm(Fault("http_error", path, times, status=status, message=text))

    def cut_stream(
        self,
        after_lines: int,
        path: str | None = "/api/chat",
        times: int = 1,
        *,
        clean: bool = False,
    ) -> None:
        """Stop the next ``times`` streams on ``path`` after ``after_lines`` lines: the connection
        is dropped mid-body (a crash), or with ``clean=True`` the body just ends there."""
        self._arm(Fault("cut_stream", path, times, after_lines=after_lines, clean=clean))

    def error_line(
        self,
        after_lines: int,
        message: str = "an error was encountered while running the model",
        path: str | None = "/api/chat",
        times: int = 1,
    ) -> None:
        """Write ``{"error": message}`` as line ``after_lines + 1`` of the next streams; end."""
        self._arm(Fault("error_line", path, times, message=message, after_lines=after_lines))

    def garbage_line(
        self,
        after_lines: int,
        text: str = '{"model": "broken',
        path: str | None = "/api/chat",
        times: int = 1,
    ) -> None:
        """Write ``text`` (not JSON) as line ``after_lines + 1`` of the next streams; end."""
        self._arm(Fault("garbage_line", path, times, message=text, after_lines=after_lines))

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._armed.clear()

    def take(self, path: str, kind: FaultKind) -> Fault | None:
        """Use up one armed fault of ``kind`` for ``path`` (``None`` when none is armed)."""
        with self._lock:
            for fault in self._armed:
                if fault.kind == kind and fault.path in (None, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._armed.remove(fault)
                    return fault
        return None

    def take_stream_fault(self, path: str) -> Fault | None:
        """The next cut, error-line or garbage-line fault for a stream on ``path``."""
        return (
            self.take(path, "cut_stream")
            or self.take(path, "error_line")
            or self.take(path, "garbage_line")
        )

    @property
    def armed(self) -> list[Fault]:
        with self._lock:
            return list(self._armed)


@dataclass
class RecordedRequest:
    """One request FakeOllama received (``authorization`` is masked).

    Logged when it arrives; ``status`` is filled in once the answer has started (0 before).
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class RequestLog:
    """Every request received, in order: ``len()``, iteration, indexing, ``clear()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def append(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.snapshot()]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Any:
        return iter(self.snapshot())

    def __getitem__(self, index: int) -> RecordedRequest:
        with self._lock:
            return self._items[index]
