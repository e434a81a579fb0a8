# SPDX-License-Identifier: MIT
"""A silent on-disk cache for expensive float64 tables (Wigner-d tables).

Files live in ``$GCONV_CACHE`` (default ``~/.cache/gconv``), named by a hash of
(function name, version, key), written atomically (temporary name, then ``os.replace``).
Any I/O error falls back to computing; nothing is printed. Set ``GCONV_CACHE=""`` to disable.
The in-memory layer is a bounded ``functools.lru_cache`` on the callers (plain-int keys).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

from .._util import cache_dir as _cache_dir

__all__ = ["cache_dir", "disk_cached"]


def cache_dir() -> Path | None:
    """The cache folder, or None when disabled by ``GCONV_CACHE=""`` (``gconv._util``)."""
    return _cache_dir()


def _path(name: str, version: int, key: tuple) -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    digest = hashlib.sha256(repr((name, version, key)).encode()).hexdigest()[:24]
    return root / "tables" / f"{name}-v{version}-{digest}.pt"


def disk_cached(
    name: str, version: int, key: tuple, build: Callable[[], torch.Tensor]
) -> torch.Tensor:
    """Load the tensor for (name, version, key) from disk, or build it and store it."""
    path = _path(name, version, key)
    if path is not None and path.is_file():
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - a corrupt/partial file is rebuilt silently
            pass
    value = build()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                torch.save(value, fh)
            os.replace(tmp, path)
        except OSError:
            try:
                os.unlink(tmp)
            except (OSError, UnboundLocalError):
                pass
    return value
