"""Memory bandwidth (GB/s, 10**9 bytes/s): published figures by device name, and a quick RAM test.

The decode-speed ceiling (:mod:`hfollama_widgets.gguf.speed`) divides bandwidth by the bytes
read per token. GPU figures are the vendors' published peak memory bandwidths (NVIDIA product
pages / datasheets; Apple's M-series tech specs, also listed in llama.cpp discussion #4167);
:func:`measure_ram_bandwidth_gbs` times a large numpy copy once per process (~0.2 s).

>>> lookup_bandwidth_gbs("NVIDIA GeForce RTX 4090")
1008.0
>>> lookup_bandwidth_gbs("Apple M2 Max"), lookup_bandwidth_gbs("Some Other GPU") is None
(400.0, True)
"""

from __future__ import annotations

import functools
import time

__all__ = ["PUBLISHED_BANDWIDTH_GBS", "lookup_bandwidth_gbs", "measure_ram_bandwidth_gbs"]

PUBLISHED_BANDWIDTH_GBS: dict[str, float] = {
    # NVIDIA GeForce (nvidia.com product specs, "Memory Bandwidth")
    "RTX 5090": 1792.0,
    "RTX 5080": 960.0,
    "RTX 5070 Ti": 896.0,
    "RTX 5070": 672.0,
    "RTX 5060 Ti": 448.0,
    "RTX 4090": 1008.0,
    "RTX 4080 SUPER": 736.0,
    "RTX 4080": 716.8,
    "RTX 4070 Ti SUPER": 672.0,
    "RTX 4070 Ti": 504.0,
    "RTX 4070 SUPER": 504.0,
    "RTX 4070": 504.0,
    "RTX 4060 Ti": 288.0,
    "RTX 4060": 272.0,
    "RTX 3090 Ti": 1008.0,
    "RTX 3090": 936.0,
    "RTX 3080 Ti": 912.0,
    "RTX 3080": 760.0,
    "RTX 3070": 448.0,
    "RTX 3060": 360.0,
    # NVIDIA data centre / workstation (datasheets)
    "H200": 4800.0,
    "H100 SXM": 3350.0,
    "H100 PCIe": 2000.0,
    "H100": 3350.0,
    "A100-SXM4-80GB": 2039.0,
    "A100 80GB PCIe": 1935.0,
    "A100": 1555.0,
    "L40S": 864.0,
    "L4": 300.0,
    "A10": 600.0,
    "T4": 320.0,
    "V100": 900.0,
    "RTX 6000 Ada": 960.0,
    "RTX A6000": 768.0,
    # Apple silicon (apple.com tech specs; llama.cpp discussion #4167)
    "M1 Ultra": 800.0,
    "M1 Max": 400.0,
    "M1 Pro": 200.0,
    "M1": 68.25,
    "M2 Ultra": 800.0,
    "M2 Max": 400.0,
    "M2 Pro": 200.0,
    "M2": 100.0,
    "M3 Ultra": 819.0,
    "M3 Max": 400.0,
    "M3 Pro": 150.0,
    "M3": 100.0,
    "M4 Max": 546.0,
    "M4 Pro": 273.0,
    "M4": 120.0,
}
"""Peak memory bandwidth by model name; the longest name contained in a device name wins."""


def lookup_bandwidth_gbs(device_name: str) -> float | None:
    """The published bandwidth of a GPU / Apple chip by (part of) its name, or ``None``.

    >>> lookup_bandwidth_gbs("NVIDIA GeForce RTX 4080 SUPER"), lookup_bandwidth_gbs("Apple M4")
    (736.0, 120.0)
    """
    name = f" {device_name.upper()} "
    best: tuple[int, float] | None = None
    for model, gbs in PUBLISHED_BANDWIDTH_GBS.items():
        key = model.upper()
        found = f" {key} " in name or f" {key}-" in name or f"-{key} " in name
        if found and (best is None or len(key) > best[0]):
            best = (len(key), gbs)
    return best[1] if best else None


@functools.cache
def measure_ram_bandwidth_gbs(size_mb: int = 256, repeats: int = 3) -> float:
    """System RAM bandwidth from the best of ``repeats`` copies of a ``size_mb`` array (read +
    write counted), measured once per process. A lower bound of the peak (one thread)."""
    import numpy as np

    src = np.ones(size_mb * 10**6 // 8, dtype=np.float64)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - start)
    return round(2 * src.nbytes / best / 1e9, 1)
