# SPDX-License-Identifier: MIT
"""Spherical layers against slow direct quadrature (tests/nn/_sphere_ref.py), and their contract:
gradients, state_dict, dtypes, errors, initialisation scale.

Exactness: for band-limited inputs every layer equals a finite quadrature exactly (the SOFT rule
integrates products of two bandwidth-b functions exactly), so float64 agreement is to rounding
(~1e-13 observed; tolerance 1e-10 leaves room for the sums over a few hundred points).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _sphere_ref import (
    S2Signal,
    SO3Signal,
    Y,
    alphas,
    betas,
    euler,
    point,
    s2_integral,
    so3_integral,
    to_euler,
    to_polar,
    wigner_D,
)

from gconv.nn import (
    S2Conv,
    ShapeError,
    SO3Conv,
    SO3Shortcut,
    SO3ToS2Conv,
    s2_integrate,
    s2_near_identity_grid,
    so3_integrate,
    so3_near_identity_grid,
)

TOL = 1e-10
S2GRID = s2_near_identity_grid(max_beta=0.5, n_alpha=3, n_beta=2)
SO3GRID = so3_near_identity_grid(max_beta=0.5, n_alpha=3, n_beta=1, n_gamma=2)


def _layer(cls, cin, cout, b_in, b_out, grid):
    torch.manual_seed(1)
    layer = cls(cin, cout, b_in, b_out, grid=grid).double()
    with torch.no_grad():
        layer.bias.normal_()
    return layer


def _out_points(b: int, n: int, rng, so3: bool) -> list[tuple[int, ...]]:
    shape = (2 * b,) * (3 if so3 else 2)
    return [tuple(int(rng.integers(s)) for s in shape) for _ in range(n)]


@pytest.mark.parametrize(
    ("b_in", "b_out", "c_out"), [(3, 3, 2), (4, 2, 2), (2, 3, 2), (4, 2, 3), (2, 3, 3)]
)
def test_s2conv_equals_quadrature(b_in, b_out, c_out):
    """out(Q) = ∫ ψ_L(Q⁻¹x) f(x) dx + bias, ψ_L(y) = Σ_{l<L} ψ̂_lk Y_lk(y), ψ̂_lk = Σ_i w_i conj Y_lk(x_i).
    Three outputs from one channel on S2GRID's two rings take the ring synthesis, two do not."""
    rng = np.random.default_rng(0)
    f = S2Signal(b_in, rng)
    layer = _layer(S2Conv, 1, c_out, b_in, b_out, S2GRID)
    assert hasattr(layer, "ring_syn_b") == (c_out == 3)
    y = layer(torch.from_numpy(f.grid())[None, None])
    L, w = min(b_in, b_out), layer.weight.detach().numpy()[0]  # (C_out, G)
    for j, k, n in _out_points(b_out, 3, rng, so3=True):
        Q = euler(alphas(b_out)[k], betas(b_out)[j], alphas(b_out)[n])
        for o in range(c_out):
            coef = {
                (l, m): sum(
                    wi * np.conj(Y(l, m, bt, al)) for wi, (bt, al) in zip(w[o], S2GRID, strict=True)
                )
                for l in range(L)
                for m in range(-l, l + 1)
            }

            def psi(v, coef=coef):
                bt, al = to_polar(v)
                return sum(c * Y(l, m, bt, al) for (l, m), c in coef.items())

            ref = s2_integral(b_in, lambda x, psi=psi, Q=Q: psi(Q.T @ x) * f(x))
            assert abs(ref.imag) < TOL
            expected = ref.real + layer.bias[o].item()
            assert abs(y[0, o, j, k, n].item() - expected) < TOL * (1 + abs(expected))


def _so3_filter(w_o, grid, L):
    """ψ_L(P) = Σ_l (2l+1) Σ_mn ψ̂_mn D_mn(P), ψ̂ = Σ_i w_i conj D(Q_i)."""
    hat = [
        sum(wi * np.conj(wigner_D(l, a, b, g)) for wi, (b, a, g) in zip(w_o, grid, strict=True))
        for l in range(L)
    ]
    return lambda P: sum(
        (2 * l + 1) * (h * wigner_D(l, *to_euler(P))).sum() for l, h in enumerate(hat)
    )


@pytest.mark.parametrize(("b_in", "b_out"), [(3, 2), (2, 3)])
def test_so3conv_equals_quadrature(b_in, b_out):
    """out(R) = ∫ ψ_L(R⁻¹Q) F(Q) dQ + bias."""
    rng = np.random.default_rng(1)
    F = SO3Signal(b_in, rng)
    layer = _layer(SO3Conv, 1, 1, b_in, b_out, SO3GRID)
    y = layer(torch.from_numpy(F.grid())[None, None])
    psi = _so3_filter(layer.weight.detach().numpy()[0, 0], SO3GRID, min(b_in, b_out))
    for j, k, n in _out_points(b_out, 3, rng, so3=True):
        R = euler(alphas(b_out)[k], betas(b_out)[j], alphas(b_out)[n])
        ref = so3_integral(b_in, lambda Q, R=R: psi(R.T @ Q) * F(Q))
        assert abs(ref.imag) < TOL
        expected = ref.real + layer.bias[0].item()
        assert abs(y[0, 0, j, k, n].item() - expected) < TOL * (1 + abs(expected))


@pytest.mark.parametrize(("b_in", "b_out"), [(3, 2), (2, 3)])
def test_so3_to_s2_equals_quadrature(b_in, b_out):
    """out(x) = ∫ ψ_L(Q⁻¹x) F(Q) dQ + bias, ψ = 4π Σ_i w_i δ_{y_i} band-limited to L."""
    rng = np.random.default_rng(2)
    F = SO3Signal(b_in, rng)
    layer = _layer(SO3ToS2Conv, 1, 1, b_in, b_out, S2GRID)
    y = layer(torch.from_numpy(F.grid())[None, None])
    w, L = layer.weight.detach().numpy()[0, 0], min(b_in, b_out)
    coef = {
        (l, n): 4
        * np.pi
        * sum(wi * np.conj(Y(l, n, bt, al)) for wi, (bt, al) in zip(w, S2GRID, strict=True))
        for l in range(L)
        for n in range(-l, l + 1)
    }

    def psi(v):
        bt, al = to_polar(v)
        return sum(c * Y(l, n, bt, al) for (l, n), c in coef.items())

    for j, k in _out_points(b_out, 3, rng, so3=False):
        x = point(betas(b_out)[j], alphas(b_out)[k])
        ref = so3_integral(b_in, lambda Q, x=x: psi(Q.T @ x) * F(Q))
        assert abs(ref.imag) < TOL
        expected = ref.real + layer.bias[0].item()
        assert abs(y[0, 0, j, k].item() - expected) < TOL * (1 + abs(expected))


def test_s2conv_is_point_evaluation():
    """With b_out ≥ b_in the S2Conv output at R is Σ_i w_i f(R x_i) (a second, simpler reference)."""
    rng = np.random.default_rng(3)
    f = S2Signal(3, rng)
    layer = _layer(S2Conv, 1, 1, 3, 3, S2GRID)
    y = layer(torch.from_numpy(f.grid())[None, None])[0, 0]
    w = layer.weight.detach().numpy()[0, 0]
    for j, k, n in _out_points(3, 4, rng, so3=True):
        R = euler(alphas(3)[k], betas(3)[j], alphas(3)[n])
        ref = sum(wi * f(R @ point(bt, al)) for wi, (bt, al) in zip(w, S2GRID, strict=True))
        assert abs(y[j, k, n].item() - layer.bias.item() - ref) < TOL * (1 + abs(ref))


def test_integrals_exact_and_normalised():
    rng = np.random.default_rng(4)
    F = SO3Signal(3, rng)
    f = S2Signal(3, rng)
    # ∫ F dQ = Re C^0 (D^0 = 1); (1/4π) ∫ f = Re c_00 Y_00 / 1 … via the reference quadrature
    got = so3_integrate(torch.from_numpy(F.grid())[None, None]).item()
    assert abs(got - F.c[0][0, 0].real) < 1e-12
    got = s2_integrate(torch.from_numpy(f.grid())[None, None]).item()
    assert abs(got - (f.c[(0, 0)] * Y(0, 0, 0.0, 0.0)).real) < 1e-12


@pytest.mark.parametrize(
    ("cls", "grid", "so3_in", "c_in", "c_out"),
    [
        (S2Conv, S2GRID, False, 2, 2),
        (S2Conv, S2GRID, False, 1, 3),  # ring synthesis
        (SO3Conv, SO3GRID, True, 2, 2),
        (SO3ToS2Conv, S2GRID, True, 2, 2),
    ],
)
def test_gradcheck(cls, grid, so3_in, c_in, c_out):
    layer = cls(c_in, c_out, 2, 3, grid=grid).double()
    shape = (2, c_in, *((4,) * (3 if so3_in else 2)))
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, w, b: torch.func.functional_call(layer, {"weight": w, "bias": b}, (x,)),
        (x, layer.weight, layer.bias),
    )


def test_shortcut_gradcheck_and_identity():
    sc = SO3Shortcut(2, 3, 3, 2).double()
    x = torch.randn(1, 2, 6, 6, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(sc, (x,))
    same = SO3Shortcut(3, 3, 2, 2).double()
    with torch.no_grad():
        same.weight.copy_(torch.eye(3))
    x = torch.randn(2, 3, 4, 4, 4, dtype=torch.float64)
    torch.testing.assert_close(same(x), x, rtol=0, atol=0)


def test_shortcut_equals_identity_grid_so3conv():
    """SO3Shortcut = SO3Conv with the one-point grid at the identity (same weights)."""
    sc = SO3Shortcut(2, 3, 3, 2).double()
    conv = SO3Conv(2, 3, 3, 2, grid=((0.0, 0.0, 0.0),)).double()
    with torch.no_grad():
        conv.weight.copy_(sc.weight.T[..., None])
        sc.bias.normal_()
        conv.bias.copy_(sc.bias)
    x = torch.randn(2, 2, 6, 6, 6, dtype=torch.float64)
    torch.testing.assert_close(sc(x), conv(x), rtol=1e-12, atol=1e-12)


def test_state_dict_has_only_parameters_and_round_trips():
    a, b = SO3Conv(3, 4, 3, 2), SO3Conv(3, 4, 3, 2)
    assert sorted(a.state_dict()) == ["bias", "weight"]
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 3, 6, 6, 6)
    torch.testing.assert_close(a(x), b(x), rtol=0, atol=0)
    assert sorted(S2Conv(1, 2, 3, 2).state_dict()) == ["bias", "weight"]
    assert sorted(SO3ToS2Conv(1, 2, 3, 2).state_dict()) == ["bias", "weight"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtypes(dtype):
    net = torch.nn.Sequential(
        S2Conv(1, 3, 4, 3), torch.nn.ReLU(), SO3Conv(3, 2, 3, 2), SO3ToS2Conv(2, 2, 2, 3)
    ).to(dtype)
    y = net(torch.randn(2, 1, 8, 8, dtype=dtype))
    assert y.dtype == dtype and y.shape == (2, 2, 6, 6)
    y.sum().backward()
    assert all(p.grad is not None and p.grad.dtype == dtype for p in net.parameters())


def test_cast_tables_are_cached_and_follow_the_module():
    """Float32 casts of the float64 tables are made once, and a new dtype or buffer (``.to``)
    is seen: after float32 calls, float64 results equal those of a fresh float64 layer."""
    torch.manual_seed(0)
    layer = SO3Conv(2, 3, 4, 3)
    x = torch.randn(2, 2, 8, 8, 8)
    layer(x)
    first = layer._cast_tables[("ana", torch.float32)][1]
    layer(x)
    assert layer._cast_tables[("ana", torch.float32)][1] is first  # no second cast
    fresh = SO3Conv(2, 3, 4, 3).double()
    fresh.load_state_dict(layer.state_dict())
    layer.double()
    torch.testing.assert_close(layer(x.double()), fresh(x.double()), rtol=0, atol=0)


def test_wrong_shapes_raise():
    with pytest.raises(
        ShapeError,
        match=r"expected SO\(3\) signal \(B, 20, 20, 20, 20\) for 20 channels at bandwidth 10, got \(2, 20, 12, 12, 12\)",
    ):
        SO3Conv(20, 4, 10, 6)(torch.randn(2, 20, 12, 12, 12))
    with pytest.raises(ShapeError, match=r"\(B, 1, 8, 8\).*got \(2, 2, 8, 8\)"):
        S2Conv(1, 4, 4, 3)(torch.randn(2, 2, 8, 8))
    with pytest.raises(ShapeError, match="looks like an S² signal"):
        SO3ToS2Conv(1, 1, 4, 4)(torch.randn(2, 1, 8, 8))
    with pytest.raises(ShapeError, match="looks like an SO"):
        S2Conv(1, 1, 4, 4)(torch.randn(2, 1, 8, 8, 8))
    with pytest.raises(ShapeError, match="real floating-point"):
        S2Conv(1, 1, 4, 4)(torch.randn(2, 1, 8, 8, dtype=torch.complex64))
    with pytest.raises(ValueError, match="b_out must be a positive int"):
        S2Conv(1, 1, 4, 0)
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        SO3Conv(1, 1, 4, 4, grid=s2_near_identity_grid())
    with pytest.raises(ValueError, match="in_channels"):
        SO3Conv(0, 1, 4, 4)


def test_parameter_counts_of_s2cnn_mnist():
    """S2CNN 'original' (REFERENCES 2c): 154,550 with today's default grids, 58,550 with n_gamma=3."""

    def count(so3_grid):
        net = [
            S2Conv(1, 20, 30, 10),
            SO3Conv(20, 40, 10, 6, grid=so3_grid),
            torch.nn.Linear(40, 10),
        ]
        return sum(p.numel() for m in net for p in m.parameters())

    assert count(None) == 154_550
    assert count(so3_near_identity_grid(n_gamma=3)) == 58_550


def test_init_keeps_second_moment_through_relu_stack():
    """4 layers with ReLU: E[out²] stays within a factor 4 of E[in²] at every layer (derivation in
    _SphericalLinear.reset_parameters: U(±√2·√(3/fan_in)) restores what the ReLU halves)."""
    torch.manual_seed(0)
    b = [8, 6, 5, 4, 4]
    layers = [S2Conv(1, 16, b[0], b[1])] + [SO3Conv(16, 16, b[i], b[i + 1]) for i in range(1, 4)]
    x = torch.nn.functional.avg_pool2d(torch.randn(8, 1, 16, 16), 3, 1, 1, count_include_pad=False)
    x = x / x.pow(2).mean().sqrt()  # smooth-ish input with unit second moment
    moments = []
    with torch.no_grad():
        for layer in layers:
            x = torch.relu(layer(x))
            moments.append(x.pow(2).mean().item())
    assert all(0.25 < m < 4 for m in moments), moments
    assert math.isfinite(sum(moments))
