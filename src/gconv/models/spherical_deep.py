# SPDX-License-Identifier: MIT
"""Larger spherical CNNs: s2cnn's deep MNIST classifier and Gerken et al.'s segmentation net.

=============  =====================================================  ===================  ========
model          layers (channels; bandwidths)                           in → out             params
=============  =====================================================  ===================  ========
S2CNNDeep      S2Conv 1→8, SO3Conv →16→16→24→24→32→64;                 ``(B, 1, 60, 60)`` → 156,882
               b 30→30→15→15→7→7→3→3; so3_integrate; BN-linear         logits ``(B, 10)``
               head 64→64→32→10
S2CNNSeg       S2Conv 1→11, SO3Conv →12→13→14→13→12→11,                ``(B, 1, 100, 100)``  204,073
               SO3SumToS2Conv 11→11; b 50→42,35,27,20,27,35,42→50      → ``(B, 11, 100, 100)``
=============  =====================================================  ===================  ========

Both as in their authors' code (REFERENCES.md §2c: s2cnn ``S2ConvNet_deep``, filter grids with
n_alpha 6, n_beta 1, n_gamma 6, max_beta π/16, π/8, π/4, π/2 as the bandwidth halves; §2d:
sem_seg_s2cnn ``S2ConvNet_sem_seg`` without skips, default 24-point S² and 192-point SO(3) grids
with the listed kernel max_beta, and an output layer whose kernel lives on SO(3)). ReLU after
every spherical layer but the last. Equivariance: S2CNNDeep's logits are invariant and
S2CNNSeg's pixel logits equivariant under rotations, exactly for band-limited inputs.

>>> S2CNNDeep().num_parameters(), S2CNNSeg().num_parameters()
(156882, 204073)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._util import check_positive_int
from ..nn import (
    S2Conv,
    SO3Conv,
    SO3Integrate,
    SO3SumToS2Conv,
    s2_near_identity_grid,
    so3_near_identity_grid,
)
from ._registry import register_models

__all__ = ["S2CNNDeep", "S2CNNSeg", "SphericalStack", "specs", "DEEP_LAYOUT", "SEG_LAYOUT"]

#: (layer, C_in, C_out, b_in, b_out, kernel max_beta / π) of S2CNNDeep (REFERENCES.md §2c)
DEEP_LAYOUT = (
    ("S2Conv", 1, 8, 30, 30, 1 / 16),
    ("SO3Conv", 8, 16, 30, 15, 1 / 16),
    ("SO3Conv", 16, 16, 15, 15, 1 / 8),
    ("SO3Conv", 16, 24, 15, 7, 1 / 8),
    ("SO3Conv", 24, 24, 7, 7, 1 / 4),
    ("SO3Conv", 24, 32, 7, 3, 1 / 4),
    ("SO3Conv", 32, 64, 3, 3, 1 / 2),
)

_SEG_CHANNELS = (1, 11, 12, 13, 14, 13, 12, 11, 11)
_SEG_BANDS = (50, 42, 35, 27, 20, 27, 35, 42, 50)
_SEG_BETAS = (0.1238, 0.1474, 0.1768, 0.2292, 0.3095, 0.2292, 0.1768, 0.1474)
#: the same for S2CNNSeg (REFERENCES.md §2d)
SEG_LAYOUT = tuple(
    (
        "S2Conv" if i == 0 else "SO3SumToS2Conv" if i == 7 else "SO3Conv",
        _SEG_CHANNELS[i],
        _SEG_CHANNELS[i + 1],
        _SEG_BANDS[i],
        _SEG_BANDS[i + 1],
        _SEG_BETAS[i],
    )
    for i in range(8)
)


def _scaled(layout: tuple, bandwidth: int, owner: str) -> list[tuple]:
    """``layout`` with every bandwidth scaled by ``bandwidth / b_paper`` (rounded, at least 1):
    the same layers, kernels and parameter count on a coarser (or finer) grid."""
    check_positive_int(owner, "bandwidth", bandwidth)
    paper = layout[0][3]
    if bandwidth == paper:
        return list(layout)

    def scale(b: int) -> int:
        return max(1, round(b * bandwidth / paper))

    return [(k, ci, co, scale(bi), scale(bo), beta) for k, ci, co, bi, bo, beta in layout]


def _num_parameters(module: nn.Module, trainable_only: bool) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


class S2CNNDeep(nn.Module):
    """s2cnn's ``S2ConvNet_deep``: ``(B, 1, 60, 60)`` S² image (b = 30) → logits ``(B, 10)``.

    ``bandwidth`` other than 30 scales every layer's bandwidth by ``bandwidth / 30`` (rounded;
    same kernels and parameters, input ``(B, 1, 2·bandwidth, 2·bandwidth)``). Seven spherical
    layers (``DEEP_LAYOUT``) with ReLU, the Haar integral (rotation-invariant
    features ``(B, 64)``), then BatchNorm1d–Linear–ReLU twice (64→64→32) and BatchNorm1d–Linear
    to ``num_classes``.
    """

    def __init__(self, num_classes: int = 10, bandwidth: int = 30) -> None:
        super().__init__()
        check_positive_int("S2CNNDeep", "num_classes", num_classes)
        layers: list[nn.Module] = []
        for kind, cin, cout, b_in, b_out, beta in _scaled(DEEP_LAYOUT, bandwidth, "S2CNNDeep"):
            if kind == "S2Conv":
                s2_grid = s2_near_identity_grid(max_beta=beta * math.pi, n_alpha=6, n_beta=1)
                layers.append(S2Conv(cin, cout, b_in, b_out, grid=s2_grid))
            else:
                so3_grid = so3_near_identity_grid(
                    max_beta=beta * math.pi, n_alpha=6, n_beta=1, max_gamma=2 * math.pi, n_gamma=6
                )
                layers.append(SO3Conv(cin, cout, b_in, b_out, grid=so3_grid))
            layers.append(nn.ReLU(inplace=True))
        self.convolutional = nn.Sequential(*layers, SO3Integrate())
        self.linear = nn.Sequential(
            nn.BatchNorm1d(64),
            nn.Linear(64, 64),
            nn.ReLU(),
            nn.BatchNorm1d(64),
            nn.Linear(64, 32),
            nn.ReLU(),
            nn.BatchNorm1d(32),
            nn.Linear(32, num_classes),
        )

    #: forward chains ``convolutional`` and ``linear``: the checker composes them
    equivariance_composite = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.convolutional(x))

    def num_parameters(self, trainable_only: bool = True) -> int:
        """Number of (trainable) parameters."""
        return _num_parameters(self, trainable_only)


class SphericalStack(nn.Module):
    """Spherical layers in sequence with ReLU between them (none after the last).

    ``checkpoint=True`` recomputes each layer's forward during backward
    (``torch.utils.checkpoint``), so that a training step keeps only the layer outputs, not the
    spectra and products inside each layer.
    """

    def __init__(self, layers: list[nn.Module], checkpoint: bool = False) -> None:
        super().__init__()
        if not isinstance(checkpoint, bool):
            raise TypeError(f"SphericalStack: checkpoint must be a bool, got {checkpoint!r}")
        self.checkpoint = checkpoint
        self.layers = nn.ModuleList(layers)

    #: forward chains its layers with ReLU (checkpointing recomputes, it does not change them)
    equivariance_composite = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            if self.checkpoint and torch.is_grad_enabled():
                x = torch.utils.checkpoint.checkpoint(layer, x, use_reentrant=False)
            else:
                x = layer(x)
            if i < last:
                x = torch.relu(x)
        return x

    def num_parameters(self, trainable_only: bool = True) -> int:
        """Number of (trainable) parameters."""
        return _num_parameters(self, trainable_only)


class S2CNNSeg(SphericalStack):
    """Gerken et al.'s S2CNN for spherical segmentation (the 204k model, no skips).

    ``(B, 1, 100, 100)`` S² image (b = 50) → per-pixel logits ``(B, num_classes, 100, 100)`` on
    the same grid: S2Conv, six SO3Conv (``SEG_LAYOUT``), each followed by ReLU, then
    ``SO3SumToS2Conv`` (kernel on SO(3), summed over n). ``checkpoint``: see SphericalStack.
    ``bandwidth`` other than 50 scales every layer's bandwidth by ``bandwidth / 50`` (rounded;
    same kernels and parameters, input and output grid ``2·bandwidth × 2·bandwidth``).
    """

    def __init__(
        self, num_classes: int = 11, checkpoint: bool = False, bandwidth: int = 50
    ) -> None:
        layers: list[nn.Module] = []
        layout = _scaled(SEG_LAYOUT, bandwidth, "S2CNNSeg")
        for i, (kind, cin, cout, b_in, b_out, beta) in enumerate(layout):
            cout = num_classes if i == len(SEG_LAYOUT) - 1 else cout
            if kind == "S2Conv":
                s2_grid = s2_near_identity_grid(max_beta=beta * math.pi)
                layers.append(S2Conv(cin, cout, b_in, b_out, grid=s2_grid))
                continue
            so3_grid = so3_near_identity_grid(max_beta=beta * math.pi)
            cls = SO3SumToS2Conv if kind == "SO3SumToS2Conv" else SO3Conv
            layers.append(cls(cin, cout, b_in, b_out, grid=so3_grid))
        super().__init__(layers, checkpoint)


def specs() -> list[dict]:
    """Registry entries (fields of ``gconv.models.ModelSpec``) for the two models."""
    return [
        {
            "name": "s2cnn-deep",
            "builder": S2CNNDeep,
            "input_kind": "s2",
            "output_kind": "logits",
            "task": "classification",
            "input_shape": (1, 60, 60),
            "group": "so3",
            "defaults": {"bandwidth": 30},
            "description": "s2cnn's deep S2CNN for spherical MNIST (156,882 parameters)",
        },
        {
            "name": "s2cnn-seg",
            "builder": S2CNNSeg,
            "input_kind": "s2",
            "output_kind": "pixel-logits",
            "task": "segmentation",
            "input_shape": (1, 100, 100),
            "group": "so3",
            "defaults": {"bandwidth": 50},
            "description": "Gerken et al.'s bandwidth-50 S2CNN segmentation net (204,073 parameters)",
        },
    ]


register_models(specs())
