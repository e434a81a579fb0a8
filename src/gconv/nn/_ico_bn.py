# SPDX-License-Identifier: MIT
"""Training-mode batch norm of icosahedral regular features ``(B, C, 6, 5, n, 2n)`` as one
autograd Function (``IcoBatchNorm`` uses it): the statistics skip the 10 chart-held corners,
the output is zero there. The statistics are those of the plain composition it replaced
(two passes in the input dtype: the mean, then the mean square of x − mean; never
E[x²] − E[x]²), with fewer passes over the tensor (the squares summed as squared norms, the
affine map as one inference-mode ``F.batch_norm`` of x − mean; equal to rounding) and a
hand-written backward. Under ``create_graph=True`` the backward differentiates the plain
composition instead (:func:`ico_batch_norm_reference`), so second derivatives (gradient
penalties, Hessian-vector products) are those of the composition.

Chart-major features (``is_chart_major``: how ``IcoConv``/``IcoLift`` return them, the
convolution's channels-last output not copied back) are read in place as rows of 6C values:
column sums as matrix-vector products, the affine map as one multiply-add per row, the output
chart-major too (``_Layout``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .icosahedral import _from_storage, _storage, is_chart_major, zero_corners_

__all__ = ["ico_batch_norm_reference", "ico_batch_norm_train"]


class _Layout:
    """The features' entries as a tensor whose statistics are per-channel sums: ``(B, C, L)``
    (L = 6·5·n·2n, sums over dims 0 and 2) for contiguous features; ``(P, 6C)`` (P = B·5·n·2n,
    column 6c + θ; column sums by a matrix-vector product, then over θ) for chart-major ones
    (``is_chart_major``: the convolutions' output), so that neither is copied and every pass
    runs over contiguous rows."""

    def __init__(self, x: torch.Tensor, n: int, any_layout: bool = True) -> None:
        self.cm = any_layout and is_chart_major(x)
        self.shape, self.n = x.shape, n

    def flat(self, t: torch.Tensor) -> torch.Tensor:
        """``t`` (the features' shape, any layout) in this layout (copied only if stored
        otherwise)."""
        b, c = self.shape[:2]
        return _storage(t).reshape(-1, 6 * c) if self.cm else t.reshape(b, c, -1)

    def corners(self, t: torch.Tensor) -> torch.Tensor:
        """The entries of the 10 corners of a flat tensor, in the same layout (a small copy)."""
        b, c, n = self.shape[0], self.shape[1], self.n
        if self.cm:
            return t.view(b, 5, n, 2 * n, 6 * c)[:, :, 0, ::n].reshape(-1, 6 * c)
        return t.view(b, c, 6, 5, n, 2 * n)[..., 0, ::n].reshape(b, c, -1)

    def unflat(self, t: torch.Tensor) -> torch.Tensor:
        """A flat tensor back to ``(B, C, 6, 5, n, 2n)`` (a view)."""
        return _from_storage(t, self.shape) if self.cm else t.view(self.shape)

    def per_channel(self, v: torch.Tensor) -> torch.Tensor:
        """A per-channel vector ``(C,)`` shaped to broadcast against a flat tensor."""
        return v.repeat_interleave(6) if self.cm else v.view(1, -1, 1)

    def channel_sum(self, t: torch.Tensor, tk: torch.Tensor | None = None) -> torch.Tensor:
        """Σ over a flat tensor's entries per channel, less the corners' terms ``tk``."""
        if not self.cm:
            return t.sum(2).sum(0) - (0 if tk is None else tk.sum(2).sum(0))
        cols = torch.mv(t.t(), t.new_ones(t.shape[0]))
        cols = cols if tk is None else cols - tk.sum(0)
        return cols.view(-1, 6).sum(1)

    def square_sum(self, t: torch.Tensor) -> torch.Tensor:
        """Σ t² per channel over a flat tensor's entries (corners included)."""
        if self.cm:  # squares, then column sums: torch's norm over dim 0 is a slow loop
            cols = torch.mv(torch.mul(t, t).t(), t.new_ones(t.shape[0]))
            return cols.view(-1, 6).sum(1)
        return torch.linalg.vector_norm(t, dim=2).square().sum(0)


def ico_batch_norm_reference(
    x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None, eps: float, n: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The same batch norm as plain autograd ops (what the Function replaced; slower, any order
    of derivatives): returns ``(y, mean, var)`` like :func:`ico_batch_norm_train`."""
    lay = _Layout(x, n, any_layout=False)
    count, mean, centred, dk = _centre(x, lay)
    var = lay.channel_sum(centred * centred, dk * dk) / count
    scale = torch.rsqrt(var + eps)
    scale = scale if weight is None else scale * weight
    y = centred * scale.view(1, -1, 1)
    y = (y if bias is None else y + bias.view(1, -1, 1)).view(x.shape).clone()
    return zero_corners_(y), mean, var


def _centre(x: torch.Tensor, lay: _Layout) -> tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The kept entries' count per channel, their mean μ, ``x − μ`` flat and the corners less
    μ (first pass: the mean; second: the centring)."""
    x3 = lay.flat(x)
    xk = lay.corners(x3)
    count = (x3.numel() - xk.numel()) // x.shape[1]
    mean = lay.channel_sum(x3, xk) / count
    m = lay.per_channel(mean)
    return count, mean, x3 - m, xk - m


class _IcoBatchNormFn(torch.autograd.Function):
    """y = (x − μ)·w/√(σ² + ε) + b per channel (μ, σ² over the kept entries), corners zero.

    Backward, without ``create_graph`` (N kept entries per channel, x̂ = (x − μ)/√(σ² + ε),
    sums over kept entries):
    ∂b = Σ g, ∂w = Σ g·x̂, ∂x = w/√(σ² + ε) · (g − Σ g / N − x̂ · Σ g·x̂ / N), zero at the
    corners (they enter neither the statistics nor the output). With ``create_graph``: the
    derivatives of :func:`ico_batch_norm_reference`, recomputed from the saved input."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps, n):
        lay = _Layout(x, n)
        count, mean, centred, dk = _centre(x, lay)
        # Σ (x − μ)² per channel from squared norms of x − μ (one read)
        var = (lay.square_sum(centred) - lay.channel_sum(dk * dk)) / count
        invstd = torch.rsqrt(var + eps)
        # (x − μ)·w/√(σ² + ε) + b in one pass: inference batch norm of x − μ about mean 0
        if lay.cm:
            k = invstd if weight is None else invstd * weight
            y = centred * lay.per_channel(k)
            y = y if bias is None else y.add_(lay.per_channel(bias))
        else:
            y = F.batch_norm(centred, torch.zeros_like(mean), var, weight, bias, False, 0.0, eps)
        y = zero_corners_(lay.unflat(y))
        # x, not x − μ (the same size), so that a create_graph backward can reach x's graph
        ctx.save_for_backward(x, mean, invstd, weight, bias)
        ctx.count, ctx.lay, ctx.eps = count, lay, eps
        ctx.mark_non_differentiable(mean, var)
        return y, mean, var

    @staticmethod
    def backward(ctx, grad, _gmean, _gvar):
        x, mean, invstd, weight, bias = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: differentiate the composition
            return _graph_backward(ctx, grad, x, weight, bias)
        lay, count = ctx.lay, ctx.count
        centred = lay.flat(x) - lay.per_channel(mean)
        g = lay.flat(grad)
        gk, ck = lay.corners(g), lay.corners(centred)
        buf = torch.mul(g, centred)
        sum_g = lay.channel_sum(g, gk)
        sum_gc = lay.channel_sum(buf, gk * ck)
        k1 = invstd if weight is None else invstd * weight
        k2 = -k1 * invstd * invstd * sum_gc / count
        k3 = -k1 * sum_g / count
        torch.mul(g, lay.per_channel(k1), out=buf)
        buf.addcmul_(centred, lay.per_channel(k2))
        buf.add_(lay.per_channel(k3))
        gx = zero_corners_(lay.unflat(buf)) if ctx.needs_input_grad[0] else None
        gw = None if weight is None or not ctx.needs_input_grad[1] else sum_gc * invstd
        gb = sum_g if bias is not None and ctx.needs_input_grad[2] else None
        return gx, gw, gb, None, None


def _graph_backward(ctx, grad, x, weight, bias):  # noqa: ANN001, ANN202
    """Backward with a graph: the gradients of :func:`ico_batch_norm_reference` at the saved
    inputs, differentiable again (``create_graph``)."""
    needs = ctx.needs_input_grad[:3]
    wanted = [t for t, need in zip((x, weight, bias), needs, strict=True) if need]
    with torch.enable_grad():
        y = ico_batch_norm_reference(x, weight, bias, ctx.eps, ctx.lay.n)[0]
    got = iter(torch.autograd.grad(y, wanted, grad, create_graph=True))
    return (*(next(got) if need else None for need in needs), None, None)


def ico_batch_norm_train(
    x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None, eps: float, n: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Training-mode batch norm of ``(B, C, 6, 5, n, 2n)``: the normalised output (corners
    zero) and the batch mean and biased variance per channel over the kept entries (no grad).

    >>> x = torch.randn(2, 3, 6, 5, 2, 4)
    >>> y, mean, var = ico_batch_norm_train(x, None, None, 1e-5, 2)
    >>> y.shape, mean.shape, bool(y[:, :, :, :, 0, ::2].eq(0).all())
    (torch.Size([2, 3, 6, 5, 2, 4]), torch.Size([3]), True)
    """
    return _IcoBatchNormFn.apply(x, weight, bias, eps, n)
