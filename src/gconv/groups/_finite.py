# SPDX-License-Identifier: MIT
"""The finite point groups of the pixel grid: C4 (p4) and D4 (p4m).

Convention (DESIGN.md): C4 element ``r`` (0..3) is the rotation by r·90° counter-clockwise,
acting on an image as ``torch.rot90(x, r, dims=(-2, -1))``. D4 element ``g = 4·m + r`` is
"mirror m (``torch.flip(x, dims=(-1,))`` if m = 1) then rotate r", i.e. the matrix R^r M^m.

Composition ``compose(g, h)`` is the element whose action equals acting with h first, then g:
``act_image(act_image(x, h), g) == act_image(x, compose(g, h))``. On group feature maps
``(B, C, |G|, H, W)`` the action is the regular one, ``[L_g f](h, x) = f(g⁻¹h, g⁻¹x)``.

>>> D4.compose(1, 4) == 5   # rotate(mirror(x)) is element 4·1 + 1
True
>>> [C4.inverse(g) for g in C4.elements()]
[0, 3, 2, 1]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch

__all__ = ["C4", "D4", "FiniteGroup", "get", "GROUPS"]

_ROT = np.array([[0, -1], [1, 0]], dtype=np.int64)  # 90° counter-clockwise on (x, y-up)
_MIRROR = np.array([[-1, 0], [0, 1]], dtype=np.int64)  # x -> -x, i.e. flip of the width axis


@dataclass(frozen=True)
class FiniteGroup:
    """A point group of the square grid, as used by p4 (``C4``) and p4m (``D4``).

    Elements are integers ``0..order-1``, ``g = 4·m + r`` (m = 0 for C4). All tables are
    derived from the 2×2 integer matrices R^r M^m, so they come from one place.
    """

    name: str
    mirrors: bool
    _matrices: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        mats = []
        for m in range(2 if self.mirrors else 1):
            for r in range(4):
                mats.append(np.linalg.matrix_power(_ROT, r) @ np.linalg.matrix_power(_MIRROR, m))
        object.__setattr__(self, "_matrices", tuple(mats))

    # ----------------------------------------------------------------------------- tables
    @property
    def order(self) -> int:
        """Number of elements |G| (4 for C4, 8 for D4)."""
        return 8 if self.mirrors else 4

    def elements(self) -> range:
        return range(self.order)

    def matrix(self, g: int) -> np.ndarray:
        """The 2×2 integer matrix of ``g`` acting on (x, y) with y pointing up."""
        return self._matrices[self._check(g)].copy()

    @cached_property
    def table(self) -> np.ndarray:
        """Composition table: ``table[g, h] = g·h`` (act with h, then g)."""
        index = {m.tobytes(): i for i, m in enumerate(self._matrices)}
        t = np.empty((self.order, self.order), dtype=np.int64)
        for g, mg in enumerate(self._matrices):
            for h, mh in enumerate(self._matrices):
                t[g, h] = index[(mg @ mh).tobytes()]
        t.setflags(write=False)
        return t

    @cached_property
    def inverses(self) -> np.ndarray:
        inv = np.argmax(self.table == 0, axis=1)
        inv.setflags(write=False)
        return inv

    def compose(self, g: int, h: int) -> int:
        return int(self.table[self._check(g), self._check(h)])

    def inverse(self, g: int) -> int:
        return int(self.inverses[self._check(g)])

    def element_name(self, g: int) -> str:
        """Readable name, e.g. ``'rot 90°'`` or ``'mirror, rot 270°'``."""
        m, r = divmod(self._check(g), 4)
        return ("mirror, " if m else "") + f"rot {90 * r}°"

    def regular_permutation(self, g: int) -> np.ndarray:
        """Permutation P with ``[L_g f](h) = f(P[h])``, i.e. ``P[h] = g⁻¹h``."""
        return self.table[self.inverse(g)].copy()

    def regular_representation(self, g: int) -> torch.Tensor:
        """|G|×|G| permutation matrix ρ(g) with ρ(g) e_h = e_{gh}; ρ(gh) = ρ(g)ρ(h)."""
        rho = torch.zeros(self.order, self.order, dtype=torch.float64)
        rho[torch.from_numpy(self.table[self._check(g)].copy()), torch.arange(self.order)] = 1.0
        return rho

    def cosets(self, size: int) -> list[list[int]]:
        """The element groups that a pooled axis of ``size`` entries holds (see GroupPool).

        ``size == order``: each element alone; ``1``: the whole group; on D4 ``2``: the cosets
        of the rotations C4 (index m); ``4``: the left cosets R^r{e, M} of a mirror (index r).
        """
        if size == self.order:
            return [[g] for g in self.elements()]
        if size == 1:
            return [list(self.elements())]
        if self.mirrors and size == 2:
            return [[4 * m + r for r in range(4)] for m in range(2)]
        if self.mirrors and size == 4:
            return [[r, 4 + r] for r in range(4)]
        raise ValueError(
            f"{self.name}: a group axis of size {size} is neither the group ({self.order}) nor "
            f"one of its quotients ({', '.join(map(str, self._quotient_sizes()))})"
        )

    def _quotient_sizes(self) -> list[int]:
        return [self.order, 2, 4, 1] if self.mirrors else [self.order, 1]

    def coset_permutation(self, g: int, size: int) -> np.ndarray:
        """Permutation P of a pooled axis with ``[L_g f](i) = f(P[i])`` (left multiplication)."""
        cosets = self.cosets(size)
        where = {h: i for i, c in enumerate(cosets) for h in c}
        ginv = self.inverse(g)
        return np.array([where[self.compose(ginv, c[0])] for c in cosets], dtype=np.int64)

    # ---------------------------------------------------------------------------- actions
    def act_image(self, x: torch.Tensor, g: int) -> torch.Tensor:
        """Act on the last two axes ``(..., H, W)``: flip the width if mirrored, then rot90."""
        m, r = divmod(self._check(g), 4)
        if x.dim() < 2:
            raise ValueError(f"{self.name}.act_image expects (..., H, W), got {tuple(x.shape)}")
        if m:
            x = torch.flip(x, dims=(-1,))
        return torch.rot90(x, r, dims=(-2, -1)) if r else x

    def act_features(self, x: torch.Tensor, g: int) -> torch.Tensor:
        """Act on group feature maps ``(B, C, n, H, W)``: transform the plane and permute the
        group axis by the regular representation (n = |G|) or a quotient of it (pooled maps).
        """
        if x.dim() != 5:
            raise ValueError(
                f"{self.name}.act_features expects (B, C, {self.order}, H, W), got {tuple(x.shape)}"
            )
        perm = self.coset_permutation(g, x.shape[2])
        idx = torch.as_tensor(perm, device=x.device)
        return self.act_image(x.index_select(2, idx), g)

    def _check(self, g: int) -> int:
        if not (0 <= int(g) < self.order) or int(g) != g:
            raise ValueError(f"{self.name} has elements 0..{self.order - 1}, got {g!r}")
        return int(g)

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self):
        return (get, (self.name,))


C4 = FiniteGroup("C4", mirrors=False)
D4 = FiniteGroup("D4", mirrors=True)

GROUPS: dict[str, FiniteGroup] = {"p4": C4, "c4": C4, "p4m": D4, "d4": D4}


def get(name: str | FiniteGroup) -> FiniteGroup:
    """The point group of a plane group: ``get("p4") is C4``, ``get("p4m") is D4``.

    >>> get("p4m").order
    8
    """
    if isinstance(name, FiniteGroup):
        return name
    key = str(name).lower()
    if key not in GROUPS:
        raise ValueError(f"unknown group {name!r}; known groups: p4 (C4), p4m (D4)")
    return GROUPS[key]
