# SPDX-License-Identifier: MIT
"""``IcoBatchNorm``'s training Function (``_ico_bn``) against the plain autograd composition it
replaced (two-pass statistics without the 10 corners, affine map, corners zeroed): the same
mean bit for bit; variance, values and gradients to float64 rounding; gradcheck; the running
statistics; any input layout."""

from __future__ import annotations

import pytest
import torch

from gconv.nn import IcoBatchNorm
from gconv.nn._ico_bn import ico_batch_norm_reference, ico_batch_norm_train
from gconv.nn.icosahedral import is_chart_major

F64 = torch.float64


def _composition(x, weight, bias, eps, n):
    """The previous IcoBatchNorm training forward, op for op (autograd differentiates it)."""
    b, c = x.shape[:2]
    x3 = x.reshape(b, c, -1)
    xk = x[..., 0, ::n].reshape(b, c, -1)
    count = x3.shape[2] * b - xk.shape[2] * b
    mean = (x3.sum(2).sum(0) - xk.sum(2).sum(0)) / count
    centred = x3 - mean.view(1, -1, 1)
    dk = xk - mean.view(1, -1, 1)
    var = ((centred * centred).sum(2).sum(0) - (dk * dk).sum(2).sum(0)) / count
    scale = torch.rsqrt(var + eps)
    scale = scale if weight is None else scale * weight
    y = centred.view(x.shape) * scale.view(1, -1, 1, 1, 1, 1)
    y = y if bias is None else y + bias.view(1, -1, 1, 1, 1, 1)
    y = y.clone()
    y[..., 0, ::n] = 0.0
    return y, mean, var


def _inputs(r: int, affine: bool, b: int = 3, c: int = 4):
    n = 2**r
    x = torch.randn(b, c, 6, 5, n, 2 * n, dtype=F64) * 3 + 1.5  # corners nonzero: ignored
    w = torch.randn(c, dtype=F64) if affine else None
    bias = torch.randn(c, dtype=F64) if affine else None
    return x, w, bias, n


@pytest.mark.parametrize("r", [1, 2])
@pytest.mark.parametrize("affine", [True, False])
def test_function_equals_the_composition_values_and_gradients(r: int, affine: bool) -> None:
    x, w, b, n = _inputs(r, affine)
    leaves = [t for t in (x, w, b) if t is not None]
    ours = [t.clone().requires_grad_() for t in leaves]
    theirs = [t.clone().requires_grad_() for t in leaves]
    args1 = (ours[0], *(ours[1:] or [None, None]))
    args2 = (theirs[0], *(theirs[1:] or [None, None]))
    y1, m1, v1 = ico_batch_norm_train(*args1, 1e-5, n)
    y2, m2, v2 = _composition(*args2, 1e-5, n)
    torch.testing.assert_close(m1, m2, rtol=0, atol=0)  # the same ops: bit for bit
    torch.testing.assert_close(v1, v2, rtol=1e-14, atol=0)  # Σ c² as squared norms: rounding
    torch.testing.assert_close(y1, y2, rtol=0, atol=1e-14)
    assert not m1.requires_grad and not v1.requires_grad
    g = torch.randn_like(y2)
    y1.backward(g)
    y2.backward(g)
    for a, c in zip(ours, theirs, strict=True):  # hand-written backward: sums reordered
        torch.testing.assert_close(a.grad, c.grad, rtol=1e-12, atol=1e-12)
    assert ours[0].grad[..., 0, ::n].eq(0).all()  # corners enter nothing


@pytest.mark.parametrize("affine", [True, False])
def test_gradcheck(affine: bool) -> None:
    x, w, b, n = _inputs(1, affine, b=2, c=2)
    args = [t.requires_grad_() for t in (x, w, b) if t is not None]

    def fn(*a):
        return ico_batch_norm_train(a[0], *(a[1:] or (None, None)), 1e-5, n)[0]

    assert torch.autograd.gradcheck(fn, tuple(args))


@pytest.mark.parametrize("affine", [True, False])
def test_gradgradcheck_and_the_reference(affine: bool) -> None:
    """Double backward (create_graph differentiates ``ico_batch_norm_reference``), and that
    reference is the composition the Function replaced."""
    x, w, b, n = _inputs(1, affine, b=2, c=2)
    args = [t.requires_grad_() for t in (x, w, b) if t is not None]

    def fn(*a):
        return ico_batch_norm_train(a[0], *(a[1:] or (None, None)), 1e-5, n)[0]

    assert torch.autograd.gradgradcheck(fn, tuple(args))
    wb = (w, b) if affine else (None, None)
    ours, theirs = ico_batch_norm_reference(x, *wb, 1e-5, n), _composition(x, *wb, 1e-5, n)
    for got, want in zip(ours, theirs, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-14, atol=1e-14)


def test_running_statistics_update_as_before() -> None:
    bn = IcoBatchNorm(4, momentum=0.3).double().train()
    with torch.no_grad():
        bn.weight.normal_()
        bn.bias.normal_()
    run_mean, run_var = torch.zeros(4, dtype=F64), torch.ones(4, dtype=F64)
    for step in range(3):
        x, _, _, n = _inputs(2, False)
        y = bn(x)
        _, mean, var = _composition(x, None, None, bn.eps, n)
        count = x.numel() // 4 - x.shape[0] * 60
        run_mean = 0.7 * run_mean + 0.3 * mean
        run_var = 0.7 * run_var + 0.3 * var * count / (count - 1)
        torch.testing.assert_close(bn.running_mean, run_mean, rtol=1e-14, atol=1e-14)
        torch.testing.assert_close(bn.running_var, run_var, rtol=1e-14, atol=1e-14)
        assert int(bn.num_batches_tracked) == step + 1
        want = _composition(x, bn.weight, bn.bias, bn.eps, n)[0]
        torch.testing.assert_close(y, want, rtol=0, atol=1e-14)
    bn.eval()  # eval reads the running statistics
    x, _, _, n = _inputs(2, False)
    want = (x - run_mean.view(1, -1, 1, 1, 1, 1)) / torch.sqrt(
        run_var.view(1, -1, 1, 1, 1, 1) + bn.eps
    )
    want = want * bn.weight.view(1, -1, 1, 1, 1, 1) + bn.bias.view(1, -1, 1, 1, 1, 1)
    want[..., 0, ::n] = 0.0
    torch.testing.assert_close(bn(x), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("order", [(0, 3, 1, 2, 4, 5), (0, 3, 4, 5, 1, 2)])
def test_any_input_layout(order: tuple[int, ...]) -> None:
    """A permuted (non-contiguous) input gives the contiguous input's values and gradient:
    any permutation (copied), and chart-major storage (``IcoConv``'s output, read in place and
    returned in the same layout)."""
    x, w, b, n = _inputs(2, True)
    back = tuple(order.index(i) for i in range(6))
    xs = x.permute(*order).contiguous().permute(*back)
    assert not xs.is_contiguous() and torch.equal(xs, x)
    chart_major = order == (0, 3, 4, 5, 1, 2)
    assert is_chart_major(xs) == chart_major
    x1, x2 = x.clone().requires_grad_(), xs.clone().requires_grad_()
    y1 = ico_batch_norm_train(x1, w, b, 1e-5, n)[0]
    y2 = ico_batch_norm_train(x2, w, b, 1e-5, n)[0]
    torch.testing.assert_close(y1, y2, rtol=0, atol=1e-14)
    assert is_chart_major(y2) == chart_major
    g = torch.randn_like(y1)
    y1.backward(g)
    y2.backward(g.transpose(-1, -2).contiguous().transpose(-1, -2))
    torch.testing.assert_close(x1.grad, x2.grad, rtol=0, atol=1e-13)


@pytest.mark.parametrize("affine", [True, False])
def test_module_reads_chart_major_features_in_both_modes(affine: bool) -> None:
    """``IcoBatchNorm`` on chart-major features (as ``IcoConv`` returns them) equals it on the
    same values stored contiguously, in training (values, running statistics, gradients) and in
    eval mode, and hands them on chart-major."""
    x, _, _, _ = _inputs(2, True)
    xs = x.permute(0, 3, 4, 5, 1, 2).contiguous().permute(0, 4, 5, 1, 2, 3)
    torch.manual_seed(1)
    a = IcoBatchNorm(4, affine=affine).double()
    if affine:
        with torch.no_grad():
            a.weight.normal_(), a.bias.normal_()
    b = IcoBatchNorm(4, affine=affine).double()
    b.load_state_dict(a.state_dict())
    x1, x2 = x.clone().requires_grad_(), xs.clone().requires_grad_()
    y1, y2 = a(x1), b(x2)
    torch.testing.assert_close(y2, y1, rtol=0, atol=1e-13)
    assert is_chart_major(y2)
    torch.testing.assert_close(b.running_mean, a.running_mean, rtol=0, atol=1e-14)
    torch.testing.assert_close(b.running_var, a.running_var, rtol=1e-14, atol=1e-14)
    g = torch.randn_like(y1)
    y1.backward(g)
    y2.backward(g)
    torch.testing.assert_close(x2.grad, x1.grad, rtol=0, atol=1e-12)
    for p1, p2 in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p2.grad, p1.grad, rtol=1e-13, atol=1e-12)
    a.eval(), b.eval()
    with torch.no_grad():
        e1, e2 = a(x), b(xs)
    torch.testing.assert_close(e2, e1, rtol=0, atol=1e-13)
    assert is_chart_major(e2) and bool(e2[..., 0, ::4].eq(0).all())


def test_training_mode_is_equivariant_under_all_sixty_rotations(tolerance) -> None:
    """The checker runs modules in eval mode; in training mode the batch statistics are sums
    over every orientation and kept vertex, which each rotation permutes: output and running
    statistics must follow the rotation exactly (float64 rounding)."""
    from gconv.equivariance import ico_act

    torch.manual_seed(3)
    x = torch.randn(3, 2, 6, 5, 4, 8, dtype=torch.float64) * 2 + 0.5
    ref = IcoBatchNorm(2).double()
    with torch.no_grad():
        ref.weight.normal_(), ref.bias.normal_()
    y = ref(ico_act(x, 0, "features"))
    tol = tolerance(torch.float64, "exact")
    for g in range(60):
        bn = IcoBatchNorm(2).double()
        bn.load_state_dict(
            ref.state_dict()
            | {
                "running_mean": torch.zeros(2, dtype=torch.float64),
                "running_var": torch.ones(2, dtype=torch.float64),
                "num_batches_tracked": torch.tensor(0),
            }
        )
        yg = bn(ico_act(x, g, "features"))
        want = ico_act(y, g, "features")
        assert ((yg - want).norm() / want.norm()).item() <= tol, g
        assert torch.allclose(bn.running_mean, ref.running_mean, rtol=tol, atol=0), g
        assert torch.allclose(bn.running_var, ref.running_var, rtol=tol, atol=0), g
