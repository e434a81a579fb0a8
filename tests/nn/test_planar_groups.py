# SPDX-License-Identifier: MIT
"""Every planar layer on every grid-exact group (C1, C2, C4, D1, D2, D4): exact to 1e-12 in
float64 for every element on random inputs, through the checker (which must say
"equivariant"), export() equal to the layer, gradcheck, state_dict round trip; C3/C8 refused
by the pixel construction."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gconv.equivariance import assert_equivariant
from gconv.groups import get
from gconv.nn import GroupBatchNorm, GroupConv2d, GroupMaxPool2d, GroupPool, LiftConv2d

GROUPS = ["c1", "c2", "c4", "d1", "d2", "d4"]
TOL = 1e-12  # float64 rounding over a few layers (measured ~1e-16)


def _stack(group: str) -> nn.Sequential:
    return nn.Sequential(
        LiftConv2d(2, 3, 3, group=group, padding=1),
        GroupBatchNorm(3),
        nn.ReLU(),
        GroupConv2d(3, 3, 3, group=group, stride=2),  # 11 − 3 = 8, even: exact
        GroupMaxPool2d(2, stride=1),
        GroupConv2d(3, 2, 1, group=group),
    ).double()


def _randomise_bn(net: nn.Module) -> None:
    for m in net.modules():
        if isinstance(m, GroupBatchNorm):
            with torch.no_grad():
                m.running_mean.normal_(), m.running_var.uniform_(0.5, 2.0)


@pytest.mark.parametrize("group", GROUPS)
def test_stack_exact_for_every_element(group):
    net = _stack(group)
    _randomise_bn(net)
    x = torch.randn(2, 2, 11, 11, dtype=torch.float64)
    rep = assert_equivariant(net, group, x, "image", "features", tolerance=TOL, require_exact=False)
    assert len(rep.rows) == get(group).order and all(r.exact for r in rep.rows), str(rep)
    if get(group).order > 1:
        assert rep.verdict == "equivariant"


@pytest.mark.parametrize("group", GROUPS)
def test_pooling_over_each_subgroup(group):
    G = get(group)
    x = torch.randn(2, 3, G.order, 6, 6, dtype=torch.float64)
    subs = ["rotations"] + (["mirrors"] if G.mirrors else [])
    for over in subs:
        for reduction in ("max", "mean"):
            pool = GroupPool(reduction, over=over, group=G)
            n = len(G.cosets(over))
            kind = "image" if n == 1 else f"cosets:{over}"
            rep = assert_equivariant(
                pool, G, x, "features", kind, tolerance=TOL, require_exact=False
            )
            assert all(r.exact for r in rep.rows), str(rep)
            expect = x[:, :, torch.as_tensor(G.cosets(over))]
            expect = expect.amax(3) if reduction == "max" else expect.mean(3)
            torch.testing.assert_close(pool(x), expect.squeeze(2) if n == 1 else expect)


@pytest.mark.parametrize("group", GROUPS)
def test_export_gradcheck_state_dict(group):
    G = get(group)
    lift = LiftConv2d(1, 2, 3, group=group).double()
    conv = GroupConv2d(2, 2, 3, group=group, padding=1).double()
    x = torch.randn(1, 1, 6, 6, dtype=torch.float64, requires_grad=True)
    f = torch.randn(1, 2, G.order, 5, 5, dtype=torch.float64, requires_grad=True)
    for layer, inp in ((lift, x), (conv, f)):
        ex = layer.export()
        assert torch.equal(ex(inp), layer(inp))
        rep = assert_equivariant(
            ex,
            group,
            inp.detach(),
            "image" if layer is lift else "features",
            tolerance=TOL,
            require_exact=False,
        )
        assert all(r.exact for r in rep.rows)
        assert torch.autograd.gradcheck(layer, (inp,))
        twin = type(layer)(layer.in_channels, 2, 3, group=group, padding=layer.padding).double()
        twin.load_state_dict(layer.state_dict())
        assert torch.equal(twin(inp), layer(inp))


@pytest.mark.parametrize("name", ["c3", "c8", "d16"])
def test_groups_off_the_grid_are_refused(name):
    # the pixel construction only; these groups get steerable filters by default
    with pytest.raises(ValueError, match="only by C1, C2, C4, D1, D2, D4"):
        LiftConv2d(1, 2, 3, group=name, basis="pixel")
    with pytest.raises(ValueError, match="only by C1, C2, C4, D1, D2, D4"):
        GroupConv2d(1, 2, 3, group=name, basis="pixel")
    assert LiftConv2d(1, 2, 3, group=name).basis == "steerable"
