# SPDX-License-Identifier: MIT
"""The 7-tap GEMM correlation (``_ico_gemm``) against ``F.conv2d`` with the 3×3 bank: the
same values and gradients to float64 rounding (input, weight, bias), both strides, lift and
group layers, both padded layouts; gradcheck; the layers' two paths agree."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gconv.nn import IcoConv, IcoLift
from gconv.nn._ico_gemm import hex_bank, hex_correlation, hex_weight_index
from gconv.nn._ico_index import HEX_TAPS, hex_expansion_index

F64 = torch.float64


def _layer_and_input(lift: bool, stride: int, r: int = 2, b: int = 2):
    torch.manual_seed(1)
    layer = (IcoLift(2, 3, r, stride) if lift else IcoConv(2, 3, r, stride)).double()
    with torch.no_grad():
        layer.bias.normal_()
    n = 2**r
    shape = (b, 2, 10 * n * n + 2) if lift else (b, 2, 6, 5, n, 2 * n)
    x = torch.randn(shape, dtype=F64)
    if not lift:
        x[..., 0, ::n] = 0.0
    return layer, x


def test_hex_index_is_the_expansion_at_the_seven_taps() -> None:
    for g in (1, 6):
        full, hex_ = hex_expansion_index(g), hex_weight_index(g)
        assert hex_.shape == (6, 7, g)
        for t, (a, b) in enumerate(HEX_TAPS):
            assert torch.equal(hex_[:, t], full[:, :, a, b])
        # the two stencil places left out read the zero slot of the 3×3 bank
        assert full[:, :, 0, 2].eq(7 * g).all() and full[:, :, 2, 0].eq(7 * g).all()


@pytest.mark.parametrize("lift", [True, False])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("channels_last", [True, False])
def test_gemm_equals_conv2d_values_and_gradients(lift: bool, stride: int, channels_last) -> None:
    layer, x = _layer_and_input(lift, stride)
    layer.pad.channels_last = channels_last
    p = layer.pad(x)
    p1, p2 = p.detach().clone().requires_grad_(), p.detach().clone().requires_grad_()
    w1 = layer.weight.detach().clone().requires_grad_()
    w2 = layer.weight.detach().clone().requires_grad_()
    b1 = layer.bias.detach().clone().requires_grad_()
    b2 = layer.bias.detach().clone().requires_grad_()
    got = hex_correlation(
        p1, hex_bank(w1, hex_weight_index(layer.in_order)), b1.repeat_interleave(6), stride
    )
    layer.weight, layer.bias = torch.nn.Parameter(w2), torch.nn.Parameter(b2)
    bank, bias = layer.expanded_weight()
    want = F.conv2d(p2, bank, bias, stride)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    assert got.is_contiguous(memory_format=torch.channels_last)
    g = torch.randn_like(want)
    got.backward(g)
    want.backward(g)
    for a, c in ((p1, p2), (w1, layer.weight), (b1, layer.bias)):
        torch.testing.assert_close(a.grad, c.grad, rtol=0, atol=1e-11)


@pytest.mark.parametrize("stride", [1, 2])
def test_gradcheck(stride: int) -> None:
    layer, x = _layer_and_input(False, stride, r=1, b=1)
    p = layer.pad(x).detach().requires_grad_()
    w = hex_bank(layer.weight.detach(), hex_weight_index(6)).requires_grad_()
    b = torch.randn(w.shape[0], dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda *a: hex_correlation(*a, stride), (p, w, b))


@pytest.mark.parametrize("lift", [True, False])
@pytest.mark.parametrize("stride", [1, 2])
def test_layer_paths_agree(lift: bool, stride: int) -> None:
    """A layer's output and gradients are the same whichever way it correlates."""
    layer, x = _layer_and_input(lift, stride, r=3)
    outs = []
    for gemm in (True, False):
        layer._gemm = gemm
        layer.zero_grad()
        xi = x.clone().requires_grad_(not lift)
        y = layer(xi)
        (y * torch.linspace(-1, 1, y.numel(), dtype=F64).view(y.shape)).sum().backward()
        outs.append((y.detach(), layer.weight.grad.clone(), layer.bias.grad.clone(), xi.grad))
    for a, b in zip(*outs, strict=True):
        if a is not None:
            torch.testing.assert_close(a, b, rtol=0, atol=1e-11)


@pytest.mark.parametrize("stride", [1, 2])
def test_hex_correlation_gradgradcheck(stride: int) -> None:
    """Double backward with respect to the padded input, the bank and the bias: the gradient
    of the bank must be rebuilt from p's graph under create_graph (the saved columns have
    none)."""
    torch.manual_seed(stride)
    p = torch.randn(2, 3, 6, 10, dtype=F64, requires_grad=True)  # (5B, C·G, n+2, 2n+2), n = 4
    w = torch.randn(4, 7 * 3, dtype=F64, requires_grad=True)
    bias = torch.randn(4, dtype=F64, requires_grad=True)
    fn = lambda p, w, bias: hex_correlation(p, w, bias, stride)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (p, w, bias))
    assert torch.autograd.gradgradcheck(fn, (p, w, bias))


@pytest.mark.parametrize("stride", [1, 2])
def test_under_autocast_the_product_runs_in_bfloat16_as_conv2d_does(stride: int) -> None:
    """Under ``torch.autocast`` the GEMM path takes autocast's dtype (what ``F.conv2d`` does
    there; before, its ``out=`` product stayed float32): the output is bfloat16 and equals
    ``F.conv2d`` of the same bfloat16 operands to bfloat16 rounding of the result, and the float32
    inputs get float32 gradients."""
    layer, x = _layer_and_input(False, stride)
    layer = layer.float()
    p = layer.pad(x.float()).detach().requires_grad_()
    w = hex_bank(layer.weight, hex_weight_index(layer.in_order))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = hex_correlation(p, w, layer.bias.repeat_interleave(6), stride)
        bank, bias = layer.expanded_weight()
        want = F.conv2d(p, bank, bias, stride)
    assert got.dtype == want.dtype == torch.bfloat16
    # both sum bfloat16 products in float32 and round once: a few units of 2⁻⁸ of the output
    torch.testing.assert_close(got.float(), want.float(), rtol=2**-6, atol=2**-6)
    got.float().sum().backward()
    assert p.grad is not None and p.grad.dtype == torch.float32
    assert layer.weight.grad is not None and layer.weight.grad.dtype == torch.float32
    p64, w64 = p.detach().double(), w.detach().double()  # autocast leaves float64 alone
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert hex_correlation(p64, w64, None, stride).dtype == torch.float64
        assert F.conv2d(p64, bank.detach().double(), None, stride).dtype == torch.float64
