# SPDX-License-Identifier: MIT
"""The icosahedral correlation as one matrix product over the 7 hexagon taps (used by
``IcoConv`` / ``IcoLift`` where it is faster than the 3×3 ``F.conv2d``: strided and coarse
layers, and the lift).

From the padded input ``p`` stored channels-last ``(5B, n+2, 2n+2, C·G)`` (``IcoPad``), the
7 taps of every output point are stacked, ``cols (5B·n'·2n', 7·C·G)`` (tap t of point (i, j)
is p at (s·i + a_t, s·j + b_t), ``HEX_TAPS[t] = (a_t, b_t)``), and ``out = cols · W_hexᵀ + b``
with ``W_hex (6·C_out, 7·C·G)`` the filter bank turned in 60° steps (``hex_weight_index``).
The 3×3 bank's two stencil corners are zero, so this is the same sum as the convolution
without its zero terms (22 % fewer multiply-adds), in a layout a plain GEMM runs fast.
Backward: ``∂W = gᵀ · cols``, ``∂b = Σ g``, ``∂p`` = the 7 tap gradients ``g · W_hex`` added
back at their shifted places."""

from __future__ import annotations

import numpy as np
import torch

from .._precision import autocasting
from .._util import cached_tensors
from ._ico_index import HEX_TAPS, hex_expansion_index

__all__ = ["hex_weight_index", "hex_correlation"]


@cached_tensors(4)
def hex_weight_index(in_order: int) -> torch.Tensor:
    """Index ``(6, 7, in_order)`` into a weight ``(in_order, 7)`` flattened: entry [θ, t, ψ]
    is the weight tap that output orientation θ applies at hexagon tap t to input
    orientation ψ (``hex_expansion_index`` at the 7 stencil places of ``HEX_TAPS``)."""
    full = hex_expansion_index(in_order).numpy().reshape(6, in_order, 9)
    places = [3 * a + b for a, b in HEX_TAPS]
    return torch.from_numpy(np.ascontiguousarray(full[:, :, places].transpose(0, 2, 1)))


def hex_bank(weight: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``W_hex (6·C_out, 7·C_in·G)`` from a weight ``(C_out, C_in, G, 7)``: row 6c' + θ,
    column (t·C_in + c)·G + ψ (``index = hex_weight_index(G)`` on the weight's device)."""
    o, c, g, _ = weight.shape
    bank = weight.reshape(o * c, g * 7).index_select(1, index.reshape(-1))
    return bank.view(o, c, 6, 7, g).permute(0, 2, 3, 1, 4).reshape(6 * o, 7 * c * g)


def _tap(pl: torch.Tensor, t: int, stride: int, no: int) -> torch.Tensor:
    """Tap t's view ``(5B, n', 2n', C·G)`` of a channels-last padded input."""
    a, b = HEX_TAPS[t]
    return pl[:, a : a + stride * no : stride, b : b + 2 * stride * no : stride]


def _taps(pl: torch.Tensor, stride: int, no: int) -> list[torch.Tensor]:
    """The 7 tap views of a channels-last padded input."""
    return [_tap(pl, t, stride, no) for t in range(len(HEX_TAPS))]


def _columns(p: torch.Tensor, stride: int, no: int) -> torch.Tensor:
    """The 7 taps of the padded input ``(5B, C·G, h, w)`` side by side: ``(5B·n'·2n', 7·C·G)``."""
    bb, cg = p.shape[:2]
    taps = _taps(p.permute(0, 2, 3, 1), stride, no)
    return torch.stack(taps, 3).view(bb * no * 2 * no, 7 * cg)


class _HexCorrelationFn(torch.autograd.Function):
    """``out = cols(p) · w_hexᵀ + bias``; backward by hand (the tap gradients summed into the
    padded grid). Under ``create_graph`` the columns are rebuilt from p, so the backward is
    differentiable again."""

    @staticmethod
    def forward(ctx, p, w_hex, bias, stride):
        bb, cg, h, w = p.shape
        no = (h - 2) // stride
        cols = _columns(p, stride, no)
        # the output tensor itself stored channels-last (not a view: callers zero entries in place)
        co = w_hex.shape[0]
        out = torch.empty(
            (bb, co, no, 2 * no), dtype=cols.dtype, device=cols.device,
            memory_format=torch.channels_last,
        )  # fmt: skip
        rows = out.permute(0, 2, 3, 1).view(-1, co)
        if bias is None:
            torch.mm(cols, w_hex.t(), out=rows)
        else:
            torch.addmm(bias, cols, w_hex.t(), out=rows)
        ctx.save_for_backward(cols, w_hex, p)  # p: for a create_graph backward only
        ctx.geom, ctx.has_bias = (bb, cg, h, w, stride, no), bias is not None
        return out

    @staticmethod
    def backward(ctx, grad):
        cols, w_hex, p = ctx.saved_tensors
        bb, cg, h, w, stride, no = ctx.geom
        if torch.is_grad_enabled():  # create_graph: columns that reach p's graph
            cols = _columns(p, stride, no)
        g = grad.permute(0, 2, 3, 1).reshape(cols.shape[0], -1)
        gp = gw = gb = None
        if ctx.needs_input_grad[1]:
            gw = torch.mm(g.t(), cols)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = g.sum(0)
        if ctx.needs_input_grad[0]:
            gc = torch.mm(g, w_hex).view(bb, no, 2 * no, 7, cg)
            gpl = torch.zeros(bb, h, w, cg, dtype=grad.dtype, device=grad.device)
            for t in range(len(HEX_TAPS)):  # each view taken after the last add (autograd)
                _tap(gpl, t, stride, no).add_(gc[:, :, :, t])
            gp = gpl.permute(0, 3, 1, 2)
        return gp, gw, gb, None


def hex_correlation(
    p: torch.Tensor, w_hex: torch.Tensor, bias: torch.Tensor | None, stride: int
) -> torch.Tensor:
    """``F.conv2d(p, bank, bias, stride)`` of a padded input ``(5B, C·G, n+2, 2n+2)`` (best
    stored channels-last) by the 7-tap product; returns ``(5B, 6·C_out, n', 2n')`` stored
    channels-last. ``w_hex = hex_bank(weight, hex_weight_index(G))``, bias per output row.

    >>> from gconv.nn import IcoConv
    >>> conv = IcoConv(2, 3, r=2).double()
    >>> p = conv.pad(torch.randn(4, 2, 6, 5, 4, 8, dtype=torch.float64))
    >>> bank, b = conv.expanded_weight()
    >>> w = hex_bank(conv.weight, hex_weight_index(6))
    >>> want = torch.nn.functional.conv2d(p, bank, b)
    >>> bool((hex_correlation(p, w, b, 1) - want).abs().max() < 1e-12)
    True

    Under ``torch.autocast`` the product runs in autocast's dtype (bfloat16 / float16), as
    ``F.conv2d`` would: the inputs are cast to it and the output has it (float64 inputs, which
    autocast leaves alone, stay float64).
    """
    if autocasting(p.device.type) and p.dtype != torch.float64:
        low = torch.get_autocast_dtype(p.device.type)
        p, w_hex = p.to(low), w_hex.to(low)
        bias = None if bias is None else bias.to(low)
    return _HexCorrelationFn.apply(p, w_hex, bias, stride)
