# SPDX-License-Identifier: MIT
"""Contract tests of the icosahedral layers: gradcheck, state_dict round trip, export
equality, the filter expansion, pooling/unpooling/batch norm/read-outs under the 60 rotations,
and clear errors for bad input."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gconv.equivariance import assert_equivariant, ico_act
from gconv.groups import OFFSETS, IcoGrid, get
from gconv.nn import (
    ExportedIcoConv,
    IcoBatchNorm,
    IcoConv,
    IcoGlobalPool,
    IcoLift,
    IcoOrientationPool,
    IcoPad,
    IcoPool,
    IcoToVertices,
    IcoUnpool,
    ShapeError,
)
from gconv.nn._ico_index import hex_expansion_index

F64 = torch.float64


def _feat(c: int = 2, r: int = 2, b: int = 2) -> torch.Tensor:
    n = 2**r
    return torch.randn(b, c, 6, 5, n, 2 * n, dtype=F64)


@pytest.mark.parametrize("stride", [1, 2])
def test_gradcheck(stride: int) -> None:
    conv = IcoConv(2, 2, r=1, stride=stride).double()
    lift = IcoLift(1, 2, r=1, stride=stride).double()
    f = _feat(2, 1, 1).requires_grad_()
    x = torch.randn(1, 1, 42, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(conv, (f,), fast_mode=True)
    assert torch.autograd.gradcheck(lift, (x,), fast_mode=True)
    layers = (IcoPool("mean"), IcoPool("mean", stride=1), IcoUnpool(), IcoBatchNorm(2).double())
    for layer in (*layers, IcoGlobalPool("mean")):
        assert torch.autograd.gradcheck(layer, (f,), fast_mode=True)
    for layer in layers[:3]:  # the hand-written backwards (hexagon mean, unpool) are differentiable
        assert torch.autograd.gradgradcheck(layer, (f,), fast_mode=True)


# n = 4: the 7-tap GEMM; n = 8: F.conv2d (r = 1 would stride to r = 0: all corners)
@pytest.mark.parametrize("r", [2, 3])
def test_double_backward_of_a_stack(r: int) -> None:
    """Second derivatives (gradient penalties, Hessian-vector products) through lift, batch
    norm in training mode, group conv (stride 1 and 2) and the read-out, with respect to the
    input and every weight: gradgradcheck, float64. Fails where a custom backward is not
    differentiable or computes from saved tensors that have lost their graph."""
    torch.manual_seed(r)
    net = nn.Sequential(
        IcoLift(1, 2, r=r),
        IcoBatchNorm(2),
        nn.Tanh(),  # smooth: finite differences of ReLU kinks would fail for the wrong reason
        IcoConv(2, 2, r=r, stride=2),
        IcoBatchNorm(2),
        nn.Tanh(),
        IcoConv(2, 1, r=r - 1),
        IcoGlobalPool("mean"),
    ).double()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, IcoBatchNorm):
                m.weight.normal_()
                m.bias.normal_()
            elif hasattr(m, "bias") and m.bias is not None:
                m.bias.normal_()
    x = torch.randn(2, 1, 10 * 4**r + 2, dtype=F64, requires_grad=True)
    params = tuple(net.parameters())

    def fn(x, *ps):  # noqa: ANN001, ANN202
        names = [name for name, _ in net.named_parameters()]
        return torch.func.functional_call(net, dict(zip(names, ps, strict=True)), (x,))

    assert torch.autograd.gradgradcheck(fn, (x, *params), fast_mode=True)


def test_state_dict_round_trip_and_keys() -> None:
    a, b = IcoConv(3, 4, r=2), IcoConv(3, 4, r=2)
    assert set(a.state_dict()) == {"weight", "bias"}
    assert a.weight.shape == (4, 3, 6, 7) and IcoLift(1, 4, 2).weight.shape == (4, 1, 1, 7)
    b.load_state_dict(a.state_dict())
    f = _feat(3).float()
    torch.testing.assert_close(a(f), b(f), rtol=0, atol=0)
    bn = IcoBatchNorm(3)
    assert set(bn.state_dict()) == set(nn.BatchNorm3d(3).state_dict())


@pytest.mark.parametrize("lifting,stride", [(True, 1), (False, 1), (False, 2), (True, 2)])
def test_export_equals_layer(lifting: bool, stride: int) -> None:
    cls = IcoLift if lifting else IcoConv
    layer = cls(2, 3, r=2, stride=stride).double()
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(2, 2, 162, dtype=F64) if lifting else _feat()
    ex = layer.export()
    assert isinstance(ex, ExportedIcoConv) and isinstance(ex.conv, nn.Conv2d)
    torch.testing.assert_close(ex(x), layer(x), rtol=0, atol=1e-13)
    kind = "vertices" if lifting else "features"
    assert_equivariant(ex, "ico", x, kind, "features")


def test_expansion_turns_the_hexagon_and_shifts_orientations() -> None:
    idx = hex_expansion_index(6)
    assert idx.shape == (6, 6, 3, 3)
    assert (idx[:, :, 0, 2] == 42).all() and (idx[:, :, 2, 0] == 42).all()  # the zero
    assert (idx[:, :, 1, 1] % 7 == 0).all()  # centre tap is tap 0
    # orientation θ = 1: neighbour slot m = 1 reads weight tap 1 + 0 (slot 0) of ψ − 1
    assert idx[1, 3, 2, 2].item() == 2 * 7 + 1
    layer = IcoConv(1, 1, r=1).double()
    bank, _ = layer.expanded_weight()
    assert bank.shape == (6, 6, 3, 3)
    # every orientation's filter holds the same 42 weights
    for theta in range(6):
        vals = bank[theta].flatten()
        nonzero = torch.sort(vals[vals != 0]).values
        torch.testing.assert_close(nonzero, torch.sort(layer.weight.flatten()).values)


def test_eval_cache_follows_weight_changes() -> None:
    layer = IcoConv(2, 2, r=1).double().eval()
    f = _feat(2, 1)
    with torch.no_grad():
        y1 = layer(f)
        layer.weight.mul_(2)
        y2 = layer(f)
    torch.testing.assert_close(y2, 2 * y1)  # bias is zero after reset_parameters


@pytest.mark.parametrize(
    "layer,kin,kout",
    [
        (IcoPool("max"), "features", "features"),
        (IcoPool("mean"), "features", "features"),
        (IcoPool("mean", stride=1), "features", "features"),
        (IcoPool("max", stride=1), "features", "features"),
        (IcoUnpool(), "features", "features"),
        (IcoOrientationPool("max"), "features", "scalars"),
        (IcoGlobalPool("mean"), "features", "invariant"),
        (nn.Sequential(IcoOrientationPool("mean"), IcoGlobalPool()), "features", "invariant"),
        (nn.Sequential(IcoOrientationPool("mean"), IcoToVertices(2)), "features", "vertices"),
    ],
)
def test_pooling_and_readouts_commute_with_the_rotations(layer, kin, kout) -> None:
    assert_equivariant(layer, "ico", _feat(), kin, kout)


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_pool_at_stride_1_is_the_hexagon_filter_that_stride_2_subsamples(mode: str) -> None:
    """IcoPool(stride=1) keeps r; IcoPool() (stride 2) is its value at every second vertex of
    each chart; a vertex away from the chart borders gets its own 7-tap hexagon."""
    f = _feat(2, 3)
    fine, coarse = IcoPool(mode, stride=1)(f), IcoPool(mode)(f)
    assert fine.shape == f.shape and coarse.shape == (2, 2, 6, 5, 4, 8)
    torch.testing.assert_close(coarse, fine[..., ::2, ::2], rtol=0, atol=0)
    i, j = 3, 5  # an inner vertex of the 8 × 16 chart
    taps = torch.stack([f[..., i + di, j + dj] for di, dj in ((0, 0),) + OFFSETS])
    want = taps.amax(0) if mode == "max" else taps.mean(0)
    torch.testing.assert_close(fine[..., i, j], want, rtol=0, atol=1e-15)


def test_batch_norm_statistics_skip_the_corners() -> None:
    bn = IcoBatchNorm(2).double().train()
    f = _feat(2, 1, 4)
    y = bn(f)
    keep = ~IcoGrid(1).corner_mask
    vals = f.transpose(0, 1)[..., torch.from_numpy(keep)].reshape(2, -1)
    mean, var = vals.mean(1), vals.var(1, unbiased=False)
    want = (f - mean.view(1, -1, 1, 1, 1, 1)) / torch.sqrt(var.view(1, -1, 1, 1, 1, 1) + 1e-5)
    want[..., torch.from_numpy(~keep)] = 0
    torch.testing.assert_close(y, want, rtol=0, atol=1e-12)
    torch.testing.assert_close(bn.running_mean, 0.1 * mean, rtol=0, atol=1e-12)


def test_unpool_keeps_old_vertices_and_interpolates() -> None:
    f = _feat(1, 1)
    up = IcoUnpool()(f)
    assert up.shape == (2, 1, 6, 5, 4, 8)
    corners = torch.from_numpy(IcoGrid(1).corner_mask.copy())
    torch.testing.assert_close(up[..., ::2, ::2], f.masked_fill(corners, 0))
    torch.testing.assert_close(up[..., 1, 2], (up[..., 0, 2] + up[..., 2, 2]) / 2)


@pytest.mark.parametrize("r", [0, 2])
def test_unpool_is_the_edge_mean_of_the_padded_charts(r: int) -> None:
    """Every fine vertex (2i + u, 2j + v) is the mean of coarse (i, j) and its neighbour
    (i + u, j + v) read from IcoPad's output (across the chart borders too), float64."""
    n, f = 2**r, _feat(3, r)
    p = IcoPad(r)(f).view(2, 5, 3, 6, n + 2, 2 * n + 2).permute(0, 2, 3, 1, 4, 5)
    up, want = IcoUnpool()(f), torch.empty(2, 3, 6, 5, 2 * n, 4 * n, dtype=F64)
    for u in (0, 1):
        for v in (0, 1):
            nb = p[..., 1 + u : n + 1 + u, 1 + v : 2 * n + 1 + v]
            want[..., u::2, v::2] = (p[..., 1 : n + 1, 1 : 2 * n + 1] + nb) / 2
    torch.testing.assert_close(up, want, rtol=0, atol=1e-15)


def test_to_vertices_fills_corners_with_the_mean_of_five() -> None:
    g = IcoGrid(2)
    s = torch.randn(1, 1, 5, 4, 8, dtype=F64)
    v = IcoToVertices(2)(s)
    assert v.shape == (1, 1, g.num_vertices)
    ring = torch.from_numpy(g.neighbours[g.north, :5].copy())
    torch.testing.assert_close(v[0, 0, g.north], v[0, 0, ring].mean())


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ShapeError, match=r"expected regular features \(B, 2, 6, 5, 4, 8\)"):
        IcoConv(2, 2, r=2)(torch.randn(1, 2, 6, 5, 2, 4))
    with pytest.raises(ShapeError, match="scalar signal"):
        IcoLift(1, 2, r=2)(torch.randn(1, 1, 161))
    with pytest.raises(ValueError, match="stride must be 1, or 2"):
        IcoConv(1, 1, r=0, stride=2)
    with pytest.raises(ValueError, match="in_channels must be a positive int"):
        IcoConv(0, 1, r=1)
    with pytest.raises(ValueError, match="mode must be one of"):
        IcoPool("sum")
    with pytest.raises(ValueError, match="stride must be 1 or 2, got 3"):
        IcoPool(stride=3)
    with pytest.raises(ShapeError, match="n = 2\\^r"):
        IcoPool()(torch.randn(1, 1, 6, 5, 3, 6))
    with pytest.raises(ShapeError, match=r"IcoPad\(r=1\): expected regular features"):
        IcoPad(1)(torch.randn(1, 2, 6, 5, 4, 8))
    with pytest.raises(ValueError, match="not a kind of group ico"):
        assert_equivariant(IcoPool(), "ico", _feat(), "features", "s2")


def test_other_groups_are_not_claimed() -> None:
    layer = IcoConv(1, 1, r=1)
    assert "not under C4" in layer.equivariance_exactness(get("p4"), 1, _feat(1, 1))


def test_rotated_input_rotates_the_lift_output_float32() -> None:
    lift = IcoLift(1, 3, r=2)
    x = torch.randn(2, 1, 162)
    y = lift(x)
    for g in (5, 23, 59):
        err = (lift(ico_act(x, g, "vertices")) - ico_act(y, g, "features")).norm() / y.norm()
        assert err <= 1e-6
