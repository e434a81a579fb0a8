# SPDX-License-Identifier: MIT
"""Interleaved timing of several calls, and the integer validator of the benchmark module."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["time_interleaved"]


def _int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be ≥ {minimum}, got {value}")
    return int(value)


def time_interleaved(
    arms: Mapping[str, Callable[[], object]],
    reps: int,
    warmup: int = 3,
    sync: Callable[[], None] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each arm over ``reps`` interleaved repeats, sorted ascending.

    >>> t = time_interleaved({"a": lambda: None, "b": lambda: sum(range(100))}, reps=5)
    >>> sorted(t) == ["a", "b"] and all(len(v) == 5 and v == sorted(v) for v in t.values())
    True
    """
    if not isinstance(arms, Mapping) or not arms:
        raise ValueError(f"arms must be a non-empty mapping name → callable, got {arms!r}")
    for key, fn in arms.items():
        if not callable(fn):
            raise TypeError(f"arm {key!r} must be callable, got {type(fn).__name__}")
    reps, warmup = _int("reps", reps, 1), _int("warmup", warmup, 0)
    wait = sync or (lambda: None)
    for fn in arms.values():  # allocator, caches, optimizer state
        for _ in range(warmup):
            fn()
    names = list(arms)
    times: dict[str, list[float]] = {k: [] for k in names}
    for r in range(reps):
        for k in names[r % len(names) :] + names[: r % len(names)]:
            wait()
            t0 = time.perf_counter()
            arms[k]()
            wait()
            times[k].append(time.perf_counter() - t0)
    return {k: sorted(v) for k, v in times.items()}
