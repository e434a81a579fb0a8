# SPDX-License-Identifier: MIT
"""Wigner matrices: convention pinned against SciPy and a matrix exponential; stability."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch
from scipy.special import sph_harm_y

from gconv.groups import (
    _cache,
    euler_to_matrix,
    matrix_to_euler,
    rand_rotation,
    s2_grid,
    s2_wigner_table,
    so3_wigner_table,
    spherical_harmonics,
    wigner_D,
    wigner_d,
    wigner_d_iter,
    wigner_D_packed,
)


def _jy(l: int) -> np.ndarray:
    """J_y in the basis |l, m⟩, m = −l..l, from J± (Condon–Shortley: positive matrix elements)."""
    m = np.arange(-l, l)
    jp = np.diag(np.sqrt(l * (l + 1) - m * (m + 1.0)), -1)  # J+|m⟩ = c|m+1⟩
    return (jp - jp.T) / 2j


@pytest.mark.parametrize("l", [0, 1, 2, 3, 5])
def test_d_equals_matrix_exponential(l):
    beta = torch.rand(4, dtype=torch.float64) * 2 * math.pi - math.pi  # any sign
    got = wigner_d(l, beta)
    for i, b in enumerate(beta.tolist()):
        want = scipy.linalg.expm(-1j * b * _jy(l))
        np.testing.assert_allclose(got[i].numpy(), want.real, rtol=0, atol=1e-13)


def test_d_m0_matches_scipy_harmonics():
    b = 12
    beta = torch.rand(7, dtype=torch.float64) * math.pi
    alpha = torch.rand(7, dtype=torch.float64) * 2 * math.pi
    Y = spherical_harmonics(b, beta, alpha)
    for l in range(b):
        d = wigner_d(l, beta)
        for m in range(-l, l + 1):
            want = sph_harm_y(l, m, beta.numpy(), alpha.numpy())  # (n, m, polar, azimuth)
            np.testing.assert_allclose(Y[:, l * l + l + m].numpy(), want, rtol=0, atol=1e-13)
            ours = math.sqrt((2 * l + 1) / (4 * math.pi)) * np.exp(1j * m * alpha.numpy())
            np.testing.assert_allclose(ours * d[:, m + l, l].numpy(), want, rtol=0, atol=1e-13)


@pytest.mark.parametrize("l", [1, 2, 4, 7])
def test_D_is_a_unitary_representation(l):
    g = torch.Generator().manual_seed(l)
    R1, R2 = rand_rotation(generator=g), rand_rotation(generator=g)
    D = lambda R: wigner_D(l, *matrix_to_euler(R))  # noqa: E731
    eye = torch.eye(2 * l + 1, dtype=torch.complex128)
    torch.testing.assert_close(D(R1) @ D(R1).conj().T, eye, rtol=0, atol=1e-13)
    torch.testing.assert_close(D(R1 @ R2), D(R1) @ D(R2), rtol=0, atol=1e-13)


def test_harmonics_rotate_with_D():
    # Y_lm(R⁻¹x) = Σ_m' D^l_{m'm}(R) Y_lm'(x), SciPy's Y on both sides
    l, R = 3, rand_rotation(generator=torch.Generator().manual_seed(5))
    x = torch.nn.functional.normalize(torch.randn(6, 3, dtype=torch.float64), dim=-1)
    y = x @ R  # rows R⁻¹x = Rᵀx
    pol = lambda v: (torch.acos(v[:, 2]).numpy(), torch.atan2(v[:, 1], v[:, 0]).numpy())  # noqa: E731
    Yx = np.stack([sph_harm_y(l, m, *pol(x)) for m in range(-l, l + 1)], -1)
    Yy = np.stack([sph_harm_y(l, m, *pol(y)) for m in range(-l, l + 1)], -1)
    D = wigner_D(l, *matrix_to_euler(R)).numpy()
    np.testing.assert_allclose(Yy, Yx @ D, rtol=0, atol=1e-13)


def test_stable_to_degree_511_streaming():
    # streamed recursion: O(l²) memory; unitary to 1e-10 with no NaN at l = 511
    beta = torch.tensor([math.pi / 2048, 2.0])  # near the pole of the b = 512 grid, and generic
    for l, d in enumerate(wigner_d_iter(beta, 511, reuse=True)):
        if l in (100, 511):
            assert torch.isfinite(d).all()
            eye = torch.eye(2 * l + 1, dtype=torch.float64)
            err = (d @ d.transpose(-1, -2) - eye).abs().max()
            assert err < 1e-10, (l, float(err))


def test_packed_evaluators_match_per_degree():
    b = 4
    a, be, g = torch.rand(3, 5, dtype=torch.float64) * 3
    P = wigner_D_packed(b, a, be, g)
    for l in range(b):
        off = l * (4 * l * l - 1) // 3
        torch.testing.assert_close(
            P[:, off : off + (2 * l + 1) ** 2], wigner_D(l, a, be, g).flatten(-2)
        )


def test_tables_match_wigner_d_and_are_copies():
    b = 5
    beta, _ = s2_grid(b)
    T, S = so3_wigner_table(b), s2_wigner_table(b, degrees=3)
    assert T.shape == (2 * b, b * (4 * b * b - 1) // 3) and S.shape == (2 * b, 9)
    for l in range(b):
        off = l * (4 * l * l - 1) // 3
        torch.testing.assert_close(
            T[:, off : off + (2 * l + 1) ** 2], wigner_d(l, beta).flatten(-2)
        )
    for l in range(3):
        torch.testing.assert_close(S[:, l * l : (l + 1) ** 2], wigner_d(l, beta)[:, :, l])
    T.zero_()  # mutating a result must not poison the cache
    assert so3_wigner_table(b).abs().sum() > 0
    assert so3_wigner_table(b, dtype=torch.float32).dtype == torch.float32
    with pytest.raises(ValueError, match="stream"):
        so3_wigner_table(65)


def test_disk_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))
    calls = []
    build = lambda: calls.append(1) or torch.arange(3.0)  # noqa: E731
    a = _cache.disk_cached("t", 1, (2, 3), build)
    b = _cache.disk_cached("t", 1, (2, 3), build)
    assert torch.equal(a, b) and len(calls) == 1
    files = list((tmp_path / "tables").iterdir())
    assert len(files) == 1 and files[0].suffix == ".pt"
    files[0].write_bytes(b"garbage")  # a corrupt file is rebuilt silently
    assert torch.equal(_cache.disk_cached("t", 1, (2, 3), build), a) and len(calls) == 2
    monkeypatch.setenv("GCONV_CACHE", "")
    assert _cache.cache_dir() is None


def test_euler_and_D_agree_on_composition_of_axes():
    # D(Rz(a) Ry(b) Rz(g)) = D(Rz(a)) D(Ry(b)) D(Rz(g)): the Euler factorisation is the one used
    l = 2
    a, b, g = 0.3, 1.1, -0.7
    Dz = lambda t: wigner_D(l, t, 0.0, 0.0)  # noqa: E731
    full = wigner_D(
        l, *matrix_to_euler(euler_to_matrix(torch.tensor(a, dtype=torch.float64), b, g))
    )
    torch.testing.assert_close(full, Dz(a) @ wigner_D(l, 0.0, b, 0.0) @ Dz(g), rtol=0, atol=1e-14)


def test_bad_degree():
    with pytest.raises(ValueError, match="non-negative int"):
        wigner_d(-1, 0.3)
