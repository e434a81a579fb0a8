# SPDX-License-Identifier: MIT
"""Icosahedral CNNs (Cohen, Weiler, Kicanaoglu, Welling 2019) on ``IcoGrid(r)`` vertex signals.

``IcoCNN`` ("ico-cnn"): the paper's deep spherical-MNIST classifier as re-implemented
publicly (hrdkjain/IcosahedralCNN, ``IcoConvNet_OriginalR2R``; our own code): a lifting
convolution and six group convolutions with 8, 16, 16, 24, 24, 32, 64 channels from r = 4,
stride 2 at layers 2, 4 and 6 (r = 4 → 3 → 2 → 1), each followed by ``IcoBatchNorm`` and ReLU;
max over orientations and vertices (``pool="mean"``: their mean); head BN-linear
64 → 64 → 32 → 10 (BatchNorm1d, Linear, ReLU, twice, then BatchNorm1d, Linear). Input
``(B, 1, 2562)``, logits ``(B, 10)``; invariant to the 60 icosahedral rotations exactly.

``IcoCNNSeg`` ("ico-cnn-seg"): an encoder–decoder of the same layers with unpooling and skip
connections (concatenated channels) at r = 3 and r = 4, ending in a convolution to the class
scores, the mean over orientations and ``IcoToVertices``: logits on every vertex
``(B, num_classes, V)``, equivariant to the 60 rotations exactly. ``channels`` sets one level
per entry: ``ico-cnn-seg`` has three (8, 16, 24: r = 4 → 2, 95,491 parameters),
``ico-cnn-seg-deep`` four (8, 16, 24, 32: r = 4 → 1, 227,467, near ``s2cnn-seg``'s 204,073).

Data: ``gconv.data.project(images, IcoGrid(r).vertices, rotations)`` samples the same planar
digits as the S2CNN datasets at the grid's vertices (in vertex-id order: chart vertices, then
N, S), which is the ``(B, 1, V)`` input here.

>>> IcoCNN().num_parameters()
182218
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .._util import check_positive_int
from ..nn import (
    IcoBatchNorm,
    IcoConv,
    IcoGlobalPool,
    IcoLift,
    IcoOrientationPool,
    IcoPool,
    IcoToVertices,
    IcoUnpool,
)
from ._registry import register_models

__all__ = ["IcoCNN", "IcoCNNSeg", "specs"]

_CHANNELS = (8, 16, 16, 24, 24, 32, 64)
_STRIDE_AT = (2, 4, 6)  # 1-based layers with stride 2


def _block(
    cin: int, cout: int, r: int, stride: int, lift: bool, gauge: bool = True, blur: bool = False
) -> nn.Sequential:
    """conv, batch norm, ReLU; ``blur``: a stride-2 conv first averages each vertex's hexagon
    (``IcoPool("mean", stride=1)``: a low-pass filter before the subsampling)."""
    conv = (
        IcoLift(cin, cout, r, stride=stride) if lift else IcoConv(cin, cout, r, stride, gauge=gauge)
    )
    head = [IcoPool("mean", stride=1)] if blur and stride == 2 and not lift else []
    return nn.Sequential(*head, conv, IcoBatchNorm(cout), nn.ReLU())


class _IcoModel(nn.Module):
    equivariance_composite = True  # forward chains children (and channel concatenation)

    def num_parameters(self, trainable_only: bool = True) -> int:
        """Number of (trainable) parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)


class IcoCNN(_IcoModel):
    """Classifier ``(B, in_channels, 10·4^r + 2) → (B, num_classes)``; see the module docstring.
    ``gauge=False`` drops the gauge change from every padding: the ablation, not equivariant.
    ``pool``: the invariant read-out over orientations and six-neighbour vertices, ``"max"``
    (the paper's, default) or ``"mean"``; both are exact for the 60 rotations.
    ``downsample``: ``"stride"`` (the paper's stride-2 convolutions, default) or ``"blur"``
    (each stride-2 convolution reads the hexagon means of its input, a low-pass filter before
    the subsampling in the spirit of Zhang 2019; the same parameters)."""

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        r: int = 4,
        channels: Sequence[int] = _CHANNELS,
        head: Sequence[int] = (64, 32),
        gauge: bool = True,
        pool: str = "max",
        downsample: str = "stride",
    ) -> None:
        super().__init__()
        check_positive_int("IcoCNN", "num_classes", num_classes)
        check_positive_int("IcoCNN", "in_channels", in_channels)
        if downsample not in ("stride", "blur"):
            raise ValueError(f"IcoCNN: downsample must be 'stride' or 'blur', got {downsample!r}")
        strides = [2 if i + 1 in _STRIDE_AT else 1 for i in range(len(channels))]
        coarsen = sum(s == 2 for s in strides)
        if r - coarsen < 1:  # at r = 0 every vertex has five neighbours: features vanish
            raise ValueError(
                f"IcoCNN: r={r} is too coarse for {coarsen} strides (need r >= {coarsen + 1})"
            )
        self.r, self.in_channels = r, in_channels
        blocks, cin, res, blur = [], in_channels, r, downsample == "blur"
        for i, (cout, s) in enumerate(zip(channels, strides, strict=True)):
            blocks.append(_block(cin, cout, res, s, lift=i == 0, gauge=gauge, blur=blur))
            cin, res = cout, res - (s == 2)
        self.features = nn.Sequential(*blocks)
        self.pool = IcoGlobalPool(pool)
        layers: list[nn.Module] = []
        for width in head:
            layers += [nn.BatchNorm1d(cin), nn.Linear(cin, width), nn.ReLU()]
            cin = width
        layers += [nn.BatchNorm1d(cin), nn.Linear(cin, num_classes)]
        self.head = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.features(x)))


class IcoCNNSeg(_IcoModel):
    """Segmenter ``(B, in_channels, V) → (B, num_classes, V)`` (V = 10·4^r + 2); one level per
    entry of ``channels`` (c1, c2, …) at r, r − 1, …, each coarser level a stride-2 block and a
    block, each decoder level unpooling and a block on the skip-concatenated channels; see the
    module docstring. The coarsest level r − len(channels) + 1 must be ≥ 1."""

    def __init__(
        self,
        num_classes: int = 11,
        in_channels: int = 1,
        r: int = 4,
        channels: Sequence[int] = (8, 16, 24),
    ) -> None:
        super().__init__()
        check_positive_int("IcoCNNSeg", "num_classes", num_classes)
        check_positive_int("IcoCNNSeg", "in_channels", in_channels)
        c = tuple(channels)
        if len(c) < 2 or not all(isinstance(ci, int) and ci >= 1 for ci in c):
            raise ValueError(f"IcoCNNSeg: channels must be >= 2 positive ints, got {c!r}")
        if r < len(c):
            raise ValueError(
                f"IcoCNNSeg: needs r >= {len(c)} ({len(c) - 1} coarsenings to r >= 1), got r={r}"
            )
        self.r, self.in_channels, self.levels = r, in_channels, len(c)
        self.enc1 = _block(in_channels, c[0], r, 1, lift=True)
        for i in range(1, len(c)):  # enc{i+1} at r − i; dec{i} at r − i + 1
            down = _block(c[i - 1], c[i], r - i + 1, 2, False)
            self.add_module(f"enc{i + 1}", nn.Sequential(down, _block(c[i], c[i], r - i, 1, False)))
            self.add_module(f"dec{i}", _block(c[i] + c[i - 1], c[i - 1], r - i + 1, 1, False))
        self.up = IcoUnpool()
        self.classify = IcoConv(c[0], num_classes, r)
        self.to_vertices = nn.Sequential(IcoOrientationPool("mean"), IcoToVertices(r))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [x]
        for i in range(1, self.levels + 1):
            skips.append(getattr(self, f"enc{i}")(skips[-1]))
        h = skips.pop()
        for i in range(self.levels - 1, 0, -1):
            h = getattr(self, f"dec{i}")(torch.cat([self.up(h), skips.pop()], dim=1))
        return self.to_vertices(self.classify(h))


def _variant(base: dict[str, Any], name: str, description: str, **defaults: Any) -> dict[str, Any]:
    """``base`` under another name, with ``defaults`` added to its defaults."""
    return {
        **base,
        "name": name,
        "defaults": {**base["defaults"], **defaults},
        "description": description,
    }


def specs() -> list[dict[str, Any]]:
    """Registry entries for the icosahedral models (the registry owner adds them)."""
    v = 10 * 4**4 + 2
    cls = {
        "name": "ico-cnn",
        "builder": IcoCNN,
        "input_kind": "ico",
        "output_kind": "logits",
        "task": "classification",
        "input_shape": (1, v),
        "group": "ico",
        "defaults": {"num_classes": 10, "in_channels": 1, "r": 4},
        "description": "icosahedral CNN (Cohen et al. 2019), 7 gauge-equivariant convs, "
        "r=4 (2,562 vertices), invariant to the 60 icosahedral rotations; 182,218 parameters",
    }
    seg = {
        "name": "ico-cnn-seg",
        "builder": IcoCNNSeg,
        "input_kind": "ico",
        "output_kind": "pixel-logits",
        "task": "segmentation",
        "input_shape": (1, v),
        "group": "ico",
        "defaults": {"num_classes": 11, "in_channels": 1, "r": 4},
        "description": "icosahedral encoder-decoder with unpooling and skips, logits on "
        "every vertex, equivariant to the 60 icosahedral rotations",
    }
    return [
        cls,
        _variant(
            cls,
            "ico-cnn-nogauge",
            "ablation: ico-cnn with the gauge change removed from "
            "its padding (not equivariant; for check-equivariance side by side with ico-cnn)",
            gauge=False,
        ),
        seg,
        _variant(
            seg,
            "ico-cnn-seg-deep",
            "ico-cnn-seg with a fourth level (r = 4 → 1, channels "
            "8, 16, 24, 32): 227,467 parameters, near s2cnn-seg's 204,073",
            channels=(8, 16, 24, 32),
        ),
    ]


register_models(specs())
