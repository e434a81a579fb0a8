# SPDX-License-Identifier: MIT
"""SO(3) filters on β-rings: the product operand of ``SO3Conv`` from the weights' azimuthal
spectra (private; see ``_spectral``).

For ``ψ = Σ_i w_i δ_{Q_i}``, ``Q_i = Rz(α_i) Ry(β_i) Rz(γ_i)`` and ``D^l_{kn}(Q) = e^{−ikα}
d^l_{kn}(β) e^{−inγ}``, the filter spectrum is ``ψ̃^l_{kn} = Σ_r d^l_{kn}(β_r) ŵ_r[k, n]`` with
``ŵ_r[k, n] = Σ_{i ∈ ring r} w_i e^{−ikα_i − inγ_i}`` (R rings of equal β). Grouping the points
by their α value as well (A distinct values ``α_a``),

    ŵ_r[k, n] = Σ_a e^{−ikα_a} v[a, n, r],   v[a, n, r] = Σ_{i: r_i = r, α_i = α_a} w_i e^{−inγ_i},

so the weights meet a table of ``A·K·R`` columns (K = 2L − 1) instead of ``R·K²``, and ``ŵ``
costs ``A·R`` multiply-adds per (k, n) instead of ``G`` (the near-identity grids: A·R = 24
against G = 192). Used where ``A·R < G`` ("factored"); otherwise ``ŵ`` comes straight from an
``R·K²``-column table ("direct"). Either way ``ŵ`` is laid out ``[n, r, c, o, k]`` per run of
degrees (``degree_buckets``), and the ring sum ``Σ_r d^l_{kn}(β_r) ŵ_r[k, n]`` is R broadcast
multiply-adds written straight into the product's ``(n_l, d·C, O·d)`` ``[l, (n, c), (o, k)]``
matrices (``_RingSum``).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..groups import wigner_d_iter
from ._so3_product import degree_buckets

__all__ = ["so3_ring_plan", "so3_ring_d_runs", "so3_ring_spectrum", "so3_ring_operand"]


def _alpha_groups(alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of α mod 2π (within 1e−9) and each point's index among them."""
    a = np.mod(alpha, 2 * math.pi)
    a[a > 2 * math.pi - 1e-9] = 0.0
    key = np.round(a * 1e9).astype(np.int64)
    _, first, index = np.unique(key, return_index=True, return_inverse=True)
    return a[first], index.reshape(-1)


def so3_ring_plan(grid: np.ndarray, L: int, ring: torch.Tensor, R: int) -> dict[str, torch.Tensor]:
    """Float64 tables of the ring filter for the points ``grid (G, 3)`` ``[β, α, γ]`` with ring
    index ``ring (G,)``: ``table (G, X, 2)`` (re/im) such that ``Σ_i w_i table[i]`` is ``v``
    ``[a, n, r]`` (factored, X = A·K·R) or ``ŵ`` ``[n, r, k]`` (direct, X = K·R·K), and, when
    factored, ``alpha (K, A, 2)`` = e^{−ikα_a}."""
    G = len(grid)
    g = torch.as_tensor(grid, dtype=torch.float64)
    f = torch.arange(-(L - 1), L, dtype=torch.float64)
    K, pts = 2 * L - 1, torch.arange(G)
    alphas, aidx = _alpha_groups(np.asarray(grid)[:, 1])
    A = len(alphas)
    if A * R < G:
        t = torch.zeros(G, A, K, R, dtype=torch.complex128)
        t[pts, torch.as_tensor(aidx), :, ring] = torch.exp(-1j * g[:, 2, None] * f)
        E = torch.exp(-1j * f[:, None] * torch.as_tensor(alphas)[None, :])  # (K, A)
        return {
            "table": torch.view_as_real(t.reshape(G, -1)).contiguous(),
            "alpha": torch.view_as_real(E).contiguous(),
        }
    e = torch.exp(-1j * g[:, 2, None] * f)[:, :, None] * torch.exp(-1j * g[:, 1, None] * f)[:, None]
    t = torch.zeros(G, K, R, K, dtype=torch.complex128)  # [i, n, r, k]
    t[pts, :, ring, :] = e
    return {"table": torch.view_as_real(t.reshape(G, -1)).contiguous()}


def so3_ring_d_runs(rings: torch.Tensor, L: int) -> list[torch.Tensor]:
    """Per run of :func:`degree_buckets`, ``d^l_{kn}(β_r)`` as ``(R, n_l, d, d, 2)``
    ``[r, l, n, k, ·]`` (d = 2l1 − 1, centred; zero where |k| or |n| > l), the last axis
    repeating the value so that it multiplies a complex number stored as (re, im)."""
    ds = list(wigner_d_iter(rings.to(torch.float64), L - 1))  # (R, 2l+1, 2l+1) [k+l, n+l]
    runs = []
    for l0, l1 in degree_buckets(L):
        d = 2 * l1 - 1
        t = torch.zeros(len(rings), l1 - l0, d, d, dtype=torch.float64)
        for l in range(l0, l1):
            e = l1 - 1 - l
            t[:, l - l0, e : d - e, e : d - e] = ds[l].transpose(1, 2)  # [r, n, k]
        runs.append(t[..., None].expand(-1, -1, -1, -1, 2).contiguous())
    return runs


def so3_ring_spectrum(weight: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """``Σ_i w[c, o, i] table[i, x]`` as complex ``(X, C, O)`` (x outermost, as the operand
    wants it): one real matmul per part against the transposed table."""
    C, O, G = weight.shape
    t = table.to(weight.dtype)
    wT = weight.reshape(C * O, G).T
    out = torch.complex(t[..., 0].T @ wT, t[..., 1].T @ wT)
    return out.view(-1, C, O)


class _RingSum(torch.autograd.Function):
    """``P[l, n, c, o, k] = Σ_r D[r, l, n, k] W[n, r, c, o, k]`` (complex W and P stored as
    real ``(…, 2)``; D constant): R broadcast multiply-adds straight into P's layout (a
    ``bmm`` over the (k, n) pairs would need a transposing copy of P). Backward: ``gW[n, r]
    = Σ_l D[r, l] gP[l]``, one multiply-add per (r, l) into gW, no P-sized temporary."""

    @staticmethod
    def forward(ctx, W, D):  # noqa: ANN001, ANN205
        d, R, C, O = W.shape[0], W.shape[1], W.shape[2], W.shape[3]
        nl = D.shape[1]
        out = W.new_empty(nl, d, C, O, d, 2)
        for r in range(R):
            Dr = D[r].view(nl, d, 1, 1, d, 2)
            if r == 0:
                torch.mul(Dr, W[:, r], out=out)
            else:
                out.addcmul_(Dr, W[:, r])
        ctx.save_for_backward(D)
        return out

    @staticmethod
    def backward(ctx, g):  # noqa: ANN001, ANN205
        (D,) = ctx.saved_tensors
        R, nl, d = D.shape[0], D.shape[1], D.shape[2]
        gW = g.new_empty(R, d, *g.shape[2:])  # [r, n, …]: each out= contiguous
        for r in range(R):
            for l in range(nl):
                Dv = D[r, l].view(d, 1, 1, d, 2)
                if l == 0:
                    torch.mul(Dv, g[0], out=gW[r])
                else:
                    gW[r].addcmul_(Dv, g[l])
        return gW.transpose(0, 1), None


def so3_ring_operand(
    spec: torch.Tensor, d_runs: list[torch.Tensor], L: int, alpha: torch.Tensor | None = None
) -> list[torch.Tensor]:
    """``SO3Conv``'s product operand (``so3_product_operand``'s layout, per run ``(n_l, d·C,
    O·d)`` ``[l, (n, c), (o, k)]``) from :func:`so3_ring_spectrum`'s ``spec`` and the ring
    tables: ``spec`` is ``v`` ``(A·K·R, C, O)`` ``[(a, n, r), c, o]`` with ``alpha (K, A, 2)``
    given, else ``ŵ`` ``(K·R·K, C, O)`` ``[(n, r, k), c, o]``. Per run: ``ŵ`` as ``[n, r, c, o,
    k]`` (one matmul against e^{−ikα_a}, or a slice), then :class:`_RingSum`."""
    K, R = 2 * L - 1, d_runs[0].shape[0]
    C, O = spec.shape[1], spec.shape[2]
    if alpha is not None:
        E = torch.view_as_complex(alpha.to(spec.real.dtype))  # (K, A)
        v = spec.view(E.shape[1], K, R, C, O).permute(1, 2, 3, 4, 0).contiguous()
    else:
        w = spec.view(K, R, K, C, O).permute(0, 1, 3, 4, 2)  # [n, r, c, o, k]
    runs = []
    for (l0, l1), D in zip(degree_buckets(L), d_runs, strict=True):
        d, e, nl = 2 * l1 - 1, L - l1, l1 - l0
        if alpha is not None:  # ŵ[n, r, c, o, k] = Σ_a v[n, r, c, o, a] e^{−ikα_a}
            W = v[e : e + d].reshape(-1, E.shape[1]) @ E[e : e + d].T
        else:
            W = w[e : e + d, :, :, :, e : e + d].contiguous()
        W = torch.view_as_real(W).view(d, R, C, O, d, 2)
        P = torch.view_as_complex(_RingSum.apply(W, D.to(W.dtype)))
        runs.append(P.view(nl, d * C, O * d))
    return runs
