# SPDX-License-Identifier: MIT
"""Equivariant batch normalisation of group feature maps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, cast

import torch
from torch import nn

from .._util import check_positive_int, check_tensor
from ._checks import ShapeError, check_batch_norm, check_like

__all__ = ["GroupBatchNorm", "batch_norms", "recompute_batch_norm"]


class GroupBatchNorm(nn.BatchNorm3d):
    """Batch norm of ``(B, C, |G|, H, W)`` with statistics and affine parameters per channel,
    shared over the group axis and the plane: mean/var over (B, |G|, H, W) are invariant to
    permuting the group axis and moving the plane, so the layer commutes with the action.

    >>> GroupBatchNorm(3)(torch.randn(2, 3, 4, 5, 5)).shape
    torch.Size([2, 3, 4, 5, 5])
    """

    def __init__(
        self,
        num_channels: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        check_positive_int("GroupBatchNorm", "num_channels", num_channels)
        check_batch_norm("GroupBatchNorm", eps, momentum)
        super().__init__(
            num_channels, eps, momentum, affine, track_running_stats, device=device, dtype=dtype
        )

    def _check_input_dim(self, x: torch.Tensor) -> None:
        check_tensor("GroupBatchNorm: input", x)
        if x.dim() != 5 or x.shape[1] != self.num_features:
            raise ShapeError(
                f"GroupBatchNorm: expected (B, {self.num_features}, |G|, H, W), got {tuple(x.shape)}"
            )
        check_like("GroupBatchNorm", x, self.weight if self.affine else self.running_mean)


class _RunningStats(Protocol):
    """What :func:`recompute_batch_norm` reads and writes on each batch norm."""

    running_mean: torch.Tensor
    running_var: torch.Tensor
    num_batches_tracked: torch.Tensor
    momentum: float | None
    training: bool

    def train(self, mode: bool = True) -> object: ...


def batch_norms(model: nn.Module) -> list[nn.Module]:
    """The modules of ``model`` that keep running statistics: torch's batch norms (so
    ``GroupBatchNorm``) and gconv's others (``IcoBatchNorm``), found by their buffers
    ``running_mean``/``running_var``/``num_batches_tracked`` and a ``momentum`` attribute."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"batch_norms: expected an nn.Module, got {type(model).__name__}")
    keys = ("running_mean", "running_var", "num_batches_tracked")
    return [
        m
        for m in model.modules()
        if hasattr(m, "momentum")
        and all(isinstance(getattr(m, k, None), torch.Tensor) for k in keys)
    ]


@torch.no_grad()
def recompute_batch_norm(model: nn.Module, batches: Iterable[torch.Tensor]) -> int:
    """Replace the running statistics of every batch norm in ``model`` by their average over
    ``batches`` at the current weights: running mean = mean of the batches' means, running
    variance = mean of their unbiased variances (torch's ``momentum=None`` rule), with the rest
    of ``model`` in evaluation mode (dropout off). Use it before evaluating a network trained at
    a high learning rate, whose exponential running averages lag its weights ("precise BN").
    ``torch.optim.swa_utils.update_bn`` does the same for torch's batch norms only, with the
    whole model in training mode. Each batch goes to ``model(batch)`` as is; the model's modes
    and momenta are restored, and so are the old statistics if no batch comes or the model
    raises. Returns the number of batches; ValueError if there is none or ``model`` has no
    batch norm.

    >>> net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    >>> recompute_batch_norm(net, [torch.randn(8, 3) for _ in range(2)])
    2
    """
    norms = cast("list[_RunningStats]", batch_norms(model))  # batch_norms checked the buffers
    if not norms:
        raise ValueError(
            "recompute_batch_norm: expected a model with batch norms (running statistics), "
            f"got none in {type(model).__name__}"
        )
    modes = {m: m.training for m in model.modules()}
    momenta = [m.momentum for m in norms]
    saved = [
        (m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
        for m in norms
    ]
    model.eval()
    for m in norms:
        m.running_mean.zero_(), m.running_var.fill_(1.0), m.num_batches_tracked.zero_()
        m.momentum = None
        m.train()
    n, done = 0, False
    try:
        for batch in batches:
            model(batch)
            n += 1
        done = n > 0
    finally:
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum
        for module, mode in modes.items():
            module.training = mode
        if not done:  # no batch, or the model raised: keep the statistics it came with
            for m, (mean, var, count) in zip(norms, saved, strict=True):
                m.running_mean.copy_(mean), m.running_var.copy_(var)
                m.num_batches_tracked.copy_(count)
    if n == 0:
        raise ValueError("recompute_batch_norm: expected at least one batch, got none")
    return n
