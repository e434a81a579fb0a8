# SPDX-License-Identifier: MIT
"""SO3SumToS2Conv (Gerken et al.'s output layer: SO(3) kernel, product summed over n) against
an independent direct computation, and its equivariance.

Reference (tests/nn/_sphere_ref.py, NumPy only): F̂^l_mn = ∫ F conj(D^l_mn) dQ by SOFT
quadrature of the band-limited input, ψ̃^l_kn = Σ_i w_i D^l_kn(Q_i), Ĝ^l_mk = Σ_n F̂^l_mn ψ̃^l_kn
(the SO(3) correlation ∫ψ(R⁻¹Q)F(Q)dQ, as SO3Conv), h_lm = Σ_k Ĝ^l_mk, then
out(x) = Re Σ_l (2l+1) Σ_m h_lm D^l_m0(α, β, 0) + bias at grid points. All steps are exact for
band-limited F, so float64 agreement is to rounding (tolerance 1e-10 as the other layer tests).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _sphere_ref import SO3Signal, alphas, betas, so3_integral, to_euler, wigner_D

from gconv.equivariance import check_equivariance
from gconv.nn import SO3Conv, SO3SumToS2Conv, SO3ToS2Conv, so3_near_identity_grid
from gconv.spherical import s2_ifft, so3_fft, so3_ifft

TOL = 1e-10
GRID = so3_near_identity_grid(max_beta=0.5, n_alpha=3, n_beta=1, n_gamma=2)


def _reference(F, b_in, b_out, w, bias, points):
    L = min(b_in, b_out)
    Fh = [
        np.array(
            [
                [
                    so3_integral(
                        b_in,
                        lambda Q, l=l, m=m, n=n: (
                            F(Q) * np.conj(wigner_D(l, *to_euler(Q))[m + l, n + l])
                        ),
                    )
                    for n in range(-l, l + 1)
                ]
                for m in range(-l, l + 1)
            ]
        )
        for l in range(L)
    ]
    psi = [
        sum(wi * wigner_D(l, a, b, g) for wi, (b, a, g) in zip(w, GRID, strict=True))
        for l in range(L)
    ]
    h = [(Fh[l] @ psi[l].T).sum(axis=1) for l in range(L)]
    out = []
    for j, k in points:
        a, be = alphas(b_out)[k], betas(b_out)[j]
        val = sum((2 * l + 1) * (h[l] * wigner_D(l, a, be, 0.0)[:, l]).sum() for l in range(L))
        out.append(val.real + bias)
    return out


@pytest.mark.parametrize(("b_in", "b_out"), [(3, 2), (2, 3)])
def test_equals_direct_computation(b_in, b_out):
    rng = np.random.default_rng(5)
    F = SO3Signal(b_in, rng)
    torch.manual_seed(1)
    layer = SO3SumToS2Conv(1, 1, b_in, b_out, grid=GRID).double()
    with torch.no_grad():
        layer.bias.normal_()
    y = layer(torch.from_numpy(F.grid())[None, None])[0, 0]
    points = [(int(rng.integers(2 * b_out)), int(rng.integers(2 * b_out))) for _ in range(4)]
    ref = _reference(F, b_in, b_out, layer.weight.detach().numpy()[0, 0], layer.bias.item(), points)
    for (j, k), r in zip(points, ref, strict=True):
        assert abs(y[j, k].item() - r) < TOL * (1 + abs(r))


def test_gamma_independent_input_reads_the_fibre():
    """Kernel δ at the identity and an input F(Q) = f(Q e_z) (γ-independent): out = f (the
    value on the fibre), the normalisation the module docstring states."""
    b = 3
    x = torch.randn(2, 1, 2 * b, 2 * b, 2 * b, dtype=torch.float64)
    x = so3_ifft(so3_fft(x)).real.mean(dim=-1, keepdim=True).expand(-1, -1, -1, -1, 2 * b)
    layer = SO3SumToS2Conv(1, 1, b, b, grid=((0.0, 0.0, 0.0),)).double()
    with torch.no_grad():
        layer.weight.fill_(1.0)
    torch.testing.assert_close(layer(x.contiguous()), x[..., 0], rtol=0, atol=1e-12)


def test_differs_from_s2_kernel_layer_and_counts_parameters():
    layer = SO3SumToS2Conv(11, 11, 42, 50)
    assert layer.weight.shape == (11, 11, 192)
    assert sum(p.numel() for p in layer.parameters()) == 11 * 11 * 192 + 11
    assert sum(p.numel() for p in SO3ToS2Conv(11, 11, 42, 50).parameters()) == 11 * 11 * 24 + 11


@pytest.mark.parametrize(
    ("b_in", "b_out", "shape"), [(4, 3, (2, 2, 8, 8, 8)), (3, 5, (1, 2, 6, 6, 6))]
)
def test_equivariant_for_random_rotations(b_in, b_out, shape, tolerance):
    layer = SO3SumToS2Conv(2, 3, b_in, b_out, grid=GRID).double()
    with torch.no_grad():
        layer.bias.normal_()
    x = so3_ifft(so3_fft(torch.randn(*shape, dtype=torch.float64))).real
    tol = tolerance(torch.float64, "exact")  # rounding only: band-limited input
    report = check_equivariance(layer, "so3", x, "so3", "s2", rotations=4, tolerance=tol)
    randoms = [r for r in report.rows if r.name.startswith("random")]
    assert len(randoms) == 4 and all(r.error <= tol for r in randoms), str(report)
    assert report.passed, str(report)


def test_gradcheck_and_matches_so3conv_then_sum():
    """Same weights: SO3SumToS2Conv(F) equals summing SO3Conv(F)'s spectrum over k (engine vs
    engine, a cross-check of the filter folding), and gradients pass gradcheck."""
    layer = SO3SumToS2Conv(2, 2, 2, 3, grid=GRID).double()
    x = torch.randn(1, 2, 4, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, w, b: torch.func.functional_call(layer, {"weight": w, "bias": b}, (x,)),
        (x, layer.weight, layer.bias),
    )
    conv = SO3Conv(2, 2, 2, 2, grid=GRID).double()
    with torch.no_grad():
        conv.weight.copy_(layer.weight)
        conv.bias.zero_()
        layer.bias.zero_()
    xb = so3_ifft(so3_fft(x.detach())).real
    c = so3_fft(conv(xb), b_out=2)  # (B, C, Σ(2l+1)²) packed [l][m+l, n+l]
    h0 = c[..., 0]  # l = 0: h_00 = Ĝ^0_00; out's degree-0 part is its mean over S²
    y = layer(xb)
    from gconv.nn import s2_integrate

    torch.testing.assert_close(s2_integrate(y), h0.real, rtol=0, atol=1e-12)
    # every degree: g(x) = Re Σ_lm √(4π(2l+1)) h_lm conj(Y_lm(x)) with h_lm = Σ_k Ĝ^l_mk,
    # i.e. the real part of the synthesis of conj(h_lm)·√(4π(2l+1))
    h, off = [], 0
    for deg in range(2):
        d = 2 * deg + 1
        block = c[..., off : off + d * d].unflatten(-1, (d, d))
        h.append(block.sum(-1) * math.sqrt(4 * math.pi * d))
        off += d * d
    want = s2_ifft(torch.cat(h, -1).conj(), b_out=3, real=True)
    torch.testing.assert_close(y, want, rtol=0, atol=1e-12)
