# SPDX-License-Identifier: MIT
"""Pooling of group feature maps: over the group axis (invariants, coset pooling) and over
the plane (spatial max pooling applied to every orientation alike)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .._util import check_tensor
from ..groups import FiniteGroup, Group, get, is_grid_element, subgroup_cosets
from ._checks import ShapeError, check_kernel_fits, planar_group, square
from .planar import planar_exactness

__all__ = ["GroupPool", "GroupMaxPool2d"]

_REDUCTIONS = ("max", "mean")
_OVER = ("group", "rotations", "mirrors")


class GroupPool(nn.Module):
    """Pool the group axis of ``(B, C, |G|, H, W)`` over a subgroup H of G.

    ``over="group"`` → ``(B, C, H, W)``, invariant to the point group (rotation pooling on
    p4). ``over="rotations"`` (H = C_N) or ``"mirrors"`` (H = {e, M}, D_N only) keep one entry
    per left coset gH → ``(B, C, |G|/|H|, H, W)``, transformed by left multiplication of the
    cosets (``PlaneAction.act_features(..., subgroup=over)``). ``over`` may also be any
    subgroup given as a group or its name (``"c4"`` in C16, ``"c8"`` in D8, …): one entry per
    left coset gH, checker kind ``"cosets:c4"``. These need the group. On D4
    (g = 4m + r): "rotations" keeps the mirror index m, "mirrors" the rotation index r.

    >>> GroupPool("max", over="rotations", group="p4m")(torch.randn(2, 3, 8, 5, 5)).shape
    torch.Size([2, 3, 2, 5, 5])
    """

    def __init__(
        self,
        reduction: str = "max",
        over: str | FiniteGroup = "group",
        group: str | FiniteGroup | None = None,
    ) -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"GroupPool: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
            )
        if over not in _OVER:
            try:
                sub = get(over)
            except (TypeError, ValueError):
                sub = None
            if not isinstance(sub, FiniteGroup):
                raise ValueError(
                    f"GroupPool: over must be one of {_OVER} or a subgroup (e.g. 'c4', "
                    f"CyclicGroup(4)), got {over!r}"
                )
            over = sub.name.lower()
        if group is None and over != "group":
            raise ValueError(
                f"GroupPool: over={over!r} needs the group (e.g. group='p4m') to know its cosets"
            )
        self.reduction, self.over = reduction, over
        self.group = None if group is None else planar_group("GroupPool", group, "'p4m'")
        self._layout: tuple[str, int, int, list[int]] | None = None
        if self.group is not None:
            self._layout = _coset_layout(torch.as_tensor(subgroup_cosets(self.group, over)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("GroupPool: input", x, floating=self.reduction == "mean")
        n = self.group.order if self.group is not None else None
        if x.dim() != 5 or (n is not None and x.shape[2] != n):
            raise ShapeError(
                f"GroupPool(over={self.over!r}): expected (B, C, |G|, H, W) with |G| = "
                f"{n if n is not None else 'the group order'}, got {tuple(x.shape)}"
            )
        if self._layout is None or self._layout[1] == 1:
            return self._reduce(x, dim=2)
        return self._reduce(_by_coset(x, self._layout), dim=3)

    def _reduce(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        return x.amax(dim=dim) if self.reduction == "max" else x.mean(dim=dim)

    def equivariance_exactness(self, group: Group, g: int, x: torch.Tensor) -> str | None:
        """Exact for every element of its group that permutes pixels (values are permuted, then
        reduced); for resampled rotations only the mean (linear, like the bilinear resampling)
        commutes exactly, not the max. The group axis must hold the checker's group."""
        own = self.group or (group if isinstance(group, FiniteGroup) else None)
        if own is None or not isinstance(group, FiniteGroup):
            return f"GroupPool pools a planar group axis, not under {getattr(group, 'name', group)}"
        if own.find(group.split(g)[0], group.angle(g)) is None or x.shape[2] != own.order:
            return f"GroupPool's axis holds {own.name}, which lacks {group.element_name(g)}"
        if self.reduction == "max" and not is_grid_element(group, g):
            return "GroupPool: a max does not commute with resampling the pixel grid"
        return None

    def extra_repr(self) -> str:
        group = "" if self.group is None else f", group={self.group.name}"
        return f"reduction={self.reduction!r}, over={self.over!r}{group}"


def _coset_layout(cosets: torch.Tensor) -> tuple[str, int, int, list[int]]:
    """How to bring the cosets (rows) of a group axis side by side: "blocks" (a view),
    "strided" (a transposed view) or "gather" (an index)."""
    k, m = cosets.shape
    ar = torch.arange(k * m)
    if torch.equal(cosets, ar.view(k, m)):
        return ("blocks", k, m, [])
    if torch.equal(cosets, ar.view(m, k).T):
        return ("strided", k, m, [])
    return ("gather", k, m, cosets.flatten().tolist())


def _by_coset(x: torch.Tensor, layout: tuple[str, int, int, list[int]]) -> torch.Tensor:
    """``(B, C, |G|, H, W)`` → ``(B, C, n_cosets, |H|, H, W)``."""
    kind, k, m, index = layout
    b, c, _, h, w = x.shape
    if kind == "blocks":
        return x.view(b, c, k, m, h, w)
    if kind == "strided":
        return x.view(b, c, m, k, h, w).transpose(2, 3)
    idx = torch.tensor(index, device=x.device)
    return x.index_select(2, idx).view(b, c, k, m, h, w)


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
        if self.padding > self.kernel_size // 2:
            raise ValueError(
                f"GroupMaxPool2d: padding must be at most half the kernel size "
                f"({self.kernel_size} // 2 = {self.kernel_size // 2}), got {self.padding}"
            )
        self.dilation = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("GroupMaxPool2d: input", x)
        if x.dim() != 5:
            raise ShapeError(f"GroupMaxPool2d: expected (B, C, |G|, H, W), got {tuple(x.shape)}")
        b, c, n, h, w = x.shape
        check_kernel_fits("GroupMaxPool2d", h, w, self.kernel_size, self.padding, 1)
        y = F.max_pool2d(x.reshape(b, c * n, h, w), self.kernel_size, self.stride, self.padding)
        return y.view(b, c, n, y.shape[-2], y.shape[-1])

    def equivariance_exactness(self, group: Group, g: int, x: torch.Tensor) -> str | None:
        """Exact for grid elements whose reversed axes keep the pooling grid symmetric."""
        if not isinstance(group, FiniteGroup):
            return f"GroupMaxPool2d acts on the plane, not under {getattr(group, 'name', group)}"
        geometry = (self.kernel_size, self.stride, self.padding, self.dilation)
        return planar_exactness("GroupMaxPool2d", group, geometry, group, g, x)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
