# SPDX-License-Identifier: MIT
"""IcoGrid and ICO against 3-D geometry: vertex counts, neighbours (the nearest vertices,
counter-clockwise), the hexagon convention, gauge changes across chart seams (measured as
angles in tangent planes), the 12 five-neighbour vertices, and the 60 rotations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gconv.groups import ICO, OFFSETS, IcoGrid, get


def _tangent_angle(x: np.ndarray, v: int, a: int, b: int) -> float:
    """Counter-clockwise angle (degrees, seen from outside) at x_v from direction a to b."""
    n = x[v]
    ta, tb = x[a] - (x[a] @ n) * n, x[b] - (x[b] @ n) * n
    return math.degrees(math.atan2(np.cross(ta, tb) @ n, ta @ tb)) % 360


@pytest.mark.parametrize("r", [0, 1, 2, 3])
def test_counts_unit_sphere_and_layout(r: int) -> None:
    g = IcoGrid(r)
    n = 2**r
    assert g.num_vertices == 10 * 4**r + 2 == len(g.vertices)
    assert g.chart_shape == (5, n, 2 * n)
    np.testing.assert_allclose(np.linalg.norm(g.vertices, axis=1), 1.0, atol=1e-14)
    d = g.vertices @ g.vertices.T
    assert (d[~np.eye(len(d), dtype=bool)] < 1 - 1e-9).all()  # all distinct
    np.testing.assert_array_equal(g.vertices[g.north], [0, 0, 1])
    np.testing.assert_array_equal(g.vertices[g.south], [0, 0, -1])
    assert g.corner_mask.sum() == 10 and len(g.corners) == 12


@pytest.mark.parametrize("r", [1, 2, 3])
def test_twelve_corners_are_the_five_neighbour_vertices(r: int) -> None:
    g = IcoGrid(r)
    x = g.vertices
    d = np.arccos(np.clip(np.sort(x @ x.T, axis=1)[:, ::-1], -1, 1))  # ascending distances
    counts = np.where(d[:, 6] / d[:, 5] > 1.4, 5, 6)  # a gap after the 5th: five neighbours
    np.testing.assert_array_equal(np.nonzero(counts == 5)[0], g.corners)
    assert (np.delete(counts, g.corners) == 6).all()
    for c in g.corners:  # corner rows: five neighbours then −1
        assert (g.neighbours[c, :5] >= 0).all() and g.neighbours[c, 5] == -1


@pytest.mark.parametrize("r", [1, 2, 3])
def test_neighbours_are_nearest_and_counter_clockwise(r: int) -> None:
    g = IcoGrid(r)
    x, nb = g.vertices, g.neighbours
    six = np.setdiff1d(np.arange(g.num_vertices), g.corners)
    d = x @ x.T
    for v in six:
        assert set(np.argsort(-d[v])[1:7]) == set(nb[v])
        steps = [_tangent_angle(x, v, nb[v, m], nb[v, (m + 1) % 6]) for m in range(6)]
        assert all(35 < s < 85 for s in steps), steps  # each about 60°, counter-clockwise


def test_hexagon_convention_in_the_stencil() -> None:
    # The fixed convention: slots (0,+1), (+1,+1), (+1,0), (0,−1), (−1,−1), (−1,0); in a 3×3
    # stencil [row, col] the corners (0, 2) and (2, 0) are not neighbours.
    assert OFFSETS == ((0, 1), (1, 1), (1, 0), (0, -1), (-1, -1), (-1, 0))
    used = {(1 + a, 1 + b) for a, b in OFFSETS} | {(1, 1)}
    assert {(a, b) for a in range(3) for b in range(3)} - used == {(0, 2), (2, 0)}
    # an interior chart vertex: its neighbour (−1, +1) is not adjacent on the sphere
    g = IcoGrid(3)
    v, far = g.vid(1, 3, 3), g.vid(1, 2, 4)
    assert far not in g.neighbours[v]


@pytest.mark.parametrize("r", [1, 2, 3])
def test_gauge_changes_match_tangent_angles(r: int) -> None:
    """For every edge v → w: reading w in v's frame turns by s·60°, measured in 3-D as
    (angle of w→v in w's own frame) − (angle of v→w in v's frame + 180°)."""
    g = IcoGrid(r)
    x, nb, sh = g.vertices, g.neighbours, g.neighbour_shift
    corner = set(g.corners.tolist())
    worst, crossings = 0.0, 0
    for v in np.setdiff1d(np.arange(g.num_vertices), g.corners):
        for m, w in enumerate(nb[v]):
            if w in corner:
                continue
            mw = int(np.nonzero(nb[w] == v)[0][0])
            assert (m + 3 - mw - sh[v, m]) % 6 == 0
            back = _tangent_angle(x, w, nb[w, 0], v)  # w → v in w's frame
            predicted = (m + 3 - sh[v, m]) * 60 % 360
            err = abs((back - predicted + 180) % 360 - 180)
            worst = max(worst, err)
            crossings += sh[v, m] != 0
    assert worst < 25, worst  # distortion of the projected grid, far from the 30° ambiguity
    assert crossings > 0  # the seams do change gauge


def test_pad_seams_and_poles() -> None:
    g = IcoGrid(2)
    n = g.n
    pv, ps = g.pad_vertex, g.pad_shift
    assert pv[0, n + 1, 1] == g.north and pv[0, 1, 2 * n + 1] == g.south
    assert set(np.unique(ps)) == {-1, 0, 1}
    # the unused padded corners are the only −1 entries
    used = pv >= 0
    assert (~used).sum() == 5 * 3
    assert not used[:, 0, 0].any() and not used[:, 0, -1].any() and not used[:, -1, 0].any()


@pytest.mark.parametrize("r", [1, 2])
def test_sixty_rotations(r: int) -> None:
    mats = ICO.matrices
    assert mats.shape == (60, 3, 3)
    np.testing.assert_allclose(mats[0], np.eye(3), atol=1e-15)
    for R in mats:
        np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
        assert abs(np.linalg.det(R) - 1) < 1e-12
    t = ICO.table
    for row in t:
        assert sorted(row) == list(range(60))  # a Latin square: closed, cancellative
    assert all(ICO.compose(g, ICO.inverse(g)) == 0 for g in range(60))
    g = IcoGrid(r)
    corners = set(g.corners.tolist())
    six = np.setdiff1d(np.arange(g.num_vertices), g.corners)
    for k in range(60):
        p, s = g.rotation_perm[k], g.rotation_shift[k]
        np.testing.assert_allclose(g.vertices[p], g.vertices @ mats[k].T, atol=1e-12)
        assert set(p[g.corners].tolist()) == corners
        for m in range(6):  # R maps the slot-m neighbour of u to slot m + t of R u
            np.testing.assert_array_equal(
                p[g.neighbours[six, m]], g.neighbours[p[six], (m + s[six]) % 6]
            )


def test_get_and_bad_input() -> None:
    assert get("ico") is ICO and get("ICO").order == 60
    with pytest.raises(ValueError, match="ico has elements 0..59"):
        ICO.compose(60, 0)
    with pytest.raises(ValueError, match="r must be an int"):
        IcoGrid(-1)
    with pytest.raises(ValueError, match="r must be an int"):
        IcoGrid(2.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("r", [0, 1, 3])
def test_vertex_areas_tile_the_sphere_and_are_rotation_invariant(r: int) -> None:
    g = IcoGrid(r)
    a = g.vertex_areas
    assert a.shape == (g.num_vertices,) and (a > 0).all()
    assert a.sum() == pytest.approx(4 * math.pi, rel=1e-12)
    # the 60 rotations permute the cells: the area of R_g·x_v is that of x_v (float64, 1e-12)
    np.testing.assert_allclose(a[g.rotation_perm], np.broadcast_to(a, (60, a.size)), rtol=1e-12)
    if r == 0:  # the 12 vertices of the icosahedron: equal cells, 4π/12
        np.testing.assert_allclose(a, 4 * math.pi / 12, rtol=1e-12)
    else:  # the corners' cells are the smallest
        assert a[g.corners].max() < np.delete(a, g.corners).min()
