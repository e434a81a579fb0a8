# SPDX-License-Identifier: MIT
"""Equivariant layers.

Planar (p4 / p4m), on images ``(B, C, H, W)`` and group feature maps ``(B, C, |G|, H, W)``:

- ``LiftConv2d``: image → group features; ``GroupConv2d``: group features → group features.
- ``GroupPool``: pool the group axis (invariants, coset pooling); ``GroupMaxPool2d``: spatial
  max pooling; ``GroupBatchNorm``: batch norm with statistics shared over the group axis.
- ``ShapeError``: the ``ValueError`` raised for tensors of the wrong shape.
"""

from ._checks import ShapeError
from ._norm import GroupBatchNorm
from ._pooling import GroupMaxPool2d, GroupPool
from .planar import ExportedGroupConv, GroupConv2d, LiftConv2d

__all__ = [
    "ExportedGroupConv",
    "GroupBatchNorm",
    "GroupConv2d",
    "GroupMaxPool2d",
    "GroupPool",
    "LiftConv2d",
    "ShapeError",
]
