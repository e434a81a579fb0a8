# SPDX-License-Identifier: MIT
"""Equivariant batch normalisation of group feature maps."""

from __future__ import annotations

import torch
from torch import nn

from .._util import check_positive_int, check_tensor
from ._checks import ShapeError

__all__ = ["GroupBatchNorm"]


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
        super().__init__(
            num_channels, eps, momentum, affine, track_running_stats, device=device, dtype=dtype
        )

    def _check_input_dim(self, x: torch.Tensor) -> None:
        check_tensor("GroupBatchNorm: input", x)
        if x.dim() != 5 or x.shape[1] != self.num_features:
            raise ShapeError(
                f"GroupBatchNorm: expected (B, {self.num_features}, |G|, H, W), got {tuple(x.shape)}"
            )
