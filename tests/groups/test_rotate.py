# SPDX-License-Identifier: MIT
"""Continuous image rotation: quarter turns are exact, other angles rotate the right way."""

from __future__ import annotations

import math

import pytest
import torch

from gconv.groups import rotate_image


@pytest.mark.parametrize("n", [5, 6, 28])
@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_quarter_turns_equal_rot90(n, k):
    x = torch.randn(2, 3, n, n, dtype=torch.float64)
    y = rotate_image(x, k * math.pi / 2)
    torch.testing.assert_close(y, torch.rot90(x, k, dims=(-2, -1)), rtol=0, atol=1e-12)
    assert y.dtype == torch.float64


def _centroid(img: torch.Tensor) -> tuple[float, float]:
    rows, cols = torch.meshgrid(
        torch.arange(img.shape[0], dtype=img.dtype),
        torch.arange(img.shape[1], dtype=img.dtype),
        indexing="ij",
    )
    m = img.sum()
    return float((rows * img).sum() / m), float((cols * img).sum() / m)


@pytest.mark.parametrize("deg", [30.0, 75.0, -50.0])
def test_blob_moves_counter_clockwise(deg):
    """A smooth blob at offset (x, y) from the centre lands at R(θ)(x, y): bilinear
    interpolation of a wide Gaussian shifts its centroid by far less than 0.05 px."""
    n, c = 41, 20.0
    rows, cols = torch.meshgrid(
        torch.arange(n, dtype=torch.float64), torch.arange(n, dtype=torch.float64), indexing="ij"
    )
    x0, y0 = 8.0, 3.0  # x right, y up
    img = torch.exp(-((cols - c - x0) ** 2 + (rows - c + y0) ** 2) / (2 * 2.0**2))
    t = math.radians(deg)
    out = rotate_image(img.view(1, 1, n, n), t)[0, 0]
    r, col = _centroid(out)
    x1, y1 = x0 * math.cos(t) - y0 * math.sin(t), x0 * math.sin(t) + y0 * math.cos(t)
    assert abs(col - (c + x1)) < 0.05 and abs(r - (c - y1)) < 0.05


def test_per_sample_angles_match_single_calls():
    x = torch.randn(3, 2, 9, 9, dtype=torch.float64)
    angles = torch.tensor([0.3, 2.0, -1.0])
    y = rotate_image(x, angles)
    for i in range(3):
        torch.testing.assert_close(y[i : i + 1], rotate_image(x[i : i + 1], float(angles[i])))


def test_errors():
    with pytest.raises(TypeError, match="floating-point"):
        rotate_image(torch.zeros(1, 4, 4, dtype=torch.uint8), 0.1)
    with pytest.raises(ValueError, match="shape \\(B,\\)"):
        rotate_image(torch.zeros(2, 1, 4, 4), torch.zeros(3))
    with pytest.raises(ValueError, match="\\(..., H, W\\)"):
        rotate_image(torch.zeros(4), 0.1)
