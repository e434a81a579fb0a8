# SPDX-License-Identifier: MIT
"""Ways a module could make the checker misreport, each closed: a subclass that overrides the
forward of a declared class, anisotropic windows, planar pooling under SO(3), a Flatten over
the batch axis and a module called with a non-tensor (each a module that is *not* equivariant
for the element in question: the checker must not call that element exact), and a group axis
that holds another group (the checker must not act on it with the checked group's
representation and call the result a failure)."""

from __future__ import annotations

import torch
from torch import nn

from gconv.equivariance import check_equivariance
from gconv.nn import GroupConv2d, GroupPool, LiftConv2d, RestrictGroup

D = torch.float64


def _x(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, dtype=D)


def test_a_sequential_subclass_with_its_own_forward_is_not_trusted():
    class Positional(nn.Sequential):
        def __init__(self, *mods: nn.Module) -> None:
            super().__init__(*mods)
            self.pos = nn.Parameter(torch.zeros(1, 2, 4, 7, 7))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(x) + self.pos  # zero now, not once trained

    net = Positional(LiftConv2d(1, 2, 3, group="p4")).double()
    rep = check_equivariance(net, "p4", _x(2, 1, 9, 9))
    assert rep.verdict == "nothing checkable exactly", str(rep)
    assert "overrides forward of Sequential" in str(rep.rows[1].reason)


def test_a_pointwise_subclass_that_moves_values_is_not_trusted():
    class Rolled(nn.ReLU):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(torch.roll(x, 1, -2))

    net = nn.Sequential(LiftConv2d(1, 2, 3, group="p4"), Rolled()).double()
    rep = check_equivariance(net, "p4", _x(2, 1, 9, 9))
    assert all(r.status != "exact" for r in rep.rows[1:]), str(rep)
    assert max(r.error for r in rep.rows[1:]) > 1e-2  # it is indeed not equivariant


def test_anisotropic_windows_follow_the_rule_per_axis():
    pool = nn.Sequential(nn.MaxPool2d((1, 2)), LiftConv2d(1, 2, 3, group="d2")).double()
    rep = check_equivariance(pool, "d2", _x(2, 1, 8, 7))  # W = 7 is odd: pairs do not mirror
    for row in rep.rows[1:]:
        assert row.status != "exact" or row.error < 1e-12, str(rep)
    conv = nn.Conv2d(1, 1, 1, stride=(1, 2)).double()
    rep = check_equivariance(conv, "p4", _x(2, 1, 8, 8), "image", "image")
    assert [r.status for r in rep.rows[1:]] == ["inexact"] * 3, str(rep)  # 90°: H, W swap


def test_planar_pooling_is_not_exact_under_so3():
    from gconv.spherical import s2_fft, s2_ifft

    x = s2_ifft(s2_fft(_x(2, 1, 8, 8)), real=True)  # band-limited
    rep = check_equivariance(nn.AdaptiveAvgPool2d(4), "so3", x, "s2", "s2")
    assert all(r.status != "exact" for r in rep.rows[1:]), str(rep)


def test_flatten_over_the_batch_axis_is_not_exact():
    net = nn.Sequential(LiftConv2d(1, 2, 3, group="p4"), nn.Flatten(0, 1), nn.Conv2d(4, 3, 1))
    rep = check_equivariance(net.double(), "p4", _x(2, 1, 9, 9), "image", "image")
    assert all(r.status != "exact" for r in rep.rows[1:]), str(rep)
    assert "folds the batch axis" in str(rep.rows[1].reason)


def test_a_module_called_with_a_non_tensor_is_unknown():
    class FromPair(nn.Module):
        def forward(self, pair: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
            out, idx = pair
            return out + 1e-2 * idx.to(out.dtype)  # the pooling indices are not equivariant

    net = nn.Sequential(nn.MaxPool2d(1, return_indices=True), FromPair(), LiftConv2d(1, 2, 3))
    rep = check_equivariance(net.double(), "p4", _x(2, 1, 9, 9))
    assert rep.verdict != "equivariant" and all(r.status != "exact" for r in rep.rows[1:])


def test_a_group_axis_of_another_group_is_not_acted_on_as_the_checked_one():
    # a C4 net checked as D2 (same order): 180° is in both, but D2's regular representation
    # is not C4's on the output's group axis, so the measured error is not a failure
    torch.manual_seed(0)
    net = nn.Sequential(LiftConv2d(1, 2, 3, group="p4"), nn.ReLU(), GroupConv2d(2, 2, 3))
    x = _x(2, 1, 9, 9)
    rep = check_equivariance(net.double(), "d2", x)
    assert rep.rows[1].name == "rot 180°" and rep.rows[1].error > 1e-2, str(rep)
    assert rep.rows[1].status == "unknown" and "as C4 features" in rep.rows[1].reason
    assert rep.verdict == "nothing checkable exactly", str(rep)
    # pooled to an invariant there is no group axis to misread: 180° stays exact
    inv = nn.Sequential(net, GroupPool(), nn.AdaptiveAvgPool2d(1), nn.Flatten()).double()
    rep = check_equivariance(inv, "d2", x, output_kind="invariant")
    assert rep.rows[1].status == "exact" and rep.verdict == "equivariant", str(rep)
    # the input's axis is read as C4 by the first layer; a restriction writes its subgroup
    rep = check_equivariance(net[2:].double(), "d2", _x(2, 2, 4, 9, 9), "features")
    assert rep.rows[1].status == "unknown" and "input's group axis" in rep.rows[1].reason
    restricted = nn.Sequential(LiftConv2d(1, 2, 3, group="p4m"), RestrictGroup("p4m", "p4"))
    rep = check_equivariance(restricted.double(), "p4", x)
    assert [r.status for r in rep.rows] == ["exact"] * 4 and rep.verdict == "equivariant"
