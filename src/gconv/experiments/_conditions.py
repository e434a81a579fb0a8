# SPDX-License-Identifier: MIT
"""The conditions a study run ran under, recorded beside its results: the command line, torch's
thread count, the CPU count and the machine's load during the run (the 1-minute load average,
sampled at the start, every ``interval`` seconds by a background thread, and at the end).

Rows written before these columns existed hold :data:`NOT_RECORDED`; the report shows the
columns only where something was recorded.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import torch

__all__ = ["CONDITION_COLUMNS", "NOT_RECORDED", "RunConditions", "is_recorded"]

#: what older rows say in the condition columns
NOT_RECORDED = "not recorded"
#: the CSV columns a recorded run adds
CONDITION_COLUMNS = (
    "command", "started_utc", "torch_threads", "cpu_count", "load_start", "load_end",
    "load_mean", "load_max", "load_samples",
)  # fmt: skip


def is_recorded(value: object) -> bool:
    """Whether a CSV cell holds a recorded condition (not empty, not "not recorded")."""
    return value not in (None, "", NOT_RECORDED)


def _load() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not available on this platform
        return None


class RunConditions:
    """Context manager sampling the load average in a daemon thread while a run trains.

    >>> with RunConditions(["gconv", "study", "rotmnist"], interval=60) as c:
    ...     pass
    >>> row = c.record()
    >>> row["command"], row["torch_threads"] == torch.get_num_threads()
    ('gconv study rotmnist', True)
    """

    def __init__(self, command: Sequence[str] | str | None = None, interval: float = 30.0) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be positive, got {interval}")
        if command is None:
            command = sys.argv
        self.command = command if isinstance(command, str) else shlex.join(command)
        self.interval = interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = ""
        self._threads = torch.get_num_threads()

    def _sample(self) -> None:
        value = _load()
        if value is not None:
            self.samples.append(value)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> RunConditions:
        self._started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._threads = torch.get_num_threads()
        self._sample()
        self._thread = threading.Thread(target=self._loop, name="gconv-load", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    def record(self) -> dict[str, Any]:
        """The condition columns (:data:`CONDITION_COLUMNS`) of the finished run."""
        s = self.samples
        load = {
            "load_start": round(s[0], 2) if s else NOT_RECORDED,
            "load_end": round(s[-1], 2) if s else NOT_RECORDED,
            "load_mean": round(sum(s) / len(s), 2) if s else NOT_RECORDED,
            "load_max": round(max(s), 2) if s else NOT_RECORDED,
            "load_samples": len(s),
        }
        return {
            "command": self.command,
            "started_utc": self._started or NOT_RECORDED,
            "torch_threads": self._threads,
            "cpu_count": os.cpu_count() or NOT_RECORDED,
            **load,
        }
