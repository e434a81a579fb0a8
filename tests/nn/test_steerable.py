# SPDX-License-Identifier: MIT
"""Steerable C_N / D_N layers through the checker: quarter turns and mirrors exact to 1e-12 in
float64 (image, feature and invariant outputs), other rotations declared inexact and measured
within a bound that tightens with the band limit; a wrong rotation direction in the basis
fails; restriction, pooling, blur pooling, export, state dict and gradients."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gconv.equivariance import check_equivariance
from gconv.groups import CyclicGroup, DihedralGroup, PlaneAction
from gconv.groups import _steerable as steerable_module
from gconv.nn import (
    GroupBatchNorm,
    GroupBlurPool2d,
    GroupConv2d,
    GroupPool,
    LiftConv2d,
    RestrictGroup,
)

TOL = 1e-12  # float64 rounding through a few layers (measured ~1e-15)


def _stack(group, pool: str = "group") -> nn.Sequential:
    tail = [nn.AdaptiveAvgPool2d(1), nn.Flatten()] if pool == "group" else []
    return nn.Sequential(
        LiftConv2d(1, 3, 5, group=group, padding=2),
        GroupBatchNorm(3),
        nn.ELU(),
        GroupBlurPool2d(),  # 16 → 8: k 4, padding 1, stride 2 keeps the grid symmetric
        GroupConv2d(3, 2, 3, group=group, padding=1),
        GroupPool("mean", over=pool, group=group) if pool else nn.Identity(),
        *tail,
    ).double()


def _smooth(seed: int, n: int = 16, sigma: float = 2.0, batch: int = 2) -> torch.Tensor:
    """Gaussian-filtered noise under a soft disc: smooth enough that bilinear rotation is
    accurate, zero near the border so that rotating does not cut off content."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 1, n, n, dtype=torch.float64, generator=gen)
    t = torch.arange(-6.0, 7.0, dtype=torch.float64)
    k = torch.exp(-(t**2) / (2 * sigma**2))
    x = F.conv2d(x, (k[:, None] * k[None] / k.sum() ** 2).view(1, 1, 13, 13), padding=6)
    ii, jj = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    r = (((ii - (n - 1) / 2) ** 2 + (jj - (n - 1) / 2) ** 2) ** 0.5).double()
    return x * torch.exp(-((r / (n / 4)) ** 4))


@pytest.mark.parametrize("group", [CyclicGroup(8), DihedralGroup(8), DihedralGroup(16)])
@pytest.mark.parametrize("output", ["features", "invariant"])
def test_quarter_turns_and_mirrors_exact_others_measured(group, output):
    torch.manual_seed(0)
    net = _stack(group, pool="" if output == "features" else "group")
    x = torch.randn(2, 1, 16, 16, dtype=torch.float64)
    rep = check_equivariance(net, group, x, "image", output)
    act = PlaneAction(group)
    for g, row in zip(group.elements(), rep.rows, strict=True):
        assert row.exact == act.is_grid_element(g), row
        if row.exact:
            assert row.error < TOL, row
        else:
            assert "resample the pixel grid" in row.reason and row.error > TOL
    assert rep.verdict == "equivariant"


@pytest.mark.parametrize("group", [CyclicGroup(8), DihedralGroup(16)])
def test_feature_to_feature_layer_shifts_the_group_axis(group):
    torch.manual_seed(1)
    layer = GroupConv2d(2, 3, 5, group=group, padding=2).double()
    x = torch.randn(1, 2, group.order, 11, 11, dtype=torch.float64)
    rep = check_equivariance(layer, group, x, "features", "features")
    assert rep.verdict == "equivariant" and rep.max_error < TOL
    # independently of PlaneAction: a quarter turn rotates the plane and rolls the rotation
    # index by N/4 inside each mirror block
    q = group.N // 4

    def turn(t):
        b, c, n, h, w = t.shape
        t = t.reshape(b, c, n // group.N, group.N, h, w).roll(q, dims=3).reshape(b, c, n, h, w)
        return torch.rot90(t, 1, dims=(-2, -1))

    assert (layer(turn(x)) - turn(layer(x))).abs().max() < TOL


def test_groups_without_quarter_turns_are_exact_only_for_grid_elements():
    torch.manual_seed(2)
    x = torch.randn(1, 1, 12, 12, dtype=torch.float64)
    rep = check_equivariance(LiftConv2d(1, 2, 5, group="c3").double(), "c3", x)
    assert rep.verdict == "nothing checkable exactly"
    rep = check_equivariance(LiftConv2d(1, 2, 5, group="c6").double(), "c6", x)
    assert [r.name for r in rep.rows if r.exact and not r.identity] == ["rot 180°"]
    rep = check_equivariance(LiftConv2d(1, 2, 5, group="d3").double(), "d3", x)
    exact = [r.name for r in rep.rows if r.exact and not r.identity]
    assert exact == ["mirror, rot 0°"] and rep.verdict == "equivariant" and rep.max_error < TOL


# The stated bound: relative error of the four rotations off the grid (C8: 45°, 135°, …), k = 7,
# on smooth 33×33 inputs (``_smooth``), 4 seeds; measured 2026-12-01: 0.026–0.043 (mean 0.033)
# at band_limit 0.5, 0.106–0.222 (mean 0.162) at band_limit 2.
BOUNDS = {0.5: 0.08, 2.0: 0.3}


def test_off_grid_error_is_bounded_and_tightens_as_the_band_limit_drops():
    group = CyclicGroup(8)
    means = {}
    for band, bound in BOUNDS.items():
        errs = []
        for seed in range(4):
            torch.manual_seed(seed)
            layer = LiftConv2d(1, 4, 7, group=group, padding=3, band_limit=band).double()
            rep = check_equivariance(layer, group, _smooth(seed, 33), "image", "features")
            errs += [r.error for r in rep.rows if not r.exact]
        assert max(errs) < bound, (band, errs)
        means[band] = sum(errs) / len(errs)
    assert means[0.5] < 0.6 * means[2.0], means


def test_a_wrong_rotation_direction_in_the_basis_fails(monkeypatch):
    right = steerable_module._coefficient_rotation

    def backwards(n, theta):
        a, b, c, d = right(n, theta)
        return a, c, b, d  # the transpose: rotates by −θ

    monkeypatch.setattr(steerable_module, "_coefficient_rotation", backwards)
    steerable_module._basis.cache_clear()
    try:
        torch.manual_seed(3)
        layer = LiftConv2d(1, 2, 5, group="c8", padding=2).double()
        rep = check_equivariance(layer, "c8", torch.randn(1, 1, 9, 9, dtype=torch.float64))
        assert rep.verdict == "not equivariant"
        assert {r.name for r in rep.failures} == {"rot 90°", "rot 270°"}
    finally:
        steerable_module._basis.cache_clear()


@pytest.mark.parametrize(
    ("big", "small", "shape"),
    [
        (DihedralGroup(16), CyclicGroup(16), (6, 16)),
        (CyclicGroup(16), CyclicGroup(8), (6, 8)),
        (DihedralGroup(8), CyclicGroup(4), (12, 4)),
        (DihedralGroup(8), DihedralGroup(4), (6, 8)),
    ],
)
def test_restriction_is_exact_for_every_subgroup_element(big, small, shape):
    res = RestrictGroup(big, small)
    x = torch.randn(2, 3, big.order, 7, 7, dtype=torch.float64)
    y = res(x)
    assert tuple(y.shape[1:3]) == shape
    act_big, act_small = PlaneAction(big), PlaneAction(small)
    for h in small.elements():
        g = big.find(small.split(h)[0], small.angle(h))
        assert torch.equal(res(act_big.act_features(x, g)), act_small.act_features(y, h))
    assert all(res.equivariance_exactness(small, h, x) is None for h in small.elements())
    outside = [g for g in big.elements() if small.find(big.split(g)[0], big.angle(g)) is None]
    assert all("lacks" in res.equivariance_exactness(big, g, x) for g in outside)


def test_restriction_refuses_non_subgroups():
    with pytest.raises(ValueError, match="C3 is not a subgroup of C8"):
        RestrictGroup("c8", "c3")
    with pytest.raises(ValueError, match="D8 is not a subgroup of C8"):
        RestrictGroup("c8", "d8")


def test_max_pool_over_the_group_is_declared_inexact_off_the_grid_mean_exact():
    torch.manual_seed(4)
    x = torch.randn(1, 2, 8, 9, 9, dtype=torch.float64)
    mean = check_equivariance(GroupPool("mean", group="c8"), "c8", x, "features", "image")
    assert all(r.exact for r in mean.rows) and mean.max_error < TOL
    mx = check_equivariance(GroupPool("max", group="c8"), "c8", x, "features", "image")
    assert [r.exact for r in mx.rows] == [PlaneAction("c8").is_grid_element(g) for g in range(8)]


def test_blur_pool_grid_rule_and_shapes():
    pool = GroupBlurPool2d()
    x = torch.randn(1, 2, 4, 10, 10, dtype=torch.float64)
    assert pool(x).shape == (1, 2, 4, 5, 5)
    assert pool.equivariance_exactness(CyclicGroup(4), 1, x) is None
    assert "not divisible" in pool.equivariance_exactness(CyclicGroup(4), 1, x[..., :9, :9])
    assert torch.allclose(pool.kernel.sum(), torch.tensor(1.0))
    with pytest.raises(ValueError, match="sigma"):
        GroupBlurPool2d(sigma=0)


@pytest.mark.parametrize("group", ["c8", "d16"])
def test_export_state_dict_and_gradients(group):
    torch.manual_seed(5)
    lift = LiftConv2d(1, 2, 5, group=group, padding=2).double()
    conv = GroupConv2d(2, 2, 3, group=group).double()
    x = torch.randn(2, 1, 9, 9, dtype=torch.float64)
    feats = lift(x)
    for layer, inp in ((lift, x), (conv, feats)):
        exported = layer.export()
        assert isinstance(exported.conv, nn.Conv2d)
        # the same products in another order: the policy's exact float64 tolerance, relative
        assert (exported(inp) - layer(inp)).norm() <= 1e-12 * layer(inp).norm()
        twin = type(layer)(
            layer.in_channels, 2, layer.kernel_size, group=group, padding=layer.padding
        ).double()
        twin.load_state_dict(layer.state_dict())
        assert torch.equal(twin(inp), layer(inp))
        assert set(layer.state_dict()) == {"weight", "bias"}
    small = GroupConv2d(1, 1, 3, group=group).double()
    assert torch.autograd.gradcheck(
        small,
        (torch.randn(1, 1, small.group.order, 5, 5, dtype=torch.float64, requires_grad=True),),
    )


def test_pixel_stays_default_for_grid_groups_and_steerable_is_exact_there():
    assert LiftConv2d(1, 2, 3, group="p4").basis == "pixel"
    torch.manual_seed(6)
    layer = GroupConv2d(2, 2, 5, group="p4m", basis="steerable").double()
    x = torch.randn(1, 2, 8, 9, 9, dtype=torch.float64)
    rep = check_equivariance(layer, "p4m", x, "features", "features")
    assert rep.verdict == "equivariant" and all(r.exact for r in rep.rows) and rep.max_error < TOL
    with pytest.raises(ValueError, match="basis must be one of"):
        LiftConv2d(1, 2, 3, group="c8", basis="fourier")
    with pytest.raises(ValueError, match="odd kernel size"):
        LiftConv2d(1, 2, 4, group="c8")


@pytest.mark.parametrize(
    ("group", "sub", "n"), [("c16", "c4", 4), ("d8", "c8", 2), ("d16", "d4", 4), ("d8", "d4", 2)]
)
def test_pooling_over_any_subgroup_is_equivariant_on_the_cosets(group, sub, n):
    torch.manual_seed(7)
    grp = CyclicGroup(int(group[1:])) if group[0] == "c" else DihedralGroup(int(group[1:]))
    pool = GroupPool("mean", over=sub, group=grp)
    x = torch.randn(2, 3, grp.order, 9, 9, dtype=torch.float64)
    y = pool(x)
    assert y.shape == (2, 3, n, 9, 9)
    rep = check_equivariance(pool, grp, x, "features", f"cosets:{sub}")
    assert all(r.exact for r in rep.rows) and rep.max_error < TOL
    # the identity's coset is H itself, embedded by angle (and mirror): H = C4 in C16 is
    # {0, 4, 8, 12}; D4 in D16 adds the mirrors 16 + {0, 4, 8, 12}
    small = CyclicGroup(int(sub[1:])) if sub[0] == "c" else DihedralGroup(int(sub[1:]))
    h_in_g = sorted(grp.find(*small.split(h)[:1], small.angle(h)) for h in small.elements())
    assert torch.allclose(y[:, :, 0], x[:, :, h_in_g].mean(dim=2), rtol=0, atol=1e-14)
    with pytest.raises(ValueError, match="or a subgroup"):
        GroupPool("mean", over="c5x", group=grp)
