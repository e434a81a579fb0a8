# SPDX-License-Identifier: MIT
"""Index tables of the icosahedral layers (built once per resolution, cached): the padding
gather with its gauge change, and the hexagonal filter expansion. Layout and conventions are
those of ``gconv.groups.IcoGrid``."""

from __future__ import annotations

import numpy as np
import torch

from .._util import cached_tensors
from ..groups import OFFSETS, IcoGrid

__all__ = [
    "ico_grid",
    "feature_pad_index",
    "scalar_pad_index",
    "channel_pad_plan",
    "hex_expansion_index",
    "check_chart",
    "HEX_TAPS",
]

#: 3×3 stencil position [row, column] of tap t: t = 0 is the centre, t = 1 + m neighbour slot m
HEX_TAPS: tuple[tuple[int, int], ...] = ((1, 1),) + tuple((1 + di, 1 + dj) for di, dj in OFFSETS)


@cached_tensors(16)
def ico_grid(r: int) -> IcoGrid:
    return IcoGrid(r)


@cached_tensors(64)
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


@cached_tensors(16)
def scalar_pad_index(r: int, extra_rows: int) -> torch.Tensor:
    """Index ``(5·(n+2) + extra_rows, 2n+2)`` into a scalar signal on all V vertices with one
    zero appended (scalars have no gauge: every vertex, poles included, keeps its value)."""
    grid = ico_grid(r)
    n, v = grid.n, grid.num_vertices
    idx = np.where(grid.pad_vertex < 0, v, grid.pad_vertex).reshape(5 * (n + 2), 2 * n + 2)
    tail = np.full((extra_rows, 2 * n + 2), v)
    return torch.from_numpy(np.concatenate([idx, tail], axis=0).copy())


@cached_tensors(64)
def channel_pad_plan(
    r: int,
    channels: int,
    scalar: bool,
    gauge: bool = True,
    channels_last: bool = False,
    chart_major: bool = False,
) -> tuple[torch.Tensor, ...]:
    """The padding of a whole ``(C, G, …)`` input as flat gathers (``channels`` = C), for an
    input flattened per sample (regular ``(C, 6, 5, n, 2n)`` or scalar ``(C, V)``) and the
    padded output ``(5, C, G, n+2, 2n+2)`` flattened per sample. Returns index tensors:

    - ``full``: output point → input element (0 where the output is zero);
    - ``zero``: the output points that are zero (unused points; for regular features also the
      12 corners, which every layer reads as zero);
    - ``inner``: input element → its interior output point (the backward's gather);
    - ``dead``: the input elements no interior point reads (the 12 corners of regular
      features, the poles of scalar signals): their gradient is the border's alone;
    - ``border_out``, ``border_in``: the border points and the input elements they read.

    ``full``, ``inner`` and ``border_out`` (the gathers) are int32 when that holds every
    offset, the others int64 (``index_fill_`` / ``index_add_`` take int64 only).

    Forward: ``p = x.index_select(1, full).index_fill_(1, zero, 0)``. Backward (the adjoint):
    ``g_x = g_p.index_select(1, inner).index_fill_(1, dead, 0)``, then
    ``g_x.index_add_(1, border_in, g_p.index_select(1, border_out))``.

    ``channels_last=True``: the same plan for the padded output stored per sample as
    ``(5, n+2, 2n+2, C·G)`` (``torch.channels_last`` of ``(5B, C·G, n+2, 2n+2)``): the output
    points are renumbered, the input elements are not. ``chart_major=True`` (regular features
    only): the input elements are renumbered instead for an input stored per sample as
    ``(5, n, 2n, C, 6)`` (how ``IcoConv`` returns its output, :func:`is_chart_major`)."""
    grid = ico_grid(r)
    n, nc, s = grid.n, grid.num_chart_vertices, (grid.n + 2) * (2 * grid.n + 2)
    g = 1 if scalar else 6
    if scalar:  # (5, S) into the V vertices, zero slot V
        one, size = scalar_pad_index(r, 0).numpy().reshape(5, 1, s), grid.num_vertices
    else:  # (6, 5·(n+2), 2n+2) into (6, nc), zero slot 6·nc → (5, 6, S)
        one = feature_pad_index(r, 0, gauge).numpy().reshape(6, 5, s).transpose(1, 0, 2)
        size = 6 * nc
    c = np.arange(channels).reshape(1, channels, 1, 1)
    is_zero = np.broadcast_to((one == size)[:, None], (5, channels, g, s)).reshape(-1)
    full = np.where(is_zero, 0, (c * size + one[:, None]).reshape(-1))
    inner_mask = np.zeros((n + 2, 2 * n + 2), dtype=bool)
    inner_mask[1 : n + 1, 1 : 2 * n + 1] = True
    interior = np.broadcast_to(inner_mask.reshape(-1), (5, channels, g, s)).reshape(-1)
    border = ~interior & ~is_zero
    inner, dead = _interior_reads(grid, channels, scalar, size)
    plan: tuple[np.ndarray, ...] = (full, np.flatnonzero(is_zero), inner, dead,
            np.flatnonzero(border), full[border])  # fmt: skip
    if channels_last:  # output point (k, ch, i, j) → its place in (k, i, j, ch)
        plan = _to_channels_last(plan, channels * g, n)
    if chart_major:
        if scalar:
            raise ValueError("channel_pad_plan: chart_major applies to regular features only")
        plan = _to_chart_major(plan, channels, n)
    return _as_index_tensors(plan)


def _as_index_tensors(plan: tuple[np.ndarray, ...]) -> tuple[torch.Tensor, ...]:
    """The plan's gathers (even places) as int32 when it holds every offset (less index
    traffic), its fills and adds as int64 (``index_fill_`` / ``index_add_`` take no other)."""
    small = plan[0].size < 2**31  # the output is larger than the input: every offset fits
    kinds = (np.int32 if small else np.int64, np.int64) * 3
    return tuple(
        torch.from_numpy(np.ascontiguousarray(a, dtype=t)) for a, t in zip(plan, kinds, strict=True)
    )


def _interior_reads(
    grid: IcoGrid, channels: int, scalar: bool, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """``inner`` (input element → its interior output point) and ``dead`` (the input elements
    no interior point reads) of :func:`channel_pad_plan`."""
    n, nc, g = grid.n, grid.num_chart_vertices, 1 if scalar else 6
    s = (n + 2) * (2 * n + 2)
    # input element e = (c, θ, k, i, j) → output ((k·C + c)·G + θ)·S + (i+1)(2n+2) + (j+1)
    cc, th, k, i, j = np.indices((channels, g, 5, n, 2 * n)).reshape(5, -1)
    inner = ((k * channels + cc) * g + th) * s + (i + 1) * (2 * n + 2) + (j + 1)
    if scalar:  # the poles have no interior point
        inner = np.concatenate([inner.reshape(channels, nc), np.zeros((channels, 2), np.int64)], 1)
        dead = (np.arange(channels)[:, None] * size + np.array([nc, nc + 1])).reshape(-1)
    else:  # regular: the 12 corners
        dead = np.flatnonzero((i == 0) & (j % n == 0))
    return inner.reshape(-1), dead


def _to_channels_last(plan: tuple[np.ndarray, ...], cg: int, n: int) -> tuple[np.ndarray, ...]:
    """Renumber the output points of a plan from ``(5, cg, n+2, 2n+2)`` to ``(5, n+2, 2n+2, cg)``."""
    std_at = np.arange(5 * cg * (n + 2) * (2 * n + 2)).reshape(5, cg, n + 2, 2 * n + 2)
    std_at = std_at.transpose(0, 2, 3, 1).reshape(-1)  # channels-last point → standard point
    new_of = np.empty_like(std_at)
    new_of[std_at] = np.arange(std_at.size)
    full, zero, inner, dead, border_out, border_in = plan
    return full[std_at], new_of[zero], new_of[inner], dead, new_of[border_out], border_in


def _to_chart_major(plan: tuple[np.ndarray, ...], c: int, n: int) -> tuple[np.ndarray, ...]:
    """Renumber the input elements of a plan from ``(C, 6, 5, n, 2n)`` to ``(5, n, 2n, C, 6)``."""
    cc, th, k, i, j = np.indices((c, 6, 5, n, 2 * n)).reshape(5, -1)
    at = ((k * n + i) * 2 * n + j) * 6 * c + 6 * cc + th  # standard element → chart-major
    full, zero, inner, dead, border_out, border_in = plan
    moved = np.empty_like(inner)
    moved[at] = inner  # the backward gathers the input gradient in chart-major order
    return at[full], zero, moved, at[dead], border_out, at[border_in]


@cached_tensors(4)
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


def check_vertices(layer: str, x: torch.Tensor, channels: int, r: int) -> None:
    """Raise a ShapeError unless x is a scalar signal ``(B, channels, 10·4^r + 2)`` on the
    vertices of ``IcoGrid(r)``."""
    from ._checks import ShapeError

    v = ico_grid(r).num_vertices
    if x.dim() != 3 or x.shape[1] != channels or x.shape[2] != v:
        raise ShapeError(
            f"{layer}: expected a scalar signal (B, {channels}, {v}) on the vertices of "
            f"IcoGrid({r}), got {tuple(x.shape)}"
        )


def check_chart(
    layer: str, x: torch.Tensor, channels: int | None, order: int | None, r: int
) -> None:
    """Raise a ShapeError unless x is ``(B, C, 6, 5, n, 2n)`` (order 6) or ``(B, C, 5, n, 2n)``
    (order None) with n = 2^r and C = ``channels`` (None: any)."""
    from ._checks import ShapeError, check_tensor

    check_tensor(f"{layer}: input", x, floating=False)
    n = 2**r
    want = ((order,) if order else ()) + (5, n, 2 * n)
    c_ok = x.dim() > 1 and (channels is None or x.shape[1] == channels)
    if x.dim() != len(want) + 2 or tuple(x.shape[2:]) != want or not c_ok:
        what = "regular features" if order else "scalar charts"
        c = "C" if channels is None else str(channels)
        raise ShapeError(
            f"{layer}: expected {what} (B, {c}, {', '.join(map(str, want))}) at resolution "
            f"r={r}, got {tuple(x.shape)}"
        )
