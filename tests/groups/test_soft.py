# SPDX-License-Identifier: MIT
"""SOFT grids and their β quadrature weights."""

import math

import numpy as np
import pytest
import torch
from scipy.special import eval_legendre

from gconv.groups import (
    SOFTGrid,
    euler_to_matrix,
    quadrature_weights,
    s2_grid,
    s2_grid_vectors,
    so3_grid,
    so3_grid_matrices,
    spherical_harmonics,
)


@pytest.mark.parametrize("b", [4, 8, 30])
def test_weights_integrate_legendre_exactly(b):
    beta, _ = s2_grid(b)
    w = quadrature_weights(b).numpy()
    for l in range(2 * b):
        got = float(np.sum(w * eval_legendre(l, np.cos(beta.numpy()))))
        want = 2.0 if l == 0 else 0.0  # ∫_0^π P_l(cos β) sin β dβ
        assert abs(got - want) < 1e-13, (l, got)


def test_weights_fail_beyond_2b():
    # the rule is exact only for l < 2b: P_{2b} is not integrated exactly (sanity of the test above)
    b = 4
    beta, _ = s2_grid(b)
    got = float(np.sum(quadrature_weights(b).numpy() * eval_legendre(2 * b, np.cos(beta.numpy()))))
    assert abs(got) > 1e-3


def test_grid_formulas():
    b = 5
    beta, alpha = s2_grid(b)
    j = torch.arange(2 * b, dtype=torch.float64)
    torch.testing.assert_close(beta, math.pi * (2 * j + 1) / (4 * b))
    torch.testing.assert_close(alpha, 2 * math.pi * j / (2 * b))
    b3, a3, g3 = so3_grid(b)
    assert torch.equal(b3, beta) and torch.equal(a3, alpha) and torch.equal(g3, alpha)


def test_grid_points_are_rotations_of_the_pole():
    b = 3
    beta, alpha, gamma = so3_grid(b)
    Q = so3_grid_matrices(b)
    assert Q.shape == (2 * b, 2 * b, 2 * b, 3, 3)
    j, k, l = 1, 4, 5
    torch.testing.assert_close(Q[j, k, l], euler_to_matrix(alpha[k], beta[j], gamma[l]))
    v = s2_grid_vectors(b)
    # point [j, k] is Rz(α_k) Ry(β_j) e_z, i.e. the last column of Q[j, k, any γ]
    torch.testing.assert_close(v, Q[:, :, 0, :, 2])
    torch.testing.assert_close(v[..., 2], torch.cos(beta)[:, None].expand(2 * b, 2 * b))


def test_s2_quadrature_integrates_band_limited_products():
    # ∫ |Y_lm|² dx = 1 and ∫ Y_lm conj(Y_l'm') = 0 for l, l' < b: orthonormality on the grid
    b = 6
    beta, alpha = s2_grid(b)
    Y = spherical_harmonics(b, beta[:, None], alpha[None, :])  # (2b, 2b, b²)
    w = quadrature_weights(b)[:, None, None] * math.pi / b
    gram = torch.einsum("jkp,jkq->pq", w * Y, Y.conj())
    torch.testing.assert_close(gram, torch.eye(b * b, dtype=torch.complex128), rtol=0, atol=1e-13)


def test_softgrid_value_type():
    g = SOFTGrid(8)
    assert g == SOFTGrid(8) and hash(g) == hash(SOFTGrid(8)) and {g: 1}[SOFTGrid(8)] == 1
    assert g.so3_spectrum_size == 8 * (4 * 64 - 1) // 3 and g.s2_spectrum_size == 64
    assert eval(repr(g)) == g
    with pytest.raises(ValueError, match="positive int"):
        SOFTGrid(0)
    with pytest.raises(ValueError, match="positive int"):
        quadrature_weights(2.5)
