# SPDX-License-Identifier: MIT
"""Exactness declarations of the spherical layers (read by ``gconv.equivariance``).

A spherical layer with input bandwidth b_in and output bandwidth b_out commutes exactly with

- a z-rotation Rz(θ) (optionally after Ry(π)) that rolls α by whole samples on both grids:
  θ·b/π an integer for b = b_in and b = b_out (Ry(π) maps every SOFT grid onto itself);
- any rotation R, if its input is band-limited to b_in (the FFT round trip returns it), because
  the layer is an exact spectral product and ``rotate_s2``/``rotate_so3`` are exact on
  band-limited signals. Otherwise the error is a measurement.
"""

from __future__ import annotations

import math
from typing import Protocol, cast

import torch

from ..groups import SO3, Group


def band_limited(x: torch.Tensor, kind: str) -> bool:
    """True if the FFT round trip at x's bandwidth returns x (relative 1e-9 in float64,
    1e-4 otherwise): x has no content at degrees ≥ b."""
    from ..spherical import s2_fft, s2_ifft, so3_fft, so3_ifft

    fft, ifft = (s2_fft, s2_ifft) if kind == "s2" else (so3_fft, so3_ifft)
    tol = 1e-9 if x.dtype == torch.float64 else 1e-4
    back = ifft(fft(x), real=True)  # Re of the synthesis: one real transform, not two
    return (back - x).norm().item() <= tol * x.norm().item()


class _GridRotation(Protocol):
    """A checker element that permutes the SOFT grid (``grid_exact``): Rz(z_angle)."""

    z_angle: float


def spherical_exactness(
    layer: str,
    b_in: int,
    b_out: int,
    kind: str,
    group: Group,
    g: object,
    x: torch.Tensor,
    any_input: bool = False,
) -> str | None:
    """None if the layer commutes exactly with g (see the module docstring), else why not.
    ``any_input``: the layer is exact for every rotation whatever its input (1×1 mixing)."""
    if group is not SO3:
        return f"{layer} commutes with rotations of the sphere, not with {getattr(group, 'name', group)}"
    if getattr(g, "grid_exact", False):
        z = cast(_GridRotation, g).z_angle
        for b in (b_in, b_out):
            shift = z * b / math.pi
            if abs(shift - round(shift)) > 1e-9:
                return f"Rz({z:.4g}) does not roll the bandwidth-{b} grid by whole samples"
        return None
    if any_input or band_limited(x, kind):
        return None
    return f"{layer}'s input is not band-limited to b_in = {b_in}, so its rotation is interpolated"
