# SPDX-License-Identifier: MIT
"""The steerable layers convolve only the disc where their basis lives (``disc_pieces``,
``disc_conv2d``): the pieces tile the support once, the split convolution equals one
``conv2d`` of the whole bank (float64, values and gradients, every geometry and padding mode),
and a bank with weight off the disc tells them apart (so the equality tests can fail)."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from gconv.groups import CyclicGroup, DihedralGroup, steerable_basis
from gconv.nn import GroupConv2d, LiftConv2d
from gconv.nn.steerable import disc_conv2d, disc_pieces

TOL = 1e-12  # float64: the split changes only the order of the additions (measured ~1e-15)


def _support(k: int) -> torch.Tensor:
    return steerable_basis(CyclicGroup(8), k).abs().sum((0, 1)) > 0


def _cover(pieces, k: int) -> torch.Tensor:
    count = torch.zeros(k, k, dtype=torch.long)
    for r0, step, rows, c0, cols in pieces:
        count[r0 : r0 + step * (rows - 1) + 1 : step, c0 : c0 + cols] += 1
    return count


@pytest.mark.parametrize("k", [5, 7, 9, 11])
def test_pieces_tile_the_disc_once(k):
    support = _support(k)
    assert not support.all()  # the corners are off the disc r <= c + 1/2
    pieces = disc_pieces(support)
    assert pieces is not None
    assert torch.equal(_cover(pieces, k), support.long())


def test_pieces_none_for_the_full_square_and_other_shapes():
    assert _support(3).all() and disc_pieces(_support(3)) is None
    holed = _support(5).clone()
    holed[2, 0] = False  # a row that is not a centred run
    assert disc_pieces(holed) is None
    lopsided = _support(5).clone()
    lopsided[0, 1] = False  # rows ±2 differ
    assert disc_pieces(lopsided) is None


def _bank(cout: int, cin: int, k: int, on_disc: bool = True) -> torch.Tensor:
    bank = torch.randn(cout, cin, k, k, dtype=torch.float64)
    return bank * _support(k) if on_disc else bank


@pytest.mark.parametrize(
    ("k", "size", "stride", "padding", "dilation"),
    [
        (5, 13, 1, 2, 1),
        (5, 12, 1, 0, 1),
        (5, 13, 2, 1, 1),
        (7, 15, 1, 3, 1),
        (5, 14, 1, 4, 2),
        (7, 11, 2, 0, 1),
        (9, 17, 1, 4, 1),
    ],
)
@pytest.mark.parametrize("bias", [True, False])
def test_split_equals_one_conv2d_values_and_gradients(k, size, stride, padding, dilation, bias):
    torch.manual_seed(k * 100 + size)
    bank = _bank(6, 4, k).requires_grad_()
    b = torch.randn(6, dtype=torch.float64, requires_grad=True) if bias else None
    x = torch.randn(2, 4, size, size + 1, dtype=torch.float64, requires_grad=True)
    pieces = disc_pieces(_support(k))
    ref = F.conv2d(x, bank, b, stride, padding, dilation)
    got = disc_conv2d(x, bank, b, stride, padding, dilation, pieces)
    assert got.shape == ref.shape and got.is_contiguous()
    assert (got - ref).abs().max() < TOL
    g = torch.randn_like(ref)
    leaves = [x, bank] + ([b] if bias else [])
    want = list(torch.autograd.grad(ref, leaves, g))
    have = list(torch.autograd.grad(got, leaves, g))
    # the bank's gradient off the disc is zero in the split (those taps are not read), and it
    # never reaches a layer's coefficients: the basis is zero there
    assert have[1][..., ~_support(k)].abs().max() == 0
    want[1] = want[1] * _support(k)
    for w, h in zip(want, have, strict=True):
        assert (w - h).abs().max() < TOL


def test_weight_off_the_disc_is_not_convolved():
    """The split reads only the disc: a bank with corner taps gives a different result."""
    torch.manual_seed(1)
    bank = _bank(3, 2, 5, on_disc=False)
    x = torch.randn(1, 2, 9, 9, dtype=torch.float64)
    got = disc_conv2d(x, bank, None, 1, 2, 1, disc_pieces(_support(5)))
    assert (got - F.conv2d(x, bank, None, 1, 2)).abs().max() > 1e-3
    masked = F.conv2d(x, bank * _support(5), None, 1, 2)
    assert (got - masked).abs().max() < TOL


@pytest.mark.parametrize("group", [CyclicGroup(8), DihedralGroup(16)])
@pytest.mark.parametrize(
    ("padding", "mode", "stride"),
    [(2, "zeros", 1), (0, "zeros", 1), (2, "circular", 1), (2, "reflect", 2), (1, "replicate", 1)],
)
def test_layer_split_equals_the_whole_bank(group, padding, mode, stride):
    torch.manual_seed(2)
    layer = GroupConv2d(2, 3, 5, group=group, padding=padding, padding_mode=mode, stride=stride)
    layer = layer.double()
    with torch.no_grad():
        layer.bias.normal_()
    assert layer._pieces is not None
    whole = copy.deepcopy(layer)
    whole._pieces = None
    x = torch.randn(2, 2, group.order, 11, 11, dtype=torch.float64, requires_grad=True)
    y, ref = layer(x), whole(x)
    assert y.shape == ref.shape and (y - ref).abs().max() < TOL
    (gx,) = torch.autograd.grad(y.square().sum(), x)
    (rx,) = torch.autograd.grad(ref.square().sum(), x)
    assert (gx - rx).abs().max() < TOL
    layer.eval(), whole.eval()
    with torch.inference_mode():  # the cached bank goes through the same split
        assert (layer(x) - whole(x)).abs().max() < TOL


def test_layer_splits_only_at_enough_padding(monkeypatch):
    """Padding 0 (or a padding mode, which pads first) would crop: one conv2d instead."""
    import gconv.nn.planar as planar

    calls = []
    monkeypatch.setattr(planar, "disc_conv2d", lambda *a: calls.append(a[4]) or disc_conv2d(*a))
    x = torch.randn(1, 2, 8, 9, 9)
    for padding, mode, split in ((2, "zeros", True), (1, "zeros", True), (0, "zeros", False),
                                 (2, "circular", False)):  # fmt: skip
        calls.clear()
        GroupConv2d(2, 2, 5, group="c8", padding=padding, padding_mode=mode)(x)
        assert bool(calls) == split, (padding, mode)


def test_split_only_where_it_was_measured_faster():
    """Lifting layers (1–3 input channels) and 3×3 or pixel filters keep one conv2d."""
    assert LiftConv2d(1, 4, 5, group="c8", padding=2)._pieces is None
    assert GroupConv2d(2, 2, 3, group="c8")._pieces is None
    assert GroupConv2d(2, 2, 5, group="p4")._pieces is None
    assert GroupConv2d(2, 2, 5, group="p4", basis="steerable")._pieces is not None
