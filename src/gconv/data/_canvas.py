# SPDX-License-Identifier: MIT
"""Multi-digit canvases for spherical segmentation (Gerken et al. 2022, App. C.1, our recipe).

A canvas is ``CANVAS × CANVAS = 64 × 64`` pixels holding k ≤ 4 digits (28×28 patches pasted
at integer offsets in ``[0, 36]²``). The *ink box* of a digit is the tight box of
its non-zero pixels; the ink boxes of one canvas are pairwise separated by at least ``GAP = 2``
zero pixels, so no 2×2 bilinear stencil touches two digits and every pixel belongs to at most
one digit (no overlap). Offsets are drawn uniformly and rejected until the boxes separate; a
canvas still unplaced after ``_ROUNDS × _TRIES`` draws puts one digit per quadrant (which
always fits, even 28-pixel Fashion-MNIST articles).

On the sphere the canvas covers ``[-√2, √2]²`` of the projection plane (``CANVAS_EXTENT``): its
corners lie on the equator, so the whole canvas is on the southern hemisphere and no digit is
cut. A single digit (``digits = 1``, the public code's recipe) covers ``[-1.5, 1.5]²`` instead,
so canvas digits are drawn at 0.41 times the single digit's linear size.

The *owner map* of a canvas is ``label + 1`` on each digit's ink box grown by one pixel, 0
elsewhere; a sphere point's mask class is the owner of its nearest canvas pixel when its
projected intensity exceeds the threshold, else 0 (background).
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import torch

__all__ = ["CANVAS", "CANVAS_EXTENT", "GAP", "ink_boxes", "layout", "paint"]

CANVAS = 64
CANVAS_EXTENT = math.sqrt(2.0)
GAP = 2
_PATCH = 28
_TRIES = 64
_ROUNDS = 8


def ink_boxes(images: np.ndarray) -> np.ndarray:
    """Tight boxes of the non-zero pixels of ``images (M, 28, 28)``: ``(M, 4)`` int as
    ``(row0, row1, col0, col1)``, inclusive; an empty image gets the box of its centre pixel."""
    ink = images > 0
    # reducing a 3-D array over one axis gives an array (numpy's stubs allow a scalar)
    rows, cols = cast(np.ndarray, ink.any(2)), cast(np.ndarray, ink.any(1))
    h, w = images.shape[1:]

    def span(mask: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        first = np.where(mask.any(1), mask.argmax(1), n // 2)
        last = np.where(mask.any(1), n - 1 - mask[:, ::-1].argmax(1), n // 2)
        return first, last

    r0, r1 = span(rows, h)
    c0, c1 = span(cols, w)
    return np.stack([r0, r1, c0, c1], 1).astype(np.int64)


def _separated(boxes: np.ndarray, count: np.ndarray) -> np.ndarray:
    """boxes (..., K, 4) on the canvas, count (...,) digits used: all pairs separated."""
    k = boxes.shape[-2]
    ok = np.ones(boxes.shape[:-2], dtype=bool)
    for a in range(k):
        for b in range(a + 1, k):
            A, B = boxes[..., a, :], boxes[..., b, :]
            apart = (
                (B[..., 0] - A[..., 1] > GAP)
                | (A[..., 0] - B[..., 1] > GAP)
                | (B[..., 2] - A[..., 3] > GAP)
                | (A[..., 2] - B[..., 3] > GAP)
            )
            ok &= apart | (b >= count)
    return ok


def _quadrants(boxes: np.ndarray, count: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fallback: digit d in its own quadrant (random distinct quadrants), uniform inside it.
    Quadrant rows/cols are ``[0, H − GAP − 1]`` and ``[H + 1, 2H − 1]`` with ``H = CANVAS / 2``,
    so boxes in different quadrants are more than GAP apart; any box of at most 28 fits."""
    n, k = boxes.shape[:2]
    half = CANVAS // 2
    quad = np.argsort(rng.random((n, 4)), axis=1)[:, :k]  # distinct quadrants per canvas
    out = np.zeros((n, k, 2), dtype=np.int64)
    for axis, (lo_i, hi_i) in enumerate(((0, 1), (2, 3))):
        second = (quad // 2 if axis == 0 else quad % 2).astype(bool)
        b0, b1 = boxes[..., lo_i], boxes[..., hi_i]
        cell_lo = np.where(second, half + 1, 0)
        cell_hi = np.where(second, CANVAS - 1, half - GAP - 1)
        # box start s in [cell_lo, cell_hi - (b1 - b0)] and offset s - b0 in [0, CANVAS - 28]
        s_lo = np.maximum(cell_lo, b0)
        s_hi = np.minimum(cell_hi - (b1 - b0), b0 + CANVAS - _PATCH)
        start = s_lo + np.floor(rng.random((n, k)) * (s_hi - s_lo + 1)).astype(np.int64)
        out[..., axis] = start - b0
    return out


def layout(boxes: np.ndarray, count: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Offsets ``(N, K, 2)`` (row, col) in ``[0, CANVAS − 28]`` for digits with ink boxes
    ``boxes (N, K, 4)``, of which the first ``count[n]`` are used, such that the used boxes are
    pairwise separated by more than ``GAP`` pixels: uniform offsets by vectorised rejection
    (``_ROUNDS`` rounds of ``_TRIES``), and for the canvases still unplaced one digit per
    quadrant (always possible for boxes of at most 28 pixels)."""
    n, k = boxes.shape[:2]
    offsets = np.zeros((n, k, 2), dtype=np.int64)
    pending = np.arange(n)
    span = CANVAS - _PATCH + 1
    for _ in range(_ROUNDS):
        if pending.size == 0:
            break
        draw = rng.integers(0, span, size=(pending.size, _TRIES, k, 2))
        placed = boxes[pending, None] + np.repeat(draw, 2, axis=-1)  # (p, T, K, 4)
        ok = _separated(placed, count[pending, None])
        hit = ok.any(1)
        first = ok.argmax(1)
        offsets[pending[hit]] = draw[hit, first[hit]]
        pending = pending[~hit]
    if pending.size:
        offsets[pending] = _quadrants(boxes[pending], count[pending], rng)
    return offsets


def paint(
    images: torch.Tensor,
    labels: torch.Tensor,
    boxes: torch.Tensor,
    offsets: torch.Tensor,
    count: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Canvases ``(N, 64, 64)`` (same dtype as ``images``) and owner maps ``(N, 64, 64)`` int64.

    ``images (N, K, 28, 28)``, ``labels (N, K)``, ink ``boxes (N, K, 4)``, ``offsets (N, K, 2)``;
    digit ``d`` of canvas ``n`` is used when ``d < count[n]``. Patches are combined by maximum
    (the zero margins of one patch may lie over the ink of another)."""
    n, k = labels.shape
    canvas = torch.zeros(n, CANVAS, CANVAS, dtype=images.dtype)
    owner = torch.zeros(n, CANVAS, CANVAS, dtype=torch.int64)
    ar = torch.arange(_PATCH)
    grid = torch.arange(CANVAS)
    for d in range(k):
        use = d < count
        if not bool(use.any()):
            continue
        idx = torch.nonzero(use).squeeze(1)
        rows = (offsets[idx, d, 0, None] + ar)[:, :, None]
        cols = (offsets[idx, d, 1, None] + ar)[:, None, :]
        ni = idx[:, None, None]
        canvas[ni, rows, cols] = torch.maximum(canvas[ni, rows, cols], images[idx, d])
        box = boxes[idx, d] + offsets[idx, d].repeat_interleave(2, dim=-1)
        inr = (grid >= box[:, 0, None] - 1) & (grid <= box[:, 1, None] + 1)
        inc = (grid >= box[:, 2, None] - 1) & (grid <= box[:, 3, None] + 1)
        inside = inr[:, :, None] & inc[:, None, :]
        owner[idx] = torch.where(inside, labels[idx, d, None, None] + 1, owner[idx])
    return canvas, owner
