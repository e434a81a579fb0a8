# SPDX-License-Identifier: MIT
"""The SO(3) spectral product batched over runs of degrees (``_spectral.so3_so3_product``)
against a plain per-degree complex einsum, at degrees where runs hold several degrees (the
layer tests use small bandwidths, where every run is a single degree). Float64, random
spectra with the zero pattern the engine guarantees; exact up to rounding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gconv.nn import _spectral as sp
from gconv.nn import so3_near_identity_grid


def _engine_spectrum(L: int, B: int, C: int, gen: torch.Generator, zero=True) -> torch.Tensor:
    F = torch.randn(L, 2 * L - 1, 2, B, C, L, dtype=torch.float64, generator=gen)
    if not zero:
        return F
    m = torch.arange(L)[:, None, None]
    n = torch.arange(-(L - 1), L)[None, :, None]
    l = torch.arange(L)[None, None, :]
    valid = (m <= l) & (n.abs() <= l)  # (m, n, l)
    return F * valid[:, :, None, None, None, :]


def _reference(F: torch.Tensor, psi: torch.Tensor) -> torch.Tensor:
    L, B, C = F.shape[-1], F.shape[3], F.shape[4]
    O = psi.shape[1]
    out = torch.zeros(L, 2 * L - 1, 2, B, O, L, dtype=torch.float64)
    Fc = torch.complex(F[:, :, 0], F[:, :, 1])  # (m, n, b, c, l)
    for l in range(L):
        d, off, e = 2 * l + 1, sp.so3_size(l), L - 1 - l
        P = psi[..., off : off + d * d].reshape(C, O, d, d)  # [c, o, k, n]
        G = torch.einsum("mnbc,cokn->mkbo", Fc[: l + 1, e : e + d, :, :, l], P)
        out[: l + 1, e : e + d, 0, :, :, l] = G.real
        out[: l + 1, e : e + d, 1, :, :, l] = G.imag
    return out


def test_buckets_cover_every_degree_once_and_group_large_degrees():
    for L in (1, 2, 7, 30, 42):
        runs = sp.degree_buckets(L)
        assert [l for a, b in runs for l in range(a, b)] == list(range(L))
        assert all(b <= max(a + 1, 1.3 * (a + 1)) for a, b in runs)
    assert any(b - a > 1 for a, b in sp.degree_buckets(30))


@pytest.mark.parametrize(("L", "B", "C", "O"), [(4, 2, 3, 2), (12, 2, 2, 3), (20, 1, 2, 2)])
def test_batched_product_equals_per_degree_einsum(L, B, C, O):
    gen = torch.Generator().manual_seed(L)
    F = _engine_spectrum(L, B, C, gen, zero=False)  # junk outside the valid set: ignored
    psi = torch.randn(C, O, sp.so3_size(L), dtype=torch.complex128, generator=gen)
    want = _reference(F, psi)
    torch.testing.assert_close(sp.so3_so3_product(F, psi), want, rtol=0, atol=1e-12)
    ops = sp.so3_product_operand(psi, L)
    torch.testing.assert_close(sp.so3_so3_product(F, ops), want, rtol=0, atol=1e-12)


def test_batched_product_gradients():
    gen = torch.Generator().manual_seed(0)
    F = _engine_spectrum(9, 1, 1, gen, zero=False).requires_grad_(True)
    psi = torch.randn(1, 1, sp.so3_size(9), dtype=torch.complex128, generator=gen)
    psi.requires_grad_(True)
    out = sp.so3_so3_product(F, psi)
    g = torch.randn_like(out)
    (out * g).sum().backward()
    F2, psi2 = F.detach().requires_grad_(True), psi.detach().requires_grad_(True)
    (_reference(F2, psi2) * g).sum().backward()
    torch.testing.assert_close(F.grad, F2.grad, rtol=0, atol=1e-12)
    torch.testing.assert_close(psi.grad, psi2.grad, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("L", "grid", "factored"),
    [
        (12, so3_near_identity_grid(), True),  # 3 rings × 8 α: runs of several degrees
        (5, so3_near_identity_grid(max_beta=0.4, n_alpha=6, n_beta=1, n_gamma=6), True),
        (6, ((0.3, 0.1, 0.2), (0.3, 1.0, -2.0), (1.1, 0.5, 0.5), (2.0, 4.0, 1.0)), False),
        # α = 0 and 2π are one azimuth: grouped together
        (4, ((0.3, 0.0, 0.2), (0.3, 2 * np.pi, -2.0), (0.3, 0.0, 1.0), (0.5, 0.0, 0.5)), True),
    ],
)
def test_ring_operand_equals_the_gathered_packed_spectrum(L, grid, factored):
    """``so3_ring_operand`` (weights grouped by ring and α, DFTs, then d^l(β_r) per ring)
    equals ``so3_product_operand`` of the packed filter spectrum ``Σ_i w_i D^l(Q_i)``, values
    and weight gradients."""
    pts = np.asarray(grid, dtype=np.float64)
    gen = torch.Generator().manual_seed(L)
    w = torch.randn(2, 3, len(pts), dtype=torch.float64, generator=gen, requires_grad=True)
    rings, index = torch.unique(torch.as_tensor(pts[:, 0]), return_inverse=True)
    plan = sp.so3_ring_plan(pts, L, index, len(rings))
    assert ("alpha" in plan) == factored  # grouped by α where that is fewer columns
    spec = sp.so3_ring_spectrum(w, plan["table"])
    got = sp.so3_ring_operand(spec, sp.so3_ring_d_runs(rings, L), L, plan.get("alpha"))
    want = sp.so3_product_operand(sp.filter_spectrum(w, sp.so3_filter_table(pts, L)), L)
    coef = [torch.randn(a.shape, dtype=a.dtype, generator=gen) for a in want]

    def grad(runs: list[torch.Tensor]) -> torch.Tensor:
        loss = sum((c * r).real.sum() for c, r in zip(coef, runs, strict=True))
        return torch.autograd.grad(loss, w, retain_graph=True)[0]

    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    torch.testing.assert_close(grad(got), grad(want), rtol=0, atol=1e-11)


def test_product_with_bias_gradients_through_the_operand_runs():
    """Bias at (l, m, k) = 0 and gradients of input, operand runs and bias against the
    per-degree einsum, at a degree where runs hold several degrees (masked padded rows)."""
    L, B, C, O = 12, 2, 2, 3
    gen = torch.Generator().manual_seed(1)
    F = _engine_spectrum(L, B, C, gen, zero=False).requires_grad_(True)
    psi = torch.randn(C, O, sp.so3_size(L), dtype=torch.complex128, generator=gen)
    psi.requires_grad_(True)
    bias = torch.randn(O, dtype=torch.float64, generator=gen, requires_grad=True)
    out = sp.so3_so3_product(F, sp.so3_product_operand(psi, L), bias)
    g = torch.randn(out.shape, dtype=out.dtype, generator=gen)
    (out * g).sum().backward()
    F2 = F.detach().requires_grad_(True)
    b2 = bias.detach().requires_grad_(True)
    psi2 = psi.detach().requires_grad_(True)
    want = _reference(F2, psi2)
    want[0, L - 1, 0, :, :, 0] += b2
    (want * g).sum().backward()
    torch.testing.assert_close(out, want, rtol=0, atol=1e-12)
    torch.testing.assert_close(F.grad, F2.grad, rtol=0, atol=1e-12)
    torch.testing.assert_close(bias.grad, b2.grad, rtol=0, atol=1e-12)
    torch.testing.assert_close(psi.grad, psi2.grad, rtol=0, atol=1e-12)


def test_so3_s2_product_equals_the_complex_einsum_with_gradients():
    """``so3_s2_product`` (one complex bmm over degrees) against
    ``conj(Σ_{c,n} F̂[m,n,b,c,l] φ[c,o,n,l])`` written out, values and both gradients."""
    L, B, C, O = 5, 2, 2, 3
    gen = torch.Generator().manual_seed(3)
    F = _engine_spectrum(L, B, C, gen).requires_grad_(True)
    phi = torch.randn(C, O, 2 * L - 1, L, dtype=torch.complex128, generator=gen)
    phi.requires_grad_(True)
    got = sp.so3_s2_product(F, phi)
    F2, phi2 = F.detach().requires_grad_(True), phi.detach().requires_grad_(True)
    Fc = torch.complex(F2[:, :, 0], F2[:, :, 1])  # (m, n, b, c, l)
    want = torch.einsum("mnbcl,conl->mbol", Fc, phi2).conj()
    want = torch.stack([want.real, want.imag], dim=1)  # (m, re/im, b, o, l)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    g = torch.randn(got.shape, dtype=got.dtype, generator=gen)
    (got * g).sum().backward()
    (want * g).sum().backward()
    torch.testing.assert_close(F.grad, F2.grad, rtol=0, atol=1e-12)
    torch.testing.assert_close(phi.grad, phi2.grad, rtol=0, atol=1e-12)
