# SPDX-License-Identifier: MIT
"""Pooling of group feature maps: over the group axis (invariants, coset pooling) and over
the plane (spatial max pooling applied to every orientation alike)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..groups import FiniteGroup, get
from ._checks import ShapeError, square

__all__ = ["GroupPool", "GroupMaxPool2d"]

_REDUCTIONS = ("max", "mean")
_OVER = ("group", "rotations", "mirrors")


class GroupPool(nn.Module):
    """Pool the group axis of ``(B, C, |G|, H, W)``.

    ``over="group"`` → ``(B, C, H, W)``, invariant to the point group (rotation pooling on p4).
    On p4m (|G| = 8, index g = 4m + r): ``over="rotations"`` pools each coset of C4 →
    ``(B, C, 2, H, W)`` (mirror index m), ``over="mirrors"`` pools {R^r, R^r M} →
    ``(B, C, 4, H, W)`` (index r). On p4, ``"rotations"`` is the whole group. The pooled maps
    transform by the quotient action (``FiniteGroup.act_features`` handles these sizes).

    >>> GroupPool("max", over="rotations")(torch.randn(2, 3, 8, 5, 5)).shape
    torch.Size([2, 3, 2, 5, 5])
    """

    def __init__(
        self, reduction: str = "max", over: str = "group", group: str | FiniteGroup | None = None
    ) -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"GroupPool: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
            )
        if over not in _OVER:
            raise ValueError(f"GroupPool: over must be one of {_OVER}, got {over!r}")
        self.reduction, self.over = reduction, over
        self.group = None if group is None else get(group)
        if self.group is not None and over == "mirrors" and not self.group.mirrors:
            raise ValueError(f"GroupPool: over='mirrors' needs p4m, got {self.group.name}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[2] if x.dim() == 5 else -1
        expected = (self.group.order,) if self.group is not None else (4, 8)
        if x.dim() != 5 or n not in expected or (self.over == "mirrors" and n != 8):
            need = "8" if self.over == "mirrors" else "/".join(map(str, expected))
            raise ShapeError(
                f"GroupPool(over={self.over!r}): expected (B, C, |G|, H, W) with |G| = {need}, "
                f"got {tuple(x.shape)}"
            )
        if self.over == "group" or n == 4:
            return self._reduce(x, dim=2)
        b, c, _, h, w = x.shape
        x = x.view(b, c, 2, 4, h, w)
        return self._reduce(x, dim=3 if self.over == "rotations" else 2)

    def _reduce(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        return x.amax(dim=dim) if self.reduction == "max" else x.mean(dim=dim)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, over={self.over!r}"


class GroupMaxPool2d(nn.Module):
    """Spatial max pooling of ``(B, C, |G|, H, W)``, the same window for every orientation.

    >>> GroupMaxPool2d(2)(torch.randn(1, 3, 4, 8, 8)).shape
    torch.Size([1, 3, 4, 4, 4])
    """

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0) -> None:
        super().__init__()
        self.kernel_size = square("kernel_size", kernel_size, "GroupMaxPool2d")
        self.stride = (
            self.kernel_size if stride is None else square("stride", stride, "GroupMaxPool2d")
        )
        self.padding = square("padding", padding, "GroupMaxPool2d")
        self.dilation = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5:
            raise ShapeError(f"GroupMaxPool2d: expected (B, C, |G|, H, W), got {tuple(x.shape)}")
        b, c, n, h, w = x.shape
        y = F.max_pool2d(x.reshape(b, c * n, h, w), self.kernel_size, self.stride, self.padding)
        return y.view(b, c, n, y.shape[-2], y.shape[-1])

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
