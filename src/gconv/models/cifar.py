# SPDX-License-Identifier: MIT
"""The CIFAR-10 models of Cohen & Welling (2016), Table 2: All-CNN-C and ResNet44 on Z², p4, p4m.

Image ``(B, 3, 32, 32)`` → logits ``(B, num_classes)``. Layouts follow the paper's released code
(``gconv_experiments/CIFAR10/models``), which fixes what the paper leaves open: batch norm after
every convolution and a bias in every convolution (Chainer's default) although batch norm
follows it. Initialisation is ours, He's (gconv's layers; plain ``nn.Conv2d`` of the Z² models
alike): that code draws All-CNN-C's weights with a fixed scale (``wscale``), He's only in its
ResNets; batch norm after every convolution makes the difference small.

**All-CNN-C** (Springenberg et al. 2014): 3×3 convolutions c₁, c₁, c₁ (stride 2), c₂, c₂, c₂
(stride 2), c₂ (3×3), c₂ (1×1), ``num_classes`` (1×1), each → batch norm → ReLU (the last one
too, as in the reference), then the mean over the plane and the group: invariant read-out.
Dropout 0.2 on the input and 0.5 after each downsampling layer (l3, l6), elementwise.
Channels (c₁, c₂): Z² (96, 192), p4 (48, 96) = ÷2, p4m (32, 64) ≈ ÷3, so that the
parameter counts stay close: the filters of a p4 (p4m) layer have 4 (8) times the input
channels. Convolution parameters (weights + biases): 1,369,738 (Z²), 1,369,738 (p4),
1,218,826 (p4m) — the paper's 1.37M / 1.37M / 1.22M; batch norm adds 2·Σ channels = 2,516 /
1,268 / 852 (totals 1,372,254 / 1,371,006 / 1,219,678; ``batchnorm=False`` gives the first).

**ResNet44** (He et al. 2016, pre-activation blocks as in the reference): 3×3 stem, three
stages of 7 blocks (32×32, 16×16, 8×8), each block BN → ReLU → 3×3 conv → BN → ReLU → 3×3 conv
plus a shortcut (identity, or a 1×1 convolution where the stage changes width and resolution),
then BN → ReLU → mean over the plane → linear. Widths Z² (32, 64, 128), p4m (11, 23, 45).
No dropout. The reference p4m read-out is orientation-sensitive: a linear map of all C·|G|
channels (``head="flatten"``); ``head="pool"`` averages the group first (invariant).
Parameters: 2,639,434 (Z²), 2,622,878 (p4m, flatten head), 2,619,728 (p4m, pool head) — the
paper's 2.64M and 2.62M.

**Exactness.** A 3×3 convolution of stride 2 on 32×32 skips one row and column on one side,
whatever the padding (32 + 2p − 3 is odd), and so does a 1×1 stride-2 shortcut (32 − 1 = 31):
the paper's layouts are *not* exactly invariant to rotations and flips (the checker reports
them inexact and measures the error). ``downsample="pool"`` replaces every stride-2 layer by
the same layer at stride 1 followed by 2×2 average pooling (stride 2; 32 − 2 = 30 and 16 − 2 =
14 are even, so the grid maps onto itself): the composite is still one linear stride-2
convolution (the 3×3 filter convolved with a 2×2 box) on the same 32×32 images, with the same
parameters, so the model stays all-convolutional — at 4× the cost of those layers. With
``head="pool"`` for the p4m ResNet the logits are then invariant to all of C4 (p4) or D4 (p4m)
to float rounding. We prefer this to 33×33 inputs, which would need resampling the images.

>>> model = AllCNNC(group="p4m", channels=(32, 64))
>>> model(torch.randn(2, 3, 32, 32)).shape
torch.Size([2, 10])
>>> model.num_parameters()
1219678
"""

from __future__ import annotations

import math
import numbers
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from .._util import ShapeError, check_positive_int, check_tensor
from ..groups import FiniteGroup, Group
from ..groups import get as get_group
from ..nn import GroupBatchNorm, GroupConv2d, LiftConv2d, planar_exactness
from ._registry import register_models

__all__ = ["AllCNNC", "AvgPool2x2", "ResNet", "PreActBlock", "specs"]

_GROUPS = (None, "p4", "p4m")
_DOWNSAMPLE = ("stride", "pool")
_HEADS = ("flatten", "pool")


def _check(name: str, group: str | None, downsample: str) -> None:
    if group not in _GROUPS:
        raise ValueError(f"{name}: group must be one of {_GROUPS}, got {group!r}")
    if downsample not in _DOWNSAMPLE:
        raise ValueError(f"{name}: downsample must be one of {_DOWNSAMPLE}, got {downsample!r}")


def _widths(name: str, channels: Sequence[int], count: int) -> list[int]:
    """``channels`` as ``count`` positive ints, else ValueError."""
    widths = list(channels)
    if len(widths) != count or not all(
        isinstance(c, numbers.Integral) and not isinstance(c, bool) and c >= 1 for c in widths
    ):
        raise ValueError(f"{name}: channels must be {count} positive ints, got {channels!r}")
    return [int(c) for c in widths]


def _conv(
    group: str | None, cin: int, cout: int, k: int, stride: int, lift: bool = False
) -> nn.Module:
    """A k×k convolution with padding (k − 1)/2: Conv2d on Z², else a lifting/group conv."""
    pad = (k - 1) // 2
    if group is None:
        conv = nn.Conv2d(cin, cout, k, stride, pad)
        with torch.no_grad():  # He initialisation, as gconv's layers
            conv.weight.normal_(0.0, math.sqrt(2.0 / (cin * k * k)))
            assert conv.bias is not None  # bias=True
            conv.bias.zero_()
        return conv
    cls = LiftConv2d if lift else GroupConv2d
    return cls(cin, cout, k, group=group, stride=stride, padding=pad)


def _norm(group: str | None, channels: int) -> nn.Module:
    return nn.BatchNorm2d(channels) if group is None else GroupBatchNorm(channels)


class AvgPool2x2(nn.Module):
    """2×2 average pooling, stride 2, of images ``(B, C, H, W)`` or group feature maps
    ``(B, C, |G|, H, W)`` (every orientation alike, so it commutes with the group's action when
    H and W are even). Carries ``kernel_size``/``stride``/``padding``/``dilation`` for the
    equivariance checker's grid rule."""

    kernel_size, stride, padding, dilation = 2, 2, 0, 1

    def equivariance_exactness(self, group: Group, g: int, x: torch.Tensor) -> str | None:
        """Exact for grid elements whose reversed axes have even size (the stride rule)."""
        own = group if isinstance(group, FiniteGroup) else None
        if own is None:
            return f"AvgPool2x2 pools the plane, not under {getattr(group, 'name', group)}"
        return planar_exactness("AvgPool2x2", own, (2, 2, 0, 1), group, g, x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("AvgPool2x2: input", x)
        if x.dim() not in (4, 5):
            raise ShapeError(
                f"AvgPool2x2: expected (B, C, H, W) or (B, C, |G|, H, W), got {tuple(x.shape)}"
            )
        if x.dim() == 4:
            return F.avg_pool2d(x, 2)
        b, c, n, h, w = x.shape
        y = F.avg_pool2d(x.reshape(b, c * n, h, w), 2)
        return y.view(b, c, n, y.shape[-2], y.shape[-1])


def _downsampling_conv(
    group: str | None, cin: int, cout: int, k: int, downsample: str, lift: bool = False
) -> list[nn.Module]:
    """Halve the resolution: one stride-2 conv ("stride"), or stride 1 then AvgPool2x2."""
    if downsample == "stride":
        return [_conv(group, cin, cout, k, 2, lift)]
    return [_conv(group, cin, cout, k, 1, lift), AvgPool2x2()]


class _Counted(nn.Module):
    def num_parameters(self, trainable_only: bool = True) -> int:
        """Number of (trainable) parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)


class AllCNNC(_Counted):
    """All-CNN-C on Z² (``group=None``), p4 or p4m; see the module docstring for the layout.

    ``channels`` (c₁, c₂); ``dropout`` (input rate, rate after l3 and l6); ``batchnorm``
    after every convolution; ``downsample`` "stride" (paper) or "pool" (exact). Submodules
    ``features.drop0, l1 … l9, drop3, drop6`` (each ``l<i>`` is conv [→ pool] → bn → relu).
    """

    def __init__(
        self,
        group: str | None = None,
        channels: Sequence[int] = (96, 192),
        num_classes: int = 10,
        in_channels: int = 3,
        dropout: Sequence[float] = (0.2, 0.5),
        batchnorm: bool = True,
        downsample: str = "stride",
    ) -> None:
        super().__init__()
        _check("AllCNNC", group, downsample)
        c1, c2 = _widths("AllCNNC", channels, 2)
        check_positive_int("AllCNNC", "num_classes", num_classes)
        check_positive_int("AllCNNC", "in_channels", in_channels)
        p_in, p_down = (float(p) for p in dropout)
        for p in (p_in, p_down):
            if not 0.0 <= p < 1.0:
                raise ValueError(f"AllCNNC: dropout rates must be in [0, 1), got {dropout!r}")
        plan = [  # (in, out, kernel, halves the resolution)
            (in_channels, c1, 3, False),
            (c1, c1, 3, False),
            (c1, c1, 3, True),
            (c1, c2, 3, False),
            (c2, c2, 3, False),
            (c2, c2, 3, True),
            (c2, c2, 3, False),
            (c2, c2, 1, False),
            (c2, num_classes, 1, False),
        ]
        self.group = group
        layers: OrderedDict[str, nn.Module] = OrderedDict(drop0=nn.Dropout(p_in))
        for i, (cin, cout, k, down) in enumerate(plan, 1):
            block = (
                _downsampling_conv(group, cin, cout, k, downsample)
                if down
                else [_conv(group, cin, cout, k, 1, lift=i == 1)]
            )
            if batchnorm:
                block.append(_norm(group, cout))
            layers[f"l{i}"] = nn.Sequential(*block, nn.ReLU(inplace=True))
            if down:
                layers[f"drop{i}"] = nn.Dropout(p_down)
        self.features = nn.Sequential(layers)

    #: forward chains ``features`` and a mean over (|G|,) H, W: the checker composes them
    equivariance_composite = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        return h.flatten(2).mean(dim=2)  # mean over (|G|,) H, W: invariant read-out


class PreActBlock(nn.Module):
    """Pre-activation residual block: ``conv2(relu(bn2(conv1(relu(bn1(x)))))) + shortcut(x)``.

    ``halve``: conv1 and the shortcut (a 1×1 convolution, needed then) halve the resolution,
    by stride 2 or by stride 1 + 2×2 average pooling (``downsample``); the shortcut is the
    identity when neither the width nor the resolution changes.
    """

    def __init__(
        self, group: str | None, cin: int, cout: int, halve: bool, downsample: str = "stride"
    ) -> None:
        super().__init__()
        _check("PreActBlock", group, downsample)
        check_positive_int("PreActBlock", "cin", cin)
        check_positive_int("PreActBlock", "cout", cout)
        self.bn1, self.bn2 = _norm(group, cin), _norm(group, cout)
        first = (
            _downsampling_conv(group, cin, cout, 3, downsample)
            if halve
            else [_conv(group, cin, cout, 3, 1)]
        )
        self.conv1 = first[0] if len(first) == 1 else nn.Sequential(*first)
        self.conv2 = _conv(group, cout, cout, 3, 1)
        self.shortcut: nn.Module | None = None
        if halve and downsample == "pool":  # pool first: the same map, 4× cheaper
            self.shortcut = nn.Sequential(AvgPool2x2(), _conv(group, cin, cout, 1, 1))
        elif halve or cin != cout:
            self.shortcut = _conv(group, cin, cout, 1, 2 if halve else 1)

    #: forward: pointwise ReLUs, its layers and a sum of two equivariant paths
    equivariance_composite = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.relu(self.bn1(x)))
        h = self.conv2(F.relu(self.bn2(h)))
        return h + (x if self.shortcut is None else self.shortcut(x))


class ResNet(_Counted):
    """Pre-activation ResNet of depth 6·``blocks`` + 2 on Z², p4 or p4m (ResNet44: 7 blocks).

    ``channels``: widths of the three stages; ``downsample`` "stride" (paper) or "pool"
    (exact); ``head`` "flatten" (reference: linear map of all C·|G| channels) or "pool" (mean
    over the group first; the only choice on Z²). Submodules ``stem``, ``stages.<s>.<b>``,
    ``bn``, ``fc``.
    """

    def __init__(
        self,
        group: str | None = None,
        channels: Sequence[int] = (32, 64, 128),
        blocks: int = 7,
        num_classes: int = 10,
        in_channels: int = 3,
        downsample: str = "stride",
        head: str = "pool",
    ) -> None:
        super().__init__()
        _check("ResNet", group, downsample)
        if head not in _HEADS:
            raise ValueError(f"ResNet: head must be one of {_HEADS}, got {head!r}")
        if not isinstance(blocks, int) or blocks < 1:
            raise ValueError(f"ResNet: blocks must be a positive int, got {blocks!r}")
        widths = [int(c) for c in channels]
        self.group, self.head = group, head
        self.stem = _conv(group, in_channels, widths[0], 3, 1, lift=True)
        stages, cin = [], widths[0]
        for s, cout in enumerate(widths):
            stage = [
                PreActBlock(group, cin if b == 0 else cout, cout, s > 0 and b == 0, downsample)
                for b in range(blocks)
            ]
            stages.append(nn.Sequential(*stage))
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.bn = _norm(group, cin)
        order = 1 if group is None else cast(FiniteGroup, get_group(group)).order
        self.fc = nn.Linear(cin * (order if head == "flatten" else 1), num_classes)

    #: forward chains its layers, a spatial mean and the read-out (declared below)
    equivariance_composite = True

    def equivariance_exactness(self, group: Group, g: int, x: torch.Tensor) -> str | None:
        """The "flatten" head maps all C·|G| channels linearly: not invariant to rotations."""
        if self.head == "flatten" and self.group is not None and g != 0:
            return "the flatten head's linear map mixes the group axis"
        return None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn(self.stages(self.stem(x))))
        h = h.mean(dim=(-2, -1))  # (B, C) or (B, C, |G|)
        if h.dim() == 3:
            h = h.flatten(1) if self.head == "flatten" else h.mean(dim=2)
        return self.fc(h)


def _builder(cls: type[nn.Module], defaults: dict[str, Any]) -> Callable[..., nn.Module]:
    def build(**kwargs: Any) -> nn.Module:
        return cls(**{**defaults, **kwargs})

    build.__doc__ = f"{cls.__name__}(**{defaults!r}), keyword arguments override."
    return build


_ALL: dict[str, tuple[str | None, tuple[int, ...]]] = {
    "z2": (None, (96, 192)),
    "p4": ("p4", (48, 96)),
    "p4m": ("p4m", (32, 64)),
}
_RES: dict[str, tuple[str | None, tuple[int, ...], str]] = {
    "z2": (None, (32, 64, 128), "pool"),
    "p4m": ("p4m", (11, 23, 45), "flatten"),
}


def specs() -> list[dict[str, Any]]:
    """Registry entries of the CIFAR-10 models: ``name``, ``builder(**overrides)``,
    ``input_kind`` "image", ``output_kind`` "logits", ``task`` "classification",
    ``input_shape`` (3, 32, 32), ``group`` ("p4", "p4m" or None), ``defaults`` (the builder's
    keyword arguments) and ``description``. The ``-exact`` entries are the pooled variants."""
    entries = []
    for g, (group, ch) in _ALL.items():
        for exact in (False, True) if group else (False,):
            d = dict(group=group, channels=ch, num_classes=10, in_channels=3,
                     dropout=(0.2, 0.5), batchnorm=True,
                     downsample="pool" if exact else "stride")  # fmt: skip
            how = "stride 1 + 2×2 avg pool (exactly invariant)" if exact else "paper layout"
            entries.append(
                _entry(
                    f"allcnnc-{g}{'-exact' if exact else ''}",
                    AllCNNC,
                    d,
                    group,
                    f"All-CNN-C on {g} ({ch[0]}/{ch[1]} channels), {how}",
                )
            )
    for g, (group, ch, head) in _RES.items():
        for exact in (False, True) if group else (False,):
            d = dict(group=group, channels=ch, blocks=7, num_classes=10, in_channels=3,
                     downsample="pool" if exact else "stride",
                     head="pool" if exact else head)  # fmt: skip
            how = "stride 1 + 2×2 avg pool, group-mean head (exactly invariant)"
            how = how if exact else "paper layout"
            entries.append(
                _entry(
                    f"resnet44-{g}{'-exact' if exact else ''}",
                    ResNet,
                    d,
                    group,
                    f"pre-activation ResNet44 on {g} ({'/'.join(map(str, ch))}), {how}",
                )
            )
    return entries


def _entry(
    name: str, cls: type[nn.Module], defaults: dict[str, Any], group: str | None, text: str
) -> dict[str, Any]:
    return {
        "name": name,
        "builder": _builder(cls, defaults),
        "input_kind": "image",
        "output_kind": "logits",
        "task": "classification",
        "input_shape": (3, 32, 32),
        "group": group,
        "defaults": dict(defaults),
        "description": f"CIFAR-10 (Cohen & Welling 2016, Table 2): {text}",
    }


register_models(specs())
