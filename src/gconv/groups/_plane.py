# SPDX-License-Identifier: MIT
"""The action of any C_N / D_N on pixel images and group features, exact where it can be.

Element ``g = N·m + r`` acts on an image ``(..., H, W)`` as "flip the width if m, then rotate
by 2πr/N counter-clockwise". Where 4r/N is an integer (quarter turns; every element of C1, C2,
C4, D1, D2, D4) that is ``torch.rot90`` — a permutation of pixels, the ``PixelGrid`` action,
exact. Any other rotation resamples the grid with ``rotate_image`` (bilinear, about the grid
centre), which is never exact. On group features ``(B, C, n, H, W)`` the group axis is also
permuted (regular representation, or cosets of a pooled axis): ``[L_g f](h, x) = f(g⁻¹h, g⁻¹x)``.

>>> from gconv.groups import CyclicGroup
>>> act = PlaneAction(CyclicGroup(8))
>>> [act.is_grid_element(g) for g in range(4)]
[True, False, True, False]
>>> act.reversed_axes(2), act.reversed_axes(6)   # 90° reverses W only; 270° H only
(('W',), ('H',))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ._finite import FiniteGroup, get
from ._rotate import rotate_image

__all__ = [
    "PlaneAction",
    "is_grid_element",
    "element_reversed_axes",
    "subgroup_cosets",
    "subgroup_coset_permutation",
    "subgroup_embedding",
]


def _check_group(owner: str, group: object) -> FiniteGroup:
    """``group`` if it is a CyclicGroup/DihedralGroup object, else TypeError (names such as
    ``"c8"`` go through ``gconv.groups.get`` first)."""
    if not isinstance(group, FiniteGroup):
        raise TypeError(f"{owner}: expected a CyclicGroup/DihedralGroup object, got {group!r}")
    return group


def subgroup_embedding(group: FiniteGroup, sub: FiniteGroup) -> list[int]:
    """The elements of ``sub``, in its order, as elements of ``group`` (matched by mirror and
    angle: C_N in D_N, C_M in C_N for M | N, D_M in D_N, …); ValueError if H is not a subgroup.

    >>> from gconv.groups import CyclicGroup, DihedralGroup
    >>> subgroup_embedding(CyclicGroup(8), CyclicGroup(4))
    [0, 2, 4, 6]
    """
    group, sub = _check_group("subgroup_embedding", group), _check_group("subgroup_embedding", sub)
    found = [group.find(sub.split(h)[0], sub.angle(h)) for h in sub.elements()]
    embed = [e for e in found if e is not None]
    if len(embed) < len(found):
        raise ValueError(f"{sub.name} is not a subgroup of {group.name}")
    return embed


def subgroup_cosets(group: FiniteGroup, sub: str | FiniteGroup) -> np.ndarray:
    """Left cosets g·H of a subgroup given as a group (e.g. C4 in C16, C8 in D8) or a name
    known to ``FiniteGroup.subgroup``: index array ``(|G|/|H|, |H|)``, rows ordered by their
    smallest element, each row sorted (as ``FiniteGroup.cosets``)."""
    _check_group("subgroup_cosets", group)
    if isinstance(sub, str) and sub in ("trivial", "rotations", "mirrors", "group"):
        return group.cosets(sub)
    embed = subgroup_embedding(group, _check_group("subgroup_cosets", get(sub)))
    rows, seen = [], set()
    for g in group.elements():
        if g not in seen:
            row = sorted(group.compose(g, e) for e in embed)
            seen.update(row)
            rows.append(row)
    return np.array(rows, dtype=np.int64)


def subgroup_coset_permutation(group: FiniteGroup, sub: str | FiniteGroup, g: int) -> np.ndarray:
    """Permutation P of a pooled axis with ``[L_g f](i) = f(P[i])``: the coset of g⁻¹·(coset i)."""
    rows = subgroup_cosets(group, sub)
    where = {int(h): i for i, row in enumerate(rows) for h in row}
    ginv = group.inverse(g)
    return np.array([where[group.compose(ginv, int(row[0]))] for row in rows], dtype=np.int64)


def is_grid_element(group: FiniteGroup, g: int) -> bool:
    """True if g maps the square pixel grid onto itself (a quarter turn, possibly mirrored)."""
    _check_group("is_grid_element", group)
    _, r = group.split(g)
    return (4 * r) % group.N == 0


def element_reversed_axes(group: FiniteGroup, g: int) -> tuple[str, ...]:
    """For a grid element: the input axes ("H", "W") whose sample order it reverses — where a
    strided layer's grid must be symmetric (``grid_rule``) for g to be exact. Read off the
    2×2 matrix A on (x, y-up), with W ↔ x and H ↔ −y (rows grow downwards): W is reversed iff
    A e_x is −e_x or +e_y, H iff A e_y is −e_y or +e_x. So 90° reverses W only, 270° H only,
    and the transpose (mirror, then 90°) neither. Raises for other elements."""
    if not is_grid_element(group, g):
        raise ValueError(
            f"{group.name}: {group.element_name(g)} does not map the pixel grid onto itself"
        )
    a = np.rint(group.matrix(g)).astype(int)
    col_x, col_y = (int(a[0, 0]), int(a[1, 0])), (int(a[0, 1]), int(a[1, 1]))
    return tuple(
        ax
        for ax, rev in (("H", col_y in ((0, -1), (1, 0))), ("W", col_x in ((-1, 0), (0, 1))))
        if rev
    )


@dataclass(frozen=True)
class PlaneAction:
    """C_N / D_N (any N) on images and group features: pixel permutations for quarter turns and
    mirrors, bilinear ``rotate_image`` for other rotations."""

    group: FiniteGroup

    def __init__(self, group: str | FiniteGroup) -> None:
        grp = get(group)
        if not isinstance(grp, FiniteGroup):
            raise ValueError(f"PlaneAction needs a CyclicGroup/DihedralGroup, got {grp!r}")
        object.__setattr__(self, "group", grp)

    def is_grid_element(self, g: int) -> bool:
        """True if g maps the square pixel grid onto itself (see :func:`is_grid_element`)."""
        return is_grid_element(self.group, g)

    def reversed_axes(self, g: int) -> tuple[str, ...]:
        """The image axes g reverses (see :func:`element_reversed_axes`)."""
        return element_reversed_axes(self.group, g)

    def act_image(self, x: torch.Tensor, g: int) -> torch.Tensor:
        """Act on the last two axes ``(..., H, W)``: flip the width if mirrored, then rotate."""
        if not torch.is_tensor(x) or x.dim() < 2:
            got = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
            raise ValueError(f"{self.group.name}.act_image expects (..., H, W), got {got}")
        m, r = self.group.split(g)
        if m:
            x = torch.flip(x, dims=(-1,))
        if r == 0:
            return x
        if self.is_grid_element(g):
            return torch.rot90(x, 4 * r // self.group.N, dims=(-2, -1))
        return rotate_image(x, 2 * math.pi * r / self.group.N)

    def act_features(self, x: torch.Tensor, g: int, subgroup: str | None = None) -> torch.Tensor:
        """Act on ``(B, C, n, H, W)``: permute the group axis (regular representation, or the
        cosets of ``subgroup``: a name such as ``"rotations"`` or a subgroup such as ``"c4"``)
        and transform the plane."""
        if not torch.is_tensor(x) or x.dim() != 5:
            got = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
            raise ValueError(
                f"{self.group.name}.act_features expects (B, C, {self.group.order}, H, W), "
                f"got {got}"
            )
        which = subgroup or self.group.quotient_for_size(x.shape[2])
        perm = subgroup_coset_permutation(self.group, which, g)
        if len(perm) != x.shape[2]:
            raise ValueError(
                f"{self.group.name}: the cosets of {which!r} number {len(perm)}, but the group "
                f"axis has {x.shape[2]} entries"
            )
        idx = torch.as_tensor(perm, device=x.device)
        return self.act_image(x.index_select(2, idx), g)
