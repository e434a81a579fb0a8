# SPDX-License-Identifier: MIT
"""Argument and shape validation shared by the layers (ValueError with expected vs got)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .._util import ShapeError  # one class for every package
from ..groups import grid_rule  # noqa: F401  (re-exported: one implementation, in groups)

__all__ = ["ShapeError", "square", "check_features", "check_image", "grid_rule"]


def square(name: str, value: int | Sequence[int], layer: str) -> int:
    """An int, or a pair of equal ints: unequal pairs would break the 90° symmetry."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    vals = tuple(value)
    if len(vals) == 2 and vals[0] == vals[1] and all(isinstance(v, int) for v in vals):
        return int(vals[0])
    raise ValueError(
        f"{layer}: {name} must be one int (or two equal ints) so that rotating by 90° maps "
        f"the sampling grid onto itself; got {value!r}"
    )


def check_image(layer: str, x: torch.Tensor, channels: int) -> None:
    if x.dim() != 4 or x.shape[1] != channels:
        hint = ""
        if x.dim() == 5:
            hint = " (this looks like a group feature map; use GroupConv2d)"
        raise ShapeError(
            f"{layer}: expected an image batch (B, {channels}, H, W), got {tuple(x.shape)}{hint}"
        )


def check_features(layer: str, x: torch.Tensor, channels: int, order: int, group: str) -> None:
    if x.dim() != 5 or x.shape[1] != channels or x.shape[2] != order:
        hint = ""
        if x.dim() == 4:
            hint = " (this looks like an image; lift it with LiftConv2d first)"
        raise ShapeError(
            f"{layer}: expected (B, {channels}, {order}, H, W) for {channels} channels on "
            f"{group}, got {tuple(x.shape)}{hint}"
        )
