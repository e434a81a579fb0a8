# SPDX-License-Identifier: MIT
"""The fused padding gather (``channel_pad_plan``): its forward equals the per-point index
tables of ``feature_pad_index`` / ``scalar_pad_index``, and its hand-written backward equals
plain autograd through an index read, at several resolutions, channel counts and both kinds,
in both output layouts (standard and channels-last, the convolutions' choice); the unstacking
of a convolution's output and its adjoint."""

from __future__ import annotations

import pytest
import torch

from gconv.nn import IcoPad
from gconv.nn._ico_index import channel_pad_plan, feature_pad_index, scalar_pad_index
from gconv.nn.icosahedral import _unstack, corner_mask, is_chart_major

F64 = torch.float64


def _reference(x: torch.Tensor, r: int, scalar: bool, gauge: bool) -> torch.Tensor:
    """Padding by the per-point tables: chart k's padded point (i, j) reads the table's entry
    (zero slot appended), charts folded into the batch: ``(5B, C·G, n+2, 2n+2)``."""
    b, c, n = x.shape[0], x.shape[1], 2**r
    flat = torch.cat([x.reshape(b, c, -1), x.new_zeros(b, c, 1)], dim=2)
    if scalar:
        idx = scalar_pad_index(r, 0).view(1, 5, n + 2, 2 * n + 2)
    else:
        idx = feature_pad_index(r, 0, gauge).view(6, 5, n + 2, 2 * n + 2)
    p = flat[:, :, idx]  # (B, C, G, 5, n+2, 2n+2)
    return p.permute(0, 3, 1, 2, 4, 5).reshape(5 * b, -1, n + 2, 2 * n + 2)


@pytest.mark.parametrize("r", [0, 2, 3])
@pytest.mark.parametrize("scalar,gauge", [(False, True), (False, False), (True, True)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_fused_padding_and_its_adjoint_equal_the_tables(
    r: int, scalar: bool, gauge: bool, channels_last: bool
) -> None:
    c, n = 3, 2**r
    shape = (2, c, 10 * n * n + 2) if scalar else (2, c, 6, 5, n, 2 * n)
    x = torch.randn(*shape, dtype=F64)
    if not scalar:
        x[..., 0, ::n] = 0.0  # regular features vanish at the corners (the layers' contract)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    pad = IcoPad(r, scalar, gauge)
    pad.channels_last = channels_last
    got, want = pad(x1), _reference(x2, r, scalar, gauge)
    torch.testing.assert_close(got, want, rtol=0, atol=0)  # a copy: exact
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    assert got.is_contiguous(memory_format=fmt)
    g = torch.randn_like(want)
    got.backward(g)
    want.backward(g)
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-12, atol=1e-12)  # sums reordered


def test_plan_index_types_and_sizes() -> None:
    full, zero, inner, dead, border_out, border_in = channel_pad_plan(2, 4, False)
    n = 4
    assert full.dtype == inner.dtype == border_out.dtype == torch.int32
    assert zero.dtype == dead.dtype == border_in.dtype == torch.int64
    assert full.numel() == 5 * 4 * 6 * (n + 2) * (2 * n + 2)
    assert inner.numel() == 4 * 6 * 10 * n * n and dead.numel() == 4 * 6 * 10  # 10 corners
    assert border_out.numel() == border_in.numel() > 0


@pytest.mark.parametrize("strided_grad", [False, True])
@pytest.mark.parametrize("channels_last", [False, True])
def test_unstack_and_its_adjoint_equal_the_plain_composition(
    strided_grad: bool, channels_last: bool
) -> None:
    """``_unstack`` (a view, corners zeroed in place) against view, permute and masked_fill;
    a channels-last convolution output comes back chart-major, without a copy."""
    b, c, n = 2, 3, 4
    y = torch.randn(5 * b, 6 * c, n, 2 * n, dtype=F64)
    y = y.contiguous(memory_format=torch.channels_last) if channels_last else y
    y1, y2 = y.clone().requires_grad_(), y.clone().requires_grad_()
    got = _unstack(y1 * 1.0, c)  # a non-leaf, as a convolution's output is
    want = y2.unflatten(0, (b, 5)).unflatten(2, (c, 6)).permute(0, 2, 3, 1, 4, 5)
    want = want.masked_fill(corner_mask(n), 0.0)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    assert is_chart_major(got) == channels_last
    g = torch.randn_like(want)
    g = g.transpose(0, 1).contiguous().transpose(0, 1) if strided_grad else g  # any layout
    got.backward(g)
    want.backward(g)
    torch.testing.assert_close(y1.grad, y2.grad, rtol=0, atol=0)
    t = y[:5].clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda t: _unstack(t * 1.0, c), (t,))


@pytest.mark.parametrize("r", [1, 2, 3])
@pytest.mark.parametrize("gauge", [True, False])
def test_chart_major_input_pads_and_backpropagates_as_contiguous(r: int, gauge: bool) -> None:
    """Padding a chart-major input (``IcoConv``'s output layout, read through a renumbered plan)
    gives the contiguous input's values exactly and its gradient, returned chart-major."""
    c, n = 3, 2**r
    x = torch.randn(2, c, 6, 5, n, 2 * n, dtype=F64)
    x[..., 0, ::n] = 0.0
    xs = x.permute(0, 3, 4, 5, 1, 2).contiguous().permute(0, 4, 5, 1, 2, 3)
    assert is_chart_major(xs) and not xs.is_contiguous() and torch.equal(xs, x)
    x1, x2 = x.clone().requires_grad_(), xs.clone().requires_grad_()  # clone keeps the layout
    assert is_chart_major(x2)
    for channels_last in (False, True):
        pad = IcoPad(r, gauge=gauge)
        pad.channels_last = channels_last
        got, want = pad(x2), pad(x1)
        torch.testing.assert_close(got, want, rtol=0, atol=0)
        g = torch.randn_like(want)
        got.backward(g)
        want.backward(g)
        assert is_chart_major(x2.grad)
        torch.testing.assert_close(x2.grad, x1.grad, rtol=0, atol=1e-13)
        x1.grad = x2.grad = None
    other = x.transpose(0, 1).contiguous().transpose(0, 1)  # neither layout: one copy first
    torch.testing.assert_close(IcoPad(r, gauge=gauge)(other), IcoPad(r, gauge=gauge)(x))
