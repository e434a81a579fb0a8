# SPDX-License-Identifier: MIT
"""Spectral tables and per-degree products of the spherical layers (private).

Conventions (DESIGN.md / gconv.groups): ``D^l_{mn}(α, β, γ) = e^{−imα} d^l_{mn}(β) e^{−inγ}``,
``Y_lm(x) = √((2l+1)/4π) conj(D^l_{m0}(α, β, 0))`` for ``x = Rz(α) Ry(β) e_z``. Spectra are
packed: S² index ``l² + l + m``; SO(3) block of degree l at ``l(4l²−1)/3``, row-major in
``[m+l, n+l]``. Filters are weighted Dirac combs on a grid (s2cnn's "direct sum"):

- S² → SO(3): ``ψ = Σ_i w_i δ_{x_i}`` ⇒ ``[ψ ⋆ f](R) = ∫ ψ(R⁻¹x) f(x) dx = Σ_i w_i f(R x_i)``;
  for real f, ``Ĝ^l_{mk} = conj(f̂_{lm}) ψ̂_{lk} / (2l+1)`` with ``ψ̂_{lk} = Σ_i w_i conj(Y_lk(x_i))``
  (from ``Y_lm(Rx) = Σ_k conj(D^l_mk(R)) Y_lk(x)`` and ``f = conj(f)``).
- SO(3) → SO(3): ``[ψ ⋆ F](R) = Σ_i w_i F(R Q_i)``; ``Ĝ^l_{mk} = Σ_n F̂^l_{mn} ψ̃^l_{kn}`` with
  ``ψ̃^l_{kn} = Σ_i w_i D^l_{kn}(Q_i)``.
- SO(3) → S²: ``[ψ ⋆ F](x) = ∫ ψ(Q⁻¹x) F(Q) dQ`` with ``ψ = 4π Σ_i w_i δ_{y_i}`` on S², i.e. the
  mean over all Q with ``Q y_i = x``; for real F, ``ĝ_lm = conj(Σ_n F̂^l_mn φ_ln)``,
  ``φ_ln = 4π Σ_i w_i Y_ln(y_i)`` (average over γ keeps D^l_{m0}(Q_x) D^l_{0n}(Q_{y_i}⁻¹)).

Here spectra are the dense m ≥ 0 layouts of ``gconv.spherical.engine``; filter spectra keep
all k, n. The SO(3) product and its operand live in ``_so3_product``, the ring filters of
``SO3Conv`` in ``_so3_ring`` (re-exported here).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..groups import wigner_D_packed
from ._so3_product import degree_buckets, so3_product_operand, so3_size, so3_so3_product
from ._so3_ring import so3_ring_d_runs, so3_ring_operand, so3_ring_plan, so3_ring_spectrum

__all__ = [
    "so3_size",
    "s2_filter_table",
    "s2_ring_filter_table",
    "so3_filter_table",
    "so3_ring_plan",
    "so3_ring_spectrum",
    "so3_ring_d_runs",
    "so3_ring_operand",
    "so3_to_s2_filter_table",
    "so3_sum_to_s2_filter_table",
    "filter_spectrum",
    "s2_so3_product",
    "so3_so3_product",
    "so3_product_operand",
    "degree_buckets",
    "so3_s2_product",
]


def _as_real(table: torch.Tensor) -> torch.Tensor:
    """Complex table stored as a real ``(..., 2)`` tensor (so ``.double()``/``.float()`` cast it)."""
    return torch.view_as_real(table.to(torch.complex128)).contiguous()


def _D_blocks(grid: np.ndarray, L: int, gamma: bool) -> list[torch.Tensor]:
    """``D^l(α_i, β_i, γ_i)`` (γ = 0 unless ``gamma``) for l < L, one recursion over l:
    blocks ``(G, 2l+1, 2l+1)`` ``[i, m+l, n+l]``."""
    g = torch.as_tensor(grid, dtype=torch.float64)
    beta, alpha = g[:, 0], g[:, 1]
    gam = g[:, 2] if gamma else torch.zeros_like(beta)
    packed = wigner_D_packed(L, alpha, beta, gam)
    return [
        packed[:, so3_size(l) : so3_size(l + 1)].view(len(grid), 2 * l + 1, 2 * l + 1)
        for l in range(L)
    ]


def _dense_column(grid: np.ndarray, L: int, fn) -> torch.Tensor:
    """``fn(l, D^l_{k0}(points))`` placed in a dense ``(G, 2L−1, L)`` ``[k+L−1, l]`` table."""
    out = torch.zeros(len(grid), 2 * L - 1, L, dtype=torch.complex128)
    for l, D in enumerate(_D_blocks(grid, L, False)):
        out[:, L - 1 - l : L + l, l] = fn(l, D[:, :, l])
    return out


def s2_filter_table(grid: np.ndarray, L: int) -> torch.Tensor:
    """``conj(Y_lk(x_i)) / (2l+1) = D^l_{k0}(α_i, β_i, 0) / √(4π(2l+1))``: real ``(G, (2L−1)L, 2)``."""
    t = _dense_column(grid, L, lambda l, D: D / math.sqrt(4 * math.pi * (2 * l + 1)))
    return _as_real(t.reshape(len(grid), -1))


def s2_ring_filter_table(grid: np.ndarray, L: int, ring: torch.Tensor, R: int) -> torch.Tensor:
    """``e^{−ikα_i}`` in the column of point i's ring, k = 0..L−1: real ``(G, R·L, 2)``, so that
    ``filter_spectrum`` gives the filter's DFT along each ring ``ŵ[c, o, (r, k)]``
    (``gconv.spherical.engine.s2_ring_synthesis``)."""
    alpha = torch.as_tensor(grid[:, 1], dtype=torch.float64)
    k = torch.arange(L, dtype=torch.float64)
    t = torch.zeros(len(grid), R, L, dtype=torch.complex128)
    t[torch.arange(len(grid)), ring] = torch.exp(-1j * alpha[:, None] * k)
    return _as_real(t.reshape(len(grid), R * L))


def so3_filter_table(grid: np.ndarray, L: int) -> torch.Tensor:
    """``D^l_{kn}(Q_i)`` for l < L, packed (public SO(3) layout): real ``(G, L(4L²−1)/3, 2)``."""
    cols = [D.reshape(len(grid), -1) for D in _D_blocks(grid, L, True)]
    return _as_real(torch.cat(cols, dim=1))


def so3_to_s2_filter_table(grid: np.ndarray, L: int) -> torch.Tensor:
    """``4π Y_ln(y_i) = √(4π(2l+1)) conj(D^l_{n0}(α_i, β_i, 0))``: real ``(G, (2L−1)L, 2)``."""
    t = _dense_column(grid, L, lambda l, D: D.conj() * math.sqrt(4 * math.pi * (2 * l + 1)))
    return _as_real(t.reshape(len(grid), -1))


def so3_sum_to_s2_filter_table(grid: np.ndarray, L: int) -> torch.Tensor:
    """Gerken's SO(3) kernel summed over its output index, as an S² filter of the same product.

    ``φ_ln = ½ √(4π(2l+1)) [χ_ln + (−1)^n conj(χ_{l,−n})]`` with ``χ_ln = Σ_k D^l_{kn}(Q_i)``
    (the real part of the S² synthesis of ``Σ_k Ĝ^l_{mk}``, see ``SO3SumToS2Conv``): real
    ``(G, (2L−1)L, 2)`` ``[i, (n + L − 1, l), re/im]``.
    """
    out = torch.zeros(len(grid), 2 * L - 1, L, dtype=torch.complex128)
    for l, D in enumerate(_D_blocks(grid, L, True)):
        chi = D.sum(dim=1)  # (G, 2l+1) [n + l]
        sign = (-1.0) ** torch.arange(-l, l + 1, dtype=torch.float64)
        phi = 0.5 * math.sqrt(4 * math.pi * (2 * l + 1)) * (chi + sign * chi.flip(1).conj())
        out[:, L - 1 - l : L + l, l] = phi
    return _as_real(out.reshape(len(grid), -1))


def filter_spectrum(weight: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """``Σ_i w[c, o, i] T[i, :]``: complex ``(C_in, C_out, N)`` from real ``(C_in, C_out, G)``."""
    t = table.to(weight.dtype)
    return torch.complex(weight @ t[..., 0], weight @ t[..., 1])


def _real_pair(z: torch.Tensor, signs: tuple[int, int, int, int], parts: str) -> torch.Tensor:
    """A complex factor as a real ``(2, 2, …)`` matrix acting on [re, im]: ``out_r = Σ_s in_s M[s, r]``."""
    p = {"r": z.real, "i": z.imag}
    return torch.stack(
        [
            torch.stack([signs[0] * p[parts[0]], signs[1] * p[parts[1]]]),
            torch.stack([signs[2] * p[parts[2]], signs[3] * p[parts[3]]]),
        ]
    )


def s2_so3_product(fh: torch.Tensor, psi: torch.Tensor) -> torch.Tensor:
    """``Ĝ[m,k,·,b,o,l] = Σ_c conj(f̂[m,·,b,c,l]) ψ̂[c,o,k,l]``.

    ``fh (L, 2, B, C, L)`` (m ≥ 0, re/im), ``psi (C, O, 2L−1, L)`` complex → ``(L, 2L−1, 2, B, O, L)``.
    conj(f)ψ: re = f_r ψ_r + f_i ψ_i, im = f_r ψ_i − f_i ψ_r.
    """
    P = _real_pair(psi, (1, 1, 1, -1), "riir")
    return torch.einsum("msbcl,srcokl->mkrbol", fh, P)


def so3_s2_product(Fh: torch.Tensor, phi: torch.Tensor) -> torch.Tensor:
    """``ĝ[m,·,b,o,l] = conj(Σ_{c,n} F̂[m,n,·,b,c,l] φ[c,o,n,l])``.

    ``Fh (L, 2L−1, 2, B, C, L)``, ``phi (C, O, 2L−1, L)`` complex → ``(L, 2, B, O, L)``;
    One complex bmm over degrees, ``(l, (m, b), (n, c)) @ (l, (n, c), o)``.
    """
    L, B = Fh.shape[0], Fh.shape[3]
    A = torch.complex(Fh[:, :, 0], Fh[:, :, 1]).permute(4, 0, 2, 1, 3)  # (l, m, b, n, c)
    P = phi.permute(3, 2, 0, 1).reshape(Fh.shape[-1], -1, phi.shape[1])  # (l, (n, c), o)
    G = torch.bmm(A.reshape(A.shape[0], L * B, -1), P).conj()  # (l, (m, b), o)
    return (
        torch.view_as_real(G.resolve_conj()).view(-1, L, B, P.shape[-1], 2).permute(1, 4, 2, 3, 0)
    )
