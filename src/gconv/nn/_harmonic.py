# SPDX-License-Identifier: MIT
"""Fast internal transforms for the spherical layers (private): real signals, m ≥ 0 only.

The layers' inputs and outputs are real, so spectra obey ``f̂_{l,−m} = (−1)^m conj(f̂_lm)`` and
``F̂^l_{−m,−n} = (−1)^{m−n} conj(F̂^l_mn)``; only rows m ≥ 0 are computed, and synthesis takes
``Re Σ_{m≥0} c_m (…)`` with c_0 = 1, c_m = 2. Azimuthal transforms are truncated DFTs done as
matmuls (only |m|, |n| < L are needed), β transforms are batched matmuls against d-tables.
Spectra here are dense and zero-padded (not the public packed layout):

- S² ``(N, L, L)`` complex, ``[m, l]`` (m = 0..L−1, zero where m > l);
- SO(3) ``(N, L, 2L−1, L)`` complex, ``[m, n + L − 1, l]`` (zero where max(m, |n|) > l).

Same conventions and normalisation as ``gconv.spherical`` (``f̂_lm = ∫ f conj(Y_lm)``,
``f̂^l_mn = ∫ f conj(D^l_mn) dR``); the tests check the layers against direct quadrature.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

from ..groups import quadrature_weights, wigner_d_iter

__all__ = [
    "s2_tables",
    "so3_tables",
    "s2_analysis",
    "s2_synthesis",
    "so3_analysis",
    "so3_synthesis",
]


def _betas(b: int) -> torch.Tensor:
    return math.pi * (2 * torch.arange(2 * b, dtype=torch.float64) + 1) / (4 * b)


def _trig(b: int, freqs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """cos(fα_k), sin(fα_k): ``(2b, len(freqs))`` for α_k = πk/b."""
    ang = (math.pi / b) * torch.arange(2 * b, dtype=torch.float64)[:, None] * freqs[None, :]
    return torch.cos(ang), torch.sin(ang)


def _d_table(b: int, L: int) -> torch.Tensor:
    """``d^l_mn(β_j)`` as ``(2b, L, 2L−1, L)`` ``[j, m, n+L−1, l]`` for m ≥ 0 (zero if invalid)."""
    out = torch.zeros(2 * b, L, 2 * L - 1, L, dtype=torch.float64)
    for l, d in enumerate(wigner_d_iter(_betas(b), L - 1)):
        out[:, : l + 1, L - 1 - l : L + l, l] = d[:, l:, :]
    return out


@lru_cache(maxsize=16)
def _s2_tables(b: int, L: int) -> dict[str, torch.Tensor]:
    m = torch.arange(L, dtype=torch.float64)
    cos, sin = _trig(b, m)
    d = _d_table(b, L)[:, :, L - 1, :]  # d^l_{m0}(β_j): (2b, L_m, L)
    norm = torch.sqrt((2 * torch.arange(L, dtype=torch.float64) + 1) / (4 * math.pi))
    w = quadrature_weights(b).to(torch.float64) * math.pi / b
    c = torch.where(m == 0, 1.0, 2.0)
    return {
        "dft": torch.cat([cos, -sin], dim=1),  # x @ dft: Σ_k x e^{−imα_k}, [re | im] (2b, 2L)
        "idft": torch.cat([cos, -sin], dim=1).T.contiguous(),  # Re Σ_m H e^{imα}: (2L, 2b)
        "ana": (w[:, None, None] * d * norm).permute(1, 0, 2).contiguous(),  # (m, j, l)
        "syn": (c[:, None, None] * (d * norm).permute(1, 2, 0)).contiguous(),  # (m, l, j)
    }


@lru_cache(maxsize=16)
def _so3_tables(b: int, L: int) -> dict[str, torch.Tensor]:
    m = torch.arange(L, dtype=torch.float64)
    n = torch.arange(-(L - 1), L, dtype=torch.float64)
    cm, sm = _trig(b, m)
    cn, sn = _trig(b, n)
    d = _d_table(b, L)
    q = quadrature_weights(b).to(torch.float64) / (2 * (2 * b) ** 2)
    c = torch.where(m == 0, 1.0, 2.0)
    deg = 2 * torch.arange(L, dtype=torch.float64) + 1
    K, M = 2 * L - 1, L
    return {
        # analysis: Σ_γ x e^{inγ} → [re | im]; Σ_α e^{imα}(·) rows [cos; sin]
        "ana_g": torch.cat([cn, sn], dim=1),  # (2b, 2K)
        "ana_a": torch.cat([cm, sm], dim=1).T.contiguous(),  # (2M, 2b)
        "ana_b": (q[:, None, None, None] * d)
        .permute(1, 2, 0, 3)
        .reshape(M * K, 2 * b, L)
        .contiguous(),
        # synthesis: [Hr | Hi] @ syn_g = [Zr | Zi] (Σ_k H e^{−ikγ}); Re Σ_m Z e^{−imα}
        "syn_b": (c[None, :, None, None] * d * deg)
        .permute(1, 2, 0, 3)
        .reshape(M * K, 2 * b, L)
        .contiguous(),
        "syn_g": torch.cat(
            [torch.cat([cn.T, -sn.T], 1), torch.cat([sn.T, cn.T], 1)], 0
        ),  # (2K, 4b)
        "syn_a": torch.cat([cm, sm], dim=1),  # (2b, 2M): G = syn_a @ [Zr; Zi]
    }


def s2_tables(b: int, L: int) -> dict[str, torch.Tensor]:
    """Fresh float64 copies of the S² tables for grid bandwidth b and degrees l < L."""
    return {k: v.clone() for k, v in _s2_tables(b, L).items()}


def so3_tables(b: int, L: int) -> dict[str, torch.Tensor]:
    """Fresh float64 copies of the SO(3) tables for grid bandwidth b and degrees l < L."""
    return {k: v.clone() for k, v in _so3_tables(b, L).items()}


def s2_analysis(x: torch.Tensor, T: dict[str, torch.Tensor]) -> torch.Tensor:
    """Real ``(N, 2b, 2b)`` → ``f̂ (N, L, L)`` complex ``[m ≥ 0, l]``."""
    N, M = x.shape[0], T["ana"].shape[0]
    X = (x @ T["dft"]).view(N, -1, 2, M).permute(3, 0, 2, 1).reshape(M, 2 * N, -1)  # (m, N·r, j)
    f = torch.bmm(X, T["ana"]).view(M, N, 2, -1).permute(1, 0, 3, 2)  # (N, m, l, r)
    return torch.view_as_complex(f.contiguous())


def s2_synthesis(g: torch.Tensor, T: dict[str, torch.Tensor]) -> torch.Tensor:
    """``ĝ (N, L, L)`` ``[m ≥ 0, l]`` → real ``(N, 2b, 2b)``: Re Σ_{m≥0} c_m Σ_l ĝ_lm Y_lm."""
    g = g.resolve_conj()
    N, M = g.shape[0], g.shape[1]
    G = torch.view_as_real(g).permute(1, 0, 3, 2).reshape(M, 2 * N, -1)  # (m, N·r, l)
    H = torch.bmm(G, T["syn"]).view(M, N, 2, -1).permute(1, 3, 2, 0)  # (N, j, r, m)
    return H.reshape(N, H.shape[1], 2 * M) @ T["idft"]


def so3_analysis(x: torch.Tensor, T: dict[str, torch.Tensor]) -> torch.Tensor:
    """Real ``(N, 2b, 2b, 2b)`` ``[β, α, γ]`` → ``F̂ (N, L, 2L−1, L)`` ``[m ≥ 0, n, l]``."""
    N, b2 = x.shape[0], x.shape[1]
    K2, M2 = T["ana_g"].shape[1], T["ana_a"].shape[0]
    K, M = K2 // 2, M2 // 2
    Y = x @ T["ana_g"]  # (N, j, α, [Yr | Yi] over n)
    P = (T["ana_a"] @ Y).view(N, b2, 2, M, 2, K)  # [cos|sin] × [Yr|Yi]
    Zr = P[:, :, 0, :, 0] - P[:, :, 1, :, 1]  # (N, j, m, n)
    Zi = P[:, :, 0, :, 1] + P[:, :, 1, :, 0]
    Z = torch.stack([Zr, Zi], dim=1).permute(3, 4, 0, 1, 2).reshape(M * K, 2 * N, b2)
    F = torch.bmm(Z, T["ana_b"]).view(M, K, N, 2, -1).permute(2, 0, 1, 4, 3)  # (N, m, n, l, r)
    return torch.view_as_complex(F.contiguous())


def so3_synthesis(G: torch.Tensor, T: dict[str, torch.Tensor]) -> torch.Tensor:
    """``Ĝ (N, L, 2L−1, L)`` ``[m ≥ 0, k, l]`` → real ``(N, 2b, 2b, 2b)`` ``[β, α, γ]``."""
    G = G.resolve_conj()
    N, M, K, L = G.shape
    A = torch.view_as_real(G).permute(1, 2, 3, 0, 4).reshape(M * K, L, 2 * N)
    H = torch.bmm(T["syn_b"], A)  # (m·k, j, N·r)
    b2 = H.shape[1]
    H = H.view(M, K, b2, N, 2).permute(3, 2, 0, 4, 1).reshape(N, b2, M, 2 * K)  # [Hr | Hi]
    Z = (H @ T["syn_g"]).view(N, b2, M, 2, b2).transpose(2, 3).reshape(N, b2, 2 * M, b2)
    return T["syn_a"] @ Z  # (N, j, α, γ)
