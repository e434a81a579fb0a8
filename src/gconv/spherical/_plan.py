# SPDX-License-Identifier: MIT
"""Precomputed index maps and d-tables for the S² and SO(3) transforms (private).

After the FFT over the azimuthal axes, a transform is a contraction over β for each order
*pair* p (m on S², (m, n) on SO(3)) with the degrees l ≥ k(p) = |m| (resp. max(|m|, |n|)).
Pairs are sorted by that *shell* k, and consecutive shells are grouped into a few *blocks*
[k0, k1): one ``torch.bmm`` per block against a table ``(pairs, degrees k0..L−1, β)`` (zero
where l < k(p)). In shell order the first (2l+1)² SO(3) pairs are exactly those with
max(|m|, |n|) ≤ l, which the per-degree (streamed) path uses for b > STORE_MAX_B.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from gconv.groups import STORE_MAX_B, quadrature_weights, s2_wigner_table, so3_wigner_table

from .._util import cached_tensors

__all__ = ["Plan", "plan", "pairs"]


def pairs(kind: str, degrees: int) -> np.ndarray:
    """Order pairs in shell order: ``(P,)`` m's for "s2", ``(P, 2)`` (m, n) for "so3"."""
    if kind == "s2":
        return np.array([0] + [s * k for k in range(1, degrees) for s in (-1, 1)], dtype=np.int64)
    out = [(0, 0)]
    for k in range(1, degrees):
        ring = [(k, n) for n in range(-k, k + 1)] + [(-k, n) for n in range(-k, k + 1)]
        ring += [(m, s * k) for m in range(-k + 1, k) for s in (-1, 1)]
        out += ring
    return np.array(out, dtype=np.int64)


def _columns(kind: str, ls: np.ndarray, pr: np.ndarray) -> np.ndarray:
    """Packed spectrum index of degree(s) ``ls`` and pair(s) ``pr`` (broadcast)."""
    if kind == "s2":
        return ls * ls + ls + pr
    m, n = pr[..., 0], pr[..., 1]
    return ls * (4 * ls * ls - 1) // 3 + (m + ls) * (2 * ls + 1) + (n + ls)


def _shell(kind: str, pr: np.ndarray) -> np.ndarray:
    return np.abs(pr) if kind == "s2" else np.abs(pr).max(-1)


def _bins(kind: str, pr: np.ndarray, b: int) -> np.ndarray:
    """Bin of each pair in the full FFT: m mod 2b (S²), (m mod 2b)·2b + n mod 2b (SO(3))."""
    if kind == "s2":
        return pr % (2 * b)
    return (pr[:, 0] % (2 * b)) * (2 * b) + pr[:, 1] % (2 * b)


def _real_bins(kind: str, pr: np.ndarray, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Bins in the half spectrum of a real signal, and which pairs read it conjugated.

    S²: ``rfft`` over α holds m ≥ 0, and F[−m] = conj(F[m]). SO(3): the analysis needs
    ``conj(fft2)``; ``rfft2`` over (α, γ) holds n ≥ 0 (``b + 1`` bins), and for n < 0
    ``conj(fft2)[m, n] = fft2[−m, −n]``.
    """
    if kind == "s2":
        return np.abs(pr), pr < 0
    m, n = pr[:, 0], pr[:, 1]
    neg = n < 0
    mm, nn = np.where(neg, -m, m) % (2 * b), np.abs(n)
    return mm * (b + 1) + nn, ~neg


@dataclass
class Plan:
    """Everything one (kind, grid b, degrees L, dtype, device) transform needs.

    Forward: ``ĉ[s] = c_fwd[s] Σ_j d[s, j] w_fwd[j] X[j, bin(s)]``; inverse:
    ``G[j, bin] = Σ_s d[s, j] c_inv[s] ĉ[s]`` over the coefficients s of that bin's pair.
    """

    kind: str
    b: int
    degrees: int
    pairs: np.ndarray  # (P,) or (P, 2) orders in shell order
    pair_bins: torch.Tensor  # (P,) FFT bin of each pair
    real_bins: torch.Tensor  # (P,) bin in the half spectrum of a real signal
    fac_real: torch.Tensor  # (S, 1, 2) c_fwd, with the imaginary sign of conjugated reads
    fac_real_dft: torch.Tensor  # the same for the matrix-product path (SO(3): n < 0 conjugated)
    bin_pair: torch.Tensor  # (nbins,) pair of each bin, P where the bin is unused
    blocks: list  # [(p0, p1, k0)]: pair slice and first degree of each block
    d: list | None  # per block (Pb, L−k0, 2b) d-values (zero where l < k(p)); None if streamed
    out_pos: torch.Tensor  # (S,) where coefficient s sits in the flattened block outputs
    in_idx: torch.Tensor  # (E,) coefficient of each block entry, S where unused
    w_fwd: torch.Tensor  # (2b,) β weights of the analysis
    c_fwd: torch.Tensor  # (S,) per-coefficient analysis factor
    c_inv: torch.Tensor  # (S,) per-coefficient synthesis factor

    @property
    def size(self) -> int:
        return len(self.out_pos)


def _block_starts(degrees: int) -> list[int]:
    width = max(1, math.ceil(degrees / 8))
    return list(range(0, degrees, width))


def _degree_of(kind: str, degrees: int) -> np.ndarray:
    """Degree l of each packed coefficient."""
    return np.repeat(
        np.arange(degrees), [(2 * l + 1) ** (1 if kind == "s2" else 2) for l in range(degrees)]
    )


@cached_tensors(32)
def plan(kind: str, b: int, degrees: int, dtype: torch.dtype, device: str) -> Plan:
    """Build (and cache, bounded) the plan; tables are cast to ``dtype`` on ``device``."""

    pr = pairs(kind, degrees)
    shell = _shell(kind, pr)
    nbins = 2 * b if kind == "s2" else 4 * b * b
    ls_all = _degree_of(kind, degrees)
    P, S = len(pr), len(ls_all)
    bins = _bins(kind, pr, b)
    bin_pair = np.full(nbins, P, dtype=np.int64)
    bin_pair[bins] = np.arange(P)
    rbins, conj = _real_bins(kind, pr, b)
    stored = kind == "s2" or b <= STORE_MAX_B
    table = (
        (s2_wigner_table if kind == "s2" else so3_wigner_table)(b, degrees).numpy()
        if stored
        else None
    )
    blocks, d, in_idx, out_pos = [], [], [], np.empty(S, dtype=np.int64)
    starts = _block_starts(degrees)
    pos = 0
    for i, k0 in enumerate(starts):
        k1 = starts[i + 1] if i + 1 < len(starts) else degrees
        p0, p1 = int(np.searchsorted(shell, k0)), int(np.searchsorted(shell, k1))
        ls = np.arange(k0, degrees)
        valid = ls[None, :] >= shell[p0:p1, None]  # (Pb, Lb)
        cols = _columns(kind, ls[None, :], pr[p0:p1, None] if kind == "s2" else pr[p0:p1, None, :])
        cols = np.where(valid, cols, S)
        flat = np.arange(pos, pos + cols.size).reshape(cols.shape)
        out_pos[cols[valid]] = flat[valid]
        in_idx.append(cols.reshape(-1))
        pos += cols.size
        blocks.append((p0, p1, k0))
        if stored:
            blk = table[:, np.minimum(cols, S - 1)].transpose(1, 2, 0)
            d.append(np.where(valid[..., None], blk, 0.0))
    w = quadrature_weights(b).numpy()
    if kind == "s2":
        n_l = np.sqrt((2 * ls_all + 1) / (4 * math.pi))
        w_fwd, c_fwd, c_inv = w, (math.pi / b) * n_l, n_l
    else:
        w_fwd, c_fwd, c_inv = w / (2 * (2 * b) ** 2), np.ones(S), 2.0 * ls_all + 1
    conj_s = np.empty(S, dtype=bool)
    for (p0, p1, k0), idx in zip(blocks, in_idx, strict=True):
        ok = idx < S
        conj_s[idx[ok]] = np.repeat(conj[p0:p1], degrees - k0)[ok]
    fac_real = (
        c_fwd[:, None, None] * np.stack([np.ones(S), np.where(conj_s, -1.0, 1.0)], -1)[:, None]
    )
    t = lambda a: torch.as_tensor(np.ascontiguousarray(a), device=device)  # noqa: E731
    cast = lambda a: t(a).to(dtype)  # noqa: E731
    return Plan(
        kind, b, degrees, pr, t(bins), t(rbins), cast(fac_real),
        cast(fac_real * np.array([1.0, -1.0]) if kind == "so3" else c_fwd[:, None, None]),
        t(bin_pair), blocks,
        [cast(a) for a in d] if stored else None,
        t(out_pos), t(np.concatenate(in_idx)), cast(w_fwd), cast(c_fwd), cast(c_inv),
    )  # fmt: skip
