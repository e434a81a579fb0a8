# SPDX-License-Identifier: MIT
"""The SO(3) → SO(3) spectral product batched over runs of degrees (private; see ``_spectral``).

``Ĝ^l[m, k] = Σ_{c,n} F̂^l[m, n] ψ̃^l[k, n]`` for every degree l < L, real m ≥ 0 spectra in the
engine's dense layout ``(L, 2L−1, 2, B, C, L)`` ``[m, n + L − 1, re/im, b, c, l]``. Degrees are
cut into runs ``[l0, l1)`` (:func:`degree_buckets`); inside a run every block is zero-padded to
the largest, so a run is one complex ``bmm`` ``(n_l, l1·B, d·C) @ (n_l, d·C, O·d)`` (the
operand's columns are (o, k), output channel outer, which is the order the ring operand of
``_so3_ring`` can be written in without a transpose).

The product is one autograd function (:class:`_Product`): its backward writes the input's
gradient into one zero tensor and returns the operands' gradients run by run, where slicing
and slice assignment under autograd would zero-fill and clone a spectrum-sized tensor per run.
The bias (the degree-0 coefficient, D^0 = 1) is added inside it, for the same reason.
"""

from __future__ import annotations

from functools import lru_cache

import torch

__all__ = ["degree_buckets", "so3_size", "so3_product_operand", "so3_so3_product"]


def so3_size(b: int) -> int:
    """Number of SO(3) coefficients of degree < b: b(4b²−1)/3."""
    return b * (4 * b * b - 1) // 3


def degree_buckets(L: int, growth: float = 1.3) -> list[tuple[int, int]]:
    """Degrees 0..L−1 cut into runs ``[l0, l1)`` with ``l1 ≤ growth·(l0 + 1)`` (at least one
    degree each): within a run every block is zero-padded to the largest, so the padded work
    stays within about ``growth⁴`` of the exact per-degree work while each run is one bmm."""
    out, l0 = [], 0
    while l0 < L:
        l1 = min(L, max(l0 + 1, int(growth * (l0 + 1))))
        out.append((l0, l1))
        l0 = l1
    return out


@lru_cache(maxsize=32)
def _operand_index(L: int) -> torch.Tensor:
    """For every run of :func:`degree_buckets`, flattened ``[l, n, k]`` (padded to the run's
    block size), the position of ``ψ̃^l_{kn}`` in the packed spectrum, or its length (a zero).
    Built outside inference mode, so that autograd may save it whatever mode first asked."""
    with torch.inference_mode(False):
        S, parts = so3_size(L), []
        for l0, l1 in degree_buckets(L):
            d = 2 * l1 - 1
            idx = torch.full((l1 - l0, d, d), S, dtype=torch.long)
            for l in range(l0, l1):
                e, w = l1 - 1 - l, 2 * l + 1
                blk = so3_size(l) + torch.arange(w * w).view(w, w)  # [k + l, n + l]
                idx[l - l0, e : d - e, e : d - e] = blk.T  # [n, k]
            parts.append(idx.flatten())
        return torch.cat(parts)


def so3_product_operand(psi: torch.Tensor, L: int) -> list[torch.Tensor]:
    """The filter spectra of ``so3_so3_product`` as complex matrices, one per run of
    :func:`degree_buckets`: ``(n_l, d·C, O·d)`` ``[l, (n, c), (o, k)]`` holding ``ψ̃^l_{kn}``
    (d = 2l1 − 1, the run's padded block size; zero outside each degree's block), so that the
    product of a run is one ``bmm``. ``psi (C, O, L(4L²−1)/3)`` packed complex. One gather
    and one transpose per run (differentiable)."""
    C, O = psi.shape[0], psi.shape[1]
    src = torch.cat([psi, psi.new_zeros(C, O, 1)], dim=-1)
    flat = src[..., _operand_index(L).to(psi.device)]
    runs, at = [], 0
    for l0, l1 in degree_buckets(L):
        d, nl = 2 * l1 - 1, l1 - l0
        blk = flat[..., at : at + nl * d * d].view(C, O, nl, d, d)  # [c, o, l, n, k]
        runs.append(blk.permute(2, 3, 0, 1, 4).reshape(nl, d * C, O * d))
        at += nl * d * d
    return runs


def _run_block(S: torch.Tensor, L: int, l0: int, l1: int, x_first: bool = False) -> torch.Tensor:
    """The run's block of a real spectrum ``(L, 2L−1, 2, B, X, L)`` as complex
    ``(n_l, l1·B, d·X)`` ``[l, (m, b), (n, x)]``, or ``[l, (m, b), (x, n)]`` (a copy)."""
    d, e = 2 * l1 - 1, L - l1
    A = S[:l1, e : e + d, :, :, :, l0:l1]  # (m, n, s, b, x, l)
    A = torch.complex(A[:, :, 0], A[:, :, 1])  # (m, n, b, x, l)
    A = A.permute(4, 0, 2, 3, 1) if x_first else A.permute(4, 0, 2, 1, 3)
    return A.reshape(l1 - l0, l1 * A.shape[2], -1)


def _put_run(out: torch.Tensor, G: torch.Tensor, L: int, l0: int, l1: int, x_first=False) -> None:
    """Write a run's complex ``(n_l, l1·B, d·X)`` (or ``X·d``) into its block of a real
    spectrum."""
    d, e, nl = 2 * l1 - 1, L - l1, l1 - l0
    B, X = out.shape[3], out.shape[4]
    G = torch.view_as_real(G)
    if x_first:
        G = G.view(nl, l1, B, X, d, 2).permute(1, 4, 5, 2, 3, 0)
    else:
        G = G.view(nl, l1, B, d, X, 2).permute(1, 3, 5, 2, 4, 0)
    out[:l1, e : e + d, :, :, :, l0:l1] = G


def _mask_rows(G: torch.Tensor, l0: int, l1: int, B: int) -> torch.Tensor:
    """Zero rows m > l of a padded run ``(n_l, l1·B, ·)`` in place."""
    if l1 - l0 > 1:
        keep = torch.arange(l1, device=G.device) <= torch.arange(l0, l1, device=G.device)[:, None]
        G.mul_(keep.view(l1 - l0, l1, 1, 1).expand(-1, -1, B, 1).reshape(l1 - l0, l1 * B, 1))
    return G


class _Product(torch.autograd.Function):
    """``(Fh, bias, O, *runs)`` → ``Ĝ (L, 2L−1, 2, B, O, L)``; see the module docstring."""

    @staticmethod
    def forward(ctx, Fh, bias, O, *runs):  # noqa: ANN001, ANN205
        L, K, B = Fh.shape[-1], Fh.shape[1], Fh.shape[3]
        out = Fh.new_zeros(L, K, 2, B, O, L)
        for (l0, l1), P in zip(degree_buckets(L), runs, strict=True):
            G = _mask_rows(torch.bmm(_run_block(Fh, L, l0, l1), P), l0, l1, B)
            _put_run(out, G, L, l0, l1, x_first=True)
        if bias is not None:
            out[0, K // 2, 0, :, :, 0] += bias
        ctx.save_for_backward(Fh, *runs)
        return out

    @staticmethod
    def backward(ctx, gout):  # noqa: ANN001, ANN205
        Fh, *runs = ctx.saved_tensors
        L, K, B = Fh.shape[-1], Fh.shape[1], Fh.shape[3]
        need_f, need_b = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        need_p = ctx.needs_input_grad[3:]
        gF = Fh.new_zeros(Fh.shape) if need_f else None
        gruns = []
        for (l0, l1), P, np_ in zip(degree_buckets(L), runs, need_p, strict=True):
            gG = _mask_rows(_run_block(gout, L, l0, l1, x_first=True), l0, l1, B)
            if need_f:
                _put_run(gF, torch.bmm(gG, P.transpose(1, 2).conj()), L, l0, l1)
            A = _run_block(Fh, L, l0, l1) if np_ else None
            gruns.append(torch.bmm(A.transpose(1, 2).conj(), gG) if np_ else None)
        gb = gout[0, K // 2, 0, :, :, 0].sum(0) if need_b else None
        return gF, gb, None, *gruns


def so3_so3_product(
    Fh: torch.Tensor, psi: torch.Tensor | list[torch.Tensor], bias: torch.Tensor | None = None
) -> torch.Tensor:
    """``Ĝ^l[m,k] = Σ_{c,n} F̂^l[m,n] ψ̃^l[k,n]`` (+ ``bias`` at l = m = k = 0, real part), one
    complex bmm per run of degrees.

    ``Fh (L, 2L−1, 2, B, C, L)`` (m ≥ 0), ``psi (C, O, L(4L²−1)/3)`` packed complex (or its
    :func:`so3_product_operand`), ``bias (O,)`` → ``(L, 2L−1, 2, B, O, L)``. The operand is
    zero outside each degree's block and padded rows m > l are masked, so entries of F̂ outside
    the layout's valid set are ignored (as the per-degree product would) and get zero gradient.
    """
    L = Fh.shape[-1]
    runs = so3_product_operand(psi, L) if torch.is_tensor(psi) else list(psi)
    O = runs[0].shape[-1] // (2 * degree_buckets(L)[0][1] - 1)  # the first run has d = 1
    return _Product.apply(Fh, bias, O, *runs)
