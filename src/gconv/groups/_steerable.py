# SPDX-License-Identifier: MIT
"""A band-limited basis of planar filters that C_N and D_N rotate exactly, for any N.

Filters on a k×k grid (k odd), pixel (row i, column j) at the point x = j − c, y = c − i with
c = (k − 1)/2 (y up, as ``FiniteGroup.matrix``). Basis functions, for rings ρ = 0, 1, …, c:

    b_{ρ,n}(x) = τ_ρ(|x|) · Re u^n,   b'_{ρ,n}(x) = τ_ρ(|x|) · Im u^n,   u = (x + i y)/|x|,

with the ring profile τ_ρ(r) = exp(−(r − ρ)²/(2σ²)) for r ≤ c + ½ (0 beyond: a disc, so the
support is rotation invariant) and angular frequencies n = 0 … n_max(ρ), n_max(ρ) =
⌊band_limit · ρ⌋ (capped by ``max_frequency``); n = 0 has no sine part, ring 0 only n = 0.
Re and Im of each (ρ, n) share one scale (their mean squared norm on the grid is 1).
Dimension: Σ_ρ (1 + 2 n_max(ρ)).
A ring of radius ρ crosses about 2πρ pixels, so frequencies up to about πρ can be told apart on
it; the default band_limit = 2 stays below that, and the sampled functions are linearly
independent on the grid (tested for k = 3, 5, 7). Lower band limits give smoother filters and
smaller errors for rotations off the grid (measured in ``tests/nn/test_steerable.py``).

Rotation acts in the basis: [L_θ f](x) = f(R_{−θ} x) multiplies u^n by e^{−inθ}, so
(Re, Im) ↦ (cos nθ Re + sin nθ Im, cos nθ Im − sin nθ Re); the mirror M (x ↦ −x) maps u ↦ −ū:
(Re, Im) ↦ (−1)^n (Re, −Im). So the element g = R^r M^m has a real nb×nb matrix T_g = T_M^m T_R^r
with ``L_g b_i = Σ_j T_g[i, j] b_j``: the rotated basis, sampled on the grid, is the sampled
basis mixed by T_g — exact for every angle in the continuum, and on the grid for quarter turns
and mirrors (u^n is built by repeated complex multiplication and the cos/sin of multiples of
π/2 are snapped to integers, so the sampled functions are exact permutations/sign changes).

>>> from gconv.groups import CyclicGroup
>>> basis = steerable_basis(CyclicGroup(8), 5)
>>> tuple(basis.shape)   # (|G|, nb, k, k), nb = 1 + 5 + 9
(8, 15, 5, 5)
>>> basis_dimension(5, band_limit=1.0)
9
"""

from __future__ import annotations

import math

import torch

from .._util import cached_tensors
from ._finite import FiniteGroup

__all__ = ["steerable_basis", "basis_dimension", "basis_frequencies", "coefficient_matrix"]


def _n_max(rho: int, band_limit: float, max_frequency: int | None) -> int:
    n = int(math.floor(band_limit * rho + 1e-9))
    return n if max_frequency is None else min(n, max_frequency)


def basis_frequencies(
    size: int, band_limit: float = 2.0, max_frequency: int | None = None
) -> list[tuple[int, int, int]]:
    """The basis functions as ``(ring ρ, frequency n, part)`` with part 0 = Re, 1 = Im."""
    _check(size, band_limit, max_frequency)
    out = []
    for rho in range((size - 1) // 2 + 1):
        for n in range(_n_max(rho, band_limit, max_frequency) + 1):
            out.append((rho, n, 0))
            if n > 0:
                out.append((rho, n, 1))
    return out


def basis_dimension(size: int, band_limit: float = 2.0, max_frequency: int | None = None) -> int:
    """Σ_ρ (1 + 2 n_max(ρ)): the number of basis functions of one k×k filter."""
    return len(basis_frequencies(size, band_limit, max_frequency))


def _check(size: int, band_limit: float, max_frequency: int | None) -> None:
    if not isinstance(size, int) or size < 1 or size % 2 == 0:
        raise ValueError(
            f"steerable filters need an odd kernel size (centred on a pixel), got {size!r}"
        )
    if not band_limit >= 0:
        raise ValueError(
            f"band_limit must be >= 0 (frequencies per pixel of radius), got {band_limit!r}"
        )
    if max_frequency is not None and (not isinstance(max_frequency, int) or max_frequency < 0):
        raise ValueError(f"max_frequency must be None or an int >= 0, got {max_frequency!r}")


def _sampled(size: int, freqs: list[tuple[int, int, int]], sigma: float) -> torch.Tensor:
    """The basis sampled on the grid, ``(nb, k, k)`` float64, each row of unit norm."""
    c = (size - 1) / 2
    ii, jj = torch.meshgrid(
        torch.arange(size, dtype=torch.float64),
        torch.arange(size, dtype=torch.float64),
        indexing="ij",
    )
    x, y = jj - c, c - ii
    r = torch.sqrt(x * x + y * y)
    z = torch.complex(x, y)
    u = torch.where(r > 0, z / torch.where(r > 0, r, 1.0), torch.zeros_like(z))
    inside = r <= c + 0.5
    powers = [torch.ones_like(u)]
    top = max(n for _, n, _ in freqs)
    for _ in range(top):
        powers.append(powers[-1] * u)
    rows = []
    for rho, n, part in freqs:
        prof = torch.exp(-((r - rho) ** 2) / (2 * sigma**2)) * inside
        ang = powers[n].real if part == 0 else powers[n].imag
        if n > 0:
            ang = torch.where(r > 0, ang, torch.zeros_like(ang))
        rows.append(prof * ang)
    basis = torch.stack(rows)
    # one scale per (ρ, n), shared by Re and Im, so that rotations (which mix them) stay exact
    sq = basis.flatten(1).pow(2).sum(1)
    pair: dict[tuple[int, int], list[float]] = {}
    for (rho, n, _), v in zip(freqs, sq.tolist(), strict=True):
        pair.setdefault((rho, n), []).append(v)
    scale = torch.tensor(
        [math.sqrt(sum(pair[f[:2]]) / len(pair[f[:2]])) for f in freqs], dtype=torch.float64
    )
    return basis / scale.to(basis).view(-1, 1, 1)


def _snap(v: float) -> float:
    r = round(v)
    return float(r) if abs(v - r) < 1e-12 else v


def _coefficient_rotation(n: int, theta: float) -> tuple[float, float, float, float]:
    """How (Re, Im) of frequency n mix under L_θ: rows of ``[[a, b], [c, d]]`` with
    L_θ Re = a Re + b Im, L_θ Im = c Re + d Im."""
    co, si = _snap(math.cos(n * theta)), _snap(math.sin(n * theta))
    return co, si, -si, co


def coefficient_matrix(
    group: FiniteGroup, g: int, freqs: list[tuple[int, int, int]]
) -> torch.Tensor:
    """T_g (nb × nb, float64) with ``L_g b_i = Σ_j T_g[i, j] b_j`` for g = R^r M^m."""
    if not isinstance(group, FiniteGroup):
        raise TypeError(f"coefficient_matrix needs a CyclicGroup/DihedralGroup, got {group!r}")
    m, r = group.split(g)
    theta = 2 * math.pi * r / group.N
    where = {f: i for i, f in enumerate(freqs)}
    rot = torch.zeros(len(freqs), len(freqs), dtype=torch.float64)
    mir = torch.eye(len(freqs), dtype=torch.float64)
    for i, (rho, n, part) in enumerate(freqs):
        a, b, c, d = _coefficient_rotation(n, theta)
        re, im = where[(rho, n, 0)], where.get((rho, n, 1))
        if part == 0:
            rot[i, re] = a
            if im is not None:
                rot[i, im] = b
        else:
            rot[i, re], rot[i, im] = c, d
        if m:
            mir[i, i] = (-1.0) ** n * (1.0 if part == 0 else -1.0)
    return mir @ rot if m else rot


@cached_tensors(64)
def _basis(
    N: int, mirrors: bool, size: int, band_limit: float, max_frequency: int | None, sigma: float
) -> torch.Tensor:
    group = FiniteGroup(N, mirrors)
    freqs = basis_frequencies(size, band_limit, max_frequency)
    flat = _sampled(size, freqs, sigma).flatten(1)
    mats = torch.stack([coefficient_matrix(group, g, freqs) for g in group.elements()])
    out = (mats @ flat).view(group.order, len(freqs), size, size)
    out.requires_grad_(False)
    return out


def steerable_basis(
    group: FiniteGroup,
    size: int,
    band_limit: float = 2.0,
    max_frequency: int | None = None,
    sigma: float = 0.6,
) -> torch.Tensor:
    """The rotated sampled bases ``(|G|, nb, k, k)`` float64: entry g is L_g applied to every
    basis function (``T_g`` times the sampled basis). Built once per argument tuple and cached
    in memory (a read-only tensor shared by all layers: clone before editing)."""
    if not isinstance(group, FiniteGroup):
        raise TypeError(f"steerable_basis needs a CyclicGroup/DihedralGroup, got {group!r}")
    _check(size, band_limit, max_frequency)
    if not sigma > 0:
        raise ValueError(f"sigma (the ring width in pixels) must be > 0, got {sigma!r}")
    return _basis(group.N, group.mirrors, size, float(band_limit), max_frequency, float(sigma))
