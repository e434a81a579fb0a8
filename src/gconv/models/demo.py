# SPDX-License-Identifier: MIT
"""Small untrained networks and single layers that ``gconv demo`` and ``gconv check-equivariance``
show (task ``"layer"`` in the registry): ``stack`` (a P4CNN-like stack, invariant logits),
``lift`` and ``group-conv`` (planar layers, equivariant features; ``group`` = p4 or p4m),
``s2conv``, ``so3conv``, ``so3tos2`` (spherical layers; ``bandwidth`` = input bandwidth b).

>>> import torch
>>> demo_stack("p4")(torch.randn(2, 1, 28, 28)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

from torch import nn

from .. import nn as gnn
from ..groups import PIXEL_GRID_GROUPS
from ..nn import GroupBatchNorm, GroupConv2d, GroupMaxPool2d, GroupPool, LiftConv2d
from ._registry import ModelSpec, register_model
from .mnist_rot import SpatialMax

__all__ = ["demo_stack"]


def demo_stack(group: str = "p4", channels: int = 8, classes: int = 10) -> nn.Sequential:
    """A small P4CNN-like stack on ``group`` (p4 or p4m): 28×28 image ``(B, 1, 28, 28)`` →
    class scores ``(B, classes)``, invariant to the point group (max over group and space).
    Any group that maps the pixel grid onto itself (``PIXEL_GRID_GROUPS``) is accepted."""
    if not isinstance(group, str) or group.lower() not in PIXEL_GRID_GROUPS:
        raise ValueError(
            f"demo_stack: group must be one of {', '.join(PIXEL_GRID_GROUPS)} (its 3×3 and 4×4 "
            f"kernels rotate exactly only on the pixel grid), got {group!r}"
        )
    c = channels
    return nn.Sequential(
        LiftConv2d(1, c, 3, group=group),
        GroupBatchNorm(c),
        nn.ReLU(),
        GroupConv2d(c, c, 3, group=group),
        GroupBatchNorm(c),
        nn.ReLU(),
        GroupMaxPool2d(2),
        GroupConv2d(c, c, 3, group=group),
        GroupBatchNorm(c),
        nn.ReLU(),
        GroupConv2d(c, classes, 4, group=group),
        GroupPool("max"),
        SpatialMax(),
    )


def _lift(group: str = "p4") -> nn.Module:
    return LiftConv2d(1, 8, 3, group=group, padding=1)


def _group_conv(group: str = "p4") -> nn.Module:
    return GroupConv2d(4, 8, 3, group=group, padding=1)


def _s2conv(bandwidth: int = 8) -> nn.Module:
    return gnn.S2Conv(2, 3, bandwidth, max(2, bandwidth // 2))


def _so3conv(bandwidth: int = 8) -> nn.Module:
    return gnn.SO3Conv(2, 3, bandwidth, bandwidth)


def _so3tos2(bandwidth: int = 8) -> nn.Module:
    return gnn.SO3ToS2Conv(2, 3, bandwidth, bandwidth)


_PLANAR = {"group": "p4"}
_SPHERE = {"bandwidth": 8}
for _spec in (
    ModelSpec("stack", demo_stack, "image", "logits", "layer", (1, 28, 28), "p4", _PLANAR,
              "untrained P4CNN-like stack (lift, 3 group convs, group and spatial max)"),
    ModelSpec("lift", _lift, "image", "features", "layer", (1, 28, 28), "p4", _PLANAR,
              "LiftConv2d(1, 8, 3, padding=1): image → group features"),
    ModelSpec("group-conv", _group_conv, "features", "features", "layer", (4, 4, 28, 28), "p4",
              _PLANAR, "GroupConv2d(4, 8, 3, padding=1): group features → group features"),
    ModelSpec("s2conv", _s2conv, "s2", "so3", "layer", (2, 16, 16), "so3", _SPHERE,
              "S2Conv(2, 3, b, max(2, b // 2)): S² → SO(3)"),
    ModelSpec("so3conv", _so3conv, "so3", "so3", "layer", (2, 16, 16, 16), "so3", _SPHERE,
              "SO3Conv(2, 3, b, b): SO(3) → SO(3)"),
    ModelSpec("so3tos2", _so3tos2, "so3", "s2", "layer", (2, 16, 16, 16), "so3", _SPHERE,
              "SO3ToS2Conv(2, 3, b, b): SO(3) → S²"),
):  # fmt: skip
    register_model(_spec)
