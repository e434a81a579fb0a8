# SPDX-License-Identifier: MIT
"""Equivariant layers.

Planar (p4 / p4m), on images ``(B, C, H, W)`` and group feature maps ``(B, C, |G|, H, W)``:

- ``LiftConv2d``: image → group features; ``GroupConv2d``: group features → group features.
- ``GroupPool``: pool the group axis (invariants, coset pooling); ``GroupMaxPool2d``: spatial
  max pooling; ``GroupBatchNorm``: batch norm with statistics shared over the group axis.
Spherical (SOFT grids; S² ``(B, C, 2b, 2b)``, SO(3) ``(B, C, 2b, 2b, 2b)``):

- ``S2Conv`` (S² → SO(3)), ``SO3Conv`` (SO(3) → SO(3)), ``SO3ToS2Conv`` (SO(3) → S²),
  ``SO3SumToS2Conv`` (SO(3) kernel summed over n, Gerken et al.),
  ``SO3Shortcut`` (1×1 mixing, bandwidth change), ``so3_integrate`` / ``s2_integrate``
  (normalised invariant read-outs); filter grids ``s2_near_identity_grid``,
  ``so3_near_identity_grid``, ``s2_equatorial_grid``, ``so3_equatorial_grid``.
- ``ShapeError``: the ``ValueError`` raised for tensors of the wrong shape.
"""

from ._checks import ShapeError
from ._norm import GroupBatchNorm
from ._pooling import GroupMaxPool2d, GroupPool
from ._so3_sum_to_s2 import SO3SumToS2Conv
from ._spherical_grids import (
    s2_equatorial_grid,
    s2_near_identity_grid,
    so3_equatorial_grid,
    so3_near_identity_grid,
)
from .planar import ExportedGroupConv, GroupConv2d, LiftConv2d
from .spherical import S2Conv, SO3Conv, SO3Shortcut, SO3ToS2Conv, s2_integrate, so3_integrate

__all__ = [
    "ExportedGroupConv",
    "GroupBatchNorm",
    "GroupConv2d",
    "GroupMaxPool2d",
    "GroupPool",
    "LiftConv2d",
    "S2Conv",
    "SO3Conv",
    "SO3Shortcut",
    "SO3SumToS2Conv",
    "SO3ToS2Conv",
    "ShapeError",
    "s2_equatorial_grid",
    "s2_integrate",
    "s2_near_identity_grid",
    "so3_equatorial_grid",
    "so3_integrate",
    "so3_near_identity_grid",
]
