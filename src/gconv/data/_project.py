# SPDX-License-Identifier: MIT
r"""Projection of planar images onto the sphere at any set of unit vectors, and keyed
Haar-random rotations.

Geometry (the recipe of Cohen et al. 2018, s2cnn ``examples/mnist/gendata.py``, written anew):
a unit vector ``p = (x, y, z)`` is sent by the stereographic projection from the north pole
onto the plane tangent at the south pole,

.. math:: q(p) = \frac{2\,(x, y)}{1 - z},

i.e. the ray from the north pole through ``p`` meets that plane at ``q``. (The original puts the
ray's origin 10⁻³ above the pole only to avoid a division by zero there; points of the northern
hemisphere are zeroed anyway, so the exact pole is used here.) The image, ``H × W`` pixels,
covers the square ``[-s, s]²`` of that plane (``s = extent``; 1.5 as in the original, so the
28×28 digit lies around the south pole and its corners just past the equator); pixel ``[i, j]``
has its centre at ``q = (-s + (j + ½)·2s/W, -s + (i + ½)·2s/H)`` — columns run along +x, rows
along +y, so the image reads as printed when the south pole is viewed from outside (from −z)
with +x to the right. The value at ``p`` is the bilinear interpolation of the image at ``q(p)``
(zero outside the image), and zero on the northern hemisphere ``z > 0``.

Rotations act on signals as everywhere in gconv: ``[R·f](p) = f(R⁻¹p)``. A sample generated
"with rotation R" is the digit's signal rotated by R, so the sampling points are moved by
``R⁻¹`` (no second interpolation): ``project(img, points, R)[p] = project(img, points)``
evaluated at ``R⁻¹p``.

Keyed rotations: :func:`keyed_rotations` turns integer keys (seed, purpose, epoch, index, …)
into Haar-uniform rotations through a counter-based hash (SplitMix64) and Shoemake's uniform
quaternion, so the rotation of one sample never depends on which batch asked for it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from .._util import check_rotation

__all__ = ["EXTENT", "project", "keyed_uniforms", "keyed_rotations", "plane_coords"]

#: half side of the square the single-digit image covers in the projection plane (original: 1.5)
EXTENT = 1.5

_M64 = (1 << 64) - 1


def _check_points(points: torch.Tensor) -> torch.Tensor:
    if not isinstance(points, torch.Tensor) or points.ndim < 1 or points.shape[-1] != 3:
        got = tuple(points.shape) if isinstance(points, torch.Tensor) else type(points).__name__
        raise ValueError(f"points must be a tensor of unit vectors (..., 3), got {got}")
    points = points.detach().to(device="cpu", dtype=torch.float64)
    norm = points.norm(dim=-1)
    if not torch.allclose(norm, torch.ones_like(norm), atol=1e-6):
        raise ValueError(
            f"points must be unit vectors; norms range over [{norm.min():.6g}, {norm.max():.6g}]"
        )
    return points


def _check_rotations(rotations: torch.Tensor | None, n: int) -> torch.Tensor | None:
    if rotations is None:
        return None
    if not isinstance(rotations, torch.Tensor):
        raise TypeError(f"rotations must be a tensor (3, 3) or (N, 3, 3), got {type(rotations)}")
    R = rotations.detach().to(device="cpu", dtype=torch.float64)
    if R.shape == (3, 3):
        R = R.expand(n, 3, 3)
    if R.shape != (n, 3, 3):
        raise ValueError(
            f"rotations must be (3, 3) or (N, 3, 3) with N = {n} images, got {tuple(R.shape)}"
        )
    return check_rotation("project: rotations", R, batched=True)


def plane_coords(
    x: torch.Tensor, y: torch.Tensor, z: torch.Tensor, extent: float, shape: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Continuous pixel coordinates ``(row, col)`` (pixel centres at integers) of the unit
    vectors with coordinates ``x, y, z`` in the digit's frame (meaningful where ``z <= 0``)."""
    h, w = shape
    # q = 2 (x, y) / (1 - z); col = (q_x + s) W / (2s) - 1/2; 1 - min(z, 0) >= 1, no division by 0
    t = torch.clamp(z, max=0.0).neg_().add_(1.0).reciprocal_().mul_(w / extent)
    col = (x * t).add_(w / 2.0 - 0.5)
    row = t.mul_(y * (h / w)).add_(h / 2.0 - 0.5)
    return row, col


_PAD = 2  # zero border: floor(row) is clamped to [-2, H], so row and row + 1 stay in the border


def _stencil(
    row: torch.Tensor, col: torch.Tensor, south: torch.Tensor, shape: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flat index of the top-left stencil pixel in the padded image (index 0, a corner of the
    zero border, for points of the northern hemisphere), and the fractions."""
    h, w = shape
    r0 = torch.floor(row)
    c0 = torch.floor(col)
    fr, fc = row - r0, col - c0
    base = r0.clamp_(-_PAD, h).add_(_PAD).mul_(w + 2 * _PAD)
    base = base.add_(c0.clamp_(-_PAD, w).add_(_PAD)).mul_(south).long()
    return base, fr, fc


def _pad_flat(images: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    x = torch.nn.functional.pad(images.to(dtype), (_PAD,) * 4)
    return x.reshape(images.shape[0], -1)


def _lerp4(
    a00: torch.Tensor,
    a01: torch.Tensor,
    a10: torch.Tensor,
    a11: torch.Tensor,
    fr: torch.Tensor,
    fc: torch.Tensor,
) -> torch.Tensor:
    return torch.lerp(torch.lerp(a00, a01, fc), torch.lerp(a10, a11, fc), fr)


def _project_batch(
    images: torch.Tensor,
    points: torch.Tensor,
    rotations: torch.Tensor | None,
    extent: float,
    owners: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float64,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Checked inputs: images (N, H, W), points (P, 3) float64, rotations (N, 3, 3) or None;
    ``owners`` (N, H, W) int: also return the owner of the nearest pixel (N, P) int64.

    Sampling coordinates are always computed in float64; ``dtype`` is that of the gathered
    values and the interpolation (float32 halves the memory traffic for uint8 images)."""
    n, h, w = images.shape
    stride = w + 2 * _PAD
    flat = _pad_flat(images, dtype)
    own = None if owners is None else _pad_flat(owners, torch.int64)
    if rotations is None:  # one stencil for all images: gather rows of the transposed stack
        x, y, z = points.T
        row, col = plane_coords(x, y, z, extent, (h, w))
        base, fr, fc = _stencil(row, col, z <= 0, (h, w))
        fr, fc = fr.to(dtype)[:, None], fc.to(dtype)[:, None]
        flat_t = flat.T.contiguous()
        a00, a01, a10, a11 = (flat_t.index_select(0, base + d) for d in (0, 1, stride, stride + 1))
        v = _lerp4(a00, a01, a10, a11, fr, fc).T.contiguous()
        if own is None:
            return v, None
        near = base + (fr[:, 0] > 0.5).long() * stride + (fc[:, 0] > 0.5).long()
        return v, own.T.contiguous().index_select(0, near).T.contiguous()
    # per-image sampling points R⁻¹p: (N, 3, P) = Rᵀ Pᵀ, rows x, y, z contiguous
    local = torch.matmul(rotations.mT.to(torch.float64), points.T)
    x, y, z = local.unbind(1)
    row, col = plane_coords(x, y, z, extent, (h, w))
    base, fr, fc = _stencil(row, col, z <= 0, (h, w))
    fr, fc = fr.to(dtype), fc.to(dtype)
    a00, a01, a10, a11 = (torch.gather(flat, 1, base + d) for d in (0, 1, stride, stride + 1))
    v = _lerp4(a00, a01, a10, a11, fr, fc)
    if own is None:
        return v, None
    near = base + (fr > 0.5).long() * stride + (fc > 0.5).long()
    return v, torch.gather(own, 1, near)


def project(
    images: torch.Tensor,
    points: torch.Tensor,
    rotations: torch.Tensor | None = None,
    *,
    extent: float = EXTENT,
) -> torch.Tensor:
    r"""Project planar images onto the sphere, sampled at the unit vectors ``points``.

    ``out[n, p] = bilinear(images[n], q(R_n⁻¹ p))`` on the southern hemisphere of the digit's
    frame (``(R_n⁻¹ p)_z ≤ 0``) and 0 elsewhere, with ``q`` the stereographic projection from the
    north pole (module docstring). The rotation moves the sampling points, so
    ``project(x, P, R)`` is the signal ``f ↦ f(R⁻¹·)`` of ``project(x, P)`` with one
    interpolation only.

    Parameters
    ----------
    images:
        ``(N, H, W)`` uint8 (values 0..255) or floating point.
    points:
        unit vectors ``(..., 3)``: e.g. ``gconv.groups.s2_grid_vectors(b)`` ``(2b, 2b, 3)`` (the
        SOFT grid in ``[β, α]`` layout) or icosahedral vertices ``(P, 3)``.
    rotations:
        ``None``, one ``(3, 3)`` rotation for all, or one per image ``(N, 3, 3)``.
    extent:
        the image covers ``[-extent, extent]²`` of the projection plane.

    Returns
    -------
    ``(N, *points.shape[:-1])``: float64 for integer images, the images' dtype otherwise.

    >>> from gconv.groups import s2_grid_vectors
    >>> img = torch.zeros(1, 28, 28, dtype=torch.uint8); img[0, 10:18, 10:18] = 255
    >>> x = project(img, s2_grid_vectors(8))
    >>> x.shape, float(x[0, :8].abs().max())  # northern rings β < π/2 are zero
    (torch.Size([1, 16, 16]), 0.0)
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 3:
        got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a tensor (N, H, W), got {got}")
    if not (extent > 0 and math.isfinite(extent)):
        raise ValueError(f"extent must be a positive finite number, got {extent!r}")
    pts = _check_points(points)
    R = _check_rotations(rotations, images.shape[0])
    dtype = images.dtype if images.is_floating_point() else torch.float64
    v, _ = _project_batch(images.cpu(), pts.reshape(-1, 3), R, float(extent), dtype=dtype)
    return v.reshape(images.shape[0], *pts.shape[:-1])


def _splitmix64(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def keyed_uniforms(keys: Sequence[int | np.ndarray], streams: int) -> np.ndarray:
    """Uniform floats in [0, 1) from integer keys (broadcast), ``(..., streams)``: a pure
    function of the keys (SplitMix64 chained over the keys, then over the stream index).

    >>> a = keyed_uniforms([0, 1, np.arange(4)], 3)
    >>> bool((a == keyed_uniforms([0, 1, np.arange(4)], 3)).all()), a.shape
    (True, (4, 3))
    """
    arrays = [np.asarray(k) for k in keys]
    for a in arrays:
        if a.dtype.kind not in "iu" or (a.dtype.kind == "i" and (a < 0).any()):
            raise ValueError(f"keys must be non-negative integers, got {a!r}")
    with np.errstate(over="ignore"):
        h = np.zeros(np.broadcast_shapes(*(a.shape for a in arrays)), dtype=np.uint64)
        for a in arrays:
            h = _splitmix64(h ^ a.astype(np.uint64))
        s = np.arange(streams, dtype=np.uint64)
        bits = _splitmix64(h[..., None] ^ (s + np.uint64(0x632BE59BD9B4E019)))
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def keyed_rotations(keys: Sequence[int | np.ndarray]) -> torch.Tensor:
    """Haar-uniform rotations ``(..., 3, 3)`` float64 from integer keys (Shoemake's uniform
    unit quaternion from three keyed uniforms).

    >>> R = keyed_rotations([7, np.arange(5)])
    >>> R.shape, bool(torch.allclose(R @ R.mT, torch.eye(3, dtype=R.dtype).expand(5, 3, 3)))
    (torch.Size([5, 3, 3]), True)
    """
    u = torch.from_numpy(keyed_uniforms(keys, 3))
    u1, u2, u3 = u.unbind(-1)
    a, b = torch.sqrt(1 - u1), torch.sqrt(u1)
    w, x = a * torch.sin(2 * math.pi * u2), a * torch.cos(2 * math.pi * u2)
    y, z = b * torch.sin(2 * math.pi * u3), b * torch.cos(2 * math.pi * u3)
    rows = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ]
    return torch.stack([torch.stack(r, -1) for r in rows], -2)
