# SPDX-License-Identifier: MIT
"""S² → SO(3) correlation with a filter on β-rings: synthesis at the cost of the input's
channels, not the output's (private; public through ``gconv.spherical.engine``).

A filter ``ψ = Σ_i w_i δ_{x_i}`` on points ``x_i = Rz(α_i) Ry(β_i) e_z`` that lie on R rings of
equal β has the spectrum ``ψ̂_lk = Σ_r a_r[k, l] ŵ_rk`` with ``a_r[k, l] = d^l_{k0}(β_r) /
√(4π(2l+1))`` (fixed) and ``ŵ_rk = Σ_{i ∈ ring r} w_i e^{−ikα_i}`` (the filter's DFT along each
ring; ``ŵ_{r,−k} = conj(ŵ_rk)`` for real w). The correlation ``G^o(R) = Σ_i w^{co}_i f^c(R x_i)``
(``gconv.nn.S2Conv``) has ``Ĝ^l_mk = Σ_c conj(f̂^c_lm) ψ̂^{co}_lk``, so

    G^o(α, β, γ) = Re Σ_{k≥0} e^{−ikγ} Σ_{c,r} ŵ^{co}_rk Yf^{cr}_k(α, β),
    Yf_k = Y_k + conj(Y_{−k}) (k > 0), Yf_0 = Y_0,
    Y^{cr}_k(α, β) = Σ_{m≥0} e^{−imα} Σ_l c_m (2l+1) d^l_mk(β) conj(f̂^c_lm) a_r[k, l].

The β and α stages run over the C·R (input channel, ring) signals per sample, the output
channels enter only in the last (γ) stage. Where C·R < C_out this costs several times less
than synthesising every output channel's spectrum (s2cnn's deep net: C·R = 1 against 8).

Last stage, two forms (same result): *fused*, one matmul per α with the matrix
``Re(e^{−ikγ} ŵ_k ·)`` ``((γ, o), (k, re/im, c, r))``; or *mixed first*, ``Z_k = Σ ŵ_k Yf_k`` per
(α, k), then ``Re Σ_k e^{−ikγ} Z_k`` per α. The fused form does C·R times the γ-stage FLOPs but
keeps no output-sized temporary; it is taken when ``(C·R − 1)·b ≤ 15``.

Output: ``(B, O, 2b, 2b, 2b)`` ``[β, α, γ]`` stored ``[α, γ, O, B, β]`` (grid-major, channel
before batch: see ``so3_analysis_channels``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

from .._precision import full_precision
from ..groups import wigner_d_iter

__all__ = ["s2_ring_tables", "s2_ring_synthesis", "ring_layout"]

_FUSE_MAX = 15


def ring_layout(betas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distinct β values of a filter grid (sorted) and each point's ring index."""
    rings, index = torch.unique(betas.to(torch.float64), sorted=True, return_inverse=True)
    return rings, index


def _korder(L: int) -> torch.Tensor:
    """The 2L signed orders of the β stage: k = 0, (dummy), 1, −1, 2, −2, …; the dummy (a zero
    block) makes (k, −k) adjacent pairs, so the α stage and the fold are one matmul per k ≥ 0."""
    ks = torch.arange(L).repeat_interleave(2) * torch.tensor([1, -1]).repeat(L)
    return ks  # ks[1] = −0 is the dummy


def _shifts(b: int, rings: tuple[float, ...], points: tuple) -> dict[str, torch.Tensor]:
    """Per filter point, its γ-shift α_i·b/π (an integer, or no entry) and its ring."""
    if not points:
        return {}
    p = torch.tensor(points, dtype=torch.float64)
    s = p[:, 1] * b / math.pi
    if (s - s.round()).abs().max() > 1e-9:
        return {}
    ring = torch.tensor([rings.index(float(v)) for v in p[:, 0]], dtype=torch.float64)
    return {"shift": s.round() % (2 * b), "ring_of": ring}


@lru_cache(maxsize=16)
def _tables(
    b: int, L: int, rings: tuple[float, ...], points: tuple = ()
) -> dict[str, torch.Tensor]:
    f64 = torch.float64
    R, M, K2, b2 = len(rings), L, 2 * L, 2 * b
    ks = _korder(L)
    valid_k = torch.ones(K2, dtype=torch.bool)
    valid_k[1] = False
    # a_r[k'', l] = d^l_{k0}(β_r) / √(4π(2l+1)), zero where |k| > l and for the dummy
    ring = torch.zeros(R, K2, L, dtype=f64)
    beta_j = math.pi * (2 * torch.arange(b2, dtype=f64) + 1) / (4 * b)
    syn = torch.zeros(K2, M, L, b2, dtype=f64)  # c_m (2l+1) d^l_{mk}(β_j)
    c = torch.where(torch.arange(M) == 0, 1.0, 2.0).to(f64)
    rb = torch.tensor(rings, dtype=f64)
    for l, (dr, dj) in enumerate(
        zip(wigner_d_iter(rb, L - 1), wigner_d_iter(beta_j, L - 1), strict=True)
    ):
        for i in range(K2):
            k = int(ks[i])
            if not valid_k[i] or abs(k) > l:
                continue
            ring[:, i, l] = dr[:, k + l, l] / math.sqrt(4 * math.pi * (2 * l + 1))
            syn[i, : l + 1, l, :] = (c[: l + 1, None] * (2 * l + 1)) * dj[:, l:, k + l].T
    alpha = math.pi / b * torch.arange(b2, dtype=f64)
    mm = torch.arange(M, dtype=f64)
    co, si = torch.cos(alpha[:, None] * mm), torch.sin(alpha[:, None] * mm)  # (α, m)
    # rows (α, t), columns (p, m, s): p = 0 e^{−imα} X_k, p = 1 e^{+imα} conj(X_{−k})
    A = torch.stack(
        [
            torch.stack([torch.stack([co, si], -1), torch.stack([co, si], -1)], 1),  # t = re
            torch.stack([torch.stack([-si, co], -1), torch.stack([si, -co], -1)], 1),  # t = im
        ],
        1,
    )  # (α, t, p, m, s)
    kk = torch.arange(L, dtype=f64)
    return {
        "ring": ring,
        "syn_b": syn.reshape(K2 * M, L, b2),
        "alpha": A.reshape(2 * b2, 4 * M),
        "gamma": torch.stack([torch.cos(alpha[:, None] * kk), torch.sin(alpha[:, None] * kk)], -1),
        **_shifts(b, rings, points),
    }


def s2_ring_tables(
    b: int, L: int, rings: torch.Tensor, points: torch.Tensor | None = None
) -> dict[str, torch.Tensor]:
    """Fresh float64 tables for output bandwidth b, degrees l < L and ring angles ``rings``:
    ``ring (R, 2L, L)`` a_r, ``syn_b (2L·L, L, 2b)`` β stage, ``alpha (4b, 4L)`` α stage with the
    fold, ``gamma (2b, L, 2)`` cos/sin(kγ). Given the filter points ``(G, 2)`` ``[β, α]`` and
    every α a multiple of the γ step π/b, also ``shift (G,)`` (α_i b/π) and ``ring_of (G,)``:
    then :func:`s2_ring_synthesis` can take the weights themselves (γ-shifts, no DFT)."""
    key = tuple(float(v) for v in rings.to(torch.float64))
    pts = () if points is None else tuple(tuple(float(v) for v in p) for p in points)
    return {k: v.clone() for k, v in _tables(b, L, key, pts).items()}


def _strided_out(lead: tuple[int, int], b2: int, like: torch.Tensor) -> torch.Tensor:
    """A fresh ``(B, O, 2b, 2b, 2b)`` base tensor stored ``[α, γ, O, B, β]``."""
    B, O = lead
    stride = (b2, B * b2, 1, b2 * O * B * b2, O * B * b2)
    return torch.empty_strided((B, O, b2, b2, b2), stride, dtype=like.dtype, device=like.device)


class _GridGemm(torch.autograd.Function):
    """``out[α] = W @ Y[α] + bias`` written into a fresh ``[α, γ, O, B, β]`` base tensor, where
    per α the product's rows and columns cover (γ, O, B, β) in that order. Keeps only Y (when
    W needs a gradient) and W for backward; no output-sized temporary in either pass."""

    @staticmethod
    def forward(ctx, Y, W, bias, lead, b2):  # noqa: ANN001, ANN205
        out = _strided_out(lead, b2, Y)
        ov = out.permute(3, 4, 1, 0, 2).view(b2, W.shape[0], -1)
        torch.bmm(W.expand(b2, *W.shape), Y, out=ov)
        ov.view(b2, b2, lead[1], -1).add_(bias.view(1, 1, -1, 1))
        ctx.save_for_backward(Y if ctx.needs_input_grad[1] else None, W)
        ctx.b2, ctx.O = b2, lead[1]
        return out

    @staticmethod
    def backward(ctx, grad):  # noqa: ANN001, ANN205
        Y, W = ctx.saved_tensors
        b2 = ctx.b2
        g = grad.permute(3, 4, 1, 0, 2).reshape(b2, W.shape[0], -1)
        gY = torch.bmm(W.T.expand(b2, *W.T.shape), g) if ctx.needs_input_grad[0] else None
        gW = torch.bmm(g, Y.transpose(1, 2)).sum(0) if ctx.needs_input_grad[1] else None
        gb = g.view(b2, b2, ctx.O, -1).sum((0, 1, 3)) if ctx.needs_input_grad[2] else None
        return gY, gW, gb, None, None


def _ring_yf(fh: torch.Tensor, T: dict[str, torch.Tensor], B: int, C: int) -> torch.Tensor:
    """The β and α stages with the fold: ``Yf (2b, L, 2, C·R·B·2b)`` ``[α, k, re/im, c, r, b, β]``."""
    M, _, _, L = fh.shape
    R, b2 = T["ring"].shape[0], T["syn_b"].shape[-1]
    n = C * R
    # H[k'', m, s, (c, r, b), l] = conj(f̂)[m, s, (b, c), l] a_r[k'', l]
    sign = torch.tensor([1.0, -1.0], dtype=fh.dtype, device=fh.device).view(1, 2, 1, 1, 1)
    fc = fh.view(M, 2, B, C, L) * sign
    H = (
        fc.permute(0, 1, 3, 2, 4)[None, :, :, :, None]
        * T["ring"].permute(1, 0, 2)[:, None, None, None, :, None, :]
    )  # (k'', m, s, c, r, b, l)
    X = torch.bmm(H.reshape(2 * L * M, 2 * n * B, L), T["syn_b"])  # (k'', m, s, n, b, β)
    A = T["alpha"]
    Yf = torch.bmm(A.expand(L, *A.shape), X.view(L, 4 * M, n * B * b2))  # (k, α, t, n, b, β)
    return Yf.view(L, b2, 2 * n * B * b2).transpose(0, 1).contiguous()  # (α, k, t, n, b, β)


@full_precision
def s2_ring_synthesis(
    fh: torch.Tensor,
    w_hat: torch.Tensor | None,
    bias: torch.Tensor,
    T: dict[str, torch.Tensor],
    batch: int,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """The correlation's output from the input spectra and the filter's ring spectra.

    ``fh (L, 2, B·C, L)`` (``s2_analysis`` of the input, signals in (b, c) order), ``w_hat``
    complex ``(C, O, R, L)`` ``[c, o, r, k ≥ 0]``, ``bias (O,)``, T from :func:`s2_ring_tables`
    → real ``(B, O, 2b, 2b, 2b)`` stored ``[α, γ, O, B, β]`` (module docstring). Where T holds
    ``shift`` and the weights ``(C, O, G)`` are given, ``w_hat`` is not used:
    ``G^o(γ) = Σ_{c,i} w^{co}_i u^{c r_i}(γ + α_i)`` with ``u = Re Σ_k e^{−ikγ} Yf_k``, each α_i
    a whole number of γ steps (:func:`_shift_mix`).
    """
    L, B, b2 = fh.shape[-1], batch, T["syn_b"].shape[-1]
    R = T["ring"].shape[0]
    if weight is not None and "shift" in T:
        C, O = weight.shape[0], weight.shape[1]
        Yf = _ring_yf(fh, T, B, C)
        Wg = T["gamma"].reshape(b2, 2 * L)
        u = torch.bmm(Wg.expand(b2, *Wg.shape), Yf.view(b2, 2 * L, -1))  # (α, γ, n, b, β)
        return _shift_mix(u, weight, bias, T, B, b2)
    if w_hat is None:
        raise ValueError("s2_ring_synthesis: w_hat is needed without the shift table and weight")
    C, O = w_hat.shape[0], w_hat.shape[1]
    n = C * R
    Yf = _ring_yf(fh, T, B, C)
    wt = w_hat.transpose(1, 2).reshape(n, O, L)  # [(c, r), o, k]
    wr, wi = wt.real, wt.imag
    cg, sg = T["gamma"][..., 0], T["gamma"][..., 1]  # (γ, k)
    if (n - 1) * (b2 // 2) <= _FUSE_MAX:
        # fused: W[(γ, o), (k, s, n)] = Re(e^{−ikγ} ŵ ·): q = e^{−ikγ} ŵ, [q_re, −q_im]
        qr = torch.einsum("gk,nok->gokn", cg, wr) + torch.einsum("gk,nok->gokn", sg, wi)
        qi = torch.einsum("gk,nok->gokn", cg, wi) - torch.einsum("gk,nok->gokn", sg, wr)
        W = torch.stack([qr, -qi], 3).reshape(b2 * O, L * 2 * n)
        return _GridGemm.apply(Yf.view(b2, L * 2 * n, B * b2), W, bias, (B, O), b2)
    # mixed first: Z[α, k, t, o, b, β] = Σ_{s,n} P[k, t, o, s, n] Yf[α, k, s, n, b, β]
    P = torch.stack([torch.stack([wr, -wi]), torch.stack([wi, wr])])  # (t, s, n, o, k)
    P = P.permute(4, 0, 3, 1, 2).reshape(L, 2 * O, 2 * n)
    P = P.expand(b2, *P.shape).reshape(b2 * L, 2 * O, 2 * n)
    Z = torch.bmm(P, Yf.view(b2 * L, 2 * n, B * b2))
    Wg = T["gamma"].reshape(b2, 2 * L)  # [γ, (k, cos|sin)]: Re(e^{−ikγ} Z) = cos Z_re + sin Z_im
    return _GridGemm.apply(Z.view(b2, 2 * L, O * B * b2), Wg, bias, (B, O), b2)


def _shift_mix(u, weight, bias, T, B, b2):  # noqa: ANN001, ANN202
    """``out[α, γ, o] = Σ_{c,i} w[c, o, i] u[α, γ + s_i, (c, r_i)] + bias[o]``."""
    C, O, G = weight.shape
    R = T["ring"].shape[0]
    s, r = T["shift"].long(), T["ring_of"].long()
    g = torch.arange(b2, device=u.device)
    c = torch.arange(C, device=u.device)
    idx = ((g[:, None, None] + s) % b2) * (C * R) + (c[:, None] * R + r)  # (γ, c, i)
    W = weight.permute(1, 0, 2).reshape(O, C * G)
    return _ShiftMix.apply(u.view(b2, b2 * C * R, B * b2), W, bias, idx.flatten(), (B, O), b2)


class _ShiftMix(torch.autograd.Function):
    """:func:`_shift_mix` one α at a time (gathered rows stay small), into a fresh
    ``[α, γ, O, B, β]`` base tensor; backward scatters back per α."""

    @staticmethod
    def forward(ctx, u, W, bias, idx, lead, b2):  # noqa: ANN001, ANN205
        out = _strided_out(lead, b2, u)
        ov = out.permute(3, 4, 1, 0, 2).view(b2, b2, W.shape[0], -1)  # [α, γ, o, (b, β)]
        We = W.expand(b2, *W.shape)
        for a in range(b2):
            us = u[a].index_select(0, idx).view(b2, W.shape[1], -1)
            torch.bmm(We, us, out=ov[a])
        ov.add_(bias.view(1, 1, -1, 1))
        ctx.save_for_backward(u, W, idx)
        ctx.b2 = b2
        return out

    @staticmethod
    def backward(ctx, grad):  # noqa: ANN001, ANN205
        u, W, idx = ctx.saved_tensors
        b2 = ctx.b2
        g = grad.permute(3, 4, 1, 0, 2).reshape(b2, b2, W.shape[0], -1)
        gu = torch.zeros_like(u) if ctx.needs_input_grad[0] else None
        gW = torch.zeros_like(W) if ctx.needs_input_grad[1] else None
        WT = W.T.expand(b2, *W.T.shape)
        for a in range(b2):
            if gW is not None:
                us = u[a].index_select(0, idx).view(b2, W.shape[1], -1)
                gW += torch.bmm(g[a], us.transpose(1, 2)).sum(0)
            if gu is not None:
                gu[a].index_add_(0, idx, torch.bmm(WT, g[a]).view(idx.shape[0], -1))
        gb = g.sum((0, 1, 3)) if ctx.needs_input_grad[2] else None
        return gu, gW, gb, None, None, None
