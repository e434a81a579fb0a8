# SPDX-License-Identifier: MIT
"""CyclicGroup(N) / DihedralGroup(N) for many N: axioms, numbering, matrices, cosets, and the
pixel-grid action (exact for C1, C2, C4, D1, D2, D4; a clear error for the others)."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
import torch

from gconv.groups import (
    C4,
    D4,
    SO3,
    CyclicGroup,
    DihedralGroup,
    PixelGrid,
    get,
    subgroup_cosets,
    subgroup_embedding,
)

ANY_N = [CyclicGroup(n) for n in (1, 2, 3, 5, 8)] + [DihedralGroup(n) for n in (1, 2, 3, 6)]
GRID = ["c1", "c2", "c4", "d1", "d2", "d4"]


@pytest.mark.parametrize("G", ANY_N, ids=str)
def test_axioms_and_matrices(G):
    t = G.table
    els = list(G.elements())
    for g, h, k in itertools.product(els, repeat=3):
        assert t[t[g, h], k] == t[g, t[h, k]]
    for g in els:
        assert t[0, g] == g == t[g, 0] and t[g, G.inverse(g)] == 0
    # the table is the product of the 2×2 matrices R^r M^m: a wrong sign in the dihedral
    # composition rule (R M = M R⁻¹) would break this for N ≥ 3
    for g, h in itertools.product(els, repeat=2):
        np.testing.assert_allclose(G.matrix(g) @ G.matrix(h), G.matrix(G.compose(g, h)), atol=1e-12)


@pytest.mark.parametrize("G", ANY_N, ids=str)
def test_regular_representation_and_cosets(G):
    for g, h in itertools.product(G.elements(), repeat=2):
        lhs = G.regular_representation(g) @ G.regular_representation(h)
        assert torch.equal(lhs, G.regular_representation(G.compose(g, h)))
    subs = ["trivial", "rotations", "group"] + (["mirrors"] if G.mirrors else [])
    for which in subs:
        rows = G.cosets(which)
        assert sorted(rows.flatten().tolist()) == list(G.elements())  # a partition
        assert rows.shape == (G.order // len(G.subgroup(which)), len(G.subgroup(which)))
        for g, h in itertools.product(G.elements(), repeat=2):  # left action on cosets
            pg, ph = G.coset_permutation(g, which), G.coset_permutation(h, which)
            assert (ph[pg] == G.coset_permutation(G.compose(g, h), which)).all()


SUBGROUPS = [("c8", "c4"), ("c12", "c3"), ("d8", "c8"), ("d8", "d4"), ("d6", "d1"), ("c5", "c1")]


@pytest.mark.parametrize(("g", "h"), SUBGROUPS, ids="-in-".join)
def test_subgroup_embedding_and_cosets(g, h):
    """H → G matches mirror and angle, is an injective homomorphism, and the left cosets g·H
    partition G."""
    G, H = get(g), get(h)
    emb = subgroup_embedding(G, H)
    assert len(set(emb)) == H.order and emb[0] == 0
    for a, b in itertools.product(H.elements(), repeat=2):
        assert G.compose(emb[a], emb[b]) == emb[H.compose(a, b)]
        np.testing.assert_allclose(G.matrix(emb[a]), H.matrix(a), atol=1e-12)
    rows = subgroup_cosets(G, H)
    assert rows.shape == (G.order // H.order, H.order)
    assert sorted(rows.ravel().tolist()) == list(G.elements())
    for row in rows:
        assert set(row.tolist()) == {G.compose(int(row[0]), e) for e in emb}


@pytest.mark.parametrize(("g", "h"), [("c8", "c3"), ("c8", "d8"), ("d4", "d8")])
def test_subgroup_embedding_refuses_a_non_subgroup(g, h):
    with pytest.raises(ValueError, match=f"{get(h).name} is not a subgroup of {get(g).name}"):
        subgroup_embedding(get(g), get(h))


def test_numbering_keeps_p4_p4m_and_names():
    assert CyclicGroup(4) == C4 and DihedralGroup(4) == D4 and hash(CyclicGroup(4)) == hash(C4)
    assert D4.compose(1, 4) == 5 and D4.compose(4, 1) == 7  # R·M = R M, M·R = R³ M
    assert DihedralGroup(8).element_name(9) == "mirror, rot 45°"
    assert get("c8") == CyclicGroup(8) and get("D16").order == 32 and get("p4") is C4
    assert get("so3") is SO3 and get("SO(3)") is SO3
    assert pickle.loads(pickle.dumps(DihedralGroup(6))) == DihedralGroup(6)
    assert pickle.loads(pickle.dumps(SO3)) is SO3


def test_bad_groups():
    with pytest.raises(ValueError, match="order N >= 1"):
        CyclicGroup(0)
    with pytest.raises(ValueError, match="unknown group 'p6'"):
        get("p6")
    with pytest.raises(ValueError, match="C4 has no subgroup 'mirrors'"):
        C4.subgroup("mirrors")
    with pytest.raises(ValueError, match="could hold the cosets of mirrors or rotations"):
        DihedralGroup(2).quotient_for_size(2)  # ambiguous: say which
    with pytest.raises(ValueError, match="C5 has elements 0..4"):
        CyclicGroup(5).compose(5, 0)


@pytest.mark.parametrize("name", GRID)
def test_pixel_grid_action_is_a_group_action(name):
    grid = PixelGrid(name)
    G = grid.group
    x = torch.randn(2, 3, 5, 7)
    f = torch.randn(2, 3, G.order, 5, 5)
    for g, h in itertools.product(G.elements(), repeat=2):
        gh = G.compose(g, h)
        assert torch.equal(grid.act_image(grid.act_image(x, h), g), grid.act_image(x, gh))
        assert torch.equal(grid.act_features(grid.act_features(f, h), g), grid.act_features(f, gh))


def test_pixel_grid_matches_matrices():
    """Element g moves the pixel at (x, y) (y up, origin at the centre) to matrix(g)·(x, y)."""
    for name in GRID:
        grid = PixelGrid(name)
        for g in grid.group.elements():
            img = torch.zeros(5, 5)
            img[4 - (2 + 1), 2 + 2] = 1.0  # x = 2, y = 1 (row 0 is the top)
            x, y = grid.group.matrix(g) @ np.array([2, 1])
            assert grid.act_image(img, g)[2 - int(y), 2 + int(x)] == 1.0, (name, g)


@pytest.mark.parametrize("name", ["c3", "c8", "d6", "d16"])
def test_pixel_grid_refuses_other_groups(name):
    with pytest.raises(ValueError, match="only by C1, C2, C4, D1, D2, D4"):
        PixelGrid(name)


def test_reversed_axes():
    grid = PixelGrid("p4m")
    expected = [(), ("W",), ("H", "W"), ("H",), ("W",), (), ("H",), ("H", "W")]
    assert [grid.reversed_axes(g) for g in D4.elements()] == expected
