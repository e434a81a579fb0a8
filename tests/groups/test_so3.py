# SPDX-License-Identifier: MIT
"""ZYZ Euler angles, rotation matrices and Haar-random rotations."""

import math

import pytest
import torch

from gconv.groups import euler_to_matrix, matrix_to_euler, rand_rotation


def _rz(t: float) -> torch.Tensor:
    c, s = math.cos(t), math.sin(t)
    return torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)


def _ry(t: float) -> torch.Tensor:
    c, s = math.cos(t), math.sin(t)
    return torch.tensor([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]], dtype=torch.float64)


def test_euler_is_zyz_product():
    a, b, g = torch.rand(3, dtype=torch.float64) * torch.tensor([6.28, 3.14, 6.28])
    want = _rz(float(a)) @ _ry(float(b)) @ _rz(float(g))
    torch.testing.assert_close(euler_to_matrix(a, b, g), want, rtol=0, atol=1e-15)


def test_rz_is_counter_clockwise():
    # active right-handed: Rz(π/2) maps e_x to e_y, Ry(π/2) maps e_z to e_x
    R = euler_to_matrix(math.pi / 2, 0.0, 0.0).double()
    ez = euler_to_matrix(0.0, math.pi / 2, 0.0).double() @ torch.tensor(
        [0.0, 0, 1], dtype=torch.float64
    )
    torch.testing.assert_close(
        R[:, 0], torch.tensor([0.0, 1, 0], dtype=torch.float64), atol=1e-7, rtol=0
    )
    torch.testing.assert_close(
        ez, torch.tensor([1.0, 0, 0], dtype=torch.float64), atol=1e-7, rtol=0
    )


def test_matrix_to_euler_round_trip():
    R = rand_rotation(200, generator=torch.Generator().manual_seed(1))
    a, b, g = matrix_to_euler(R)
    assert bool((b >= 0).all() and (b <= math.pi).all())
    torch.testing.assert_close(euler_to_matrix(a, b, g), R, rtol=0, atol=1e-13)


@pytest.mark.parametrize("beta", [0.0, math.pi])
def test_matrix_to_euler_at_poles(beta):
    R = euler_to_matrix(torch.tensor(0.7, dtype=torch.float64), beta, 0.4)
    torch.testing.assert_close(euler_to_matrix(*matrix_to_euler(R)), R, rtol=0, atol=1e-14)


def test_rand_rotation_is_rotation_and_uniform():
    R = rand_rotation(4000, generator=torch.Generator().manual_seed(0))
    eye = torch.eye(3, dtype=torch.float64).expand_as(R)
    torch.testing.assert_close(R @ R.transpose(-1, -2), eye, rtol=0, atol=1e-14)
    torch.testing.assert_close(torch.linalg.det(R), torch.ones(4000, dtype=torch.float64))
    # Haar: E[R] = 0; each entry has variance 1/3, so the mean of 4000 has std 0.009
    assert R.mean(0).abs().max() < 0.05
    # Haar: the rotation angle θ has density (1 − cos θ)/π, so E[cos θ] = −1/2; tr R = 1 + 2 cos θ
    assert abs(float((R.diagonal(dim1=-2, dim2=-1).sum(-1) - 1).mean() / 2) + 0.5) < 0.05


def test_rand_rotation_shapes_dtype_and_generator():
    assert rand_rotation().shape == (3, 3)
    assert rand_rotation(5, dtype=torch.float32).dtype == torch.float32
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(rand_rotation(2, generator=g1), rand_rotation(2, generator=g2))


def test_matrix_to_euler_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"\(\.\.\., 3, 3\)"):
        matrix_to_euler(torch.eye(4))
