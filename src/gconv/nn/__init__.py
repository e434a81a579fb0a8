# SPDX-License-Identifier: MIT
"""Equivariant layers.

Planar (C_N / D_N, any N; p4 = C4, p4m = D4), on images ``(B, C, H, W)`` and group feature
maps ``(B, C, |G|, H, W)``:

- ``LiftConv2d``: image → group features; ``GroupConv2d``: group features → group features;
  ``basis="pixel"`` (rot90/flip of k×k pixels; C1, C2, C4, D1, D2, D4, the default there) or
  ``"steerable"`` (circular harmonics × rings rotated in the basis; any N, the default off the
  pixel grid; ``band_limit``, ``max_frequency``, ``sigma``).
- ``RestrictGroup``: regular features of G as regular features of a subgroup (D_N → C_N,
  C_N → C_M); ``GroupBlurPool2d``: antialiased (Gaussian) spatial pooling for N ≠ 4.
- ``GroupPool``: pool the group axis (invariants, coset pooling); ``GroupMaxPool2d``: spatial
  max pooling; ``GroupBatchNorm``: batch norm with statistics shared over the group axis;
  ``recompute_batch_norm``: every batch norm's running statistics averaged over given batches
  at the current weights (any model; ``batch_norms`` lists them).
Spherical (SOFT grids; S² ``(B, C, 2b, 2b)``, SO(3) ``(B, C, 2b, 2b, 2b)``):

- ``S2Conv`` (S² → SO(3)), ``SO3Conv`` (SO(3) → SO(3)), ``SO3ToS2Conv`` (SO(3) → S²),
  ``SO3SumToS2Conv`` (SO(3) kernel summed over n, Gerken et al.),
  ``SO3Shortcut`` (1×1 mixing, bandwidth change), ``so3_integrate`` / ``s2_integrate``
  (normalised invariant read-outs; ``SO3Integrate`` / ``S2Integrate`` as modules); filter grids ``s2_near_identity_grid``,
  ``so3_near_identity_grid``, ``s2_equatorial_grid``, ``so3_equatorial_grid``.
Icosahedral (``gconv.groups.IcoGrid(r)``; vertex signals ``(B, C, V)``, regular features
``(B, C, 6, 5, n, 2n)``, scalar charts ``(B, C, 5, n, 2n)``; exact for the 60 rotations):

- ``IcoLift`` (scalars → C6-regular), ``IcoConv`` (regular → regular; ``stride=2`` coarsens
  r → r − 1), ``IcoPool`` / ``IcoUnpool`` (r → r ∓ 1), ``IcoOrientationPool``,
  ``IcoBatchNorm``, ``IcoGlobalPool`` (invariant read-out), ``IcoToVertices``, ``IcoPad``
  (padding from neighbouring charts with the gauge change);
  ``export()`` → ``ExportedIcoConv`` (index gather + ``nn.Conv2d``).
- ``ShapeError``: the ``ValueError`` raised for tensors of the wrong shape.
"""

from ._checks import ShapeError
from ._export import export_model
from ._ico_pool import (
    IcoBatchNorm,
    IcoGlobalPool,
    IcoOrientationPool,
    IcoPool,
    IcoToVertices,
    IcoUnpool,
)
from ._norm import GroupBatchNorm, batch_norms, recompute_batch_norm
from ._pooling import GroupMaxPool2d, GroupPool
from ._readout import S2Integrate, SO3Integrate
from ._so3_extra import SO3Shortcut, s2_integrate, so3_integrate
from ._so3_sum_to_s2 import SO3SumToS2Conv
from ._spherical_grids import (
    s2_equatorial_grid,
    s2_near_identity_grid,
    so3_equatorial_grid,
    so3_near_identity_grid,
)
from .icosahedral import ExportedIcoConv, IcoConv, IcoLift, IcoPad
from .planar import ExportedGroupConv, GroupConv2d, LiftConv2d, planar_exactness
from .spherical import S2Conv, SO3Conv, SO3ToS2Conv
from .steerable import GroupBlurPool2d, RestrictGroup

__all__ = [
    "ExportedGroupConv",
    "planar_exactness",
    "ExportedIcoConv",
    "IcoBatchNorm",
    "IcoConv",
    "IcoGlobalPool",
    "IcoLift",
    "IcoOrientationPool",
    "IcoPad",
    "IcoPool",
    "IcoToVertices",
    "IcoUnpool",
    "GroupBatchNorm",
    "batch_norms",
    "recompute_batch_norm",
    "GroupBlurPool2d",
    "GroupConv2d",
    "GroupMaxPool2d",
    "GroupPool",
    "LiftConv2d",
    "RestrictGroup",
    "S2Conv",
    "S2Integrate",
    "SO3Conv",
    "SO3Integrate",
    "SO3Shortcut",
    "SO3SumToS2Conv",
    "SO3ToS2Conv",
    "ShapeError",
    "export_model",
    "s2_equatorial_grid",
    "s2_integrate",
    "s2_near_identity_grid",
    "so3_equatorial_grid",
    "so3_integrate",
    "so3_near_identity_grid",
]
