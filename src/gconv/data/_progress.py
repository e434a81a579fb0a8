# SPDX-License-Identifier: MIT
"""A progress bar that needs no extra: rich when installed, else tqdm, else silence."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

__all__ = ["progress"]


class _Bar(Protocol):
    def __call__(self, n: int) -> None: ...


@contextmanager
def progress(total: int, description: str, enabled: bool | None = None) -> Iterator[_Bar]:
    """Yield ``advance(n)``; shown on stderr when ``enabled`` (default: stderr is a terminal)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda n: None
        return
    try:
        from rich.progress import Progress
    except ImportError:
        try:
            from tqdm import tqdm
        except ImportError:
            yield lambda n: None
            return
        with tqdm(total=total, desc=description, unit="sample", file=sys.stderr) as bar:
            yield bar.update
        return
    with Progress(transient=False) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
