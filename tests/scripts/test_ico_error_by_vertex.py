# SPDX-License-Identifier: MIT
"""scripts/ico_error_by_vertex.py: the angle from a rotated south pole to the nearest of the 12
five-neighbour vertices, against rotations whose answer is known."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from gconv.groups import IcoGrid


@pytest.fixture
def m(script, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "scripts"))
    return script("ico_error_by_vertex")


def _taking_south_pole_to(v: np.ndarray) -> np.ndarray:
    """A rotation with R · (0, 0, −1) = v (about the axis perpendicular to both)."""
    s = np.array([0.0, 0.0, -1.0])
    axis = np.cross(s, v)
    norm = np.linalg.norm(axis)
    if norm < 1e-12:
        return np.eye(3) if v @ s > 0 else np.diag([1.0, -1.0, -1.0])
    k = axis / norm
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    a = math.atan2(norm, s @ v)
    return np.eye(3) + math.sin(a) * K + (1 - math.cos(a)) * K @ K


def test_vertices_give_zero_and_face_centres_the_circumradius(m) -> None:
    V = IcoGrid(0).vertices
    assert len(V) == 12
    at_vertices = m.centre_angles(np.stack([_taking_south_pole_to(v) for v in V]))
    np.testing.assert_allclose(at_vertices, 0.0, atol=1e-12)  # atan2: rounding only
    # a face: three mutually adjacent vertices (63.4° apart); its centre is 37.38° from each
    i, j = 0, int(np.argsort(V @ V[0])[-2])
    k = next(q for q in range(12) if q not in (i, j) and V[q] @ V[i] > 0.4 and V[q] @ V[j] > 0.4)
    c = (V[i] + V[j] + V[k]) / np.linalg.norm(V[i] + V[j] + V[k])
    want = math.degrees(math.acos(c @ V[i]))
    assert 37.3 < want < 37.5
    got = m.centre_angles(_taking_south_pole_to(c)[None])
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_random_rotations_stay_within_the_circumradius(m) -> None:
    rng = np.random.default_rng(0)
    q = rng.standard_normal((500, 3))
    R = np.stack([_taking_south_pole_to(v / np.linalg.norm(v)) for v in q])
    ang = m.centre_angles(R)
    assert ang.min() >= 0.0 and ang.max() <= m.EDGES[-1]
    assert ang.max() > 30.0  # some land far from every vertex
