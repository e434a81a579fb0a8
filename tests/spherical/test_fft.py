# SPDX-License-Identifier: MIT
"""S² and SO(3) Fourier transforms on the SOFT grids against direct sums (float64 exactness)."""

import math

import pytest
import torch

import gconv.spherical._fft as fft_module
import gconv.spherical._stream as stream_module
from gconv.groups import quadrature_weights, s2_grid, so3_grid, spherical_harmonics, wigner_D_packed
from gconv.spherical import s2_fft, s2_ifft, s2_size, so3_fft, so3_ifft, so3_size

C128 = torch.complex128


@pytest.fixture(autouse=True, params=["dense", "engine"])
def s2_path(request, monkeypatch):
    """Every test twice: small S² transforms through the dense matrices (the default), and
    through the engine path (the dense path switched off)."""
    if request.param == "engine":
        monkeypatch.setattr(fft_module, "DENSE_MAX", 0)
    return request.param


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


@pytest.mark.parametrize("block_bytes", [1, 2**30])
def test_streamed_path_matches_stored(monkeypatch, block_bytes):
    # SO(3) grids with b > STORE_MAX_B stream d^l in blocks of degrees; force that path at a
    # small b, with one degree per block (block_bytes = 1) and all degrees in one block
    b = 4
    c = torch.randn(2, so3_size(b), dtype=C128)
    x = so3_ifft(c)
    monkeypatch.setattr(fft_module, "STORE_MAX_B", 2)
    monkeypatch.setattr(stream_module, "STREAM_BLOCK_BYTES", block_bytes)
    torch.testing.assert_close(so3_ifft(c), x, rtol=0, atol=1e-13)
    torch.testing.assert_close(so3_fft(x), c, rtol=0, atol=1e-12)
    torch.testing.assert_close(so3_fft(x.real), so3_fft(x.real.to(C128)), rtol=0, atol=1e-13)
    torch.testing.assert_close(so3_fft(x, b_out=3), c[:, : so3_size(3)], rtol=0, atol=1e-12)
    torch.testing.assert_close(so3_ifft(c, b_out=3), so3_ifft(c[:, : so3_size(3)], b_out=3))
    if block_bytes > 1:
        return  # gradients: once (one degree per block, the most slices)
    xs = torch.randn(1, 6, 6, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: so3_fft(t, b_out=2), (xs,))
    cs = torch.randn(1, so3_size(2), dtype=C128, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: so3_ifft(t, b_out=3), (cs,))


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
    with pytest.raises(TypeError, match="complex packed spectrum.*a grid signal"):
        s2_ifft(torch.randn(2, 16, 16))  # a b = 8 grid has the length of a b = 4 spectrum


def test_empty_batches_give_empty_results():
    assert s2_fft(torch.randn(0, 3, 8, 8), b_out=5).shape == (0, 3, 25)
    assert so3_fft(torch.randn(2, 0, 8, 8, 8, dtype=torch.float64)).dtype == C128
    assert s2_ifft(torch.randn(0, 16, dtype=C128), b_out=3, real=True).shape == (0, 6, 6)
    y = so3_ifft(torch.randn(0, so3_size(3), dtype=torch.complex64))
    assert y.shape == (0, 6, 6, 6) and y.dtype == torch.complex64


def test_conjugate_views_go_in_as_their_values():
    for ifft, n in ((s2_ifft, s2_size(4)), (so3_ifft, so3_size(3))):
        c = torch.randn(2, n, dtype=C128)
        for real in (False, True):
            want = ifft(c.conj().resolve_conj(), real=real)
            torch.testing.assert_close(ifft(c.conj(), real=real), want, rtol=0, atol=0)


def test_real_flag_layouts_and_complex_inputs_agree():
    # real=True is the real part of the complex synthesis; a complex signal's spectrum is that
    # of its real part plus i times that of its imaginary part; grid-major (non-contiguous)
    # real outputs go back in without a copy being needed by the caller
    b = 4
    cs, c = torch.randn(5, s2_size(b), dtype=C128), torch.randn(5, so3_size(b), dtype=C128)
    for fft, ifft, spec in ((s2_fft, s2_ifft, cs), (so3_fft, so3_ifft, c)):
        full, re = ifft(spec), ifft(spec, real=True)
        assert re.dtype == torch.float64 and re.shape == full.shape
        torch.testing.assert_close(re, full.real, rtol=0, atol=1e-13)
        with torch.inference_mode():  # conversions then use the engine's scratch buffers
            torch.testing.assert_close(ifft(spec, real=True), re, rtol=0, atol=0)
            torch.testing.assert_close(ifft(spec), full, rtol=0, atol=0)
        torch.testing.assert_close(fft(re), fft(re.contiguous()), rtol=0, atol=1e-13)
        x = torch.randn(full.shape, dtype=C128)
        torch.testing.assert_close(fft(x), fft(x.real) + 1j * fft(x.imag), rtol=0, atol=1e-13)


def test_dense_and_engine_paths_agree_and_dispatch(monkeypatch, s2_path):
    # the dense matrices are built from the engine path: values, grid-major layouts, dtypes
    # and gradients must match it; large work goes to the engine path
    if s2_path == "engine":
        pytest.skip("compares both paths itself")
    cases = [(b, n) for b in (1, 3, 6) for n in (1, 4)]

    def outputs() -> list[list[torch.Tensor]]:  # the same seeded inputs on every call
        torch.manual_seed(7)
        out = []
        for b, n in cases:
            x = torch.randn(n, 2 * b, 2 * b, dtype=torch.float64)
            c = torch.randn(n, s2_size(b), dtype=C128)
            z = torch.complex(x, torch.randn_like(x))
            out.append([s2_fft(x), s2_fft(z, b_out=b + 1), s2_ifft(c)])
            out[-1] += [s2_ifft(c, b_out=b + 1, real=True), s2_fft(x.float())]
            out[-1].append(s2_ifft(c.to(torch.complex64), real=True))
        return out

    got = outputs()
    monkeypatch.setattr(fft_module, "DENSE_MAX", 0)
    for outs, want in zip(got, outputs(), strict=True):
        for g, w in zip(outs, want, strict=True):
            assert g.dtype == w.dtype and g.shape == w.shape and g.stride() == w.stride()
            tol = 1e-12 if g.dtype in (torch.float64, C128) else 1e-5
            torch.testing.assert_close(g, w, rtol=0, atol=tol * max(1.0, w.abs().max().item()))
    monkeypatch.undo()
    x = torch.randn(2, 6, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(s2_fft, (x,))
    c = torch.randn(2, s2_size(3), dtype=C128, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: s2_ifft(t, real=True), (c,))
    assert torch.autograd.gradcheck(s2_ifft, (c,))
    # dispatch (matrix entries 4b²·2L², here L = b): one signal of b = 3 is dense, 10⁵ signals
    # are not; b = 11 is the largest grid with a dense matrix
    assert fft_module._dense_ok(1, 8 * 3**4) and not fft_module._dense_ok(10**5, 8 * 3**4)
    assert fft_module._dense_ok(1, 8 * 11**4) and not fft_module._dense_ok(1, 8 * 12**4)
    s2_fft(torch.randn(2, 6, 6))  # builds (and caches) the float32 matrix from the engine path
    calls, engine = [], fft_module._s2_analysis_engine
    monkeypatch.setattr(fft_module, "_s2_analysis_engine", lambda *a: calls.append(1) or engine(*a))
    s2_fft(torch.randn(2, 6, 6))
    assert not calls
    s2_fft(torch.randn(10**4, 6, 6))
    assert calls == [1]
