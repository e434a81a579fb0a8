# SPDX-License-Identifier: MIT
"""Streamed SO(3) transforms for large grids (private; ``gconv.spherical`` uses them past
``gconv.groups.STORE_MAX_B`` = 64).

``engine.so3_tables`` holds d^l_mn(β_j) for all degrees at once: O(b⁴) memory (its float64
tables for b = L = 64 are 1.1 GB). These functions generate d^l degree by degree
(``wigner_d_iter``) and use them in blocks of consecutive degrees of at most
``STREAM_BLOCK_BYTES``: O(b³) table memory. Same layouts, conventions and values as
``engine.so3_analysis`` / ``engine.so3_synthesis`` (the same azimuthal tables and stages; the β
stage is one ``bmm`` per block and order m); plain autograd, no scratch buffers.

>>> import torch
>>> from gconv.spherical import engine
>>> x = torch.randn(2, 8, 8, 8, dtype=torch.float64)
>>> F = so3_analysis_streamed(x, 3)
>>> bool(torch.allclose(F, engine.so3_analysis(x, engine.so3_tables(4, 3))))
True
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

from .._util import cached_tensors
from ..groups import quadrature_weights, wigner_d_iter
from .engine import cast_table

__all__ = ["STREAM_BLOCK_BYTES", "so3_analysis_streamed", "so3_synthesis_streamed"]


def _trig(b: int, freqs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """cos(fα_k), sin(fα_k): ``(2b, len(freqs))`` for α_k = πk/b (as in the engine)."""
    ang = (math.pi / b) * torch.arange(2 * b, dtype=torch.float64)[:, None] * freqs[None, :]
    return torch.cos(ang), torch.sin(ang)


#: bytes of one block of streamed d-values (the β stage is one bmm per block and order m)
STREAM_BLOCK_BYTES = 64 * 2**20


@cached_tensors(4)
def _so3_azimuthal_tables(b: int, L: int) -> dict[str, torch.Tensor]:
    """The α and γ tables of ``engine.so3_tables`` (float64, O(bL)), without its β tables."""
    cm, sm = _trig(b, torch.arange(L, dtype=torch.float64))
    cn, sn = _trig(b, torch.arange(-(L - 1), L, dtype=torch.float64))
    g = torch.stack([torch.stack([cn, sn], dim=2), torch.stack([-sn, cn], dim=2)])
    return {
        "ana_a": torch.stack([cm.T, sm.T], dim=1).reshape(2 * L, 2 * b),
        "g": g.reshape(4 * b, 2 * (2 * L - 1)),  # ana_g = syn_g of so3_tables
        "syn_a": torch.stack([cm, sm], dim=2).reshape(2 * b, 2 * L),
        "q": quadrature_weights(b).to(torch.float64) / (2 * (2 * b) ** 2),
    }


def _d_blocks(b: int, L: int) -> Iterator[tuple[int, int, torch.Tensor]]:
    """Yield ``(l0, l1, D)``: ``D (l1, 2l1−1, 2b, l1−l0)`` float64 ``[m, n+l1−1, j, l−l0] =
    d^l_mn(β_j)`` for l0 ≤ l < l1, m ≥ 0 (zero where max(m, |n|) > l), at most
    STREAM_BLOCK_BYTES each (one degree at least); degrees in increasing order."""
    betas = math.pi * (2 * torch.arange(2 * b, dtype=torch.float64) + 1) / (4 * b)
    it = wigner_d_iter(betas, L - 1, reuse=True)
    l0 = 0
    while l0 < L:
        w = 1
        while l0 + w < L and (w + 1) * (l0 + w + 1) * (2 * l0 + 2 * w + 1) * 16 * b <= (
            STREAM_BLOCK_BYTES
        ):
            w += 1
        l1 = l0 + w
        D = torch.zeros(l1, 2 * l1 - 1, 2 * b, w, dtype=torch.float64)
        for i in range(w):
            l, d = l0 + i, next(it)  # d: (2b, 2l+1, 2l+1) [j, m+l, n+l]
            D[: l + 1, l1 - 1 - l : l1 + l, :, i] = d[:, l:, :].permute(1, 2, 0)
        yield l0, l1, D
        l0 = l1


def so3_analysis_streamed(x: torch.Tensor, L: int) -> torch.Tensor:
    """``engine.so3_analysis`` of a real ``(N, 2b, 2b, 2b)`` signal → ``(L, 2L−1, 2, N, L)``, with
    the Wigner-d values streamed (O(b³) table memory; any layout of x, copied if not
    contiguous)."""
    N, b2 = x.shape[0], x.shape[1]
    T = _so3_azimuthal_tables(b2 // 2, L)
    q, T = T["q"], {k: cast_table(v, x.dtype).to(x.device) for k, v in T.items()}
    K, A = 2 * L - 1, T["ana_a"]
    U = torch.bmm(A.expand(N * b2, *A.shape), x.reshape(N * b2, b2, b2))  # (N·j, (m, c|s), γ)
    Z = (U.view(N * b2 * L, 2 * b2) @ T["g"]).view(N * b2, -1).T  # ((m, n, r), (N, j))
    Z = Z.contiguous().view(L, K, 2 * N, b2)
    rows: list[list[torch.Tensor]] = [[] for _ in range(L)]
    first = [0] * L  # first degree of row m's stored blocks
    for l0, l1, D in _d_blocks(b2 // 2, L):
        D = cast_table(D * q[:, None], x.dtype).to(x.device)
        for m in range(l1):
            Y = torch.bmm(Z[m, L - l1 : L - 1 + l1], D[m])  # (2l1−1, 2N, w)
            if not rows[m]:
                first[m] = l0
            rows[m].append(torch.nn.functional.pad(Y, (0, 0, 0, 0, L - l1, L - l1)))
    F = torch.stack(
        [torch.nn.functional.pad(torch.cat(r, dim=-1), (first[m], 0)) for m, r in enumerate(rows)]
    )
    return F.view(L, K, 2, N, L)


def so3_synthesis_streamed(G: torch.Tensor, b: int) -> torch.Tensor:
    """``engine.so3_synthesis`` of ``Ĝ (L, 2L−1, 2, N, L)`` onto the grid of bandwidth b, with the
    Wigner-d values streamed (O(b³) table memory): real ``(N, 2b, 2b, 2b)``, grid-major."""
    L, K, _, N, _ = G.shape
    b2 = 2 * b
    T = {k: cast_table(v, G.dtype).to(G.device) for k, v in _so3_azimuthal_tables(b, L).items()}
    Gv = G.reshape(L, K, 2 * N, L)
    acc: list[torch.Tensor | None] = [None] * L
    for l0, l1, D in _d_blocks(b, L):
        cm = torch.where(torch.arange(l1) == 0, 1.0, 2.0).to(torch.float64)[:, None, None, None]
        deg = 2 * torch.arange(l0, l1, dtype=torch.float64) + 1  # c_m (2l+1) d^l_mk(β_j)
        D = cast_table(D * deg * cm, G.dtype).to(G.device).transpose(2, 3)  # [m, k, l−l0, j]
        for m in range(l1):
            H = torch.bmm(Gv[m, L - l1 : L - 1 + l1, :, l0:l1], D[m])  # (2l1−1, 2N, 2b)
            a = acc[m]
            if a is not None:
                grow = (2 * l1 - 1 - a.shape[0]) // 2
                H = H + torch.nn.functional.pad(a, (0, 0, 0, 0, grow, grow))
            acc[m] = H
    done = [a for a in acc if a is not None]
    assert len(done) == L  # every m < L got its block (l1 = L in the last one)
    pad = [(K - a.shape[0]) // 2 for a in done]
    H = torch.stack(
        [torch.nn.functional.pad(a, (0, 0, 0, 0, p, p)) for a, p in zip(done, pad, strict=True)]
    )  # (m, k, r, N, j)
    Z = torch.bmm(T["g"].expand(L, *T["g"].shape), H.view(L, 2 * K, N * b2))  # (m, r, γ, N, j)
    out = T["syn_a"] @ Z.view(2 * L, -1)  # (α, γ, N, j)
    return out.view(b2, b2, N, b2).permute(2, 3, 0, 1)
