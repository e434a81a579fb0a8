# SPDX-License-Identifier: MIT
"""Index tables of the icosahedral layers (built once per resolution, cached): the padding
gather with its gauge change, and the hexagonal filter expansion. Layout and conventions are
those of ``gconv.groups.IcoGrid``."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from ..groups import OFFSETS, IcoGrid

__all__ = [
    "ico_grid",
    "feature_pad_index",
    "scalar_pad_index",
    "pad_plan",
    "hex_expansion_index",
    "check_chart",
    "HEX_TAPS",
]

#: 3×3 stencil position [row, column] of tap t: t = 0 is the centre, t = 1 + m neighbour slot m
HEX_TAPS: tuple[tuple[int, int], ...] = ((1, 1),) + tuple((1 + di, 1 + dj) for di, dj in OFFSETS)


@lru_cache(maxsize=16)
def ico_grid(r: int) -> IcoGrid:
    return IcoGrid(r)


@lru_cache(maxsize=64)
def feature_pad_index(r: int, extra_rows: int, gauge: bool = True) -> torch.Tensor:
    """Index ``(6, 5·(n+2) + extra_rows, 2n+2)`` into a regular feature ``(6, 5, n, 2n)``
    flattened with one zero appended: entry [θ, k·(n+2) + 1 + i, 1 + j] reads orientation
    θ − s of the vertex at chart k's padded point (i, j), s its gauge shift (0 everywhere
    with ``gauge=False``: the ablation). The 12 five-neighbour vertices and unused points read
    the zero; the ``extra_rows`` trailing rows too."""
    grid = ico_grid(r)
    n, nc = grid.n, grid.num_chart_vertices
    vert, shift = grid.pad_vertex, grid.pad_shift if gauge else np.zeros_like(grid.pad_shift)
    is_corner = np.zeros(grid.num_vertices + 1, dtype=bool)
    is_corner[grid.corners] = True
    is_corner[-1] = True  # vert = −1 → unused
    theta = np.arange(6)[:, None, None, None]
    idx = ((theta - shift[None]) % 6) * nc + vert[None]
    idx = np.where(is_corner[vert][None], 6 * nc, idx)  # (6, 5, n+2, 2n+2)
    idx = idx.reshape(6, 5 * (n + 2), 2 * n + 2)
    tail = np.full((6, extra_rows, 2 * n + 2), 6 * nc)
    return torch.from_numpy(np.concatenate([idx, tail], axis=1).copy())


@lru_cache(maxsize=16)
def scalar_pad_index(r: int, extra_rows: int) -> torch.Tensor:
    """Index ``(5·(n+2) + extra_rows, 2n+2)`` into a scalar signal on all V vertices with one
    zero appended (scalars have no gauge: every vertex, poles included, keeps its value)."""
    grid = ico_grid(r)
    n, v = grid.n, grid.num_vertices
    idx = np.where(grid.pad_vertex < 0, v, grid.pad_vertex).reshape(5 * (n + 2), 2 * n + 2)
    tail = np.full((extra_rows, 2 * n + 2), v)
    return torch.from_numpy(np.concatenate([idx, tail], axis=0).copy())


@lru_cache(maxsize=64)
def pad_plan(r: int, scalar: bool, gauge: bool = True) -> tuple[torch.Tensor, ...]:
    """The padding as a copy plus a small gather: after copying every chart into the
    interior of its padded copy, the points (chart ``k``, ``q`` = θ·(n+2)(2n+2) + padded
    position) receive ``source`` (flat over ``(6, 5·n·2n)``, or over the V vertices for
    scalars), and the points (``k_z``, ``q_z``) (unused border points; for regular features
    also the 12 corners) are cleared. Returns ``(k, q, source, k_z, q_z)``. Same values as the full
    index of ``feature_pad_index`` / ``scalar_pad_index``."""
    grid = ico_grid(r)
    n, nc = grid.n, grid.num_chart_vertices
    if scalar:
        full = scalar_pad_index(r, 0).numpy().reshape(1, -1)
        zero_slot = grid.num_vertices
    else:
        full = feature_pad_index(r, 0, gauge).numpy().reshape(6, -1)
        zero_slot = 6 * nc
    inner = np.zeros((5, n + 2, 2 * n + 2), dtype=bool)
    inner[:, 1 : n + 1, 1 : 2 * n + 1] = True
    inner = np.broadcast_to(inner.reshape(1, -1), full.shape)
    own = np.full((5, n + 2, 2 * n + 2), -1, dtype=np.int64)
    own[:, 1 : n + 1, 1 : 2 * n + 1] = np.arange(nc).reshape(5, n, 2 * n)
    own = np.arange(full.shape[0])[:, None] * nc + own.reshape(1, -1)
    copied = inner & (full == own)  # the interior, moved by the copy
    zero = full == zero_slot
    fill = ~inner & ~zero
    if not (copied | zero | fill).all():
        raise RuntimeError("IcoPad: interior points must read themselves or zero")
    size = (n + 2) * (2 * n + 2)
    theta, k, pos = np.nonzero(fill.reshape(-1, 5, size))
    theta_z, k_z, pos_z = np.nonzero(zero.reshape(-1, 5, size))
    plan = (k, theta * size + pos, full[fill], k_z, theta_z * size + pos_z)
    return tuple(torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64)) for a in plan)


@lru_cache(maxsize=4)
def hex_expansion_index(in_order: int) -> torch.Tensor:
    """Index ``(6, in_order, 3, 3)`` into a weight ``(in_order, 7)`` flattened with one zero
    appended: the filter for output orientation θ is the hexagon turned by θ·60° (tap m read
    from weight tap m − θ) with the input orientation axis shifted by θ (ψ read from ψ − θ);
    stencil corners (0, 2) and (2, 0) read the zero."""
    idx = np.full((6, in_order, 3, 3), in_order * 7, dtype=np.int64)
    for theta in range(6):
        for psi in range(in_order):
            src = (psi - theta) % 6 if in_order == 6 else 0
            for t, (a, b) in enumerate(HEX_TAPS):
                tap = 0 if t == 0 else 1 + (t - 1 - theta) % 6
                idx[theta, psi, a, b] = src * 7 + tap
    return torch.from_numpy(idx)


def check_chart(layer: str, x: torch.Tensor, channels: int, order: int | None, r: int) -> None:
    """Raise a ShapeError unless x is ``(B, C, 6, 5, n, 2n)`` (order 6) or ``(B, C, 5, n, 2n)``
    (order None) with n = 2^r."""
    from ._checks import ShapeError, check_tensor

    check_tensor(f"{layer}: input", x, floating=False)
    n = 2**r
    want = (channels,) + ((order,) if order else ()) + (5, n, 2 * n)
    if x.dim() != len(want) + 1 or tuple(x.shape[1:]) != want:
        what = "regular features" if order else "scalar charts"
        raise ShapeError(
            f"{layer}: expected {what} (B, {', '.join(map(str, want))}) at resolution r={r}, "
            f"got {tuple(x.shape)}"
        )
