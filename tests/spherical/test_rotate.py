# SPDX-License-Identifier: MIT
"""Exact rotation of band-limited signals, checked off the grid with independent harmonics."""

import math

import numpy as np
import pytest
import torch
from scipy.special import sph_harm_y

from gconv.groups import (
    euler_to_matrix,
    matrix_to_euler,
    rand_rotation,
    s2_grid_vectors,
    so3_grid_matrices,
    wigner_D_packed,
)
from gconv.spherical import rotate_s2, rotate_so3, s2_ifft, s2_size, so3_ifft, so3_size

C128 = torch.complex128


def _scipy_expansion(c: torch.Tensor, b: int, v: torch.Tensor) -> np.ndarray:
    """Σ_lm c_lm Y_lm(v) with SciPy's harmonics at unit vectors ``v (..., 3)``."""
    polar = np.arccos(np.clip(v[..., 2].numpy(), -1, 1))
    azimuth = np.arctan2(v[..., 1].numpy(), v[..., 0].numpy())
    out = np.zeros(v.shape[:-1], dtype=complex)
    for l in range(b):
        for m in range(-l, l + 1):
            out += c[l * l + l + m].item() * sph_harm_y(l, m, polar, azimuth)
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_rotate_s2_equals_expansion_at_rotated_points(seed):
    b = 5
    g = torch.Generator().manual_seed(seed)
    c = torch.randn(s2_size(b), dtype=C128, generator=g)
    x = s2_ifft(c)
    R = rand_rotation(generator=g)
    p = s2_grid_vectors(b)
    want = _scipy_expansion(c, b, p @ R)  # rows of p @ R are R⁻¹p = Rᵀp
    np.testing.assert_allclose(rotate_s2(x, R).numpy(), want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(rotate_s2(x.real, R).numpy(), want.real, rtol=0, atol=1e-12)


def test_rotate_so3_equals_expansion_at_rotated_points():
    b = 4
    g = torch.Generator().manual_seed(2)
    c = torch.randn(so3_size(b), dtype=C128, generator=g)
    R = rand_rotation(generator=g)
    Q = so3_grid_matrices(b)
    Dq = wigner_D_packed(b, *matrix_to_euler(R.T @ Q))  # D^l(R⁻¹Q), off the grid
    dl = torch.cat([torch.full(((2 * l + 1) ** 2,), 2.0 * l + 1) for l in range(b)])
    want = (Dq * c * dl).sum(-1)
    torch.testing.assert_close(rotate_so3(so3_ifft(c), R), want, rtol=0, atol=1e-12)


def test_composition():
    b = 4
    g = torch.Generator().manual_seed(3)
    R1, R2 = rand_rotation(generator=g), rand_rotation(generator=g)
    x = s2_ifft(torch.randn(2, s2_size(b), dtype=C128, generator=g)).real
    torch.testing.assert_close(
        rotate_s2(rotate_s2(x, R1), R2), rotate_s2(x, R2 @ R1), rtol=0, atol=1e-12
    )
    y = so3_ifft(torch.randn(so3_size(b), dtype=C128, generator=g)).real
    torch.testing.assert_close(
        rotate_so3(rotate_so3(y, R1), R2), rotate_so3(y, R2 @ R1), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("k", [1, 3])
def test_z_rotation_by_grid_step_is_alpha_roll(k):
    # Rz(θ)⁻¹ Rz(α) Ry(β) [Rz(γ)] = Rz(α − θ) Ry(β) [Rz(γ)]: with θ = 2πk/(2b) this reads the
    # sample k steps back in α, i.e. a roll by +k along the α axis, for every band-limited signal
    b = 4
    R = euler_to_matrix(torch.tensor(2 * math.pi * k / (2 * b), dtype=torch.float64), 0.0, 0.0)
    x = s2_ifft(torch.randn(3, s2_size(b), dtype=C128)).real
    torch.testing.assert_close(rotate_s2(x, R), torch.roll(x, k, dims=-1), rtol=0, atol=1e-12)
    y = so3_ifft(torch.randn(so3_size(b), dtype=C128)).real
    torch.testing.assert_close(rotate_so3(y, R), torch.roll(y, k, dims=-2), rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtypes_and_identity(dtype):
    b = 3
    x = s2_ifft(torch.randn(2, s2_size(b), dtype=C128)).real.to(dtype)
    y = so3_ifft(torch.randn(so3_size(b), dtype=C128)).real.to(dtype)
    eye = torch.eye(3, dtype=dtype)
    tol = 1e-5 if dtype == torch.float32 else 1e-12  # float32 rounding through two transforms
    out = rotate_s2(x, eye)
    assert out.dtype == dtype and out.shape == x.shape
    torch.testing.assert_close(out, x, rtol=0, atol=tol)
    torch.testing.assert_close(rotate_so3(y, eye), y, rtol=0, atol=tol)


def test_bad_rotation():
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        rotate_s2(torch.randn(4, 4), torch.eye(2))
