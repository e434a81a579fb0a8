# SPDX-License-Identifier: MIT
"""Slow reference of the icosahedral layers on the vertex graph, with explicit per-vertex frames
built from 3-D geometry alone (no chart, no padding): each vertex with six neighbours lists them
counter-clockwise seen from outside, starting at a chosen one (its frame); the transport along
an edge v → w turns frames by s = m + 3 − m_w (m: slot of w at v, m_w: slot of v at w), and a
regular feature of w read in v's frame is f_w[θ − s]."""

from __future__ import annotations

import math

import numpy as np
import torch


def ccw_neighbours(x: np.ndarray, v: int, count: int) -> np.ndarray:
    """The ``count`` nearest vertices of v, counter-clockwise about x_v (seen from outside),
    starting at the nearest (ties broken by index)."""
    d = x @ x[v]
    near = np.argsort(-d, kind="stable")[1 : count + 1]
    t1 = x[near[0]] - d[near[0]] * x[v]
    t1 /= np.linalg.norm(t1)
    t2 = np.cross(x[v], t1)
    ang = np.arctan2(x[near] @ t2, x[near] @ t1) % (2 * math.pi)
    return near[np.argsort(ang)]


class VertexFrames:
    """Frames on the six-neighbour vertices: ``nbr[v]`` (6 slots), ``shift[v, m]``."""

    def __init__(self, x: np.ndarray, corners: np.ndarray, start: dict[int, int] | np.ndarray):
        self.x, self.corners = x, set(int(c) for c in corners)
        n = len(x)
        self.six = np.array([v for v in range(n) if v not in self.corners])
        self.nbr = np.full((n, 6), -1, dtype=np.int64)
        for v in self.six:
            ring = ccw_neighbours(x, int(v), 6)
            self.nbr[v] = np.roll(ring, -int(start[v]))
        self.shift = np.zeros((n, 6), dtype=np.int64)
        for v in self.six:
            for m, w in enumerate(self.nbr[v]):
                if w in self.corners:
                    continue
                mw = int(np.nonzero(self.nbr[w] == v)[0][0])
                self.shift[v, m] = (m + 3 - mw) % 6


def lift_ref(frames: VertexFrames, x: torch.Tensor, weight: torch.Tensor, bias) -> torch.Tensor:
    """x ``(B, C, V)``, weight ``(O, C, 1, 7)`` → ``(B, O, 6, V)``, zero at the corners."""
    b, _, nv = x.shape
    out = torch.zeros(b, weight.shape[0], 6, nv, dtype=x.dtype)
    w = weight[:, :, 0]
    for v in frames.six:
        taps = [v] + list(frames.nbr[v])
        vals = x[:, :, taps]  # (B, C, 7)
        for theta in range(6):
            perm = [0] + [1 + (t - theta) % 6 for t in range(6)]
            out[:, :, theta, v] = torch.einsum("bct,oct->bo", vals, w[:, :, perm])
    if bias is not None:
        out[:, :, :, frames.six] += bias.view(1, -1, 1, 1)
    return out


def conv_ref(frames: VertexFrames, f: torch.Tensor, weight: torch.Tensor, bias) -> torch.Tensor:
    """f ``(B, C, 6, V)`` (zero read at corners), weight ``(O, C, 6, 7)`` → ``(B, O, 6, V)``."""
    b, _, _, nv = f.shape
    out = torch.zeros(b, weight.shape[0], 6, nv, dtype=f.dtype)
    for v in frames.six:
        cols = [f[:, :, :, v]]
        for m, w in enumerate(frames.nbr[v]):
            fw = torch.zeros_like(f[:, :, :, 0]) if w in frames.corners else f[:, :, :, w]
            cols.append(torch.roll(fw, int(frames.shift[v, m]), dims=2))  # f_w[θ − s]
        vals = torch.stack(cols, dim=-1)  # (B, C, 6ψ, 7)
        for theta in range(6):
            perm = [0] + [1 + (t - theta) % 6 for t in range(6)]
            psi = [(p - theta) % 6 for p in range(6)]
            k = weight[:, :, psi][..., perm]  # K[o, c, ψ − θ, t − θ]
            out[:, :, theta, v] = torch.einsum("bcpt,ocpt->bo", vals, k)
    if bias is not None:
        out[:, :, :, frames.six] += bias.view(1, -1, 1, 1)
    return out


def charts_to_vertices(f: torch.Tensor, nv: int) -> torch.Tensor:
    """``(B, C, 6, 5, n, 2n)`` → ``(B, C, 6, V)`` (poles zero)."""
    flat = f.flatten(3)
    return torch.cat([flat, flat.new_zeros(*flat.shape[:3], nv - flat.shape[3])], dim=3)
