"""What this machine has to run a model on: system RAM, NVIDIA VRAM, Apple unified memory.

State it by hand with :class:`Hardware` or let :func:`detect_hardware` look. All sizes are in
decimal gigabytes (1 GB = 10**9 bytes), like ``size_gb`` in ``list_gguf_files``.

>>> Hardware(ram_gb=32, vram_gb=12).gpu_budget_gb
12.0
>>> Hardware(ram_gb=64, unified_memory=True).gpu_budget_gb   # 75% of unified memory
48.0
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import shutil
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hfollama_widgets.bandwidth import lookup_bandwidth_gbs, measure_ram_bandwidth_gbs
from hfollama_widgets.checks import non_negative_number

__all__ = ["GPU", "Hardware", "detect_hardware", "parse_meminfo", "parse_nvidia_smi"]

UNIFIED_GPU_FRACTION = 0.75
"""Share of Apple unified memory the GPU may use (Metal's recommended working set is ~65-75%)."""

_MIB = 1024**2

Runner = Callable[[Sequence[str]], "str | None"]
"""Runs a command and returns its stdout, or None when it is missing or fails."""


@dataclass(frozen=True)
class GPU:
    """One GPU: its name and memory in GB (10**9 bytes)."""

    name: str
    vram_gb: float
    memory_bandwidth_gbs: float | None = None

    def __post_init__(self) -> None:
        fix = "State VRAM in GB (10**9 bytes) as a number >= 0, e.g. GPU('RTX 4090', 24)."
        non_negative_number("vram_gb", self.vram_gb, allow_none=False, fix=fix)
        non_negative_number("memory_bandwidth_gbs", self.memory_bandwidth_gbs, fix=fix)


@dataclass(frozen=True)
class Hardware:
    """A machine's memory. ``vram_gb`` is the total over ``gpus`` when stated by hand.

    ``unified_memory`` (Apple Silicon): RAM and GPU memory are the same; the GPU may use
    :data:`UNIFIED_GPU_FRACTION` of ``ram_gb`` unless ``vram_gb`` says otherwise.

    >>> Hardware(ram_gb=16).gpu_budget_gb
    0.0
    >>> Hardware(ram_gb=float("nan"))
    Traceback (most recent call last):
    ...
    hfollama_widgets.errors.InvalidArgumentError: ram_gb=nan is not valid: it must be a finite ...
    """

    ram_gb: float
    vram_gb: float = 0.0
    gpus: tuple[GPU, ...] = field(default_factory=tuple)
    unified_memory: bool = False
    available_ram_gb: float | None = None
    memory_bandwidth_gbs: float | None = None
    ram_bandwidth_gbs: float | None = None

    def __post_init__(self) -> None:
        # Finite and >= 0 (0 = unknown / no GPU, as detect_hardware reports it); no bool, no str.
        fix = "State memory in GB (10**9 bytes) as a number >= 0, e.g. Hardware(ram_gb=32)."
        for name in ("ram_gb", "vram_gb", "available_ram_gb"):
            non_negative_number(
                name, getattr(self, name), allow_none=name == "available_ram_gb", fix=fix
            )
        bw_fix = "State bandwidth in GB/s, e.g. Hardware(ram_gb=32, memory_bandwidth_gbs=90)."
        for name in ("memory_bandwidth_gbs", "ram_bandwidth_gbs"):
            non_negative_number(name, getattr(self, name), fix=bw_fix)
        if not self.vram_gb and self.gpus and not self.unified_memory:
            object.__setattr__(self, "vram_gb", round(sum(g.vram_gb for g in self.gpus), 3))

    @property
    def gpu_budget_gb(self) -> float:
        """Memory a model can use on the GPU(s): VRAM, or 75% of unified memory."""
        if self.vram_gb:
            return float(self.vram_gb)
        if self.unified_memory:
            return round(self.ram_gb * UNIFIED_GPU_FRACTION, 3)
        return 0.0

    @property
    def gpu_bandwidth_gbs(self) -> float | None:
        """Bandwidth of the memory GPU layers read (unified memory: the chip's), or ``None``.

        ``memory_bandwidth_gbs`` when given; else, over several GPUs (layers split by VRAM,
        read one after another), ``Σ vram / Σ (vram / bandwidth)``.

        >>> Hardware(ram_gb=64, gpus=(GPU("a", 24, 1000.0), GPU("b", 24, 500.0))).gpu_bandwidth_gbs
        666.7
        """
        if not self.gpu_budget_gb:
            return None
        if self.memory_bandwidth_gbs:
            return float(self.memory_bandwidth_gbs)
        known = [g for g in self.gpus if g.memory_bandwidth_gbs and g.vram_gb]
        if not known or len(known) != len(self.gpus):
            return None
        total = sum(g.vram_gb for g in known)
        time = sum(g.vram_gb / float(g.memory_bandwidth_gbs or 1) for g in known)
        return round(total / time, 1)

    @property
    def cpu_bandwidth_gbs(self) -> float | None:
        """Bandwidth of system RAM (what CPU layers read): ``ram_bandwidth_gbs``, or
        ``memory_bandwidth_gbs`` on a machine without a GPU, or (Apple) the chip's."""
        if self.ram_bandwidth_gbs:
            return float(self.ram_bandwidth_gbs)
        if not self.gpu_budget_gb or self.unified_memory:
            return self.memory_bandwidth_gbs or self.gpu_bandwidth_gbs
        return None

    def describe(self) -> str:
        """One line for people, e.g. ``'32.0 GB RAM, NVIDIA RTX 4090 (25.8 GB)'``."""
        parts = [f"{self.ram_gb:.1f} GB RAM"]
        if self.available_ram_gb is not None:
            parts[0] += f" ({self.available_ram_gb:.1f} GB free)"
        if self.unified_memory:
            parts.append(f"unified memory, {self.gpu_budget_gb:.1f} GB usable by the GPU")
        parts += [f"{g.name} ({g.vram_gb:.1f} GB)" for g in self.gpus if not self.unified_memory]
        if not self.gpus and self.vram_gb and not self.unified_memory:
            parts.append(f"{self.vram_gb:.1f} GB VRAM")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, object]:
        """Plain data for widgets and JSON."""
        return {
            "ram_gb": self.ram_gb,
            "vram_gb": self.vram_gb,
            "gpu_budget_gb": self.gpu_budget_gb,
            "gpus": [{"name": g.name, "vram_gb": g.vram_gb} for g in self.gpus],
            "unified_memory": self.unified_memory,
            "available_ram_gb": self.available_ram_gb,
            "gpu_bandwidth_gbs": self.gpu_bandwidth_gbs,
            "cpu_bandwidth_gbs": self.cpu_bandwidth_gbs,
        }


def detect_hardware(
    *,
    runner: Runner | None = None,
    meminfo_path: str | os.PathLike[str] = "/proc/meminfo",
    cgroup_path: str | os.PathLike[str] = "/sys/fs/cgroup/memory.max",
    system: str | None = None,
    machine: str | None = None,
    timeout: float = 5.0,
    measure_ram: bool = True,
) -> Hardware:
    """Look at this machine: RAM (total, available), NVIDIA GPUs, Apple unified memory.

    RAM comes from ``/proc/meminfo`` on Linux (capped by a cgroup memory limit), ``sysctl
    hw.memsize`` on macOS, ``GlobalMemoryStatusEx`` on Windows, else ``os.sysconf``. GPUs come
    from ``nvidia-smi`` when it is on ``PATH`` (failures and timeouts are ignored). ``runner``,
    ``meminfo_path``, ``cgroup_path``, ``system`` and ``machine`` are there for tests.
    Bandwidths: GPUs and Apple chips by name from
    :data:`~hfollama_widgets.bandwidth.PUBLISHED_BANDWIDTH_GBS`; system RAM measured once per
    process with numpy (``measure_ram=False`` skips it).

    >>> hw = detect_hardware()
    >>> hw.ram_gb > 0
    True
    """
    run = runner or _subprocess_runner(timeout)
    system = system or platform.system()
    machine = machine or platform.machine()
    total, available = _ram_bytes(system, run, Path(meminfo_path), Path(cgroup_path))
    ram_gb = round(total / 1e9, 3) if total else 0.0
    avail_gb = round(available / 1e9, 3) if available is not None else None
    if system == "Darwin" and machine in ("arm64", "aarch64"):
        chip = (run(["sysctl", "-n", "machdep.cpu.brand_string"]) or "").strip() or "Apple Silicon"
        budget = round(ram_gb * UNIFIED_GPU_FRACTION, 3)
        chip_bw = lookup_bandwidth_gbs(chip)
        return Hardware(
            ram_gb=ram_gb,
            gpus=(GPU(chip, budget, chip_bw),),
            unified_memory=True,
            available_ram_gb=avail_gb,
            memory_bandwidth_gbs=chip_bw,
        )
    out = run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"])
    gpus = parse_nvidia_smi(out or "")
    return Hardware(
        ram_gb=ram_gb,
        vram_gb=float(round(sum(g.vram_gb for g in gpus), 3)),
        gpus=gpus,
        available_ram_gb=avail_gb,
        ram_bandwidth_gbs=measure_ram_bandwidth_gbs() if measure_ram else None,
    )


def parse_nvidia_smi(text: str) -> tuple[GPU, ...]:
    """GPUs from ``nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits``.

    >>> parse_nvidia_smi("NVIDIA GeForce RTX 4090, 24564\\n")
    (GPU(name='NVIDIA GeForce RTX 4090', vram_gb=25.757, memory_bandwidth_gbs=1008.0),)
    """
    gpus: list[GPU] = []
    for line in text.splitlines():
        name, sep, mib = line.rpartition(",")
        mib = mib.strip()
        if not sep or not mib.replace(".", "", 1).isdigit():
            continue  # "[N/A]", error lines, blank lines
        label = name.strip() or "NVIDIA GPU"
        vram = round(float(mib) * _MIB / 1e9, 3)
        gpus.append(GPU(label, vram, lookup_bandwidth_gbs(label)))
    return tuple(gpus)


def parse_meminfo(text: str) -> tuple[int | None, int | None]:
    """(MemTotal, MemAvailable) in bytes from ``/proc/meminfo`` text (values are KiB).

    >>> parse_meminfo("MemTotal: 16384000 kB\\nMemFree: 1 kB\\nMemAvailable: 8192000 kB\\n")
    (16777216000, 8388608000)
    """
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            values[key.strip()] = int(fields[0]) * 1024
    return values.get("MemTotal"), values.get("MemAvailable")


# --- helpers ------------------------------------------------------------------------------


def _subprocess_runner(timeout: float) -> Runner:
    def run(cmd: Sequence[str]) -> str | None:
        exe = shutil.which(cmd[0])
        if exe is None:
            return None
        posix = os.name == "posix"
        try:
            proc = subprocess.Popen(
                [exe, *cmd[1:]],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                text=True,
                start_new_session=posix,  # so a timeout can end the tool's children too
            )
        except OSError:
            return None
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            if posix:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.kill()
            proc.communicate()
            return None
        return out if proc.returncode == 0 else None

    return run


def _ram_bytes(
    system: str, run: Runner, meminfo: Path, cgroup: Path
) -> tuple[int | None, int | None]:
    if system == "Linux" or meminfo.exists():
        try:
            total, available = parse_meminfo(meminfo.read_text())
        except OSError:
            total, available = None, None
        if total:
            limit = _cgroup_limit(cgroup)
            if limit and limit < total:
                return limit, min(available or limit, limit)
            return total, available
    if system == "Darwin":
        out = (run(["sysctl", "-n", "hw.memsize"]) or "").strip()
        if out.isdigit():
            return int(out), None
    if system == "Windows":
        return _windows_memory()
    return _sysconf_memory()


def _cgroup_limit(path: Path) -> int | None:
    """A container's memory limit (cgroup v2), if one is set."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _sysconf_memory() -> tuple[int | None, int | None]:
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        total = page * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None, None
    try:
        available: int | None = page * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError):
        available = None
    return total, available


def _windows_memory() -> tuple[int | None, int | None]:  # pragma: no cover - Windows only
    class MemoryStatusEx(ctypes.Structure):
        _fields_ = [  # ctypes layout
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatusEx()
    status.dwLength = ctypes.sizeof(MemoryStatusEx)
    try:
        ok = ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return None, None
    return (int(status.ullTotalPhys), int(status.ullAvailPhys)) if ok else (None, None)
