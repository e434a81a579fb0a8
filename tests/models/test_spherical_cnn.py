# SPDX-License-Identifier: MIT
"""Planar baselines of the spherical study: exact parameter counts (from ../shared/REFERENCES.md
§2c/§2d and the stated widening factors), layouts, output shapes, and an honest checker report:
no element claimed exact, large measured errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gconv.equivariance import check_equivariance
from gconv.models.spherical_cnn import (
    CNN_WIDTHS,
    SEG_LAYOUTS,
    EncoderDecoderCNN,
    SphereImageCNN,
    specs,
)

#: §2c: s2cnn's run_classic.py net is 68,106; §2d: Gerken et al.'s CNNs. The widened counts are
#: the layout's closed form 50 c₁² + 528 c₁ + 10 (c₁ = 32w) at the stated factors.
EXPECTED = {
    "cnn": 68_106,
    "cnn-200k": 198_834,
    "cnn-1m": 996_618,
    "cnn-5m": 5_000_268,
    "cnn-seg-218k": 218_144,
    "cnn-seg-1m": 1_042_013,
    "cnn-seg-5.5m": 5_519_335,
}
# A model that is not equivariant differs by O(1) relative error for random weights and inputs
# (measured 0.3–1.2 here); 1e-3 is far above float64 rounding and far below that.
CLEARLY_NONZERO = 1e-3

SPECS = {s["name"]: s for s in specs()}


def _build(name: str) -> nn.Module:
    spec = SPECS[name]
    return spec["builder"](**spec["defaults"])


@pytest.mark.parametrize("name", list(EXPECTED))
def test_exact_parameter_count(name: str) -> None:
    model = _build(name)
    assert model.num_parameters() == EXPECTED[name]
    assert sum(p.numel() for p in model.parameters()) == EXPECTED[name]


@pytest.mark.parametrize("name", list(CNN_WIDTHS))
def test_cnn_count_matches_its_closed_form(name: str) -> None:
    w = CNN_WIDTHS[name]
    c1 = round(32 * w)
    assert (c1 - 32 * w, round(64 * w)) == (0, 2 * c1)  # whole channels, as stated
    # conv 1→c1: 26 c1; conv c1→2c1: 50 c1² + 2 c1; linear 2c1·25→10: 500 c1 + 10
    assert _build(name).num_parameters() == 50 * c1 * c1 + 528 * c1 + 10


def test_cnn_is_the_run_classic_layout() -> None:
    convs = [m for m in SphereImageCNN().modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (1, 32, (5, 5), (3, 3)),
        (32, 64, (5, 5), (3, 3)),
    ]
    linear = SphereImageCNN().head[1]
    assert (linear.in_features, linear.out_features) == (1600, 10)


@pytest.mark.parametrize("name", list(SEG_LAYOUTS))
def test_seg_layout_is_gerkens(name: str) -> None:
    chans, ks, ss = SEG_LAYOUTS[name]
    model = _build(name)
    encoder = [model.stem] + [block.conv for block in model.down]
    got = [(c.out_channels, c.kernel_size[0], c.stride[0]) for c in encoder]
    assert got == list(zip(chans, ks, ss, strict=True))
    decoder = [block.deconv for block in model.up] + [model.out]
    assert [d.out_channels for d in decoder] == [*chans[-2::-1], 11]
    assert all(isinstance(b.skip[0], nn.MaxPool2d) for b in model.down)
    assert all(isinstance(b.skip[1], nn.Upsample) for b in model.up)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_output_shape_and_spec(name: str) -> None:
    spec = SPECS[name]
    assert spec["input_kind"] == "s2" and spec["group"] is None
    seg = spec["task"] == "segmentation"
    assert spec["output_kind"] == ("pixel-logits" if seg else "logits")
    assert spec["input_shape"] == ((1, 100, 100) if seg else (1, 60, 60))
    with torch.no_grad():
        y = _build(name)(torch.randn(2, *spec["input_shape"]))
    assert y.shape == ((2, 11, 100, 100) if seg else (2, 10))
    assert torch.isfinite(y).all()


def test_specs_names_and_keys() -> None:
    keys = {"name", "builder", "input_kind", "output_kind", "task", "input_shape", "group"}
    keys |= {"defaults", "description"}
    assert list(SPECS) == list(EXPECTED)
    assert all(set(s) == keys and s["description"] for s in specs())


def test_decoder_restores_every_size() -> None:
    # odd sizes and strides 2, 3 need output_padding 0, 1, 2: each must come back exactly
    model = EncoderDecoderCNN((3, 4, 5), (3, 4, 2), (2, 3, 2), bandwidth=13)
    assert model(torch.randn(1, 1, 26, 26)).shape == (1, 11, 26, 26)


def test_cnn_is_not_reported_equivariant() -> None:
    model = SphereImageCNN().double()
    x = torch.randn(2, 1, 60, 60, dtype=torch.float64)
    report = check_equivariance(model, "so3", x, "s2", "invariant")
    _assert_honestly_not_equivariant(report)


def test_seg_cnn_is_not_reported_equivariant() -> None:
    model = EncoderDecoderCNN((4, 6, 5), (3, 3, 3), (1, 2, 1), bandwidth=8).double()
    x = torch.randn(2, 1, 16, 16, dtype=torch.float64)
    report = check_equivariance(model, "so3", x, "s2", "s2")
    _assert_honestly_not_equivariant(report)


def test_registered_seg_cnn_is_not_reported_equivariant() -> None:
    model = _build("cnn-seg-218k").double()
    x = torch.randn(1, 1, 100, 100, dtype=torch.float64)
    report = check_equivariance(model, "so3", x, "s2", "s2", rotations=0)
    _assert_honestly_not_equivariant(report)


def _assert_honestly_not_equivariant(report) -> None:
    assert report.verdict == "nothing checkable exactly", str(report)
    assert not any(row.exact for row in report.rows)
    assert all(row.status == "inexact" and "planar layer" in row.reason for row in report.rows)
    # the grid symmetries (α-rolls, Ry(π)) permute pixels exactly, yet the CNN changes its
    # output: the measurement the report shows is real, not rounding
    assert all(row.error > CLEARLY_NONZERO for row in report.rows), str(report)


def test_a_few_steps_fit_a_fixed_batch() -> None:
    model = SphereImageCNN(bandwidth=15)
    x, labels = torch.randn(8, 1, 30, 30), torch.arange(8) % 10
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"width": 0}, "width"),
        ({"width": True}, "width"),
        ({"bandwidth": 8}, r"no pixels.*b ≥ 9"),  # 16 → 4 → 0 pixels
        ({"width": 1 / 64}, "no channels"),  # round(0.5) = 0 channels
        ({"num_classes": 0}, "num_classes"),
    ],
)
def test_cnn_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SphereImageCNN(**kwargs)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (((4, 6), (3,), (1, 1)), "equal length"),
        (((), (), ()), "non-empty"),
        (((4, 0), (3, 3), (1, 1)), r"channels\[1\]"),
        (((4,), (90,), (1,)), "shrinks to nothing"),
    ],
)
def test_seg_bad_arguments(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        EncoderDecoderCNN(*args, bandwidth=8)


def test_smallest_bandwidth_works() -> None:
    assert SphereImageCNN(bandwidth=9)(torch.randn(1, 1, 18, 18)).shape == (1, 10)  # 18 → 5 → 1


def test_wrong_input_size_is_rejected() -> None:
    with pytest.raises(RuntimeError, match=r"SphereImageCNN: expected \(B, 1, 60, 60\)"):
        SphereImageCNN()(torch.randn(1, 1, 100, 100))
    with pytest.raises(RuntimeError, match=r"expected \(B, 1, 60, 60\).*got \(1, 2, 60, 60\)"):
        SphereImageCNN()(torch.randn(1, 2, 60, 60))
    with pytest.raises(RuntimeError, match=r"EncoderDecoderCNN: expected \(B, 1, 16, 16\)"):
        EncoderDecoderCNN((4,), (3,), (1,), bandwidth=8)(torch.randn(1, 1, 60, 60))
