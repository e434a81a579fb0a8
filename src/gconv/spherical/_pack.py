# SPDX-License-Identifier: MIT
"""Packed complex spectra ↔ the engine's half spectra (private; used by ``_fft``).

Packed (DESIGN.md): S² ``(N, L²)`` complex, index ``l² + l + m``; SO(3) ``(N, L(4L²−1)/3)``,
index ``l(4l²−1)/3 + (m+l)(2l+1) + (n+l)``. Engine (``gconv.spherical.engine``): real
``(L, 2, N, L)`` ``[m ≥ 0, re/im, N, l]`` and ``(L, 2L−1, 2, N, L)`` ``[m ≥ 0, n+L−1, re/im,
N, l]``, spectra of real signals, whose rows m < 0 follow from ``f̂_{l,−m} = (−1)^m
conj(f̂_lm)`` and ``F̂^l_{−m,−n} = (−1)^{m−n} conj(F̂^l_mn)``. The engine's "rows" below are its
(m, l) resp. (m, n, l) cells, in its order.

Every conversion must move the signal axis from outermost (packed) to inside re/im (engine)
or back: one transposing pass at least. At the acceptance sizes the cost is per-op latency
and strided element access, not bandwidth, so each direction is a few large ops:

- ``from_half``: engine spectrum of a real signal → packed (all m, by the symmetry), then one
  sign flip. S² (and SO(3) gathers of more than ``FLAT_MAX`` values): F is transposed to
  signal-major (blocks of L degrees, torch's copy into a scratch buffer), then gathered per
  signal (the reads stay in cache); on S² F holds exactly the packed values' count, so
  without autograd the gather is written back over F and the transform allocates nothing
  beyond the engine's own output. SO(3) up to ``FLAT_MAX`` values: one flat gather
  (``index_select`` on F's storage with a cached int32 index ``row(q)·N·L + n·L + l(q)``, at
  most 8 indices cached), faster there than the transpose (``benchmarks/spherical_pack.py``).
- ``to_half``: packed spectrum c of a complex signal f = u + iv → the engine spectra of 2u and
  2v stacked along N (``[2û; 2v̂]``, 2N signals; 2û only when ``real``): with ``c̃`` the
  spectrum of conj(f) (``c̃_lm = (−1)^m conj(c_{l,−m})``), ``2û = c + c̃`` and ``2v̂ = (c −
  c̃)/i``, so every weight is ±1 and the factor 1/2 goes into the synthesis table (``_fft``;
  exact in floating point). Without autograd on the CPU (S² always, SO(3) from 64 signals
  on) this is one product with a cached sparse matrix, two ±1 entries per engine row (cell, l,
  re/im), A = (m, k) and B = (−m, −k), none for the cells with l < max(m, |k|): COO rows times
  the strided ``cᵀ`` (the transposition happens inside the product), or, for fewer than 64
  signals, ``cᵀ`` copied first (NumPy) times the CSR matrix. The result, stored ``[cell, l,
  re/im, signal]``, is read by the engine's first batched matmul as a transposed operand (a
  view, no copy). Otherwise: S² row gathers of ``cᵀ`` (a zero row appended for the unused
  cells) and one ``addcmul`` (``2û = A + w_b B``), the same layout; SO(3) cell gathers (fewer
  values, the dense layout being 1.5× the packed one): only the cells with max(m, |n|) ≤ l are
  gathered and combined signal-outer, then scattered, transposed, into a spectrum stored
  ``[cell, re/im, signal]`` whose unused rows are zero (one NumPy assignment into a scratch
  buffer zeroed only when another layout used it last; elsewhere a transpose and a row
  gather), again a strided view for the engine.

Without autograd the temporaries live in the engine's scratch buffers (slots ``pack_x``,
``pack_p``, and the engine's slot ``a``, free until the engine runs; the spectrum handed to
the engine is always in ``pack_p``, so ``from_half`` may read it;
``engine.scratch_bytes``/``clear_scratch``). The transposing copies go through NumPy
on the CPU (its strided loops are faster than torch's here).

>>> import torch
>>> c = torch.randn(3, 9, dtype=torch.complex128)     # S², L = 3
>>> u2, v2 = from_half("s2", to_half("s2", c, real=False)).chunk(2)
>>> bool(torch.allclose((u2 + 1j * v2) / 2, c))
True
"""

from __future__ import annotations

import math
import warnings
import weakref

import numpy as np
import torch

from .._util import cached_tensors
from . import engine as hm

__all__ = ["from_half", "to_half"]


def _packed_size(kind: str, L: int) -> int:
    """Packed spectrum length for degrees l < L: L² (S²), L(4L²−1)/3 (SO(3))."""
    return L * L if kind == "s2" else L * (4 * L * L - 1) // 3


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
    ia_p, ib_p = 2 * a[:, None] + r, 2 * b[:, None] + r  # 2û = c + c̃
    wa_p, wb_p = torch.ones(len(a), 2), par[:, None] * torch.tensor([1.0, -1.0])
    ia_q, ib_q = 2 * a[:, None] + 1 - r, 2 * b[:, None] + 1 - r  # 2v̂ = (c − c̃)/i
    wa_q, wb_q = torch.tensor([1.0, -1.0]).expand(len(a), 2), par[:, None].expand(-1, 2)
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
        "rows": rows,  # (cell, re/im) of each combined value: the scatter's target rows
        "from": ((2 * outer[:, None] + r) * L + pl[:, None]).reshape(-1),  # in [(m, k), re/im, l]
        "sign": sign,
    }
    return {key: v.to(device, dtype if v.is_floating_point() else None) for key, v in out.items()}


def _engine_view(kind: str, G: torch.Tensor, L: int) -> torch.Tensor:
    """``[cell, re/im, N]`` storage ``(cells·2, N)`` (the cells in the engine's (m, k, l) order,
    so also ``[(m, k), l, re/im, N]``) → the engine's spectrum shape (a view; the engine's
    batched matmul reads it as a transposed operand, no copy)."""
    if kind == "s2":
        return G.view(L, L, 2, -1).permute(0, 2, 3, 1)
    return G.view(L, 2 * L - 1, L, 2, -1).permute(0, 1, 3, 4, 2)


def _empty(slot: str, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
    """A temporary no autograd graph keeps: the engine's reused CPU scratch buffer of this slot
    (``engine.scratch_bytes``/``clear_scratch``; fresh pages of large blocks are faulted in on
    every call otherwise), or a fresh tensor."""
    buf = hm._scratch(slot, shape, like)
    return torch.empty(shape, dtype=like.dtype, device=like.device) if buf is None else buf


@cached_tensors(32)
def _row_maps(kind: str, L: int, dtype: torch.dtype, device: str) -> dict[str, torch.Tensor]:
    """Rows of ``cᵀ`` (``[(packed index, re/im), signal]``, zero row last) read for each engine
    row ``(cell, l, re/im)`` — A at (m, k), B at (−m, −k) — and their weights: 2û = A + w_b B;
    2v̂ = w_a A' + w_b B' with A', B' the other part (re ↔ im)."""
    m, k, l, ok = _cells(kind, L)
    S = _packed_size(kind, L)
    mc, kc = torch.minimum(m, l), torch.clamp(torch.minimum(k, l), min=-l)  # in range everywhere
    a, b = _packed_index(kind, l, mc, kc), _packed_index(kind, l, -mc, -kc)
    r, okr = torch.arange(2), ok.repeat_interleave(2)

    def rows(idx: torch.Tensor, part: torch.Tensor) -> torch.Tensor:  # invalid cells: zero row
        return torch.where(okr, (2 * idx[:, None] + part).reshape(-1), 2 * S)

    par = 1.0 - 2.0 * ((m - k) % 2).to(torch.float64)
    wb_u = (par[:, None] * torch.tensor([1.0, -1.0])).reshape(-1)
    wb_v, wa_v = par.repeat_interleave(2), torch.tensor([1.0, -1.0]).repeat(len(m))
    out = {
        "rows_p": torch.cat([rows(a, r), rows(b, r)]),
        "wb_p": wb_u[:, None],
        "rows_pq": torch.cat([rows(a, r), rows(a, 1 - r), rows(b, r), rows(b, 1 - r)]),
        "wa_pq": torch.stack([torch.ones_like(wa_v), wa_v])[..., None],
        "wb_pq": torch.stack([wb_u, wb_v])[..., None],
    }
    return {key: v.to(device, dtype if v.is_floating_point() else None) for key, v in out.items()}


@cached_tensors(32)
def _sparse_map(kind: str, L: int, real: bool, dtype: torch.dtype, device: str) -> dict:
    """The row gather and combine of :func:`_row_maps` as one sparse matrix ``(engine rows ·
    (u|v), 2S)`` (entries ±1, two per row at most) acting on ``cᵀ``, COO and CSR."""
    mp = _row_maps(kind, L, torch.float64, "cpu")
    S2 = 2 * _packed_size(kind, L)  # the zero row's index
    if real:
        idx, R = mp["rows_p"].view(2, 1, -1), mp["wb_p"].numel()
        w = torch.stack([torch.ones(R, dtype=torch.float64), mp["wb_p"].view(-1)]).view(2, 1, R)
    else:
        idx, R = mp["rows_pq"].view(2, 2, -1), mp["wb_p"].numel()
        w = torch.stack([mp["wa_pq"].view(2, R), mp["wb_pq"].view(2, R)])
    h = idx.shape[1]
    out_row = (torch.arange(R)[None, :] * h + torch.arange(h)[:, None]).expand(2, h, R)
    keep = idx < S2  # invalid cells (the zero row): no entry
    ij = torch.stack([out_row[keep], idx[keep]])
    with warnings.catch_warnings():  # "sparse CSR support is in beta"
        warnings.simplefilter("ignore")
        M = torch.sparse_coo_tensor(ij, w[keep], (R * h, S2)).coalesce().to(device, dtype)
        return {"coo": M, "csr": M.to_sparse_csr()}


#: largest gather (elements) whose flat index ``from_half`` caches (int32, 4 bytes each)
FLAT_MAX = 2**21


@cached_tensors(8)
def _flat_index(kind: str, L: int, N: int, device: str) -> torch.Tensor:
    """Position in the engine spectrum's storage of each packed value ``[signal, entry, re/im]``
    (int32): ``row(q)·N·L + n·L + l(q)``, with ``row`` the engine's ((m, k), re/im) row."""
    q = _maps(kind, L, torch.float32, "cpu")["from"]
    row, l = q // L, q % L
    idx = (row * (N * L) + l)[None, :] + (torch.arange(N) * L)[:, None]
    return idx.reshape(-1).to(device, torch.int32)


#: id of a scratch base buffer (slot pack_p) → (weak reference, the SO(3) layout whose unused
#: rows it holds as zeros)
_ZEROED: dict[int, tuple[weakref.ref, tuple]] = {}


def _base(t: torch.Tensor) -> torch.Tensor:
    return t if t._base is None else t._base


def _zeroed(G: torch.Tensor, layout: tuple) -> None:
    """Zero G (a view at the start of a scratch buffer) unless its buffer was last written by
    :func:`_to_half_cells` with this layout, which writes only the used rows: the others are
    still zero. Every other writer of slot pack_p calls :func:`_overwritten`; a new buffer
    (after ``clear_scratch``, growth, in another thread or grad mode) is not in the map."""
    base = _base(G)
    seen = _ZEROED.get(id(base))
    if seen is None or seen[0]() is not base or seen[1] != layout:
        G.zero_()
        for key in [k for k, (ref, _) in _ZEROED.items() if ref() is None]:
            del _ZEROED[key]
        _ZEROED[id(base)] = (weakref.ref(base), layout)


def _overwritten(G: torch.Tensor) -> None:
    _ZEROED.pop(id(_base(G)), None)


def _sparse_ok(t: torch.Tensor) -> bool:
    return t.device.type == "cpu"  # (sparse kernels elsewhere, the meta device, are untested)


def _numpy_ok(t: torch.Tensor) -> bool:
    return t.device.type == "cpu" and t.dtype in (torch.float32, torch.float64)


def _strided_copy(dst: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
    """``dst[...] = src`` for a transposing copy (no autograd). On the CPU through NumPy, whose
    strided loops take about half of torch's time on these element-wise transposes
    (``benchmarks/spherical_pack.py``)."""
    if _numpy_ok(dst):
        np.copyto(dst.numpy(), src.detach().numpy())
        return dst
    return dst.copy_(src)


def _graph(*ts: torch.Tensor) -> bool:
    return torch.is_grad_enabled() and any(t.requires_grad for t in ts)


def _to_half_rows(kind: str, c: torch.Tensor, real: bool, L: int) -> torch.Tensor:
    """to_half by row gathers (signal-inner): ``cᵀ`` with a zero row, one row gather of A and
    B, one fused combine; ``[cell, l, re/im, (u|v), signal]`` storage."""
    N, S2 = c.shape[0], 2 * c.shape[1]
    mp = _row_maps(kind, L, c.dtype.to_real(), str(c.device))
    idx = mp["rows_p"] if real else mp["rows_pq"]
    R = idx.numel() // (2 if real else 4)  # engine rows (cell, l, re/im)
    cT = torch.view_as_real(c).view(N, S2).T
    if _graph(c):
        X = torch.cat([cT, cT.new_zeros(1, N)]).index_select(0, idx)
        if real:
            return torch.addcmul(X[:R], X[R:], mp["wb_p"])
        XA, XB = X.view(2, 2, R, N).unbind(0)
        return (XA * mp["wa_pq"] + XB * mp["wb_pq"]).transpose(0, 1).reshape(R, 2 * N)
    h = 1 if real else 2
    # no graph: scratch slot pack_x holds [cᵀ; 0] and X, slot pack_p the result
    sizes = [(S2 + 1) * N, idx.numel() * N]
    Ct, X = _empty("pack_x", (sum(sizes),), cT).split(sizes)
    Ct, X, G = Ct.view(S2 + 1, N), X.view(-1, N), _empty("pack_p", (R, h * N), cT)
    _overwritten(G)
    _strided_copy(Ct[:S2], cT)
    Ct[S2].zero_()
    torch.index_select(Ct, 0, idx, out=X)
    if real:
        return torch.addcmul(X[:R], X[R:], mp["wb_p"], out=G)
    XA, XB = X.view(2, 2, R, N).unbind(0)
    Gt = G.view(R, 2, N).transpose(0, 1)
    torch.mul(XA, mp["wa_pq"], out=Gt)
    Gt.addcmul_(XB, mp["wb_pq"])
    return G


#: from this many signals on, the COO product reads ``cᵀ`` strided (no transposing copy)
SPARSE_COO_MIN = 64
#: from this many signals on, SO(3)'s to_half is the sparse product (S²: always)
SPARSE_SO3_MIN = 64


def _to_half_sparse(kind: str, c: torch.Tensor, real: bool, L: int) -> torch.Tensor:
    """to_half as one sparse product (no graph, CPU) into slot pack_p: the COO matrix times
    the strided ``cᵀ`` (from N ≈ 64 signals on), else ``cᵀ`` copied first (NumPy) times the CSR
    matrix; ``[cell, l, re/im, (u|v), signal]`` storage."""
    N, S2 = c.shape[0], 2 * c.shape[1]
    cT = torch.view_as_real(c).view(N, S2).T
    W = _sparse_map(kind, L, real, c.dtype.to_real(), str(c.device))
    G = _empty("pack_p", (W["coo"].shape[0], N), cT)
    _overwritten(G)
    if N >= SPARSE_COO_MIN:
        torch.addmm(G, W["coo"], cT, beta=0, out=G)
    else:
        torch.mm(W["csr"], _strided_copy(_empty("pack_x", (S2, N), cT), cT), out=G)
    return G.view(-1, (1 if real else 2) * N)  # rows (cell, l, re/im), columns ((u|v), signal)


def _to_half_cells(kind: str, c: torch.Tensor, real: bool, L: int) -> torch.Tensor:
    """to_half by column gathers (signal-outer) of the used cells, combined, then transposed
    and spread over the dense layout; ``[cell, re/im, (u|v), signal]`` storage."""
    N = c.shape[0]
    mp = _maps(kind, L, c.dtype.to_real(), str(c.device))
    i, w = (mp["i_p"], mp["w_p"]) if real else (mp["i_pq"], mp["w_pq"])
    h = 1 if real else 2
    cr = torch.view_as_real(c).reshape(N, -1)
    if _graph(c):
        X = cr.index_select(1, i).view(N, 2, -1)
        P = X[:, 1] * w[1]
        P.addcmul_(X[:, 0], w[0])  # (N, (h, cell, re/im)): used cells only
        Pt = P.view(N, h, -1).permute(2, 1, 0).reshape(-1, h * N)
        G = torch.cat([Pt, Pt.new_zeros(1, h * N)]).index_select(0, mp["dense"])
        return _engine_view(kind, G, L)
    # without a graph in scratch buffers: X (the engine's slot a, free until the engine runs),
    # P (pack_x), G (pack_p, whose unused rows stay zero from the last call of this layout)
    X = torch.index_select(cr, 1, i, out=_empty("a", (N, i.numel()), cr)).view(N, 2, -1)
    P = _empty("pack_x", (N, i.numel() // 2), cr)
    if real:  # the weights of A are all 1
        torch.addcmul(X[:, 0], X[:, 1], w[1], out=P)
    else:
        torch.mul(X[:, 1], w[1], out=P).addcmul_(X[:, 0], w[0])
    G = _empty("pack_p", (len(mp["dense"]), h * N), cr)
    Pt = P.view(N, h, -1).permute(2, 1, 0)
    if _numpy_ok(G):  # one transposing scatter of the used rows (zeroed first where needed)
        _zeroed(G, (kind, L, h * N))
        G.numpy().reshape(-1, h, N)[mp["rows"].numpy()] = Pt.numpy()
    else:  # transpose, then spread with a zero row
        Ptc = cr.new_empty((Pt.shape[0] + 1, h, N))  # (other devices: no scratch anyway)
        Ptc[:-1].copy_(Pt)
        Ptc[-1].zero_()
        torch.index_select(Ptc.view(-1, h * N), 0, mp["dense"], out=G)
        _overwritten(G)
    return _engine_view(kind, G, L)


def to_half(kind: str, c: torch.Tensor, real: bool) -> torch.Tensor:
    """Packed ``(N, S)`` complex → engine spectrum of ``[2u; 2v]`` (2N signals; 2u only, N
    signals, when ``real``; the caller halves the synthesis table): a strided view of a tensor
    in the scratch slot "pack_p" when no autograd graph is built. Row gathers on S², cell
    gathers on SO(3)."""
    L = _degree(kind, c.shape[1])
    if _sparse_ok(c) and not _graph(c) and (kind == "s2" or c.shape[0] >= SPARSE_SO3_MIN):
        G = _to_half_sparse(kind, c, real, L)
    elif kind == "s2":
        G = _to_half_rows(kind, c, real, L)
    else:
        return _to_half_cells(kind, c, real, L)
    return _engine_view(kind, G, L)


def _from_half_signal_major(F: torch.Tensor, mp: dict, N: int, L: int) -> torch.Tensor:
    """F transposed to signal-major ``[N, ((m, k), re/im), l]`` (blocks of L degrees; into
    scratch slot pack_x without a graph), then one gather per signal, written over F where F
    holds exactly the packed values' count (S²) and no graph is built; ``(N, 2S)`` real."""
    Fv = F.reshape(-1, N, L).transpose(0, 1)
    buf = hm._scratch("pack_x", tuple(Fv.shape), F)
    if buf is None:
        return Fv.reshape(N, -1).index_select(1, mp["from"])
    buf.copy_(Fv)  # torch's copy: rows of L values, faster than NumPy's here
    n = N * mp["from"].numel()
    own = F.is_contiguous() and F.numel() == n and F.untyped_storage().nbytes() == n * F.itemsize
    return torch.index_select(buf.view(N, -1), 1, mp["from"], out=F.view(N, -1) if own else None)


def from_half(kind: str, F: torch.Tensor) -> torch.Tensor:
    """Engine spectrum ``(L, 2, N, L)`` / ``(L, 2L−1, 2, N, L)`` → packed ``(N, S)`` complex.

    F must be the engine's fresh output, owned by the caller: where it holds exactly the
    packed values' count (S²) and no graph is built, the result is written over it."""
    L, N = F.shape[0], F.shape[-2]
    mp = _maps(kind, L, F.dtype, str(F.device))
    if kind == "s2" or N * mp["from"].numel() > FLAT_MAX or not F.is_contiguous():
        y = _from_half_signal_major(F, mp, N, L)
    else:  # SO(3), up to FLAT_MAX values: one flat gather from F's storage
        y = F.view(-1).index_select(0, _flat_index(kind, L, N, str(F.device)))
    return torch.view_as_complex(y.view(N, -1, 2).mul_(mp["sign"]))
