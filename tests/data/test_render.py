# SPDX-License-Identifier: MIT
"""Renders: nearest-sample lookup on the SOFT grid and on any points, views, PNG output."""

from __future__ import annotations

import math

import pytest
import torch

from gconv.data import SphericalMNIST, render, render_samples
from gconv.data._render import nearest_index, orthographic_points
from gconv.groups import s2_grid_vectors

_PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("b", [3, 8, 30])
def test_nearest_index_on_soft_grid_returns_the_grid_point(b):
    pts = s2_grid_vectors(b)
    assert torch.equal(nearest_index(pts, None, b), torch.arange(4 * b * b).reshape(2 * b, 2 * b))
    # and agrees with the brute-force nearest point away from cell borders
    g = torch.Generator().manual_seed(0)
    q = torch.nn.functional.normalize(torch.randn(500, 3, generator=g, dtype=torch.float64), dim=-1)
    brute = nearest_index(q, pts.reshape(-1, 3), None)
    grid = nearest_index(q, None, b)
    same_ring = (grid // (2 * b)) == (brute // (2 * b))
    assert (
        same_ring.double().mean() > 0.8
    )  # rings: containing ring vs nearest point differ near borders


def test_views_are_right_handed_from_outside():
    """South view from −z: right = +x, up = −y; north from +z: right = +x, up = +y."""
    for side, up in (("south", -1.0), ("north", 1.0)):
        pts, inside = orthographic_points(65, side)
        centre = pts[32, 32]
        assert abs(float(centre[2])) > 0.99 and bool(inside[32, 32]) and not bool(inside[0, 0])
        assert float(pts[32, 60, 0]) > 0.8  # right edge: +x
        assert float(pts[4, 32, 1]) * up > 0.8  # top edge
        right, top = pts[32, 60] - centre, pts[4, 32] - centre
        toward_viewer = torch.linalg.cross(right, top)
        assert float(toward_viewer[2]) * math.copysign(1, float(centre[2])) > 0


def test_render_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    b = 8
    x = torch.rand(3, 2 * b, 2 * b)
    m = (x > 0.7).to(torch.uint8) * 4
    path = render(x, tmp_path / "a.png", masks=m, titles=["a", "b", "c"])
    assert path.read_bytes()[:8] == _PNG and path.stat().st_size > 2_000
    pts = torch.nn.functional.normalize(torch.randn(50, 3, dtype=torch.float64), dim=-1)
    path = render(torch.rand(2, 50), tmp_path / "b.png", points=pts, resolution=32)
    assert path.read_bytes()[:8] == _PNG
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]  # no temporaries


def test_render_errors(tmp_path):
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match=r"\(N, 2b, 2b\)"):
        render(torch.rand(2, 6, 8), tmp_path / "x.png")
    with pytest.raises(ValueError, match="masks"):
        render(torch.rand(2, 8, 8), tmp_path / "x.png", masks=torch.zeros(2, 6, 6))
    with pytest.raises(ValueError, match="points"):
        render(torch.rand(2, 10), tmp_path / "x.png", points=torch.eye(3))


def test_render_samples_of_a_dataset(data_root, tmp_path):
    pytest.importorskip("matplotlib")
    ds = SphericalMNIST("valid", 8, "R", "segmentation", digits=(1, 3))
    path = render_samples(ds, tmp_path / "s.png", n=3, resolution=48)
    assert path.read_bytes()[:8] == _PNG
    with pytest.raises(ValueError, match="indices"):
        render_samples(ds, tmp_path / "s.png", indices=[len(ds)])
