# SPDX-License-Identifier: MIT
"""SOFT grids on S² and SO(3) for bandwidth b, and their β quadrature weights.

Grid (Kostelec & Rockmore 2008), j, k, l < 2b:
``β_j = π(2j+1)/(4b)``, ``α_k = γ_k = 2πk/(2b)``. S² point ``[j, k]`` is the unit vector
``Rz(α_k) Ry(β_j) e_z``; SO(3) point ``[j, k, l]`` is ``Rz(α_k) Ry(β_j) Rz(γ_l)``. Signals are
``(..., 2b, 2b)`` indexed ``[β, α]`` and ``(..., 2b, 2b, 2b)`` indexed ``[β, α, γ]``.

Quadrature: ``w_j = (2/b) sin β_j Σ_{k<b} sin((2j+1)(2k+1)π/(4b)) / (2k+1)``; they sum to 2
and integrate ``P_l(cos β) sin β`` exactly for l < 2b. Hence, exactly for band-limited
products, ``∫_{S²} f dx = Σ_{j,k} w_j (π/b) f[j,k]`` (area 4π) and
``∫ F dR = Σ_{j,k,l} w_j / (2 (2b)²) F[j,k,l]`` (normalised Haar measure, ∫1 = 1).

>>> float(quadrature_weights(4).sum())
2.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._so3 import euler_to_matrix

__all__ = [
    "SOFTGrid",
    "quadrature_weights",
    "s2_grid",
    "s2_grid_vectors",
    "so3_grid",
    "so3_grid_matrices",
]


def _check_b(b: int) -> int:
    if isinstance(b, bool) or not isinstance(b, int) or b < 1:
        raise ValueError(f"bandwidth b must be a positive int, got {b!r}")
    return b


def _betas(b: int, dtype: torch.dtype, device) -> torch.Tensor:
    j = torch.arange(2 * b, dtype=torch.float64)
    return (math.pi * (2 * j + 1) / (4 * b)).to(dtype=dtype, device=device)


def _alphas(b: int, dtype: torch.dtype, device) -> torch.Tensor:
    k = torch.arange(2 * b, dtype=torch.float64)
    return (2 * math.pi * k / (2 * b)).to(dtype=dtype, device=device)


def s2_grid(
    b: int, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """SOFT grid on S²: ``(beta (2b,), alpha (2b,))``; point ``[j, k] = (β_j, α_k)``."""
    _check_b(b)
    return _betas(b, dtype, device), _alphas(b, dtype, device)


def so3_grid(
    b: int, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """SOFT grid on SO(3): ``(beta, alpha, gamma)``, each ``(2b,)``; point ``[j, k, l]``."""
    _check_b(b)
    return _betas(b, dtype, device), _alphas(b, dtype, device), _alphas(b, dtype, device)


def quadrature_weights(
    b: int, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
) -> torch.Tensor:
    """β quadrature weights ``w_j`` (2b,), summing to 2 = ∫₀^π sin β dβ (see module doc)."""
    _check_b(b)
    j = torch.arange(2 * b, dtype=torch.float64)[:, None]
    k = torch.arange(b, dtype=torch.float64)[None, :]
    s = (torch.sin((2 * j + 1) * (2 * k + 1) * math.pi / (4 * b)) / (2 * k + 1)).sum(-1)
    w = (2.0 / b) * torch.sin(_betas(b, torch.float64, None)) * s
    return w.to(dtype=dtype, device=device)


def s2_grid_vectors(
    b: int, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
) -> torch.Tensor:
    """Unit vectors ``Rz(α_k) Ry(β_j) e_z`` of the S² grid, shape ``(2b, 2b, 3)``."""
    beta, alpha = s2_grid(b, torch.float64)
    bb, aa = torch.meshgrid(beta, alpha, indexing="ij")
    v = torch.stack([torch.sin(bb) * torch.cos(aa), torch.sin(bb) * torch.sin(aa), torch.cos(bb)])
    return v.movedim(0, -1).to(dtype=dtype, device=device)


def so3_grid_matrices(
    b: int, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
) -> torch.Tensor:
    """Rotations ``Rz(α_k) Ry(β_j) Rz(γ_l)`` of the SO(3) grid, ``(2b, 2b, 2b, 3, 3)``."""
    beta, alpha, gamma = so3_grid(b, torch.float64)
    bb, aa, gg = torch.meshgrid(beta, alpha, gamma, indexing="ij")
    return euler_to_matrix(aa, bb, gg).to(dtype=dtype, device=device)


@dataclass(frozen=True)
class SOFTGrid:
    """The SOFT grid of bandwidth ``b`` as a hashable value (usable as a cache/dict key).

    >>> SOFTGrid(8)
    SOFTGrid(b=8)
    >>> SOFTGrid(8).s2_shape, SOFTGrid(8).so3_shape
    ((16, 16), (16, 16, 16))
    """

    b: int

    def __post_init__(self) -> None:
        _check_b(self.b)

    @property
    def s2_shape(self) -> tuple[int, int]:
        return (2 * self.b, 2 * self.b)

    @property
    def so3_shape(self) -> tuple[int, int, int]:
        return (2 * self.b, 2 * self.b, 2 * self.b)

    @property
    def s2_spectrum_size(self) -> int:
        """Number of S² coefficients, Σ_{l<b} (2l+1) = b²."""
        return self.b**2

    @property
    def so3_spectrum_size(self) -> int:
        """Number of SO(3) coefficients, Σ_{l<b} (2l+1)² = b(4b²−1)/3."""
        return self.b * (4 * self.b**2 - 1) // 3

    def s2_grid(
        self, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """See :func:`s2_grid`: ``(beta, alpha)``, each ``(2b,)``."""
        return s2_grid(self.b, dtype, device)

    def so3_grid(
        self, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """See :func:`so3_grid`: ``(beta, alpha, gamma)``, each ``(2b,)``."""
        return so3_grid(self.b, dtype, device)

    def quadrature_weights(
        self, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """See :func:`quadrature_weights`: ``w_j`` ``(2b,)``, summing to 2."""
        return quadrature_weights(self.b, dtype, device)
