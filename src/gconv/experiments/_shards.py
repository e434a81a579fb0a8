# SPDX-License-Identifier: MIT
"""Shards of a study: run ``i`` of a plan belongs to shard ``K/N`` when ``i mod N = K`` (one
SLURM array task per shard, say), and each shard writes its own CSV beside the study's."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._study import RunSpec

__all__ = ["check_shard", "csv_path", "parse_shard", "select_shard", "shard_paths"]


def check_shard(owner: str, k: object, n: object) -> None:
    """ValueError naming ``owner`` unless ``k`` and ``n`` are ints with 0 ≤ k < n."""
    ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (k, n))
    if not ok or not 0 <= k < n:  # type: ignore[operator]
        raise ValueError(f"{owner}: shard K/N needs ints 0 <= K < N, got K={k!r}, N={n!r}")


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` → ``(K, N)`` with ``0 <= K < N``.

    >>> parse_shard("1/4")
    (1, 4)
    """
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ValueError(f"shard must look like K/N (e.g. 0/4), got {text!r}") from None
    if not 0 <= k < n:
        raise ValueError(f"shard K/N needs 0 <= K < N, got {text!r}")
    return k, n


def select_shard(runs: Iterable[RunSpec], k: int, n: int) -> list[RunSpec]:
    """The runs with ``index mod n == k``."""
    check_shard("select_shard", k, n)
    return [r for r in runs if r.index % n == k]


def csv_path(out: str | os.PathLike, study: str, shard: tuple[int, int] | None = None) -> Path:
    """``out/<study>.csv`` or ``out/<study>.shard-K-of-N.csv``."""
    tail = f".shard-{shard[0]}-of-{shard[1]}" if shard else ""
    return Path(out) / f"{study}{tail}.csv"


def shard_paths(out: str | os.PathLike, study: str) -> list[Path]:
    """Every ``<study>.shard-K-of-N.csv`` in ``out``, sorted."""
    return sorted(Path(out).glob(f"{study}.shard-*-of-*.csv"))
