# SPDX-License-Identifier: MIT
"""The action of C_N / D_N on the square pixel grid, and when it is exact.

Only rotations by multiples of 90° and the mirrors map the square grid onto itself, so the
pixel-grid action exists for the groups whose elements are all of that kind: C1, C2, C4, D1,
D2, D4. Element ``g = N·m + r`` acts on an image ``(..., H, W)`` as "flip the width if m, then
``torch.rot90`` by r·(4/N) quarter turns"; on group features ``(B, C, n, H, W)`` it also
permutes the group axis by the regular representation (n = |G|) or by left multiplication of
cosets (a pooled axis): ``[L_g f](h, x) = f(g⁻¹h, g⁻¹x)``.

Exactness rule (one implementation, ``grid_rule``): a layer with kernel k, stride s, padding p
and dilation d samples the output grid symmetrically along an axis of size n iff
``(n + 2p − d(k − 1) − 1)`` is divisible by s. An element needs the rule on the axes it
reverses (``reversed_axes``): a pure mirror flips W only, a mirror followed by 180° flips H
only, every other non-identity element both.

>>> grid = PixelGrid("p4")
>>> grid.act_image(torch.arange(4.0).view(2, 2), 1).tolist()
[[1.0, 3.0], [0.0, 2.0]]
>>> grid_rule(8, kernel=3, stride=2, padding=0, dilation=1) is None
False
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .._util import check_positive_int
from ._finite import FiniteGroup, get

__all__ = ["PixelGrid", "grid_rule", "GRID_EXACT_ORDERS", "PIXEL_GRID_GROUPS"]

#: rotation orders N whose C_N / D_N act on the square pixel grid by permuting pixels
GRID_EXACT_ORDERS = (1, 2, 4)
#: the names ``get`` accepts for those groups (for CLI choices)
PIXEL_GRID_GROUPS = ("p4", "p4m") + tuple(f"{k}{n}" for k in "cd" for n in GRID_EXACT_ORDERS)


def grid_rule(size: int, kernel: int, stride: int, padding: int, dilation: int) -> str | None:
    """None if reversing an axis of ``size`` samples maps the layer's output grid onto itself,
    else the reason why not: exact iff ``(size + 2·padding − dilation·(kernel − 1) − 1)`` is
    divisible by ``stride``."""
    for arg, v in (("size", size), ("kernel", kernel), ("stride", stride), ("dilation", dilation)):
        check_positive_int("grid_rule", arg, v)
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"grid_rule: padding must be an int >= 0, got {padding!r}")
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if stride == 1 or span % stride == 0:
        return None
    return (
        f"size {size} + 2·padding {padding} − dilation {dilation}·(kernel {kernel} − 1) − 1 = "
        f"{span} is not divisible by stride {stride}: the last {span % stride} row(s)/column(s) "
        "are skipped on one side only"
    )


@dataclass(frozen=True)
class PixelGrid:
    """The action of a grid-exact point group (C1, C2, C4, D1, D2, D4) on pixel images and on
    group feature maps. Raises a ValueError naming the supported groups for any other."""

    group: FiniteGroup

    def __init__(self, group: str | FiniteGroup) -> None:
        grp = get(group)
        if not isinstance(grp, FiniteGroup) or grp.N not in GRID_EXACT_ORDERS:
            raise ValueError(
                f"the pixel grid is mapped onto itself only by C1, C2, C4, D1, D2, D4 (p4 = C4, "
                f"p4m = D4); {getattr(grp, 'name', grp)} has rotations that are not multiples of "
                "90°: use the steerable layers for it"
            )
        object.__setattr__(self, "group", grp)

    def quarter_turns(self, g: int) -> int:
        """How many 90° turns the rotation part of g is."""
        m, r = self.group.split(g)
        return r * (4 // self.group.N)

    def reversed_axes(self, g: int) -> tuple[str, ...]:
        """The axes ("H", "W") whose sample order g reverses (where a strided grid must be
        symmetric for g to be exact). Read off the 2×2 matrix: diagonal −1 entries flip that
        axis (x ↔ W, y ↔ H); an off-diagonal matrix (±90°) reverses one axis and swaps them."""
        mat = self.group.matrix(g)
        if mat[0, 1] != 0:
            return ("H", "W")
        return tuple(ax for ax, v in (("H", mat[1, 1]), ("W", mat[0, 0])) if v < 0)

    def act_image(self, x: torch.Tensor, g: int) -> torch.Tensor:
        """Act on the last two axes ``(..., H, W)``: flip the width if mirrored, then rot90."""
        m, _ = self.group.split(g)
        if not torch.is_tensor(x) or x.dim() < 2:
            got = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
            raise ValueError(f"{self.group.name}.act_image expects (..., H, W), got {got}")
        if m:
            x = torch.flip(x, dims=(-1,))
        q = self.quarter_turns(g)
        return torch.rot90(x, q, dims=(-2, -1)) if q else x

    def act_features(self, x: torch.Tensor, g: int, subgroup: str | None = None) -> torch.Tensor:
        """Act on ``(B, C, n, H, W)``: transform the plane and permute the group axis, by the
        regular representation (n = |G|) or on the cosets of ``subgroup`` (a pooled axis;
        inferred from n where that is unambiguous)."""
        if not torch.is_tensor(x) or x.dim() != 5:
            got = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
            raise ValueError(
                f"{self.group.name}.act_features expects (B, C, {self.group.order}, H, W), "
                f"got {got}"
            )
        which = subgroup or self.group.quotient_for_size(x.shape[2])
        perm = self.group.coset_permutation(g, which)
        if len(perm) != x.shape[2]:
            raise ValueError(
                f"{self.group.name}: the cosets of {which!r} number {len(perm)}, but the group "
                f"axis has {x.shape[2]} entries"
            )
        idx = torch.as_tensor(perm, device=x.device)
        return self.act_image(x.index_select(2, idx), g)
