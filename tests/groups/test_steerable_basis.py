# SPDX-License-Identifier: MIT
"""The steerable basis: dimension against hand-derived counts, rank on the grid, rotation in
the basis against an independent evaluation at rotated points (any angle), exact quarter turns
and mirrors on the grid, the homomorphism T_{gh} = T_h T_g, caching and build time."""

from __future__ import annotations

import math
import time

import pytest
import torch

from gconv.groups import (
    CyclicGroup,
    DihedralGroup,
    basis_dimension,
    basis_frequencies,
    coefficient_matrix,
    steerable_basis,
)
from gconv.nn import GroupConv2d
from gconv.nn.steerable import steerable_bank

# Hand-derived: rings ρ = 0 … (k−1)/2, n_max(ρ) = ⌊band_limit·ρ⌋ (capped), 1 + 2·n_max per ring.
HAND = [
    # (size, band_limit, max_frequency, dimension, derivation)
    (3, 2.0, None, 6, "ρ=0: 1; ρ=1: n≤2 → 5"),
    (5, 2.0, None, 15, "1 + (ρ=1, n≤2) 5 + (ρ=2, n≤4) 9"),
    (5, 1.0, None, 9, "1 + (n≤1) 3 + (n≤2) 5"),
    (7, 2.0, None, 28, "1 + 5 + 9 + (ρ=3, n≤6) 13"),
    (7, 2.0, 2, 16, "1 + 5 + 5 + 5 (every ring capped at n ≤ 2)"),
    (7, 0.5, None, 8, "1 + (n≤0) 1 + (n≤1) 3 + (n≤1) 3"),
]


@pytest.mark.parametrize(("size", "band", "cap", "dim", "why"), HAND)
@pytest.mark.parametrize("group", [CyclicGroup(8), DihedralGroup(3)])
def test_dimension_matches_hand_count_and_grid_rank(size, band, cap, dim, why, group):
    assert basis_dimension(size, band, cap) == dim, why
    basis = steerable_basis(group, size, band, cap)
    assert basis.shape == (group.order, dim, size, size)
    # independent on the grid: the sampled functions span a space of that dimension
    assert torch.linalg.matrix_rank(basis[0].reshape(dim, -1)).item() == dim
    # a regular → regular layer: the map weights → bank is injective, of rank |G|·dim
    layer = GroupConv2d(1, 1, size, group=group, band_limit=band, max_frequency=cap).double()
    assert layer.weight.numel() == group.order * dim
    # the bank is linear in the weights: its Jacobian, one column per weight
    jac = torch.func.jacrev(lambda w: steerable_bank(w, basis, layer._index).reshape(-1))
    mat = jac(layer.weight.detach())
    assert torch.linalg.matrix_rank(mat.reshape(mat.shape[0], -1)).item() == group.order * dim


def _analytic(group, g, size, band, sigma=0.6):
    """b_i(g⁻¹x) on the grid by atan2/cos/sin — independent of the module's complex powers
    and coefficient matrices; normalised with the unrotated functions' shared scale."""
    c = (size - 1) / 2
    ii, jj = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    pts = torch.stack([(jj - c).flatten(), (c - ii).flatten()]).double()

    def evaluate(p):
        r, phi = p.norm(dim=0), torch.atan2(p[1], p[0])
        rows = []
        for rho, n, part in basis_frequencies(size, band):
            prof = torch.exp(-((r - rho) ** 2) / (2 * sigma**2)) * (r <= c + 0.5)
            ang = torch.cos(n * phi) if part == 0 else torch.sin(n * phi)
            rows.append(prof * torch.where(r > 1e-12, ang, ang * (n == 0)))
        return torch.stack(rows)

    mat = torch.as_tensor(group.matrix(g), dtype=torch.float64)
    base, moved = evaluate(pts), evaluate(torch.linalg.inv(mat) @ pts)
    freqs = basis_frequencies(size, band)
    scale = []
    for f in freqs:
        same = [i for i, h in enumerate(freqs) if h[:2] == f[:2]]
        scale.append(math.sqrt(base[same].pow(2).sum().item() / len(same)))
    return moved / torch.tensor(scale, dtype=torch.float64).view(-1, 1)


@pytest.mark.parametrize("group", [CyclicGroup(8), DihedralGroup(16), DihedralGroup(3)])
@pytest.mark.parametrize(("size", "band"), [(5, 2.0), (7, 1.0)])
def test_rotation_in_the_basis_is_exact_in_the_continuum(group, size, band):
    basis = steerable_basis(group, size, band)
    for g in group.elements():
        want = _analytic(group, g, size, band)
        assert (basis[g].reshape(len(want), -1) - want).abs().max() < 1e-12, group.element_name(g)


@pytest.mark.parametrize("group", [CyclicGroup(8), DihedralGroup(12), DihedralGroup(4)])
def test_quarter_turns_and_mirrors_permute_grid_samples(group):
    basis = steerable_basis(group, 7)
    for g in group.elements():
        m, r = group.split(g)
        if (4 * r) % group.N:
            continue
        want = torch.flip(basis[0], dims=(-1,)) if m else basis[0]
        want = torch.rot90(want, 4 * r // group.N, dims=(-2, -1))
        assert (basis[g] - want).abs().max() < 1e-15, group.element_name(g)


@pytest.mark.parametrize("group", [CyclicGroup(5), DihedralGroup(8)])
def test_coefficient_matrices_are_a_representation(group):
    freqs = basis_frequencies(5)
    mats = [coefficient_matrix(group, g, freqs) for g in group.elements()]
    for g in group.elements():
        assert torch.allclose(mats[g] @ mats[g].T, torch.eye(len(freqs), dtype=torch.float64))
        for h in group.elements():
            assert torch.allclose(mats[group.compose(g, h)], mats[h] @ mats[g], atol=1e-13)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="odd kernel size"):
        steerable_basis(CyclicGroup(8), 4)
    with pytest.raises(ValueError, match="band_limit must be >= 0"):
        basis_dimension(5, -1.0)
    with pytest.raises(ValueError, match="max_frequency must be None or an int"):
        basis_dimension(5, 2.0, 1.5)
    with pytest.raises(ValueError, match="sigma"):
        steerable_basis(CyclicGroup(8), 5, sigma=0.0)
    with pytest.raises(TypeError, match="CyclicGroup/DihedralGroup"):
        steerable_basis("c8", 5)


def test_basis_is_cached_and_d16_layers_build_fast():
    group = DihedralGroup(16)
    first = steerable_basis(group, 5)
    assert steerable_basis(DihedralGroup(16), 5) is first
    GroupConv2d(16, 16, 5, group=group)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        GroupConv2d(16, 16, 5, group=group)
        times.append(time.perf_counter() - t0)
    assert min(times) < 0.1, times  # issue #17: ≤ 0.1 s after the first build
