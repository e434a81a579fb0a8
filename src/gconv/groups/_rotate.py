# SPDX-License-Identifier: MIT
"""Continuous rotation of images on the pixel grid (bilinear), the one used everywhere.

Convention: rotation by ``angle`` radians counter-clockwise as displayed (row 0 at the top),
about the pixel-grid centre ((H−1)/2, (W−1)/2); samples outside the image are 0. Output pixel
p takes the value of the input at R(−angle)·p, so ``rotate_image(x, π/2)`` equals
``torch.rot90(x, 1, dims=(-2, -1))`` on square images.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._util import check_tensor

__all__ = ["rotate_image"]


def _snap(v: torch.Tensor) -> torch.Tensor:
    """Make cos/sin of multiples of π/2 exact, so quarter turns are exact permutations."""
    r = torch.round(v)
    return torch.where((v - r).abs() < 1e-12, r, v)


def rotate_image(x: torch.Tensor, angle: float | torch.Tensor) -> torch.Tensor:
    """Rotate images ``(..., H, W)`` counter-clockwise by ``angle`` (radians), bilinearly.

    ``angle`` is a float, or a tensor of shape ``(B,)`` giving one angle per leading index
    of ``x`` (then ``x`` is ``(B, ..., H, W)``). Math: ``y(p) = x(R(−θ)(p − c) + c)`` with c
    the grid centre, y-axis up on screen.

    >>> import math
    >>> x = torch.arange(9.0).view(1, 1, 3, 3)
    >>> torch.equal(rotate_image(x, math.pi / 2), torch.rot90(x, 1, dims=(-2, -1)))
    True
    """
    check_tensor("rotate_image: x", x, floating=False)
    if x.dim() < 2:
        raise ValueError(f"rotate_image expects (..., H, W), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"rotate_image expects a floating-point tensor, got {x.dtype}")
    *lead, h, w = x.shape
    theta = torch.as_tensor(angle, dtype=torch.float64, device=x.device)
    if theta.dim() == 0:
        n = 1
        flat = x.reshape(1, -1, h, w)
    else:
        if theta.dim() != 1 or not lead or theta.shape[0] != lead[0]:
            raise ValueError(
                f"rotate_image: angle must be a scalar or of shape (B,) = ({lead[0] if lead else '?'},)"
                f", got {tuple(theta.shape)}"
            )
        n = theta.shape[0]
        flat = x.reshape(n, -1, h, w)
    c, s = _snap(torch.cos(theta)).reshape(n), _snap(torch.sin(theta)).reshape(n)
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    rows = torch.arange(h, dtype=torch.float64, device=x.device).view(1, h, 1) - cy
    cols = torch.arange(w, dtype=torch.float64, device=x.device).view(1, 1, w) - cx
    # output pixel (row, col) -> (x, y) = (col, -row); source = R(-θ)(x, y)
    xs = c.view(n, 1, 1) * cols - s.view(n, 1, 1) * rows  # x cosθ + y sinθ with y = -row
    ys = s.view(n, 1, 1) * cols + c.view(n, 1, 1) * rows  # -(−x sinθ + y cosθ) as a row offset
    src_col, src_row = xs + cx, ys + cy
    gx = 2.0 * src_col / max(w - 1, 1) - 1.0
    gy = 2.0 * src_row / max(h - 1, 1) - 1.0
    grid = torch.stack((gx, gy), dim=-1).to(x.dtype)
    out = F.grid_sample(flat, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    return out.reshape(x.shape)
