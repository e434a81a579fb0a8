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


@lru_cache(maxsize=16)
def _tables(b: int, L: int, rings: tuple[float, ...]) -> dict[str, torch.Tensor]:
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
    }


def s2_ring_tables(b: int, L: int, rings: torch.Tensor) -> dict[str, torch.Tensor]:
    """Fresh float64 tables for output bandwidth b, degrees l < L and ring angles ``rings``:
    ``ring (R, 2L, L)`` a_r, ``syn_b (2L·L, L, 2b)`` β stage, ``alpha (4b, 4L)`` α stage with the
    fold, ``gamma (2b, L, 2)`` cos/sin(kγ)."""
    key = tuple(float(v) for v in rings.to(torch.float64))
    return {k: v.clone() for k, v in _tables(b, L, key).items()}


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


def s2_ring_synthesis(
    fh: torch.Tensor,
    w_hat: torch.Tensor,
    bias: torch.Tensor,
    T: dict[str, torch.Tensor],
    batch: int,
) -> torch.Tensor:
    """The correlation's output from the input spectra and the filter's ring spectra.

    ``fh (L, 2, B·C, L)`` (``s2_analysis`` of the input, signals in (b, c) order), ``w_hat``
    complex ``(C, O, R, L)`` ``[c, o, r, k ≥ 0]``, ``bias (O,)``, T from :func:`s2_ring_tables`
    → real ``(B, O, 2b, 2b, 2b)`` stored ``[α, γ, O, B, β]`` (module docstring).
    """
    M, _, BC, L = fh.shape
    C, O, R = w_hat.shape[0], w_hat.shape[1], w_hat.shape[2]
    B, b2 = batch, T["syn_b"].shape[-1]
    n = C * R
    # H[k'', m, s, (c, r, b), l] = conj(f̂)[m, s, (b, c), l] a_r[k'', l]
    fc = fh.view(M, 2, B, C, L) * torch.tensor([1.0, -1.0], dtype=fh.dtype, device=fh.device).view(
        1, 2, 1, 1, 1
    )
    H = (
        fc.permute(0, 1, 3, 2, 4)[None, :, :, :, None]
        * T["ring"].permute(1, 0, 2)[:, None, None, None, :, None, :]
    )  # (k'', m, s, c, r, b, l)
    X = torch.bmm(H.reshape(2 * L * M, 2 * n * B, L), T["syn_b"])  # (k'', m, s, n, b, β)
    A = T["alpha"]
    Yf = torch.bmm(A.expand(L, *A.shape), X.view(L, 4 * M, n * B * b2))  # (k, α, t, n, b, β)
    Yf = Yf.view(L, b2, 2 * n * B * b2).transpose(0, 1).contiguous()  # (α, k, t, n, b, β)
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
