# SPDX-License-Identifier: MIT
"""The rotated-MNIST models of Cohen & Welling (2016), as in ``gconv_experiments/MNIST_ROT``.

All share one seven-layer layout on a ``(B, 1, 28, 28)`` image (sizes 28→26→24→12→10→8→6→4→1):
six 3×3 convolutions without padding, each followed by batch norm and ReLU, a 2×2 max pool
after layer 2, dropout (where used) after layers 1, 3, 4, 5 and 6, then a 4×4 top convolution
to the class scores and a max over space (and over the group where there is one). Every
convolution has a bias, as in the reference code (Chainer's default), although batch norm
follows it. Output: logits ``(B, num_classes)``.

=====================  ======================  ===========  ==========  ================
model                  layers                  channels     dropout     invariant to
=====================  ======================  ===========  ==========  ================
Z2CNN                  Conv2d                  20           0.3         translations only
P4CNN                  lift + p4 group convs   10 (×4)      none        C4 (90° rotations)
P4CNNRotationPooling   lift + max over C4      20           none        C4
P4MCNN                 lift + p4m group convs  7 (×8)       none        D4 (``top_pool="group"``)
P4MCNNCosetPooling     P4MCNN, pool C4 only    7 (×8)       none        C4, not mirrors
=====================  ======================  ===========  ==========  ================

>>> model = P4CNN()
>>> model(torch.randn(2, 1, 28, 28)).shape
torch.Size([2, 10])
>>> model.num_parameters()
24680
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import cast

import torch
from torch import nn

from .._util import check_positive_int, check_probability, check_tensor
from ..equivariance import permutes_grid
from ..groups import FiniteGroup, Group
from ..groups import get as get_group
from ..nn import GroupBatchNorm, GroupConv2d, GroupMaxPool2d, GroupPool, LiftConv2d
from ._registry import ModelSpec, register_model

__all__ = [
    "Z2CNN",
    "P4CNN",
    "P4CNNRotationPooling",
    "P4MCNN",
    "P4MCNNCosetPooling",
    "MNISTRotCNN",
    "SpatialMax",
    "CosetReadout",
]

#: layers (1-based) followed by dropout in Z2CNN; the 2×2 max pool follows layer 2
_DROPOUT_AFTER = (1, 3, 4, 5, 6)
_POOL_AFTER = 2
_DEPTH = 6
_TOP_POOLS = ("group", "rotations")


class SpatialMax(nn.Module):
    """Max over the two spatial axes: ``(..., H, W) → (...)`` (invariant to translations)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("SpatialMax: input", x, floating=False)
        return x.amax(dim=(-2, -1))

    def equivariance_exactness(self, group: Group, g: int, x: torch.Tensor) -> str | None:
        """A max over all pixels is unchanged by any permutation of the pixels."""
        return None if permutes_grid(group, g) else "a resampled image changes its maximum"


class CosetReadout(nn.Sequential):
    """``Flatten → Linear`` over scores pooled to the cosets of a subgroup H: ``(B, K, n)`` →
    ``(B, K')``. Exact (invariant) for the elements that fix every coset (those of H when H is
    normal, as C_N in D_N); the others permute the cosets, which the linear map need not ignore.
    """

    def __init__(self, in_features: int, out_features: int, group: str, over: str) -> None:
        super().__init__(nn.Flatten(1), nn.Linear(in_features, out_features))
        self.group, self.over = cast(FiniteGroup, get_group(group)), over

    def equivariance_exactness(self, group: Group, g: int, x: torch.Tensor) -> str | None:
        if not isinstance(group, FiniteGroup):
            return f"CosetReadout reads planar cosets, not under {getattr(group, 'name', group)}"
        mine = self.group.find(group.split(g)[0], group.angle(g))
        perm = None if mine is None else self.group.coset_permutation(mine, self.over)
        if perm is not None and (perm == range(len(perm))).all():
            return None
        return f"{group.element_name(g)} permutes the cosets of {self.over} that the read-out mixes"


class MNISTRotCNN(nn.Module):
    """The shared layout: ``features`` (six blocks, pool, dropout) → ``top`` → ``head``.

    Submodules are named as in the reference code: ``features.l1 … features.l6`` (each
    ``conv → bn → relu`` [→ ``rotation_pool``]), ``features.pool``, ``features.drop<i>``, then
    ``top`` (the 4×4 convolution and the pooling to invariants) and ``head`` (identity, or the
    linear read-out of the coset-pooling variant).
    """

    def __init__(
        self,
        blocks: Sequence[nn.Module],
        pool: nn.Module,
        dropout: float,
        top: nn.Module,
        head: nn.Module | None = None,
    ) -> None:
        super().__init__()
        _check_dropout(type(self).__name__, dropout)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        for i, block in enumerate(blocks, 1):
            layers[f"l{i}"] = block
            if dropout > 0 and i in _DROPOUT_AFTER:
                layers[f"drop{i}"] = nn.Dropout(dropout)
            if i == _POOL_AFTER:
                layers["pool"] = pool
        self.features = nn.Sequential(layers)
        self.top = top
        self.head = nn.Identity() if head is None else head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C_in, H, W)`` image → ``(B, num_classes)`` logits."""
        return self.head(self.top(self.features(x)))

    #: forward chains features → top → head: the checker composes their declarations
    equivariance_composite = True

    def num_parameters(self, trainable_only: bool = True) -> int:
        """Number of (trainable) parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)


def _check_dropout(name: str, p: float) -> None:
    check_probability(name, "dropout", p)


def _check_sizes(name: str, **sizes: int) -> None:
    for arg, v in sizes.items():
        check_positive_int(name, arg, v)


def _block(conv: nn.Module, bn: nn.Module, rotation_pool: bool = False) -> nn.Sequential:
    """conv → bn → ReLU [→ max over the rotations]. The ReLU is in place (one buffer fewer per
    layer): batch norm's backward needs its input, not its output, so gradients are unchanged."""
    parts: OrderedDict[str, nn.Module] = OrderedDict(conv=conv, bn=bn, relu=nn.ReLU(inplace=True))
    if rotation_pool:
        parts["rotation_pool"] = GroupPool("max", over="group")
    return nn.Sequential(parts)


def _group_cnn_parts(
    name: str,
    group: str,
    in_channels: int,
    num_classes: int,
    channels: int,
    top_pool: str,
) -> tuple[list[nn.Module], nn.Module, nn.Module, nn.Module | None]:
    """Blocks, pool, top and head of P4CNN/P4MCNN on ``group``."""
    _check_sizes(name, in_channels=in_channels, num_classes=num_classes, channels=channels)
    if top_pool not in _TOP_POOLS:
        raise ValueError(f"{name}: top_pool must be one of {_TOP_POOLS}, got {top_pool!r}")
    c = channels
    blocks: list[nn.Module] = [
        _block(LiftConv2d(in_channels, c, 3, group=group), GroupBatchNorm(c))
    ]
    blocks += [
        _block(GroupConv2d(c, c, 3, group=group), GroupBatchNorm(c)) for _ in range(_DEPTH - 1)
    ]
    top = nn.Sequential(
        OrderedDict(
            conv=GroupConv2d(c, num_classes, 4, group=group),
            group_pool=GroupPool("max", over=top_pool, group=group),
            spatial_max=SpatialMax(),
        )
    )
    head = None
    if top_pool == "rotations" and group == "p4m":
        # (B, K, 2) scores per mirror coset → K logits by one learned linear map
        head = CosetReadout(2 * num_classes, num_classes, group, over="rotations")
    return blocks, GroupMaxPool2d(2), top, head


class Z2CNN(MNISTRotCNN):
    """The ordinary CNN baseline: six 3×3 ``Conv2d`` (20 channels) + ``BatchNorm2d`` + ReLU,
    dropout 0.3 after layers 1, 3, 4, 5, 6, 2×2 max pool after layer 2, a 4×4 ``Conv2d`` to
    the classes, max over space. Equivariant to translations only.

    Parameters at the defaults: 21,750 (= 1·20·9+20 + 2·20 for layer 1, 5·(20·20·9+20 + 2·20)
    for layers 2–6, 20·10·16+10 for the top).

    >>> Z2CNN().num_parameters()
    21750
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        channels: int = 20,
        dropout: float = 0.3,
    ) -> None:
        name = type(self).__name__
        _check_sizes(name, in_channels=in_channels, num_classes=num_classes, channels=channels)
        c = channels
        blocks = [_block(nn.Conv2d(in_channels, c, 3), nn.BatchNorm2d(c))]
        blocks += [_block(nn.Conv2d(c, c, 3), nn.BatchNorm2d(c)) for _ in range(_DEPTH - 1)]
        top = nn.Sequential(
            OrderedDict(conv=nn.Conv2d(c, num_classes, 4), spatial_max=SpatialMax())
        )
        super().__init__(blocks, nn.MaxPool2d(2), dropout, top)


class P4CNN(MNISTRotCNN):
    """The p4 G-CNN: ``LiftConv2d`` then five ``GroupConv2d`` on p4 with 10 channels (×4
    orientations), ``GroupBatchNorm`` + ReLU, ``GroupMaxPool2d(2)`` after layer 2, no dropout
    (the paper removed it), a 4×4 ``GroupConv2d`` to the classes, then max over the rotations
    and over space. Invariant to 90° rotations (exactly, on the 28×28 grid).

    Parameters at the defaults: 24,680 (= 10·1·9+10 + 2·10 for the lift, 5·(10·10·4·9+10 +
    2·10) for layers 2–6, 10·10·4·16+10 for the top).

    >>> P4CNN().num_parameters()
    24680
    """

    group = "p4"

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        channels: int = 10,
        dropout: float = 0.0,
    ) -> None:
        parts = _group_cnn_parts(
            type(self).__name__, self.group, in_channels, num_classes, channels, "group"
        )
        blocks, pool, top, head = parts
        super().__init__(blocks, pool, dropout, top, head)


class P4CNNRotationPooling(MNISTRotCNN):
    """P4CNN with rotation pooling after every layer (the paper's P4CNNRotationPooling):
    each layer is a ``LiftConv2d`` with 20 channels, ``GroupBatchNorm`` and ReLU on the
    ``(B, 20, 4, H, W)`` output, then the max over the 4 rotations (an image again). 2×2 max
    pool after layer 2; the top is a 4×4 ``LiftConv2d`` to the classes, max over rotations and
    space. As in the reference code (``P4CNN_RP.py``), batch norm and ReLU come *before* the
    rotation max and there is no dropout (its lines are commented out there).

    Parameters at the defaults: 21,750 — the same as Z2CNN, since a lifting conv has as many
    weights as a plain conv (1·20·9+20 + 2·20, 5·(20·20·9+20 + 2·20), 20·10·16+10).

    >>> P4CNNRotationPooling().num_parameters()
    21750
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        channels: int = 20,
        dropout: float = 0.0,
    ) -> None:
        name = type(self).__name__
        _check_sizes(name, in_channels=in_channels, num_classes=num_classes, channels=channels)
        c = channels
        blocks = [
            _block(LiftConv2d(in_channels if i == 0 else c, c, 3), GroupBatchNorm(c), True)
            for i in range(_DEPTH)
        ]
        top = nn.Sequential(
            OrderedDict(
                conv=LiftConv2d(c, num_classes, 4),
                group_pool=GroupPool("max", over="group"),
                spatial_max=SpatialMax(),
            )
        )
        super().__init__(blocks, nn.MaxPool2d(2), dropout, top)


class P4MCNN(MNISTRotCNN):
    """P4CNN on p4m: ``LiftConv2d``/``GroupConv2d`` on p4m (8 orientations incl. mirrors).

    ``channels`` defaults to 7 ≈ 10/√2, which keeps the parameter count near P4CNN's: with c
    channels the count is 360c² + 1307c + 10 (12c for the lift with its batch norm,
    5·(72c² + 3c) for layers 2–6, 1280c + 10 for the top), i.e. 26,799 at c = 7 (P4CNN:
    24,680; c = 6 would give 20,812).

    ``top_pool="group"`` (default): max over all 8 elements and space, so the logits are
    invariant to D4 (rotations and mirrors). ``top_pool="rotations"`` (coset pooling): max over
    the rotations within each mirror coset only → scores ``(B, K, 2)`` (index: not mirrored /
    mirrored), and a learned ``Linear(2K, K)`` read-out (+ 2K·K + K = 210 parameters at K = 10)
    turns them into logits. Rotations keep each coset in place, so the logits stay invariant
    to C4; a mirror swaps the two cosets, which the linear map need not ignore, so the model
    can tell a digit from its mirror image (see ``P4MCNNCosetPooling``).

    >>> P4MCNN().num_parameters()
    26799
    """

    group = "p4m"

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        channels: int = 7,
        dropout: float = 0.0,
        top_pool: str = "group",
    ) -> None:
        parts = _group_cnn_parts(
            type(self).__name__, self.group, in_channels, num_classes, channels, top_pool
        )
        blocks, pool, top, head = parts
        super().__init__(blocks, pool, dropout, top, head)
        self.top_pool = top_pool


class P4MCNNCosetPooling(P4MCNN):
    """``P4MCNN(top_pool="rotations")``: invariant to rotations, not to mirrors.

    Parameters at the defaults: 27,009 (P4MCNN's 26,799 + the 20·10 + 10 of the read-out).

    >>> P4MCNNCosetPooling().num_parameters()
    27009
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        channels: int = 7,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(in_channels, num_classes, channels, dropout, top_pool="rotations")


for _name, _cls, _group, _text in (
    ("z2cnn", Z2CNN, None, "Z2CNN: six 3×3 convs (20 ch), BN, ReLU, dropout 0.3; 21,750 params"),
    ("p4cnn", P4CNN, "p4", "P4CNN: p4 lift + group convs (10 ch ×4); 24,680 params"),
    ("p4cnn-rp", P4CNNRotationPooling, "p4", "P4CNN with rotation pooling per layer; 21,750"),
    ("p4mcnn", P4MCNN, "p4m", "P4MCNN: p4m layers (7 ch ×8), invariant to D4; 26,799 params"),
    ("p4mcnn-coset", P4MCNNCosetPooling, "p4", "P4MCNN, pooling over rotations only; 27,009"),
):
    register_model(
        ModelSpec(
            _name,
            _cls,
            "image",
            "logits",
            "classification",
            (1, 28, 28),
            group=_group,
            description=f"rotated MNIST (Cohen & Welling 2016): {_text}",
        )
    )
