# SPDX-License-Identifier: MIT
"""Packed complex spectra ↔ the engine's half spectra (private; used by ``_fft``).

Packed (DESIGN.md): S² ``(N, L²)`` complex, index ``l² + l + m``; SO(3) ``(N, L(4L²−1)/3)``,
index ``l(4l²−1)/3 + (m+l)(2l+1) + (n+l)``. Engine (``gconv.spherical.engine``): real
``(L, 2, N, L)`` ``[m ≥ 0, re/im, N, l]`` and ``(L, 2L−1, 2, N, L)`` ``[m ≥ 0, n+L−1, re/im,
N, l]``, spectra of real signals, whose rows m < 0 follow from ``f̂_{l,−m} = (−1)^m
conj(f̂_lm)`` and ``F̂^l_{−m,−n} = (−1)^{m−n} conj(F̂^l_mn)``. The engine's "rows" below are its
(m, l) resp. (m, n, l) cells, in its order.

- ``from_half``: engine spectrum of a real signal → packed (all m, by the symmetry): one
  transpose of the engine spectrum to signal-major (blocks of L degrees), one gather, one sign
  flip.
- ``to_half``: packed spectrum c of a complex signal f = u + iv → the engine spectra of u and
  v stacked along N (``[û; v̂]``, 2N signals; û only when ``real``): with ``c̃`` the spectrum of
  conj(f) (``c̃_lm = (−1)^m conj(c_{l,−m})``), ``û = (c + c̃)/2`` and ``v̂ = (c − c̃)/2i``. Only
  the cells with max(m, |n|) ≤ l (a third of the dense layout) are gathered and combined, then
  transposed to signal-inner and spread (with zeros) over a spectrum stored ``[cell, re/im,
  N]``, which the engine takes as a strided view (its first matmul reads the transposed
  operand).

>>> import torch
>>> c = torch.randn(3, 9, dtype=torch.complex128)     # S², L = 3
>>> u, v = from_half("s2", to_half("s2", c, real=False)).chunk(2)
>>> bool(torch.allclose(u + 1j * v, c))
True
"""

from __future__ import annotations

import math

import torch

from .._util import cached_tensors
from . import engine as hm

__all__ = ["from_half", "to_half"]


def _degree(kind: str, size: int) -> int:
    """L from a packed length (exact; the caller has checked it)."""
    return math.isqrt(size) if kind == "s2" else round((0.75 * size) ** (1 / 3))


def _cells(kind: str, L: int) -> tuple[torch.Tensor, ...]:
    """Engine cells (m ≥ 0, k, l) in its order (k = 0 on S²) and whether each is used."""
    ks = torch.zeros(1, dtype=torch.long) if kind == "s2" else torch.arange(-(L - 1), L)
    m, k, l = torch.cartesian_prod(torch.arange(L), ks, torch.arange(L)).unbind(1)
    return m, k, l, (m <= l) & (k.abs() <= l)


def _packed_index(kind: str, l: torch.Tensor, m: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    if kind == "s2":
        return l * l + l + m
    return l * (4 * l * l - 1) // 3 + (m + l) * (2 * l + 1) + (k + l)


@cached_tensors(32)
def _maps(kind: str, L: int, dtype: torch.dtype, device: str) -> dict[str, torch.Tensor]:
    """Index and weight tables of both directions (weights in ``dtype``)."""
    m, k, l, ok = _cells(kind, L)
    K = 1 if kind == "s2" else 2 * L - 1
    r = torch.arange(2)
    # packed → engine: used cells only; A reads c at (m, k), B at (−m, −k)
    vm, vk, vl = m[ok], k[ok], l[ok]
    a, b = _packed_index(kind, vl, vm, vk), _packed_index(kind, vl, -vm, -vk)
    par = 1.0 - 2.0 * ((vm - vk) % 2).to(torch.float64)
    half = torch.tensor([0.5, 0.5], dtype=torch.float64)
    ia_p, ib_p = 2 * a[:, None] + r, 2 * b[:, None] + r  # û = (c + c̃)/2
    wa_p, wb_p = half.expand(len(a), 2), 0.5 * par[:, None] * torch.tensor([1.0, -1.0])
    ia_q, ib_q = 2 * a[:, None] + 1 - r, 2 * b[:, None] + 1 - r  # v̂ = (c − c̃)/2i
    wa_q, wb_q = torch.tensor([0.5, -0.5]).expand(len(a), 2), 0.5 * par[:, None].expand(-1, 2)
    rows = (2 * torch.nonzero(ok) + r).reshape(-1)  # (cell, re/im) of each combined value
    dense = torch.full((2 * len(ok),), len(rows))
    dense[rows] = torch.arange(len(rows))
    # engine → packed: every packed entry reads its cell (m<0: the mirrored one, conjugated)
    pl = torch.cat([torch.full(((2 * j + 1) ** (1 if kind == "s2" else 2),), j) for j in range(L)])
    if kind == "s2":
        pm, pk = torch.cat([torch.arange(-j, j + 1) for j in range(L)]), torch.zeros_like(pl)
    else:
        mk = [
            torch.cartesian_prod(torch.arange(-j, j + 1), torch.arange(-j, j + 1)) for j in range(L)
        ]
        pm, pk = torch.cat(mk).unbind(1)
    neg = pm < 0
    outer = pm.abs() * K + torch.where(neg, -pk, pk) + (K - 1) // 2  # the cell's (m, k)
    p = 1.0 - 2.0 * ((pm - pk) % 2).to(torch.float64)
    sign = torch.stack([torch.where(neg, p, 1.0), torch.where(neg, -p, 1.0)], dim=-1)
    out = {
        "i_p": torch.cat([ia_p.reshape(-1), ib_p.reshape(-1)]),
        "w_p": torch.stack([wa_p.reshape(-1), wb_p.reshape(-1)]),
        "i_pq": torch.cat(
            [torch.cat([ia_p, ia_q]).reshape(-1), torch.cat([ib_p, ib_q]).reshape(-1)]
        ),
        "w_pq": torch.stack(
            [torch.cat([wa_p, wa_q]).reshape(-1), torch.cat([wb_p, wb_q]).reshape(-1)]
        ),
        "dense": dense,  # row of [combined values; 0] for each (cell, re/im) of the engine
        "from": ((2 * outer[:, None] + r) * L + pl[:, None]).reshape(-1),  # in [(m, k), re/im, l]
        "sign": sign,
    }
    return {key: v.to(device, dtype if v.is_floating_point() else None) for key, v in out.items()}


def _engine_view(kind: str, G: torch.Tensor, L: int) -> torch.Tensor:
    """``[cell, re/im, N]`` storage ``(cells·2, N)`` → the engine's spectrum shape (a view)."""
    if kind == "s2":
        return G.view(L, L, 2, -1).permute(0, 2, 3, 1)
    return G.view(L, 2 * L - 1, L, 2, -1).permute(0, 1, 3, 4, 2)


def _empty(slot: str, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
    """A temporary no autograd graph keeps: the engine's reused CPU scratch buffer of this slot
    (``engine.scratch_bytes``/``clear_scratch``; fresh pages of large blocks are faulted in on
    every call otherwise), or a fresh tensor."""
    buf = hm._scratch(slot, shape, like)
    return torch.empty(shape, dtype=like.dtype, device=like.device) if buf is None else buf


def to_half(kind: str, c: torch.Tensor, real: bool) -> torch.Tensor:
    """Packed ``(N, S)`` complex → engine spectrum of ``[u; v]`` (2N signals; u only, N
    signals, when ``real``), a strided view of a ``[cell, re/im, signal]`` tensor (in a scratch
    buffer, slot "pack_p", when no autograd graph is built)."""
    N, L = c.shape[0], _degree(kind, c.shape[1])
    mp = _maps(kind, L, c.real.dtype, str(c.device))
    i, w = (mp["i_p"], mp["w_p"]) if real else (mp["i_pq"], mp["w_pq"])
    h = 1 if real else 2
    cr = torch.view_as_real(c).reshape(N, -1)
    if torch.is_grad_enabled() and c.requires_grad:
        X = cr.index_select(1, i).view(N, 2, -1)
        P = X[:, 1] * w[1]
        P.addcmul_(X[:, 0], w[0])  # (N, (h, cell, re/im)): used cells only
        Pt = P.view(N, h, -1).permute(2, 1, 0).reshape(-1, h * N)
        G = torch.cat([Pt, Pt.new_zeros(1, h * N)]).index_select(0, mp["dense"])
        return _engine_view(kind, G, L)
    # the same without a graph, in scratch buffers (slot pack_x: X then Pt; pack_p: P then G)
    X = torch.index_select(cr, 1, i, out=_empty("pack_x", (N, i.numel()), cr)).view(N, 2, -1)
    P = torch.mul(X[:, 1], w[1], out=_empty("pack_p", (N, i.numel() // 2), cr))
    P.addcmul_(X[:, 0], w[0])
    Pt = _empty("pack_x", (P.shape[1] // h + 1, h, N), cr)
    Pt[:-1].copy_(P.view(N, h, -1).permute(2, 1, 0))
    Pt[-1].zero_()
    G = _empty("pack_p", (len(mp["dense"]), h * N), cr)
    torch.index_select(Pt.view(-1, h * N), 0, mp["dense"], out=G)
    return _engine_view(kind, G, L)


def from_half(kind: str, F: torch.Tensor) -> torch.Tensor:
    """Engine spectrum ``(L, 2, N, L)`` / ``(L, 2L−1, 2, N, L)`` → packed ``(N, S)`` complex."""
    L, N = F.shape[0], F.shape[-2]
    mp = _maps(kind, L, F.dtype, str(F.device))
    Fv = F.reshape(-1, N, L).transpose(0, 1)  # [N, ((m, k), re/im), l]
    buf = hm._scratch("pack_x", tuple(Fv.shape), F)
    Ft = Fv.reshape(N, -1) if buf is None else buf.copy_(Fv).view(N, -1)
    y = Ft.index_select(1, mp["from"]).view(N, -1, 2)
    return torch.view_as_complex(y.mul_(mp["sign"]))
