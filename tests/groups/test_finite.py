# SPDX-License-Identifier: MIT
"""Group axioms, the actions on images and feature maps, and the regular representation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from gconv.groups import C4, D4, get

GROUPS = [C4, D4]


@pytest.mark.parametrize("G", GROUPS, ids=str)
def test_group_axioms(G):
    els = list(G.elements())
    t = G.table
    assert set(t.flatten()) <= set(els)  # closure
    for g, h, k in itertools.product(els, repeat=3):  # associativity
        assert t[t[g, h], k] == t[g, t[h, k]]
    for g in els:
        assert t[0, g] == g and t[g, 0] == g  # identity
        assert t[g, G.inverse(g)] == 0 and t[G.inverse(g), g] == 0
    for row in t:  # Latin square: every element once per row
        assert sorted(row) == els


def test_d4_is_not_abelian_and_c4_is():
    assert (C4.table == C4.table.T).all()
    assert not (D4.table == D4.table.T).all()
    # mirror then rotate by 90°, versus rotate then mirror
    assert D4.compose(1, 4) != D4.compose(4, 1)


@pytest.mark.parametrize("G", GROUPS, ids=str)
def test_regular_representation_is_homomorphism(G):
    for g, h in itertools.product(G.elements(), repeat=2):
        lhs = G.regular_representation(g) @ G.regular_representation(h)
        assert torch.equal(lhs, G.regular_representation(G.compose(g, h)))


@pytest.mark.parametrize("G", GROUPS, ids=str)
def test_act_image_is_group_action(G):
    x = torch.randn(2, 3, 5, 7)  # non-square: rotations change the shape, the law still holds
    for g, h in itertools.product(G.elements(), repeat=2):
        lhs = G.act_image(G.act_image(x, h), g)
        assert torch.equal(lhs, G.act_image(x, G.compose(g, h)))
    assert torch.equal(G.act_image(x, 0), x)


@pytest.mark.parametrize("G,size", [(C4, 4), (C4, 1), (D4, 8), (D4, 4), (D4, 2), (D4, 1)])
def test_act_features_is_group_action(G, size):
    x = torch.randn(2, 3, size, 5, 5)
    for g, h in itertools.product(G.elements(), repeat=2):
        lhs = G.act_features(G.act_features(x, h), g)
        assert torch.equal(lhs, G.act_features(x, G.compose(g, h)))


def test_matrices_match_image_action():
    """A single bright pixel moves where the element's 2×2 matrix sends its coordinates
    (x = column − c, y = c − row, y pointing up): this pins rot90's direction and the flip."""
    n, c = 7, 3
    for G in GROUPS:
        for g in G.elements():
            for i, j in [(0, 1), (2, 5), (6, 3)]:
                img = torch.zeros(n, n)
                img[i, j] = 1.0
                out = G.act_image(img, g)
                x, y = G.matrix(g) @ np.array([j - c, c - i])
                assert out[c - y, c + x] == 1.0, (G, g, i, j)


def test_rotation_is_counter_clockwise_as_displayed():
    img = torch.zeros(3, 3)
    img[1, 2] = 1.0  # right of centre
    assert C4.act_image(img, 1)[0, 1] == 1.0  # moves to above the centre


def test_regular_action_matches_definition():
    """[L_g f](h) = f(g⁻¹h) on the group axis."""
    x = torch.arange(8.0).view(1, 1, 8, 1, 1)
    for g in D4.elements():
        y = D4.act_features(x, g).flatten()
        for h in D4.elements():
            assert y[h] == D4.compose(D4.inverse(g), h)


def test_get_and_errors():
    assert get("p4") is C4 and get("P4M") is D4 and get(D4) is D4
    with pytest.raises(ValueError, match="known: p4 \\(C4\\), p4m"):
        get("p6")
    with pytest.raises(ValueError, match="elements 0..3"):
        C4.act_image(torch.zeros(2, 2), 4)
    with pytest.raises(ValueError, match="expects \\(B, C, 8, H, W\\)"):
        D4.act_features(torch.zeros(2, 2, 2), 1)
    with pytest.raises(ValueError, match="quotients"):
        D4.act_features(torch.zeros(1, 1, 3, 2, 2), 1)
    assert D4.element_name(6) == "mirror, rot 180°"


def test_every_group_object_meets_the_group_protocol() -> None:
    """``get`` returns, and passes through, objects with a name and an order; a string or an
    object without them is not a ``Group``."""
    from gconv.groups import ICO, SO3, Group

    for name in ("p4", "p4m", "c8", "d3", "so3", "ico"):
        grp = get(name)
        assert isinstance(grp, Group) and get(grp) is grp
    assert [get(x).order for x in ("c8", "d3", "so3", "ico")] == [8, 6, None, 60]
    assert isinstance(SO3, Group) and isinstance(ICO, Group)
    assert not isinstance("p4", Group) and not isinstance(object(), Group)
