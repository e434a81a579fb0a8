# SPDX-License-Identifier: MIT
"""The icosahedral layers against a slow vertex-graph reference with explicit frames; gauge
equivariance; padding values; the 60 rotations through a deep stack; and the contrast with a
network whose padding drops the gauge change."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _ico_ref import VertexFrames, charts_to_vertices, conv_ref, lift_ref
from torch import nn

from gconv.equivariance import check_equivariance, ico_act
from gconv.groups import ICO, IcoGrid
from gconv.nn import (
    IcoBatchNorm,
    IcoConv,
    IcoGlobalPool,
    IcoLift,
    IcoOrientationPool,
    IcoPad,
    IcoPool,
    IcoToVertices,
    IcoUnpool,
)

F64 = torch.float64


def _chart_frames(g: IcoGrid) -> VertexFrames:
    """Reference frames chosen to coincide with the chart frames (slot 0 = chart (i, j+1))."""
    from _ico_ref import ccw_neighbours

    start = np.zeros(g.num_vertices, dtype=np.int64)
    for v in np.setdiff1d(np.arange(g.num_vertices), g.corners):
        ring = ccw_neighbours(g.vertices, int(v), 6)
        start[v] = int(np.nonzero(ring == g.neighbours[v, 0])[0][0])
    return VertexFrames(g.vertices, g.corners, start)


@pytest.fixture(scope="module")
def grid2() -> IcoGrid:
    return IcoGrid(2)


@pytest.fixture(scope="module")
def frames2(grid2: IcoGrid) -> VertexFrames:
    return _chart_frames(grid2)


def _randomise(layer: nn.Module) -> nn.Module:
    with torch.no_grad():
        for p in layer.parameters():
            p.normal_()
    return layer


def test_lift_and_conv_equal_the_vertex_graph_reference(grid2, frames2) -> None:
    nv = grid2.num_vertices
    lift = _randomise(IcoLift(2, 3, r=2).double())
    conv = _randomise(IcoConv(3, 2, r=2).double())
    x = torch.randn(2, 2, nv, dtype=F64)
    y = lift(x)
    torch.testing.assert_close(
        charts_to_vertices(y, nv), lift_ref(frames2, x, lift.weight, lift.bias), rtol=0, atol=1e-12
    )
    f = torch.randn(2, 3, 6, 5, 4, 8, dtype=F64)
    ref = conv_ref(frames2, charts_to_vertices(f, nv), conv.weight, conv.bias)
    torch.testing.assert_close(charts_to_vertices(conv(f), nv), ref, rtol=0, atol=1e-12)


def test_strided_conv_samples_the_coarse_vertices(grid2, frames2) -> None:
    conv = _randomise(IcoConv(3, 2, r=2, stride=2).double())
    f = torch.randn(1, 3, 6, 5, 4, 8, dtype=F64)
    full = conv_ref(frames2, charts_to_vertices(f, grid2.num_vertices), conv.weight, conv.bias)
    coarse = IcoGrid(1)
    fine_of = [
        int(np.argmax(grid2.vertices @ p)) for p in coarse.vertices[: coarse.num_chart_vertices]
    ]
    torch.testing.assert_close(conv(f).flatten(3), full[..., fine_of], rtol=0, atol=1e-12)


def test_gauge_equivariance_of_the_reference(grid2) -> None:
    """Random per-vertex frame changes t_v: inputs and outputs transform by the regular
    representation (f'(v)[θ] = f(v)[θ + t_v]); the orientation-pooled output is unchanged."""
    nv = grid2.num_vertices
    rng = np.random.default_rng(0)
    t = rng.integers(0, 6, nv)
    base = VertexFrames(grid2.vertices, grid2.corners, np.zeros(nv, dtype=np.int64))
    moved = VertexFrames(grid2.vertices, grid2.corners, t)
    w, b = torch.randn(2, 3, 6, 7, dtype=F64), torch.randn(2, dtype=F64)
    wl = torch.randn(3, 1, 1, 7, dtype=F64)
    x = torch.randn(2, 1, nv, dtype=F64)

    def regauge(f: torch.Tensor) -> torch.Tensor:
        idx = (torch.arange(6)[:, None] + torch.from_numpy(t)[None]) % 6  # θ + t_v
        return torch.gather(f, 2, idx.expand(f.shape[0], f.shape[1], 6, nv))

    h, h_moved = lift_ref(base, x, wl, None), lift_ref(moved, x, wl, None)
    torch.testing.assert_close(h_moved, regauge(h), rtol=0, atol=1e-12)
    y, y_moved = conv_ref(base, h, w, b), conv_ref(moved, h_moved, w, b)
    torch.testing.assert_close(y_moved, regauge(y), rtol=0, atol=1e-12)
    torch.testing.assert_close(y_moved.amax(2), y.amax(2), rtol=0, atol=1e-12)
    assert (y_moved - y).abs().max() > 1e-3  # the frames did change something


@pytest.mark.parametrize("gauge", [True, False])
def test_padding_reads_the_neighbour_with_the_gauge_change(grid2, gauge: bool) -> None:
    """Every padded value is the owner's value at orientation θ − s (s from the gauge
    change); the 12 corners and unused points read zero; without the gauge change s = 0."""
    n, nc = grid2.n, grid2.num_chart_vertices
    f = torch.randn(1, 1, 6, 5, n, 2 * n, dtype=F64)
    p = IcoPad(2, gauge=gauge)(f).view(5, 6, n + 2, 2 * n + 2).transpose(0, 1)
    flat = f.view(6, nc)
    corners = set(grid2.corners.tolist())
    changed = 0
    for k, i, j in np.ndindex(5, n + 2, 2 * n + 2):
        v, s = int(grid2.pad_vertex[k, i, j]), int(grid2.pad_shift[k, i, j])
        got = p[:, k, i, j]
        if v < 0 or v in corners:
            assert (got == 0).all()
            continue
        s = s if gauge else 0
        # the regular representation of the gauge group C6: [L_s f](θ) = f(s⁻¹θ) = f[θ − s]
        want = flat[:, v][torch.from_numpy(grid2.gauge_group.regular_permutation(s % 6))]
        torch.testing.assert_close(want, torch.roll(flat[:, v], s), rtol=0, atol=0)
        torch.testing.assert_close(got, want, rtol=0, atol=0)
        changed += int(grid2.pad_shift[k, i, j]) != 0
    assert changed == 5 * (4 * n - 2)  # four turned seams per chart, less N and S


def _deep(r: int, gauge: bool = True) -> nn.Sequential:
    torch.manual_seed(1)
    net = nn.Sequential(
        IcoLift(1, 4, r), IcoBatchNorm(4), nn.ReLU(),
        IcoConv(4, 6, r, stride=2, gauge=gauge), IcoBatchNorm(6), nn.ReLU(),
        IcoConv(6, 6, r - 1, gauge=gauge), nn.ReLU(), IcoUnpool(),
        IcoConv(6, 4, r, gauge=gauge), nn.ReLU(), IcoPool(),
        IcoConv(4, 3, r - 1, gauge=gauge),
    )  # fmt: skip
    for m in net.modules():
        if isinstance(m, IcoBatchNorm):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
            _randomise(m)
    return net.eval()


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 1e-5)])
def test_sixty_rotations_permute_a_deep_stack(dtype: torch.dtype, tol: float) -> None:
    r = 3
    net = _deep(r).to(dtype)
    x = torch.randn(2, 1, 10 * 4**r + 2, dtype=dtype)
    head = nn.Sequential(IcoOrientationPool("mean"), IcoToVertices(r - 1))
    with torch.no_grad():
        y = net(x)
        inv = IcoGlobalPool()(y)
        z = head(y)
        for g in range(60):
            xg = ico_act(x, g, "vertices")
            yg = net(xg)
            assert ((yg - ico_act(y, g, "features")).norm() / y.norm()).item() <= tol
            assert ((IcoGlobalPool()(yg) - inv).norm() / inv.norm()).item() <= tol
            zg = ico_act(z, g, "vertices")
            assert ((head(yg) - zg).norm() / z.norm()).item() <= tol
    assert y.norm() > 0 and (y[..., 0, 0] == 0).all()  # corners vanish


def test_contrast_without_the_gauge_change() -> None:
    """The same network with the gauge change dropped from its padding: measured side by
    side by the checker. It is exact only for the rotations about the poles' axis (which
    move charts onto charts without crossing a seam); every other rotation breaks it."""
    r = 3
    x = torch.randn(2, 1, 10 * 4**r + 2, dtype=F64)
    good = check_equivariance(_deep(r).double(), "ico", x, "vertices", "features")
    bad = check_equivariance(_deep(r, gauge=False).double(), "ico", x, "vertices", "features")
    assert good.verdict == "equivariant" and good.max_error < 1e-12
    assert bad.verdict == "nothing checkable exactly"  # it declares its padding inexact
    z_axis = [g for g in range(60) if abs(ICO.matrices[g][2, 2] - 1) < 1e-9]
    assert len(z_axis) == 5
    errs = np.array([row.error for row in bad.rows])
    assert errs[z_axis].max() < 1e-12
    assert np.delete(errs, z_axis).min() > 0.05
    assert "without the gauge change" in bad.rows[1].reason


def test_a_padding_bug_is_caught_as_not_equivariant(monkeypatch) -> None:
    """A layer that claims exactness but pads without the gauge change: "not equivariant"."""
    layer = IcoConv(2, 2, r=2).double()
    layer.pad = IcoPad(2, gauge=False)  # the bug; the layer still declares itself exact
    f = torch.randn(1, 2, 6, 5, 4, 8, dtype=F64)
    report = check_equivariance(layer, "ico", f, "features", "features")
    assert report.verdict == "not equivariant" and report.exit_code == 1


def test_pointwise_maps_on_ico_features() -> None:
    f = torch.randn(1, 2, 6, 5, 4, 8, dtype=F64)
    conv = IcoConv(2, 2, r=2).double()
    ok = check_equivariance(nn.Sequential(conv, nn.ReLU()), "ico", f, "features", "features")
    assert ok.verdict == "equivariant"
    sig = check_equivariance(nn.Sequential(conv, nn.Sigmoid()), "ico", f, "features", "features")
    assert sig.verdict == "nothing checkable exactly"
    assert "maps 0" in sig.rows[1].reason
