# SPDX-License-Identifier: MIT
"""Abstract finite rotation groups of the plane: ``CyclicGroup(N)`` (C_N) and
``DihedralGroup(N)`` (D_N), apart from any action on a grid.

Numbering: element ``g = N·m + r`` (m ∈ {0, 1}, r ∈ 0..N−1) is "mirror m, then rotate r", the
2×2 matrix R^r M^m with R the rotation by 2π/N counter-clockwise and M the mirror x ↦ −x
(on (x, y) with y pointing up). C_N has m = 0 only. So C4 and D4 keep the numbering of the
p4/p4m layers: ``C4 = CyclicGroup(4)``, ``D4 = DihedralGroup(4)``.

Composition ``compose(g, h)`` is "act with h first, then g": R^{r₁}M^{m₁}·R^{r₂}M^{m₂} =
R^{r₁ + (−1)^{m₁} r₂} M^{m₁ + m₂}, since M R M = R⁻¹. On functions on the group the regular
representation acts as ``[L_g f](h) = f(g⁻¹h)``. Pooling over a subgroup H keeps one entry per
left coset hH, and G acts on those by left multiplication.

>>> D4.compose(1, 4) == 5   # rotate(mirror(x)) is element 4·1 + 1
True
>>> [C4.inverse(g) for g in C4.elements()]
[0, 3, 2, 1]
>>> DihedralGroup(3).subgroup("rotations")
(0, 1, 2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Protocol, runtime_checkable

import numpy as np
import torch

__all__ = ["FiniteGroup", "CyclicGroup", "DihedralGroup", "C4", "D4", "Group", "get", "GROUPS"]

#: subgroups a pooling layer can name
SUBGROUPS = ("trivial", "rotations", "mirrors", "group")


@dataclass(frozen=True, eq=True)
class FiniteGroup:
    """C_N (``mirrors=False``) or D_N (``mirrors=True``) as an abstract group: tables,
    inverses, regular representation, subgroups and cosets. Hashable; equal groups are equal
    objects for caching and comparison (``CyclicGroup(4) == C4``)."""

    N: int
    mirrors: bool

    def __post_init__(self) -> None:
        if not isinstance(self.N, int) or isinstance(self.N, bool) or self.N < 1:
            raise ValueError(f"a rotation group needs an order N >= 1 (an int), got {self.N!r}")

    # ----------------------------------------------------------------------------- naming
    @property
    def name(self) -> str:
        """``'C4'``, ``'D8'``, …"""
        return f"{'D' if self.mirrors else 'C'}{self.N}"

    @property
    def order(self) -> int:
        """|G|: N for C_N, 2N for D_N."""
        return 2 * self.N if self.mirrors else self.N

    def elements(self) -> range:
        """The element indices 0..|G|−1 (``g = N·m + r``: mirror m, then rotate r)."""
        return range(self.order)

    def split(self, g: int) -> tuple[int, int]:
        """``(m, r)`` with ``g = N·m + r``."""
        return divmod(self._check(g), self.N)

    def angle(self, g: int) -> Fraction:
        """The rotation part as a fraction of a full turn (r/N, reduced)."""
        return Fraction(self.split(g)[1], self.N)

    def element_name(self, g: int) -> str:
        """Readable name, e.g. ``'rot 90°'`` or ``'mirror, rot 270°'``."""
        m, r = self.split(g)
        deg = 360 * r / self.N
        return ("mirror, " if m else "") + f"rot {deg:g}°"

    def find(self, mirror: int, angle: Fraction) -> int | None:
        """The element "mirror, then rotate by ``angle`` turns" of this group, or None."""
        if mirror and not self.mirrors:
            return None
        r = angle * self.N
        if r.denominator != 1:
            return None
        return self.N * int(mirror) + int(r) % self.N

    def matrix(self, g: int) -> np.ndarray:
        """The 2×2 matrix R^r M^m on (x, y) with y up (integer where N divides 4)."""
        m, r = self.split(g)
        t = 2 * math.pi * r / self.N
        rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
        mat = rot @ np.diag([-1.0, 1.0]) if m else rot
        rounded = np.rint(mat)
        return rounded.astype(np.int64) if np.abs(mat - rounded).max() < 1e-12 else mat

    # ----------------------------------------------------------------------------- tables
    def compose(self, g: int, h: int) -> int:
        """g·h: act with h, then g."""
        return int(self.table[self._check(g), self._check(h)])

    def inverse(self, g: int) -> int:
        """g⁻¹, with g·g⁻¹ = 0 (the identity)."""
        return int(self.inverses[self._check(g)])

    @cached_property
    def table(self) -> np.ndarray:
        """Composition table: ``table[g, h] = g·h`` (act with h, then g)."""
        n = self.N
        m, r = np.divmod(np.arange(self.order), n)
        sign = 1 - 2 * m[:, None]  # (−1)^{m₁}
        t = n * ((m[:, None] + m[None, :]) % 2) + (r[:, None] + sign * r[None, :]) % n
        t.setflags(write=False)
        return t

    @cached_property
    def inverses(self) -> np.ndarray:
        inv = np.argmax(self.table == 0, axis=1)
        inv.setflags(write=False)
        return inv

    def regular_permutation(self, g: int) -> np.ndarray:
        """Permutation P with ``[L_g f](h) = f(P[h])``, i.e. ``P[h] = g⁻¹h``."""
        return self.table[self.inverse(g)].copy()

    def regular_representation(self, g: int) -> torch.Tensor:
        """|G|×|G| permutation matrix ρ(g) with ρ(g) e_h = e_{gh}; ρ(gh) = ρ(g)ρ(h)."""
        rho = torch.zeros(self.order, self.order, dtype=torch.float64)
        rho[torch.from_numpy(self.table[self._check(g)].copy()), torch.arange(self.order)] = 1.0
        return rho

    # ------------------------------------------------------------------ subgroups, cosets
    def subgroup(self, which: str) -> tuple[int, ...]:
        """Elements of a named subgroup: ``"trivial"`` {e}, ``"rotations"`` C_N, ``"mirrors"``
        {e, M} (D_N only), ``"group"`` all of G."""
        if which == "trivial":
            return (0,)
        if which == "group":
            return tuple(self.elements())
        if which == "rotations":
            return tuple(range(self.N))
        if which == "mirrors" and self.mirrors:
            return (0, self.N)
        raise ValueError(
            f"{self.name} has no subgroup {which!r}; known: "
            f"{', '.join(s for s in SUBGROUPS if s != 'mirrors' or self.mirrors)}"
        )

    def cosets(self, which: str = "trivial") -> np.ndarray:
        """Left cosets g·H of the named subgroup H, as an index array ``(|G|/|H|, |H|)``.

        Row i is the coset with representative ``rows[i, 0]``; rows are ordered by their
        smallest element, each row sorted. Pooling a group
        axis over H keeps one entry per row; G acts on the rows by left multiplication.
        """
        sub = self.subgroup(which)
        rows, seen = [], set()
        for g in self.elements():
            if g in seen:
                continue
            row = sorted(self.compose(g, h) for h in sub)
            seen.update(row)
            rows.append(row)
        return np.array(rows, dtype=np.int64)

    def coset_permutation(self, g: int, which: str = "trivial") -> np.ndarray:
        """Permutation P of the pooled axis with ``[L_g f](i) = f(P[i])``: P[i] is the coset
        holding g⁻¹·(coset i)."""
        rows = self.cosets(which)
        where = {int(h): i for i, row in enumerate(rows) for h in row}
        ginv = self.inverse(g)
        return np.array([where[self.compose(ginv, int(row[0]))] for row in rows], dtype=np.int64)

    def quotient_for_size(self, size: int) -> str:
        """The subgroup whose cosets a pooled group axis of ``size`` entries holds."""
        distinct = {self.subgroup(s): s for s in reversed(self._subgroup_names())}
        matches = [s for s in distinct.values() if self._n_cosets(s) == size]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            sizes = sorted({self._n_cosets(s) for s in self._subgroup_names()}, reverse=True)
            raise ValueError(
                f"{self.name}: a group axis of size {size} is neither the group ({self.order}) "
                f"nor one of its quotients ({', '.join(map(str, sizes))})"
            )
        raise ValueError(
            f"{self.name}: a group axis of size {size} could hold the cosets of "
            f"{' or '.join(matches)}; say which (subgroup=...)"
        )

    def _subgroup_names(self) -> tuple[str, ...]:
        return tuple(s for s in SUBGROUPS if s != "mirrors" or self.mirrors)

    def _n_cosets(self, which: str) -> int:
        return self.order // len(self.subgroup(which))

    # ------------------------------------------- shorthands for the pixel-grid action
    def act_image(self, x: torch.Tensor, g: int) -> torch.Tensor:
        """``PixelGrid(self).act_image(x, g)``: flip the width if mirrored, then rot90."""
        from ._pixel import PixelGrid

        return PixelGrid(self).act_image(x, g)

    def act_features(self, x: torch.Tensor, g: int, subgroup: str | None = None) -> torch.Tensor:
        """``PixelGrid(self).act_features(x, g)`` on ``(B, C, n, H, W)``."""
        from ._pixel import PixelGrid

        return PixelGrid(self).act_features(x, g, subgroup)

    def _check(self, g: int) -> int:
        if isinstance(g, bool) or int(g) != g or not (0 <= int(g) < self.order):
            raise ValueError(f"{self.name} has elements 0..{self.order - 1}, got {g!r}")
        return int(g)

    def __repr__(self) -> str:
        return f"{'DihedralGroup' if self.mirrors else 'CyclicGroup'}({self.N})"

    def __str__(self) -> str:
        return self.name


def CyclicGroup(N: int) -> FiniteGroup:  # noqa: N802 (a constructor, named like the group)
    """C_N: the N rotations by multiples of 2π/N.

    >>> CyclicGroup(4) == C4, CyclicGroup(8).order
    (True, 8)
    """
    return FiniteGroup(N, mirrors=False)


def DihedralGroup(N: int) -> FiniteGroup:  # noqa: N802
    """D_N: the N rotations and N mirror lines, g = N·m + r.

    >>> DihedralGroup(4) == D4, DihedralGroup(16).order
    (True, 32)
    """
    return FiniteGroup(N, mirrors=True)


C4 = CyclicGroup(4)
D4 = DihedralGroup(4)

#: plane-group and point-group names that ``get`` knows without parsing
GROUPS: dict[str, FiniteGroup] = {"p4": C4, "p4m": D4}


@runtime_checkable
class Group(Protocol):
    """What every group object has (``FiniteGroup``, ``SO3``, ``ICO``, or a user's own): a
    ``name`` and an ``order`` (the number of elements; ``None`` for SO(3)). ``get`` returns one
    and passes one through.

    >>> isinstance(C4, Group), isinstance("p4", Group)
    (True, False)
    """

    @property
    def name(self) -> str: ...

    @property
    def order(self) -> int | None: ...


def get(name: str | Group) -> Group:
    """A group object from its name: ``"p4"`` → C4, ``"p4m"`` → D4, ``"c8"`` / ``"C8"`` →
    ``CyclicGroup(8)``, ``"d16"`` → ``DihedralGroup(16)``, ``"so3"`` / ``"SO(3)"`` → the
    rotation group of the sphere, ``"ico"`` → its 60 icosahedral rotations. Group objects
    pass through.

    >>> get("p4m").order, get("c3").name, get("so3").name
    (8, 'C3', 'SO(3)')
    """
    if not isinstance(name, str):
        if isinstance(name, Group):
            return name
        raise TypeError(f"expected a group name or group object, got {type(name).__name__}")
    key = name.strip().lower()
    if key in GROUPS:
        return GROUPS[key]
    if key.replace("(", "").replace(")", "") == "so3":
        from ._so3 import SO3

        return SO3
    if key in ("ico", "icosahedral"):
        from ._ico import ICO

        return ICO
    if len(key) > 1 and key[0] in "cd" and key[1:].isdigit() and int(key[1:]) >= 1:
        return FiniteGroup(int(key[1:]), mirrors=key[0] == "d")
    raise ValueError(
        f"unknown group {name!r}; known: p4 (C4), p4m (D4), cN / dN for any N >= 1 "
        "(e.g. c8, d16), so3, ico"
    )
