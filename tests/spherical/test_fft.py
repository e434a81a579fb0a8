# SPDX-License-Identifier: MIT
"""S² and SO(3) Fourier transforms on the SOFT grids against direct sums (float64 exactness)."""

import math

import pytest
import torch

import gconv.spherical._plan as plan_module
from gconv.groups import quadrature_weights, s2_grid, so3_grid, spherical_harmonics, wigner_D_packed
from gconv.spherical import s2_fft, s2_ifft, s2_size, so3_fft, so3_ifft, so3_size

C128 = torch.complex128


def _degree_weights(b: int) -> torch.Tensor:
    """(2l+1) for each packed SO(3) coefficient."""
    return torch.cat([torch.full(((2 * l + 1) ** 2,), 2.0 * l + 1) for l in range(b)])


def _s2_basis(b: int) -> torch.Tensor:
    beta, alpha = s2_grid(b)
    return spherical_harmonics(b, beta[:, None], alpha[None, :])  # (2b, 2b, b²), SciPy's Y_lm


def _so3_basis(b: int) -> torch.Tensor:
    beta, alpha, gamma = so3_grid(b)
    bb, aa, gg = torch.meshgrid(beta, alpha, gamma, indexing="ij")
    return wigner_D_packed(b, aa, bb, gg)  # (2b, 2b, 2b, S)


@pytest.mark.parametrize("b", [1, 2, 5, 9])
def test_s2_round_trip(b):
    c = torch.randn(3, s2_size(b), dtype=C128)
    torch.testing.assert_close(s2_fft(s2_ifft(c)), c, rtol=0, atol=1e-12)
    x = s2_ifft(c).real  # a real band-limited signal: the real-input (rfft) path
    torch.testing.assert_close(s2_ifft(s2_fft(x)).real, x, rtol=0, atol=1e-12)


@pytest.mark.parametrize("b", [1, 2, 5, 8])
def test_so3_round_trip(b):
    c = torch.randn(2, so3_size(b), dtype=C128)
    torch.testing.assert_close(so3_fft(so3_ifft(c)), c, rtol=0, atol=1e-12)
    x = so3_ifft(c).real
    torch.testing.assert_close(so3_ifft(so3_fft(x)).real, x, rtol=0, atol=1e-12)


def test_s2_against_naive_sums():
    b = 4
    Y = _s2_basis(b)
    c = torch.randn(s2_size(b), dtype=C128)
    torch.testing.assert_close(s2_ifft(c), (Y * c).sum(-1), rtol=0, atol=1e-13)
    x = torch.randn(2 * b, 2 * b, dtype=torch.float64)  # not band-limited: quadrature is the spec
    w = quadrature_weights(b)[:, None, None] * math.pi / b
    naive = (w * x[..., None] * Y.conj()).sum((0, 1))
    torch.testing.assert_close(s2_fft(x), naive, rtol=0, atol=1e-13)


def test_so3_against_naive_sums():
    b = 3
    D = _so3_basis(b)
    c = torch.randn(so3_size(b), dtype=C128)
    torch.testing.assert_close(
        so3_ifft(c), (D * c * _degree_weights(b)).sum(-1), rtol=0, atol=1e-13
    )
    x = torch.randn(2 * b, 2 * b, 2 * b, dtype=torch.float64)
    w = quadrature_weights(b)[:, None, None, None] / (2 * (2 * b) ** 2)
    naive = (w * x[..., None] * D.conj()).sum((0, 1, 2))
    torch.testing.assert_close(so3_fft(x), naive, rtol=0, atol=1e-13)
    torch.testing.assert_close(so3_fft(x.to(C128)), naive, rtol=0, atol=1e-13)


def test_parseval():
    b = 6
    c = torch.randn(s2_size(b), dtype=C128)
    f = s2_ifft(c)
    w = quadrature_weights(b)[:, None] * math.pi / b  # ∫_{S²} |f|² dx, exact for degree < 2b
    torch.testing.assert_close((w * f.abs() ** 2).sum(), (c.abs() ** 2).sum(), rtol=1e-13, atol=0)
    c = torch.randn(so3_size(b), dtype=C128)
    F = so3_ifft(c)
    w = quadrature_weights(b)[:, None, None] / (2 * (2 * b) ** 2)  # Haar, ∫1 = 1
    want = (_degree_weights(b) * c.abs() ** 2).sum()  # ∫|F|² = Σ (2l+1) |f̂^l_mn|²
    torch.testing.assert_close((w * F.abs() ** 2).sum(), want, rtol=1e-13, atol=0)


def test_bandwidth_change():
    b, small, big = 5, 3, 7
    c = torch.randn(4, so3_size(b), dtype=C128)
    x = so3_ifft(c)
    torch.testing.assert_close(so3_fft(x, b_out=small), c[:, : so3_size(small)], rtol=0, atol=1e-12)
    padded = so3_fft(x, b_out=big)
    torch.testing.assert_close(padded[:, : so3_size(b)], c, rtol=0, atol=1e-12)
    assert padded[:, so3_size(b) :].abs().max() == 0
    # synthesis on a finer grid then analysis there gives the same spectrum (up-sampling)
    torch.testing.assert_close(so3_fft(so3_ifft(c, b_out=big), b_out=b), c, rtol=0, atol=1e-12)
    assert so3_ifft(c, b_out=small).shape == (4, 6, 6, 6)
    torch.testing.assert_close(so3_ifft(c, b_out=small), so3_ifft(c[:, : so3_size(small)]))
    s = torch.randn(s2_size(b), dtype=C128)
    torch.testing.assert_close(s2_fft(s2_ifft(s, b_out=big), b_out=b), s, rtol=0, atol=1e-12)
    torch.testing.assert_close(
        s2_fft(s2_ifft(s), b_out=small), s[: s2_size(small)], rtol=0, atol=1e-12
    )


def test_batch_shapes_and_float32():
    x = torch.randn(2, 3, 8, 8, 8)
    c = so3_fft(x)
    assert c.shape == (2, 3, so3_size(4)) and c.dtype == torch.complex64
    torch.testing.assert_close(c[1, 2], so3_fft(x[1, 2]))
    c64 = so3_fft(x.double())
    torch.testing.assert_close(c.to(C128), c64, rtol=0, atol=1e-5)  # float32 rounding
    y = so3_ifft(c)
    assert y.shape == x.shape and y.dtype == torch.complex64
    s = s2_fft(torch.randn(2, 3, 6, 6))
    assert s.shape == (2, 3, 9) and s2_ifft(s).shape == (2, 3, 6, 6)


def test_streamed_path_matches_stored(monkeypatch):
    # grids with b > STORE_MAX_B stream d^l per degree; force that path at a small b
    b = 4
    c = torch.randn(2, so3_size(b), dtype=C128)
    x = so3_ifft(c)
    monkeypatch.setattr(plan_module, "STORE_MAX_B", 2)
    plan_module.plan.cache_clear()
    try:
        assert plan_module.plan("so3", b, b, torch.float64, "cpu").d is None
        torch.testing.assert_close(so3_ifft(c), x, rtol=0, atol=1e-13)
        torch.testing.assert_close(so3_fft(x), c, rtol=0, atol=1e-12)
        torch.testing.assert_close(so3_fft(x.real), so3_fft(x.real.to(C128)), rtol=0, atol=1e-13)
    finally:
        plan_module.plan.cache_clear()


def test_gradients():
    x = torch.randn(2, 4, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: so3_fft(t, b_out=3), (x,))
    c = torch.randn(1, so3_size(2), dtype=C128, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: so3_ifft(t, b_out=3), (c,))
    s = torch.randn(2, 6, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(s2_fft, (s,))
    sc = torch.randn(s2_size(3), dtype=C128, requires_grad=True)
    assert torch.autograd.gradcheck(s2_ifft, (sc,))


def test_bad_inputs():
    with pytest.raises(ValueError, match="2b, 2b"):
        s2_fft(torch.randn(5, 5))
    with pytest.raises(ValueError, match="2b, 2b, 2b"):
        so3_fft(torch.randn(4, 4, 6))
    with pytest.raises(ValueError, match="b²"):
        s2_ifft(torch.randn(5, dtype=C128))
    with pytest.raises(ValueError, match="b_out"):
        so3_fft(torch.randn(4, 4, 4), b_out=0)
    with pytest.raises(ValueError, match="float or complex"):
        s2_fft(torch.ones(4, 4, dtype=torch.int64))


@pytest.mark.parametrize("path", ["dft", "fft"])
def test_azimuthal_paths_and_chunking_agree(path, monkeypatch):
    # small grids use matrix-product DFTs, large ones torch.fft; batches run in chunks
    import gconv.spherical._fft as fft_module

    b = 4
    x = torch.randn(5, 2 * b, 2 * b, 2 * b, dtype=torch.float64)
    s = torch.randn(5, 2 * b, 2 * b, dtype=torch.float64)
    ref = (so3_fft(x), so3_fft(x.to(C128)), s2_fft(s), s2_fft(s.to(C128)))
    c, cs = ref[0], ref[2]
    inv = (so3_ifft(c), s2_ifft(cs))
    monkeypatch.setattr(fft_module, "DFT_MAX_2B", 64 if path == "dft" else 0)
    monkeypatch.setattr(fft_module, "CHUNK_BYTES", 1)  # one signal per chunk
    got = (so3_fft(x), so3_fft(x.to(C128)), s2_fft(s), s2_fft(s.to(C128)))
    for g, r in zip(got, ref, strict=True):
        torch.testing.assert_close(g, r, rtol=0, atol=1e-13)
    torch.testing.assert_close(so3_ifft(c), inv[0], rtol=0, atol=1e-13)
    torch.testing.assert_close(s2_ifft(cs), inv[1], rtol=0, atol=1e-13)
    assert so3_ifft(c, real=True).dtype == torch.float64
    torch.testing.assert_close(so3_ifft(c, real=True), inv[0].real, rtol=0, atol=1e-13)
    torch.testing.assert_close(s2_ifft(cs, real=True), inv[1].real, rtol=0, atol=1e-13)
