"""Hardware detection: /proc/meminfo parsing and real subprocesses of fake nvidia-smi / sysctl.

The fake tools are small shell scripts put first on PATH, so detect_hardware runs them exactly as
it would run the real ones (no mocks of our code).
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from hfollama_widgets.hardware import GPU, Hardware, detect_hardware, parse_meminfo

MIB = 1024**2

MEMINFO = """MemTotal:       32768000 kB
MemFree:         1000000 kB
MemAvailable:   20480000 kB
Buffers:          123456 kB
"""


def tool(bin_dir: Path, name: str, body: str) -> Path:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture()
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "bin"
    d.mkdir()
    # Only our fake tools plus the system basics the scripts need (sh, sleep, echo).
    monkeypatch.setenv("PATH", f"{d}{os.pathsep}/usr/bin{os.pathsep}/bin")
    return d


@pytest.fixture()
def meminfo(tmp_path: Path) -> Path:
    path = tmp_path / "meminfo"
    path.write_text(MEMINFO)
    return path


def linux(meminfo: Path, tmp_path: Path, **kw: object) -> Hardware:
    return detect_hardware(
        meminfo_path=meminfo,
        cgroup_path=tmp_path / "no-cgroup",
        system="Linux",
        machine="x86_64",
        **kw,  # type: ignore[arg-type]
    )


def test_nvidia_smi_output_becomes_gpus(bin_dir: Path, meminfo: Path, tmp_path: Path) -> None:
    args_file = tmp_path / "args"
    tool(
        bin_dir,
        "nvidia-smi",
        f'echo "$@" > {args_file}\n'
        'printf "NVIDIA GeForce RTX 4090, 24564\\nNVIDIA RTX A2000 12GB, 12282\\n"',
    )
    hw = linux(meminfo, tmp_path)
    assert args_file.read_text().split() == [
        "--query-gpu=name,memory.total",
        "--format=csv,noheader,nounits",
    ]
    assert hw.gpus == (
        # RTX 4090: 1008 GB/s (nvidia.com spec); the A2000 is not in the table
        GPU("NVIDIA GeForce RTX 4090", round(24564 * MIB / 1e9, 3), 1008.0),
        GPU("NVIDIA RTX A2000 12GB", round(12282 * MIB / 1e9, 3)),
    )
    assert hw.gpu_bandwidth_gbs is None  # one GPU's bandwidth unknown: no ceiling guessed
    assert hw.ram_bandwidth_gbs and hw.ram_bandwidth_gbs > 0  # measured with numpy
    assert hw.vram_gb == pytest.approx((24564 + 12282) * MIB / 1e9, abs=0.002)
    assert hw.ram_gb == pytest.approx(32768000 * 1024 / 1e9, abs=0.001)
    assert hw.available_ram_gb == pytest.approx(20480000 * 1024 / 1e9, abs=0.001)
    assert not hw.unified_memory
    assert "NVIDIA GeForce RTX 4090 (25.8 GB)" in hw.describe()


@pytest.mark.parametrize(
    "body",
    [
        'echo "NVIDIA-SMI has failed because it could not communicate with the driver" >&2; exit 9',
        'printf "NVIDIA A100, [N/A]\\n"',
        "exit 0",
    ],
)
def test_broken_nvidia_smi_means_no_gpu(
    bin_dir: Path, meminfo: Path, tmp_path: Path, body: str
) -> None:
    tool(bin_dir, "nvidia-smi", body)
    hw = linux(meminfo, tmp_path)
    assert hw.gpus == () and hw.vram_gb == 0.0 and hw.gpu_budget_gb == 0.0


@pytest.mark.parametrize("body", ["exec sleep 30", "sleep 30; echo late"])
def test_hanging_nvidia_smi_times_out(
    bin_dir: Path, meminfo: Path, tmp_path: Path, body: str
) -> None:
    tool(bin_dir, "nvidia-smi", body)  # the second form leaves a child holding the pipe
    start = time.monotonic()
    hw = linux(meminfo, tmp_path, timeout=0.5)
    assert time.monotonic() - start < 10
    assert hw.gpus == ()


def test_no_nvidia_smi_on_path(bin_dir: Path, meminfo: Path, tmp_path: Path) -> None:
    hw = linux(meminfo, tmp_path)
    assert hw.gpus == () and hw.ram_gb > 30


def test_container_memory_limit_caps_ram(meminfo: Path, tmp_path: Path) -> None:
    limit = tmp_path / "memory.max"
    limit.write_text("8589934592\n")  # 8 GiB
    hw = detect_hardware(meminfo_path=meminfo, cgroup_path=limit, system="Linux", machine="x86_64")
    assert hw.ram_gb == pytest.approx(8.59, abs=0.001)
    assert hw.available_ram_gb == pytest.approx(8.59, abs=0.001)
    limit.write_text("max\n")  # no limit
    hw = detect_hardware(meminfo_path=meminfo, cgroup_path=limit, system="Linux", machine="x86_64")
    assert hw.ram_gb == pytest.approx(33.554, abs=0.001)


def test_apple_silicon_unified_memory(bin_dir: Path, tmp_path: Path) -> None:
    tool(
        bin_dir,
        "sysctl",
        'case "$2" in hw.memsize) echo 68719476736;;'
        ' machdep.cpu.brand_string) echo "Apple M2 Max";; *) exit 1;; esac',
    )
    tool(bin_dir, "nvidia-smi", 'echo "should not be asked"; exit 1')
    hw = detect_hardware(meminfo_path=tmp_path / "none", system="Darwin", machine="arm64")
    assert hw.unified_memory
    assert hw.ram_gb == pytest.approx(68.719, abs=0.001)
    assert hw.gpu_budget_gb == pytest.approx(68.719 * 0.75, abs=0.001)
    assert hw.gpus[0].name == "Apple M2 Max"
    assert "unified memory" in hw.describe()


def test_this_machine() -> None:
    hw = detect_hardware()
    total, _ = parse_meminfo(Path("/proc/meminfo").read_text())
    assert total is not None
    assert 0 < hw.ram_gb <= total / 1e9 + 0.001
    assert hw.to_dict()["ram_gb"] == hw.ram_gb


def test_stated_by_hand() -> None:
    hw = Hardware(ram_gb=64, gpus=(GPU("a", 24.0), GPU("b", 12.0)))
    assert hw.vram_gb == 36.0 and hw.gpu_budget_gb == 36.0
    assert Hardware(ram_gb=64, vram_gb=10, gpus=(GPU("a", 24.0),)).vram_gb == 10
    assert Hardware(ram_gb=16, unified_memory=True).gpu_budget_gb == 12.0
    with pytest.raises(ValueError):
        Hardware(ram_gb=-1)
