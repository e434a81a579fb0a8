# SPDX-License-Identifier: MIT
"""Spectral tables and per-degree products of the spherical layers (private).

Conventions (DESIGN.md / gconv.groups): ``D^l_{mn}(α, β, γ) = e^{−imα} d^l_{mn}(β) e^{−inγ}``,
``Y_lm(x) = √((2l+1)/4π) conj(D^l_{m0}(α, β, 0))`` for ``x = Rz(α) Ry(β) e_z``. Spectra are
packed: S² index ``l² + l + m``; SO(3) block of degree l at ``l(4l²−1)/3``, row-major in
``[m+l, n+l]``. Filters are weighted Dirac combs on a grid (s2cnn's "direct sum"):

- S² → SO(3): ``ψ = Σ_i w_i δ_{x_i}`` ⇒ ``[ψ ⋆ f](R) = ∫ ψ(R⁻¹x) f(x) dx = Σ_i w_i f(R x_i)``;
  for real f, ``Ĝ^l_{mk} = conj(f̂_{lm}) ψ̂_{lk} / (2l+1)`` with ``ψ̂_{lk} = Σ_i w_i conj(Y_lk(x_i))``.
- SO(3) → SO(3): ``[ψ ⋆ F](R) = Σ_i w_i F(R Q_i)``; ``Ĝ^l_{mk} = Σ_n F̂^l_{mn} ψ̃^l_{kn}`` with
  ``ψ̃^l_{kn} = Σ_i w_i D^l_{kn}(Q_i)``.
- SO(3) → S²: ``[ψ ⋆ F](x) = ∫ ψ(Q⁻¹x) F(Q) dQ`` with ``ψ = 4π Σ_i w_i δ_{y_i}`` on S², i.e. the
  mean over all Q with ``Q y_i = x``; ``ĝ_{l,m} = (−1)^m Σ_n F̂^l_{−m,n} φ_{ln}``,
  ``φ_{ln} = 4π Σ_i w_i Y_ln(y_i)``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..groups import wigner_D

__all__ = [
    "s2_size",
    "so3_size",
    "s2_filter_table",
    "so3_filter_table",
    "so3_to_s2_filter_table",
    "s2_so3_product",
    "so3_so3_product",
    "so3_s2_product",
]


def s2_size(b: int) -> int:
    """Number of S² coefficients of degree < b: b²."""
    return b * b


def so3_size(b: int) -> int:
    """Number of SO(3) coefficients of degree < b: b(4b²−1)/3."""
    return b * (4 * b * b - 1) // 3


def _as_real(table: torch.Tensor) -> torch.Tensor:
    """Complex table stored as a real ``(..., 2)`` tensor (so ``.double()``/``.float()`` cast it)."""
    return torch.view_as_real(table.to(torch.complex128)).contiguous()


def _D_points(l: int, grid: np.ndarray, gamma: bool) -> torch.Tensor:
    g = torch.as_tensor(grid, dtype=torch.float64)
    beta, alpha = g[:, 0], g[:, 1]
    gam = g[:, 2] if gamma else torch.zeros_like(beta)
    return wigner_D(l, alpha, beta, gam)  # (G, 2l+1, 2l+1)


def s2_filter_table(grid: np.ndarray, L: int) -> torch.Tensor:
    """``conj(Y_lk(x_i)) / (2l+1) = D^l_{k0}(α_i, β_i, 0) / √(4π(2l+1))``: real ``(G, L², 2)``."""
    cols = [
        _D_points(l, grid, False)[:, :, l] / math.sqrt(4 * math.pi * (2 * l + 1)) for l in range(L)
    ]
    return _as_real(torch.cat(cols, dim=1))


def so3_filter_table(grid: np.ndarray, L: int) -> torch.Tensor:
    """``D^l_{kn}(Q_i)`` for l < L, packed: real ``(G, L(4L²−1)/3, 2)``."""
    cols = [_D_points(l, grid, True).reshape(len(grid), -1) for l in range(L)]
    return _as_real(torch.cat(cols, dim=1))


def so3_to_s2_filter_table(grid: np.ndarray, L: int) -> torch.Tensor:
    """``4π Y_ln(y_i) = √(4π(2l+1)) conj(D^l_{n0}(α_i, β_i, 0))``: real ``(G, L², 2)``."""
    cols = [
        _D_points(l, grid, False)[:, :, l].conj() * math.sqrt(4 * math.pi * (2 * l + 1))
        for l in range(L)
    ]
    return _as_real(torch.cat(cols, dim=1))


def filter_spectrum(weight: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """``Σ_i w[c, o, i] T[i, :]``: complex ``(C_in, C_out, N)`` from real weights ``(C_in, C_out, G)``."""
    t = table.to(weight.dtype)
    re = weight @ t[..., 0]
    im = weight @ t[..., 1]
    return torch.complex(re, im)


def s2_so3_product(fh: torch.Tensor, psi: torch.Tensor, L: int) -> torch.Tensor:
    """``Ĝ^l[b,o,m,k] = Σ_c conj(f̂[b,c,lm]) ψ̂[c,o,lk]``: ``(B,C,L²) × (C,O,L²) → (B,O,L(4L²−1)/3)``."""
    out = []
    for l in range(L):
        f = fh[..., l * l : (l + 1) * (l + 1)].conj()
        p = psi[..., l * l : (l + 1) * (l + 1)]
        g = torch.einsum("bcm,cok->bomk", f, p)
        out.append(g.reshape(g.shape[0], g.shape[1], -1))
    return torch.cat(out, dim=-1)


def so3_so3_product(Fh: torch.Tensor, psi: torch.Tensor, L: int) -> torch.Tensor:
    """``Ĝ^l[b,o,m,k] = Σ_{c,n} F̂^l[b,c,m,n] ψ̃^l[c,o,k,n]``: packed ``(B,C,N) × (C,O,N) → (B,O,N)``."""
    out = []
    B, C = Fh.shape[:2]
    O = psi.shape[1]
    for l in range(L):
        d, off = 2 * l + 1, so3_size(l)
        F = Fh[..., off : off + d * d].reshape(B, C, d, d)
        P = psi[..., off : off + d * d].reshape(C, O, d, d)
        g = torch.einsum("bcmn,cokn->bomk", F, P)
        out.append(g.reshape(B, O, d * d))
    return torch.cat(out, dim=-1)


def so3_s2_product(Fh: torch.Tensor, phi: torch.Tensor, L: int) -> torch.Tensor:
    """``ĝ[b,o,lm] = (−1)^m Σ_{c,n} F̂^l[b,c,−m,n] φ[c,o,ln]``: ``(B,C,N) × (C,O,L²) → (B,O,L²)``."""
    out = []
    B, C = Fh.shape[:2]
    for l in range(L):
        d, off = 2 * l + 1, so3_size(l)
        F = Fh[..., off : off + d * d].reshape(B, C, d, d)
        p = phi[..., l * l : (l + 1) * (l + 1)]
        h = torch.einsum("bcmn,con->bom", F, p).flip(-1)
        sign = torch.ones(d, dtype=h.real.dtype, device=h.device)
        sign[1::2] = -1.0  # (−1)^m with m = −l..l: odd offset from −l flips
        if l % 2 == 1:
            sign = -sign
        out.append(h * sign)
    return torch.cat(out, dim=-1)
