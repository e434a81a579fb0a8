# SPDX-License-Identifier: MIT
"""Shared timing helper of the benchmark scripts (not a benchmark itself)."""

from __future__ import annotations

import time
from collections.abc import Callable


def interleaved(
    arms: dict[str, Callable[[], None]], repeats: int, warmup: int = 3
) -> dict[str, list[float]]:
    """Seconds per call of each arm (sorted), the arms run in turn within every repeat, so
    that load changes on a shared machine hit every arm alike."""
    for fn in arms.values():  # warm-up (allocator, caches, optimiser state)
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {k: [] for k in arms}
    for _ in range(repeats):
        for name, fn in arms.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: sorted(v) for k, v in times.items()}
