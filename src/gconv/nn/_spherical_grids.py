# SPDX-License-Identifier: MIT
"""Filter grids for the spherical layers: where the learned filter values sit.

Same semantics as s2cnn's grids (so parameter counts match): an S² grid is a tuple of
``(β, α)`` pairs, the point ``Rz(α) Ry(β) e_z``; an SO(3) grid is a tuple of ``(β, α, γ)``
triples, the rotation ``Rz(α) Ry(β) Rz(γ)``. The tuple order follows the signal layout
``[β, α, γ]`` of DESIGN.md, not the Euler-angle order.

>>> len(s2_near_identity_grid()), len(so3_near_identity_grid()), len(so3_near_identity_grid(n_gamma=3))
(24, 192, 72)
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "s2_near_identity_grid",
    "s2_equatorial_grid",
    "so3_near_identity_grid",
    "so3_equatorial_grid",
    "check_s2_grid",
    "check_so3_grid",
]

S2Grid = tuple[tuple[float, float], ...]
SO3Grid = tuple[tuple[float, float, float], ...]


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def s2_near_identity_grid(
    max_beta: float = math.pi / 8, n_alpha: int = 8, n_beta: int = 3
) -> S2Grid:
    """Rings around the north pole: β = max_beta·i/n_beta (i = 1..n_beta) × n_alpha azimuths.

    ``n_alpha · n_beta`` points ``(β, α)``; α = 2πk/n_alpha.
    """
    _positive("n_alpha", n_alpha), _positive("n_beta", n_beta)
    beta = np.arange(1, n_beta + 1, dtype=np.float64) * max_beta / n_beta
    alpha = np.linspace(0, 2 * np.pi, n_alpha, endpoint=False)
    B, A = np.meshgrid(beta, alpha, indexing="ij")
    return tuple((float(b), float(a)) for b, a in zip(B.ravel(), A.ravel(), strict=True))


def s2_equatorial_grid(max_beta: float = 0.0, n_alpha: int = 32, n_beta: int = 1) -> S2Grid:
    """Rings around the equator: β in [π/2 − max_beta, π/2 + max_beta] (n_beta values, ends
    included) × n_alpha azimuths α = 2πk/n_alpha."""
    _positive("n_alpha", n_alpha), _positive("n_beta", n_beta)
    beta = np.linspace(np.pi / 2 - max_beta, np.pi / 2 + max_beta, n_beta, endpoint=True)
    alpha = np.linspace(0, 2 * np.pi, n_alpha, endpoint=False)
    B, A = np.meshgrid(beta, alpha, indexing="ij")
    return tuple((float(b), float(a)) for b, a in zip(B.ravel(), A.ravel(), strict=True))


def so3_near_identity_grid(
    max_beta: float = math.pi / 8,
    max_gamma: float = 2 * math.pi,
    n_alpha: int = 8,
    n_beta: int = 3,
    n_gamma: int | None = None,
) -> SO3Grid:
    """Rotations near the identity: β = max_beta·i/n_beta, α = 2πk/n_alpha, and
    γ = γ' − α with γ' in [−max_gamma, max_gamma] (n_gamma values, ends included;
    default n_gamma = n_alpha). A point's distance from the identity depends on its β and γ'
    (the points sharing both are equidistant), not on β alone. With max_gamma = 2π the ends
    γ' = ±2π are one angle: the default grid (β 3 × α 8 × γ' 8, as s2cnn's) has 192 points but
    168 different rotations (24 of them twice), and with n_gamma = 3, γ' ∈ {−2π, 0, 2π} are one
    angle, so that grid (s2cnn's 72-point one) holds each of its 24 rotations three times. The
    repeats keep the parameter counts of s2cnn's layers.
    """
    n_gamma = n_alpha if n_gamma is None else n_gamma
    _positive("n_alpha", n_alpha), _positive("n_beta", n_beta), _positive("n_gamma", n_gamma)
    beta = np.arange(1, n_beta + 1, dtype=np.float64) * max_beta / n_beta
    alpha = np.linspace(0, 2 * np.pi, n_alpha, endpoint=False)
    pre_gamma = np.linspace(-max_gamma, max_gamma, n_gamma, endpoint=True)
    B, A, P = np.meshgrid(beta, alpha, pre_gamma, indexing="ij")
    C = P - A
    return tuple(
        (float(b), float(a), float(c))
        for b, a, c in zip(B.ravel(), A.ravel(), C.ravel(), strict=True)
    )


def so3_equatorial_grid(
    max_beta: float = 0.0,
    max_gamma: float = math.pi / 8,
    n_alpha: int = 32,
    n_beta: int = 1,
    n_gamma: int = 2,
) -> SO3Grid:
    """Rotations around the equator: β in [π/2 ± max_beta] (n_beta values), α = 2πk/n_alpha,
    γ in [−max_gamma, max_gamma] (n_gamma values, ends included)."""
    _positive("n_alpha", n_alpha), _positive("n_beta", n_beta), _positive("n_gamma", n_gamma)
    beta = np.linspace(np.pi / 2 - max_beta, np.pi / 2 + max_beta, n_beta, endpoint=True)
    alpha = np.linspace(0, 2 * np.pi, n_alpha, endpoint=False)
    gamma = np.linspace(-max_gamma, max_gamma, n_gamma, endpoint=True)
    B, A, C = np.meshgrid(beta, alpha, gamma, indexing="ij")
    return tuple(
        (float(b), float(a), float(c))
        for b, a, c in zip(B.ravel(), A.ravel(), C.ravel(), strict=True)
    )


def _check_grid(layer: str, grid, width: int, what: str) -> np.ndarray:
    try:
        arr = np.asarray(grid, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"{layer}: grid must be a sequence of {what} tuples, got {grid!r}"
        ) from err
    if arr.ndim != 2 or arr.shape[1] != width or arr.shape[0] == 0:
        raise ValueError(
            f"{layer}: grid must be a non-empty sequence of {what} tuples (shape (n, {width})), "
            f"got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{layer}: grid angles must be finite")
    return arr


def check_s2_grid(layer: str, grid) -> np.ndarray:
    """The grid as a float64 ``(n, 2)`` array of ``(β, α)``, or a ValueError."""
    return _check_grid(layer, grid, 2, "(beta, alpha)")


def check_so3_grid(layer: str, grid) -> np.ndarray:
    """The grid as a float64 ``(n, 3)`` array of ``(β, α, γ)``, or a ValueError."""
    return _check_grid(layer, grid, 3, "(beta, alpha, gamma)")
