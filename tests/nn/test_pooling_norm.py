# SPDX-License-Identifier: MIT
"""GroupPool (group and coset pooling), GroupMaxPool2d, GroupBatchNorm, and a 7-layer stack."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gconv.equivariance import check_equivariance
from gconv.groups import C4, D4, get
from gconv.nn import (
    GroupBatchNorm,
    GroupConv2d,
    GroupMaxPool2d,
    GroupPool,
    LiftConv2d,
    ShapeError,
)

TOL64 = 1e-12  # see test_planar.py: exact layers leave only float64 rounding


@pytest.mark.parametrize("reduction", ["max", "mean"])
@pytest.mark.parametrize(
    "group,over,size",
    [
        ("p4", "group", None),
        ("p4", "rotations", None),
        ("p4m", "group", None),
        ("p4m", "rotations", 2),
        ("p4m", "mirrors", 4),
    ],
)
def test_group_pool_equivariance(reduction, group, over, size):
    """Pooled maps transform by the quotient action (or not at all over the whole group)."""
    G = get(group)
    pool = GroupPool(reduction, over=over, group=group)
    x = torch.randn(2, 3, G.order, 6, 6, dtype=torch.float64)
    y = pool(x)
    assert y.shape == ((2, 3, 6, 6) if size is None else (2, 3, size, 6, 6))
    out = "image" if size is None else f"cosets:{over}"
    rep = check_equivariance(pool, G, x, "features", out)
    assert rep.verdict == "equivariant" and all(r.exact for r in rep.rows), str(rep)
    assert rep.max_error < TOL64, str(rep)


def test_group_pool_values():
    x = torch.randn(1, 2, 8, 3, 3)
    pool = GroupPool("max", over="rotations", group="p4m")
    torch.testing.assert_close(pool(x)[:, :, 1], x[:, :, 4:].amax(2))
    pool = GroupPool("mean", over="mirrors", group="p4m")
    torch.testing.assert_close(pool(x)[:, :, 3], x[:, :, [3, 7]].mean(2))


def test_group_pool_errors():
    with pytest.raises(ValueError, match="reduction must be one of"):
        GroupPool("sum")
    with pytest.raises(ValueError, match="C4 has no subgroup 'mirrors'"):
        GroupPool(over="mirrors", group="p4")
    with pytest.raises(ValueError, match="needs the group"):
        GroupPool(over="rotations")
    with pytest.raises(ShapeError, match=r"\|G\| = 8, got \(1, 2, 4, 3, 3\)"):
        GroupPool(over="mirrors", group="p4m")(torch.randn(1, 2, 4, 3, 3))


def test_group_max_pool2d():
    pool = GroupMaxPool2d(2)
    x = torch.randn(2, 3, 8, 8, 8, dtype=torch.float64)
    assert pool(x).shape == (2, 3, 8, 4, 4)
    rep = check_equivariance(pool, D4, x, "features")
    assert all(r.exact for r in rep.rows) and rep.max_error == 0.0  # max only moves values
    with pytest.raises(ShapeError):
        pool(torch.randn(2, 3, 8, 8))


@pytest.mark.parametrize("train", [True, False])
def test_group_batch_norm_equivariant(train):
    bn = GroupBatchNorm(3).double()
    with torch.no_grad():
        bn.weight.normal_(), bn.bias.normal_(), bn.running_mean.normal_()
    bn.train(train)
    x = torch.randn(4, 3, 8, 5, 5, dtype=torch.float64)
    for g in D4.elements():
        torch.testing.assert_close(
            bn(D4.act_features(x, g)), D4.act_features(bn(x), g), rtol=0, atol=1e-12
        )
    with pytest.raises(ShapeError, match=r"expected \(B, 3, \|G\|, H, W\)"):
        bn(torch.randn(4, 3, 5, 5))


def _stack(group: str) -> nn.Sequential:
    """7 conv layers: lift → group convs with BN, ReLU, strided conv and pooling → GroupPool."""
    return nn.Sequential(
        LiftConv2d(2, 6, 3, group=group),
        GroupBatchNorm(6),
        nn.ReLU(),
        GroupConv2d(6, 6, 3, group=group, padding=1),
        GroupBatchNorm(6),
        nn.ReLU(),
        GroupMaxPool2d(2),  # 24 → 12: (24 − 2) even
        GroupConv2d(6, 6, 3, group=group, dilation=2, padding=2),
        nn.ReLU(),
        GroupConv2d(6, 6, 4, group=group, stride=2, padding=1),
        GroupBatchNorm(6),
        nn.ReLU(),
        GroupConv2d(6, 6, 5, group=group, padding=2),
        nn.ReLU(),
        GroupConv2d(6, 6, 1, group=group),
        nn.ReLU(),
        GroupConv2d(6, 4, 3, group=group),
        GroupPool("max"),
    )


@pytest.mark.parametrize("group", ["p4", "p4m"])
def test_seven_layer_stack(group):
    G = get(group)
    torch.manual_seed(1)
    net = _stack(group).double()
    x = torch.randn(2, 2, 26, 26, dtype=torch.float64)
    for bn in net:
        if isinstance(bn, GroupBatchNorm):  # non-trivial running statistics
            with torch.no_grad():
                bn.running_mean.normal_(), bn.running_var.uniform_(0.5, 2)
    rep = check_equivariance(net, G, x, "image", "image")
    assert len(rep.rows) == G.order and all(r.exact for r in rep.rows), str(rep)
    assert rep.max_error < TOL64, str(rep)
    pooled = nn.Sequential(net, nn.AdaptiveAvgPool2d(1), nn.Flatten())
    rep = check_equivariance(pooled, G, x, "image", "invariant")
    assert all(r.exact for r in rep.rows) and rep.max_error < TOL64, str(rep)


def test_stack_in_train_mode_is_equivariant():
    """BatchNorm with batch statistics: the statistics are invariant, so still exact."""
    net = _stack("p4").double().train()
    x = torch.randn(3, 2, 26, 26, dtype=torch.float64)
    y = net(x)
    for g in C4.elements():
        torch.testing.assert_close(net(C4.act_image(x, g)), C4.act_image(y, g), rtol=0, atol=1e-11)
