# SPDX-License-Identifier: MIT
"""Autocast exemption for the spherical transforms and layers.

Under ``torch.autocast`` (what Lightning's ``precision="bf16-mixed"`` and ``"16-mixed"`` turn
on) matrix products run in bfloat16 or float16: 8 or 11 significant bits for sums of hundreds
to thousands of products per coefficient, and torch has no complex bfloat16 type for the
spectra. A function wrapped by :func:`full_precision` leaves autocast for its own work: its
float16/bfloat16 tensor arguments are cast to float32, it runs with autocast off on their
device, and so returns what it returns outside autocast (float32 for float32 or half inputs,
float64 for float64). Planar and icosahedral layers are not wrapped: their convolutions are
what mixed precision is for.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import torch

__all__ = ["autocasting", "full_precision"]

_F = TypeVar("_F", bound=Callable[..., Any])
_HALF = (torch.float16, torch.bfloat16)


def autocasting(device_type: str) -> bool:
    """Whether autocast is on for ``device_type`` (False for a device autocast does not know,
    such as ``meta``)."""
    try:
        return torch.is_autocast_enabled(device_type)
    except RuntimeError:
        return False


def _up(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.dtype in _HALF:
        return value.float()
    return value


def full_precision(fn: _F) -> _F:
    """Decorator: run ``fn`` outside autocast (see the module docstring). The device is that of
    the first tensor argument; without one, or with autocast off there, ``fn`` runs as is."""

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        first = next((a for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)), None)
        if first is None or not autocasting(first.device.type):
            return fn(*args, **kwargs)
        with torch.autocast(first.device.type, enabled=False):
            return fn(*map(_up, args), **{k: _up(v) for k, v in kwargs.items()})

    return cast(_F, wrapped)
