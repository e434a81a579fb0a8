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

from .icosahedral import is_chart_major, zero_corners_

__all__ = ["ico_batch_norm_reference", "ico_batch_norm_train"]


class _Layout:
    """The tensor's entries as ``(P, C, Q)`` (statistics: sums over P and Q): ``(B, C, 6·5·n·2n)``
    for contiguous features, ``(B·5·n·2n, C, 6)`` for chart-major ones (``is_chart_major``,
    the convolutions' output), so that neither is copied."""

    def __init__(self, x: torch.Tensor, n: int, any_layout: bool = True) -> None:
        self.cm = any_layout and not x.is_contiguous() and is_chart_major(x)
        self.shape, self.n = x.shape, n

    def flat(self, t: torch.Tensor) -> torch.Tensor:
        """``t`` (the features' shape, any layout) as ``(P, C, Q)`` (a copy only if stored
        otherwise)."""
        b, c = self.shape[:2]
        return t.permute(0, 3, 4, 5, 1, 2).reshape(-1, c, 6) if self.cm else t.reshape(b, c, -1)

    def corners(self, t3: torch.Tensor) -> torch.Tensor:
        """The 10 corners of ``(P, C, Q)`` as ``(P', C, Q')`` (a small copy)."""
        b, c, n = self.shape[0], self.shape[1], self.n
        if self.cm:
            return t3.view(b, 5, n, 2 * n, c, 6)[:, :, 0, ::n].reshape(-1, c, 6)
        return t3.view(b, c, 6, 5, n, 2 * n)[..., 0, ::n].reshape(b, c, -1)

    def unflat(self, t3: torch.Tensor) -> torch.Tensor:
        """``(P, C, Q)`` back to ``(B, C, 6, 5, n, 2n)`` (a view)."""
        if not self.cm:
            return t3.view(self.shape)
        b, c, n = self.shape[0], self.shape[1], self.n
        return t3.view(b, 5, n, 2 * n, c, 6).permute(0, 4, 5, 1, 2, 3)

    def square_sum(self, t3: torch.Tensor) -> torch.Tensor:
        """Σ over P and Q of ``t3²`` per channel, from squared norms (one read, no temporary)."""
        if self.cm:  # norms of the C·6 columns of (P, C·6)
            cols = torch.linalg.vector_norm(t3.view(t3.shape[0], -1), dim=0)
            return cols.square().view(-1, 6).sum(1)
        return torch.linalg.vector_norm(t3, dim=2).square().sum(0)


def ico_batch_norm_reference(
    x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None, eps: float, n: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The same batch norm as plain autograd ops (what the Function replaced; slower, any order
    of derivatives): returns ``(y, mean, var)`` like :func:`ico_batch_norm_train`."""
    lay = _Layout(x, n, any_layout=False)
    count, mean, centred, dk = _centre(x, lay)
    var = _channel_sum(centred * centred, dk * dk) / count
    scale = torch.rsqrt(var + eps)
    scale = scale if weight is None else scale * weight
    y = centred * scale.view(1, -1, 1)
    y = (y if bias is None else y + bias.view(1, -1, 1)).view(x.shape).clone()
    return zero_corners_(y), mean, var


def _centre(x: torch.Tensor, lay: _Layout) -> tuple[int, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The kept entries' count per channel, their mean μ, ``x − μ`` as ``(P, C, Q)`` and the
    corners less μ (first pass: the mean; second: the centring)."""
    x3 = lay.flat(x)
    xk = lay.corners(x3)
    count = (x3.numel() - xk.numel()) // x3.shape[1]
    mean = _channel_sum(x3, xk) / count
    return count, mean, x3 - mean.view(1, -1, 1), xk - mean.view(1, -1, 1)


def _channel_sum(t: torch.Tensor, tk: torch.Tensor) -> torch.Tensor:
    """Σ over P and Q of ``(P, C, Q)`` less the corners' terms ``(P', C, Q')``."""
    return t.sum((0, 2)) - tk.sum((0, 2))


class _IcoBatchNormFn(torch.autograd.Function):
    """y = (x − μ)·w/√(σ² + ε) + b per channel (μ, σ² over the kept entries), corners zero.

    Backward, without ``create_graph`` (N kept entries per channel, x̂ = (x − μ)/√(σ² + ε),
    sums over kept entries):
    ∂b = Σ g, ∂w = Σ g·x̂, ∂x = w/√(σ² + ε) · (g − Σ g / N − x̂ · Σ g·x̂ / N), zero at the
    corners (they enter neither the statistics nor the output). With ``create_graph``: the
    derivatives of :func:`ico_batch_norm_reference`, recomputed from the saved input."""

    @staticmethod
    def forward(ctx, x, weight, bias, eps, n):  # type: ignore[override]
        lay = _Layout(x, n)
        count, mean, centred, dk = _centre(x, lay)
        # Σ (x − μ)² per channel from squared norms of x − μ (one read)
        var = (lay.square_sum(centred) - (dk * dk).sum((0, 2))) / count
        invstd = torch.rsqrt(var + eps)
        # (x − μ)·w/√(σ² + ε) + b in one pass: inference batch norm of x − μ about mean 0
        y = F.batch_norm(centred, torch.zeros_like(mean), var, weight, bias, False, 0.0, eps)
        y = zero_corners_(lay.unflat(y))
        # x, not x − μ (the same size), so that a create_graph backward can reach x's graph
        ctx.save_for_backward(x, mean, invstd, weight, bias)
        ctx.count, ctx.lay, ctx.eps = count, lay, eps
        ctx.mark_non_differentiable(mean, var)
        return y, mean, var

    @staticmethod
    def backward(ctx, grad, _gmean, _gvar):  # type: ignore[override]
        x, mean, invstd, weight, bias = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: differentiate the composition
            return _graph_backward(ctx, grad, x, weight, bias)
        lay, count = ctx.lay, ctx.count
        centred = lay.flat(x) - mean.view(1, -1, 1)
        g = lay.flat(grad)
        gk, ck = lay.corners(g), lay.corners(centred)
        buf = torch.mul(g, centred)
        sum_g = _channel_sum(g, gk)
        sum_gc = _channel_sum(buf, gk * ck)
        k1 = invstd if weight is None else invstd * weight
        k2 = -k1 * invstd * invstd * sum_gc / count
        k3 = -k1 * sum_g / count
        torch.mul(g, k1.view(1, -1, 1), out=buf)
        buf.addcmul_(centred, k2.view(1, -1, 1))
        buf.add_(k3.view(1, -1, 1))
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
