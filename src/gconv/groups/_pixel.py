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
``(n + 2p − d(k − 1) − 1)`` is divisible by s. An element needs the rule on the input axes it
reverses (``reversed_axes``, from ``_plane``): a mirror flips W, 90° reverses W, 180° both,
270° H, and the transpose (mirror then 90°) neither.

>>> import torch
>>> grid = PixelGrid("p4")
>>> grid.act_image(torch.arange(4.0).view(2, 2), 1).tolist()
[[1.0, 3.0], [0.0, 2.0]]
>>> grid_rule(8, kernel=3, stride=2, padding=0, dilation=1) is None
False
"""

from __future__ import annotations

from ._finite import FiniteGroup, get
from ._plane import PlaneAction

__all__ = ["PixelGrid", "grid_rule", "GRID_EXACT_ORDERS", "PIXEL_GRID_GROUPS"]

#: rotation orders N whose C_N / D_N act on the square pixel grid by permuting pixels
GRID_EXACT_ORDERS = (1, 2, 4)
#: the names ``get`` accepts for those groups (for CLI choices)
PIXEL_GRID_GROUPS = ("p4", "p4m") + tuple(f"{k}{n}" for k in "cd" for n in GRID_EXACT_ORDERS)


def grid_rule(size: int, kernel: int, stride: int, padding: int, dilation: int) -> str | None:
    """None if reversing an axis of ``size`` samples maps the layer's output grid onto itself,
    else the reason why not: exact iff ``(size + 2·padding − dilation·(kernel − 1) − 1)`` is
    divisible by ``stride``."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if stride == 1 or span % stride == 0:
        return None
    return (
        f"size {size} + 2·padding {padding} − dilation {dilation}·(kernel {kernel} − 1) − 1 = "
        f"{span} is not divisible by stride {stride}: the last {span % stride} row(s)/column(s) "
        "are skipped on one side only"
    )


class PixelGrid(PlaneAction):
    """``PlaneAction`` restricted to the grid-exact point groups C1, C2, C4, D1, D2, D4, whose
    every element permutes pixels. Raises a ValueError naming them for any other group."""

    def __init__(self, group: str | FiniteGroup) -> None:
        grp = get(group)
        if not isinstance(grp, FiniteGroup) or grp.N not in GRID_EXACT_ORDERS:
            raise ValueError(
                f"the pixel grid is mapped onto itself only by C1, C2, C4, D1, D2, D4 (p4 = C4, "
                f"p4m = D4); {getattr(grp, 'name', grp)} has rotations that are not multiples of "
                "90°: use the steerable layers for it"
            )
        super().__init__(grp)
