# SPDX-License-Identifier: MIT
"""Training-mode batch norm of icosahedral regular features ``(B, C, 6, 5, n, 2n)`` as one
autograd Function (``IcoBatchNorm`` uses it): the statistics skip the 10 chart-held corners,
the output is zero there. The statistics are those of the plain composition it replaced
(two passes in the input dtype: the mean, then the mean square of x − mean; never
E[x²] − E[x]²), with fewer passes over the tensor (the squares summed as squared norms, the
affine map as one inference-mode ``F.batch_norm`` of x − mean; equal to rounding) and a
hand-written backward. Under ``create_graph=True`` the backward differentiates the plain
composition instead (:func:`ico_batch_norm_reference`), so second derivatives (gradient
penalties, Hessian-vector products) are those of the composition."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .icosahedral import zero_corners_

__all__ = ["ico_batch_norm_reference", "ico_batch_norm_train"]


def _corners(t: torch.Tensor, n: int) -> torch.Tensor:
    """The 10 corners of every (sample, channel, orientation): ``(B, C, 60)`` (a small copy)."""
    return t.view(t.shape[0], t.shape[1], 6, 5, n, 2 * n)[..., 0, ::n].reshape(*t.shape[:2], -1)


def ico_batch_norm_reference(
    x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None, eps: float, n: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The same batch norm as plain autograd ops (what the Function replaced; slower, any order
    of derivatives): returns ``(y, mean, var)`` like :func:`ico_batch_norm_train`."""
    count, mean, centred, dk = _centre(x, n)
    var = _channel_sum(centred * centred, dk * dk) / count
    scale = torch.rsqrt(var + eps)
    scale = scale if weight is None else scale * weight
    y = centred * scale.view(1, -1, 1)
    y = (y if bias is None else y + bias.view(1, -1, 1)).view(x.shape).clone()
    return zero_corners_(y), mean, var


def _centre(x: torch.Tensor, n: int) -> tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The kept entries' count per channel, their mean μ, ``x − μ`` as ``(B, C, L)`` and the
    corners less μ ``(B, C, 60)`` (first pass: the mean; second: the centring)."""
    b, c = x.shape[:2]
    x3 = x.reshape(b, c, -1)
    xk = _corners(x3, n)
    count = x3.shape[2] * b - xk.shape[2] * b
    mean = _channel_sum(x3, xk) / count
    return count, mean, x3 - mean.view(1, -1, 1), xk - mean.view(1, -1, 1)


def _channel_sum(t: torch.Tensor, tk: torch.Tensor) -> torch.Tensor:
    """Σ over samples and entries of ``(B, C, L)`` less the corners' ``(B, C, 60)`` terms."""
    return t.sum(2).sum(0) - tk.sum(2).sum(0)


class _IcoBatchNormFn(torch.autograd.Function):
    """y = (x − μ)·w/√(σ² + ε) + b per channel (μ, σ² over the kept entries), corners zero.

    Backward, without ``create_graph`` (N kept entries per channel, x̂ = (x − μ)/√(σ² + ε),
    sums over kept entries):
    ∂b = Σ g, ∂w = Σ g·x̂, ∂x = w/√(σ² + ε) · (g − Σ g / N − x̂ · Σ g·x̂ / N), zero at the
    corners (they enter neither the statistics nor the output). With ``create_graph``: the
    derivatives of :func:`ico_batch_norm_reference`, recomputed from the saved input."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps, n):  # type: ignore[override]
        b, c = x.shape[:2]
        count, mean, centred, dk = _centre(x, n)
        # Σ (x − μ)² per channel: per (sample, channel) norms of x − μ, squared (one read)
        sq = torch.linalg.vector_norm(centred, dim=2).square().sum(0)
        var = (sq - (dk * dk).sum(2).sum(0)) / count
        invstd = torch.rsqrt(var + eps)
        # (x − μ)·w/√(σ² + ε) + b in one pass: inference batch norm of x − μ about mean 0
        y = F.batch_norm(centred, torch.zeros_like(mean), var, weight, bias, False, 0.0, eps)
        zero_corners_(y.view(b, c, 6, 5, n, 2 * n))
        # x, not x − μ (the same size), so that a create_graph backward can reach x's graph
        ctx.save_for_backward(x, mean, invstd, weight, bias)
        ctx.count, ctx.n, ctx.eps = count, n, eps
        ctx.mark_non_differentiable(mean, var)
        return y.view(x.shape), mean, var

    @staticmethod
    def backward(ctx, grad, _gmean, _gvar):  # type: ignore[override]
        x, mean, invstd, weight, bias = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: differentiate the composition
            return _graph_backward(ctx, grad, x, weight, bias)
        n, count = ctx.n, ctx.count
        centred = x.reshape(*x.shape[:2], -1) - mean.view(1, -1, 1)
        g = grad.reshape(centred.shape)
        gk, ck = _corners(g, n), _corners(centred, n)
        buf = torch.mul(g, centred)
        sum_g = _channel_sum(g, gk)
        sum_gc = _channel_sum(buf, gk * ck)
        k1 = invstd if weight is None else invstd * weight
        k2 = -k1 * invstd * invstd * sum_gc / count
        k3 = -k1 * sum_g / count
        torch.mul(g, k1.view(1, -1, 1), out=buf)
        buf.addcmul_(centred, k2.view(1, -1, 1))
        buf.add_(k3.view(1, -1, 1))
        zero_corners_(buf.view(*g.shape[:2], 6, 5, n, 2 * n))
        gw = None if weight is None or not ctx.needs_input_grad[1] else sum_gc * invstd
        gb = sum_g if bias is not None and ctx.needs_input_grad[2] else None
        gx = buf.view(grad.shape) if ctx.needs_input_grad[0] else None
        return gx, gw, gb, None, None


def _graph_backward(ctx, grad, x, weight, bias):  # noqa: ANN001, ANN202
    """Backward with a graph: the gradients of :func:`ico_batch_norm_reference` at the saved
    inputs, differentiable again (``create_graph``)."""
    needs = ctx.needs_input_grad[:3]
    wanted = [t for t, need in zip((x, weight, bias), needs, strict=True) if need]
    with torch.enable_grad():
        y = ico_batch_norm_reference(x, weight, bias, ctx.eps, ctx.n)[0]
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
