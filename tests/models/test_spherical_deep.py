# SPDX-License-Identifier: MIT
"""S2CNNDeep and S2CNNSeg: every spherical layer's channels, bandwidths and kernel max_beta
against REFERENCES.md §2c/§2d (written out here from that text, not from the module), the
parameter totals, the output shapes and the invariance/equivariance of small forward passes."""

from __future__ import annotations

import math

import pytest
import torch

from gconv.models.spherical_deep import S2CNNDeep, S2CNNSeg, SphericalStack, specs
from gconv.nn import S2Conv, SO3Conv, SO3SumToS2Conv

# §2c: channels 1→8→16→16→24→24→32→64, bandwidths 30, 30, 15, 15, 7, 7, 3, 3; grids n_alpha 6,
# n_beta 1, n_gamma 6; max_beta π/16, π/8, π/4, π/2 as the bandwidth halves
DEEP = [
    (S2Conv, 1, 8, 30, 30, 1 / 16, 6),
    (SO3Conv, 8, 16, 30, 15, 1 / 16, 36),
    (SO3Conv, 16, 16, 15, 15, 1 / 8, 36),
    (SO3Conv, 16, 24, 15, 7, 1 / 8, 36),
    (SO3Conv, 24, 24, 7, 7, 1 / 4, 36),
    (SO3Conv, 24, 32, 7, 3, 1 / 4, 36),
    (SO3Conv, 32, 64, 3, 3, 1 / 2, 36),
]
# §2d: channels 11, 12, 13, 14, 13, 12, 11; bandwidths 50 → 42, 35, 27, 20, 27, 35, 42 → 50;
# kernel max_beta / π 0.1238, 0.1474, 0.1768, 0.2292, 0.3095, 0.2292, 0.1768, 0.1474;
# default grids (24-point S², 192-point SO(3)); SO(3)-kernel output layer; 11 classes
SEG = [
    (S2Conv, 1, 11, 50, 42, 0.1238, 24),
    (SO3Conv, 11, 12, 42, 35, 0.1474, 192),
    (SO3Conv, 12, 13, 35, 27, 0.1768, 192),
    (SO3Conv, 13, 14, 27, 20, 0.2292, 192),
    (SO3Conv, 14, 13, 20, 27, 0.3095, 192),
    (SO3Conv, 13, 12, 27, 35, 0.2292, 192),
    (SO3Conv, 12, 11, 35, 42, 0.1768, 192),
    (SO3SumToS2Conv, 11, 11, 42, 50, 0.1474, 192),
]


@pytest.fixture(scope="module")
def seg():
    """One S2CNNSeg for the module (building its b = 50 tables takes seconds)."""
    torch.manual_seed(0)
    return S2CNNSeg().eval()


def _spherical_layers(model):
    return [m for m in model.modules() if isinstance(m, (S2Conv, SO3Conv, SO3SumToS2Conv))]


@pytest.mark.parametrize(
    ("name", "want", "total"), [("deep", DEEP, 156_882), ("seg", SEG, 204_073)]
)
def test_layers_match_the_references(name, want, total, seg):
    model = S2CNNDeep() if name == "deep" else seg
    layers = _spherical_layers(model)
    assert len(layers) == len(want)
    for layer, (kind, cin, cout, b_in, b_out, beta, points) in zip(layers, want, strict=True):
        assert type(layer) is kind
        assert (layer.in_channels, layer.out_channels, layer.b_in, layer.b_out) == (
            cin,
            cout,
            b_in,
            b_out,
        )
        assert layer.weight.shape == (cin, cout, points)
        assert math.isclose(layer.grid_max_beta, beta * math.pi, rel_tol=1e-12)
    assert model.num_parameters() == total
    assert sum(p.numel() for p in model.parameters()) == total


def test_specs_fields():
    by_name = {s["name"]: s for s in specs()}
    assert by_name["s2cnn-deep"]["builder"] is S2CNNDeep
    assert by_name["s2cnn-deep"]["input_shape"] == (1, 60, 60)
    assert by_name["s2cnn-deep"]["output_kind"] == "logits"
    assert by_name["s2cnn-seg"]["builder"] is S2CNNSeg
    assert by_name["s2cnn-seg"]["input_shape"] == (1, 100, 100)
    assert by_name["s2cnn-seg"]["task"] == "segmentation"
    assert by_name["s2cnn-seg"]["output_kind"] == "pixel-logits"


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


def test_forward_shapes_and_z_roll_behaviour(seg, tolerance):
    """A z-rotation by a grid step (an α roll of the input) leaves the deep net's logits
    unchanged and rolls the seg net's output (exact grid symmetries, any input)."""
    torch.manual_seed(0)
    deep = S2CNNDeep().double().eval()
    x = torch.randn(2, 1, 60, 60, dtype=torch.float64)
    with torch.no_grad():
        y = deep(x)
        y_rolled = deep(torch.roll(x, 30, dims=-1))  # α by π: a symmetry of every SOFT grid
    assert y.shape == (2, 10)
    assert _rel(y_rolled, y) <= tolerance(torch.float64)
    x = torch.randn(1, 1, 100, 100)
    with torch.no_grad():
        out = seg(x)
        out_rolled = seg(torch.roll(x, 50, dims=-1))
    assert out.shape == (1, 11, 100, 100) and out.dtype == torch.float32
    assert _rel(out_rolled, torch.roll(out, 50, dims=-1)) <= tolerance(torch.float32)


def test_seg_checkpointing_gives_the_same_gradients():
    """checkpoint=True recomputes each layer in backward: same loss and gradients (float64),
    on a small stack (S2CNNSeg is a SphericalStack; the b = 50 net is too slow for this)."""
    from gconv.nn import SO3SumToS2Conv as Out

    def small(checkpoint):
        torch.manual_seed(0)
        layers = [S2Conv(1, 2, 5, 4), SO3Conv(2, 3, 4, 3), Out(3, 2, 3, 5)]
        return SphericalStack(layers, checkpoint=checkpoint).double()

    x = torch.randn(2, 1, 10, 10, dtype=torch.float64)
    plain, ckpt = small(False), small(True)
    loss_a = plain(x).square().sum()
    loss_b = ckpt(x).square().sum()
    loss_a.backward()
    loss_b.backward()
    torch.testing.assert_close(loss_b, loss_a, rtol=1e-12, atol=0)
    for p, q in zip(plain.parameters(), ckpt.parameters(), strict=True):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("cls", "b", "paper"), [(S2CNNDeep, 15, 30), (S2CNNSeg, 20, 50)])
def test_reduced_bandwidth_keeps_the_layers_and_the_count(cls, b, paper, tolerance):
    """``bandwidth`` scales every layer's bandwidth by b / b_paper (rounded): the same kernels,
    so the same parameter count; the grid shrinks and the α-roll symmetry still holds."""
    small, full = cls(bandwidth=b), cls()
    assert small.num_parameters() == full.num_parameters()
    convs = [m for m in small.modules() if hasattr(m, "b_out")]
    full_convs = [m for m in full.modules() if hasattr(m, "b_out")]
    assert [(m.b_in, m.b_out) for m in convs] == [
        (max(1, round(m.b_in * b / paper)), max(1, round(m.b_out * b / paper))) for m in full_convs
    ]
    torch.manual_seed(1)
    net = small.double().eval()
    x = torch.randn(2, 1, 2 * b, 2 * b, dtype=torch.float64)
    with torch.no_grad():
        y, y_rolled = net(x), net(torch.roll(x, b, dims=-1))
    want = torch.roll(y, b, dims=-1) if cls is S2CNNSeg else y
    assert y.shape == ((2, 11, 2 * b, 2 * b) if cls is S2CNNSeg else (2, 10))
    assert _rel(y_rolled, want) <= tolerance(torch.float64)
    with pytest.raises(ValueError, match="bandwidth"):
        cls(bandwidth=0)
