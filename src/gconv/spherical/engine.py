# SPDX-License-Identifier: MIT
"""The real-signal spherical transform engine: half spectra, grid-major, one matmul per stage.

Public module for layer authors (``gconv.nn`` builds its spherical layers on it); the packed
complex FFTs ``s2_fft``/``so3_fft`` of ``gconv.spherical`` keep DESIGN.md's layout. Conventions
and normalisation are the package's: ``f̂_lm = ∫ f conj(Y_lm) dx``, ``f̂^l_mn = ∫ f conj(D^l_mn)
dR`` (Haar, ∫1 = 1), SOFT grids of bandwidth b, degrees l < L ≤ b.

Real signals only. Their spectra obey ``f̂_{l,−m} = (−1)^m conj(f̂_lm)`` and
``F̂^l_{−m,−n} = (−1)^{m−n} conj(F̂^l_mn)``, so only rows m ≥ 0 are kept (half spectra) and
synthesis is ``Re Σ_{m≥0} c_m (…)`` with c_0 = 1, c_m = 2. Azimuthal transforms (α, γ) are
truncated DFTs done as matmuls (only |m|, |n| < L are needed), β transforms are batched
matmuls against Wigner-d tables.

Layouts (real tensors, dense, zero-padded, batch-inner, re/im as an axis):

- S² spectrum ``(L, 2, N, L)`` ``[m, re/im, signal, l]`` (m = 0..L−1, zero where m > l);
- SO(3) spectrum ``(L, 2L−1, 2, N, L)`` ``[m, n + L − 1, re/im, signal, l]`` (zero where
  max(m, |n|) > l);
- grid-major signals: S² ``(N, 2b, 2b)`` ``[β, α]`` stored as ``[α, N, β]`` and SO(3)
  ``(*lead, 2b, 2b, 2b)`` ``[β, α, γ]`` stored as ``[α, γ, *lead, β]`` (like channels-last:
  shape and values as usual, ``.is_contiguous()`` false). Synthesis returns them, analysis
  takes them (and plain contiguous signals) without a copy, and elementwise ops keep them.

Functions: ``s2_tables``/``so3_tables`` (float64 tables for (b, L), cached), ``s2_analysis``,
``s2_synthesis``, ``so3_analysis``, ``so3_synthesis`` (differentiable; the SO(3) ones have
hand-written backward passes that keep no grid-sized temporary), ``so3_analysis_channels``
(``(B, C, …)`` signals, also stored ``[α, γ, C, B, β]``). S² → SO(3) correlation with a filter
on β-rings, synthesised over (input channel, ring) instead of output channels:
``ring_layout``, ``s2_ring_tables``, ``s2_ring_synthesis`` (its output is stored
``[α, γ, C_out, B, β]``; see ``gconv.spherical._ring``).

Scratch memory: on the CPU, grid-sized temporaries that no autograd graph keeps go to two
reused buffers per (dtype, thread) (two more for the packed FFTs of ``gconv.spherical``), each
at most ``SCRATCH_MAX_BYTES`` (256 MiB; larger
temporaries are allocated normally), because faulting in fresh pages on every call costs about
as much as the arithmetic. ``scratch_bytes()`` reports what is held, ``clear_scratch()`` frees it.
Other devices use their caching allocators (no scratch).

>>> import torch
>>> T = so3_tables(4, 3)
>>> x = torch.randn(5, 8, 8, 8, dtype=torch.float64)
>>> so3_analysis(x, T).shape  # (L, 2L−1, re/im, N, L)
torch.Size([3, 5, 2, 5, 3])
"""

from __future__ import annotations

import math
import threading

import torch

from .._precision import full_precision
from .._util import cached_tensors
from ..groups import quadrature_weights, wigner_d_iter
from ._ring import ring_layout, s2_ring_synthesis, s2_ring_tables

__all__ = [
    "s2_tables",
    "so3_tables",
    "s2_analysis",
    "s2_synthesis",
    "so3_analysis",
    "so3_synthesis",
    "so3_analysis_channels",
    "cast_table",
    "ring_layout",
    "s2_ring_tables",
    "s2_ring_synthesis",
    "clear_scratch",
    "scratch_bytes",
    "SCRATCH_MAX_BYTES",
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


@cached_tensors(16)
def _s2_tables(b: int, L: int) -> dict[str, torch.Tensor]:
    m = torch.arange(L, dtype=torch.float64)
    cos, sin = _trig(b, m)
    d = _d_table(b, L)[:, :, L - 1, :]  # d^l_{m0}(β_j): (2b, L_m, L)
    norm = torch.sqrt((2 * torch.arange(L, dtype=torch.float64) + 1) / (4 * math.pi))
    w = quadrature_weights(b).to(torch.float64) * math.pi / b
    c = torch.where(m == 0, 1.0, 2.0)
    return {
        "dft": torch.cat([cos, -sin], dim=1),  # x @ dft = Σ_α x e^{−imα}: (2b, [re|im]·m)
        "ana": (w[:, None, None] * d * norm).permute(1, 0, 2).contiguous(),  # (m, j, l)
        "syn": (c[:, None, None] * (d * norm).permute(1, 2, 0)).contiguous(),  # (m, l, j)
        "idft": torch.stack([cos.T, -sin.T], dim=1).reshape(2 * L, 2 * b),  # Re Σ_m H e^{imα}
    }


@cached_tensors(16)
def _so3_tables(b: int, L: int) -> dict[str, torch.Tensor]:
    m = torch.arange(L, dtype=torch.float64)
    n = torch.arange(-(L - 1), L, dtype=torch.float64)
    cm, sm = _trig(b, m)  # (2b, M)
    cn, sn = _trig(b, n)  # (2b, K)
    d = _d_table(b, L)
    q = quadrature_weights(b).to(torch.float64) / (2 * (2 * b) ** 2)
    c = torch.where(m == 0, 1.0, 2.0)
    deg = 2 * torch.arange(L, dtype=torch.float64) + 1
    MK = L * (2 * L - 1)
    syn_b = (c[None, :, None, None] * d * deg).permute(1, 2, 3, 0).reshape(MK, L, 2 * b)
    return {
        # analysis: U = ana_a @ x (rows (m, [cos|sin](mα))), then U·(…) @ ana_g gives
        # Σ_α Σ_γ x e^{imα} e^{inγ} with columns (n, [re|im]): re = cc − ss, im = cs + sc
        "ana_a": torch.stack([cm.T, sm.T], dim=1).reshape(2 * L, 2 * b),
        "ana_g": torch.stack([torch.stack([cn, sn], dim=2), torch.stack([-sn, cn], dim=2)]).reshape(
            4 * b, 2 * (2 * L - 1)
        ),
        "ana_b": (q[:, None, None, None] * d)
        .permute(1, 2, 0, 3)
        .reshape(MK, 2 * b, L)
        .contiguous(),
        "syn_b": syn_b.contiguous(),  # (m·k, l, j): c_m (2l+1) d^l_mk(β_j)
        # Z = Σ_k H e^{−ikγ}: rows ([re|im], γ), columns (k, [re|im]) of H
        "syn_g": torch.stack([torch.stack([cn, sn], dim=2), torch.stack([-sn, cn], dim=2)]).reshape(
            4 * b, 2 * (2 * L - 1)
        ),
        # Re Σ_m Z e^{−imα}: columns (m, [re|im]) of Z
        "syn_a": torch.stack([cm, sm], dim=2).reshape(2 * b, 2 * L),
    }


def cast_table(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``t`` cast to ``dtype`` with entries below ``eps(dtype)² · max|t|`` set to zero.

    Wigner-d tables hold values down to ~1e−136 near the poles at large l (b = 42, L = 35):
    cast to float32 they are subnormal, and so are their products with the signals, and
    subnormal arithmetic on x86 is much slower (``benchmarks/spherical_subnormal.py``: an SO(3) synthesis at b = 42, L = 35
    took 0.11× the time with cleaned tables, the analysis 0.71×). The entries dropped change
    any sum by less than eps² of its largest term.
    """
    out = t.to(dtype)
    if not out.is_floating_point() or out.numel() == 0:
        return out
    cut = torch.finfo(dtype).eps ** 2 * out.abs().max()
    return torch.where(out.abs() < cut, torch.zeros((), dtype=dtype, device=out.device), out)


def s2_tables(b: int, L: int) -> dict[str, torch.Tensor]:
    """Fresh float64 copies of the S² tables for grid bandwidth b and degrees l < L."""
    return {k: v.clone() for k, v in _s2_tables(b, L).items()}


def so3_tables(b: int, L: int) -> dict[str, torch.Tensor]:
    """Fresh float64 copies of the SO(3) tables for grid bandwidth b and degrees l < L."""
    return {k: v.clone() for k, v in _so3_tables(b, L).items()}


#: two flat buffers per (dtype, thread), slots "a" and "b", for grid-sized temporaries
_SCRATCH: dict[tuple, torch.Tensor] = {}
#: (buffer key, shape) → (buffer, the view of its start handed out for that shape), at most 64
_VIEWS: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}
SCRATCH_MAX_BYTES = 256 * 2**20


def clear_scratch() -> None:
    """Free the scratch buffers (they are rebuilt on demand)."""
    _SCRATCH.clear()
    _VIEWS.clear()


def scratch_bytes() -> int:
    """Bytes held by the scratch buffers now: ≤ 2 · SCRATCH_MAX_BYTES per dtype, thread and
    inference mode for the layers' slots, 4 · once the packed FFTs (slots ``pack_x``,
    ``pack_p``) have run."""
    return sum(t.numel() * t.element_size() for t in _SCRATCH.values())


def _scratch(slot: str, shape: tuple[int, ...], *operands: torch.Tensor) -> torch.Tensor | None:
    """A reused CPU buffer for a grid-sized temporary that no autograd graph keeps (grad off,
    or no operand needing it), else None (the caller allocates as usual).

    Under glibc's defaults fresh blocks of this size are faulted in page by page on every call,
    which cost about as much as the arithmetic. Each pass of a transform uses slot "a" then
    slot "b" and consumes both before it returns, so two buffers per thread and dtype, as large
    as the largest temporary seen (≤ 256 MiB), serve every layer (a second pair under
    ``torch.inference_mode``); other devices have caching allocators and get None.
    """
    x = operands[0]
    if torch.is_grad_enabled() and any(t.requires_grad for t in operands):
        return None
    if x.device.type != "cpu" or torch.compiler.is_compiling():  # (traced: no thread ids)
        return None
    # a buffer made under inference mode is an inference tensor, which may not be written
    # outside it: one set of buffers per mode
    key = (slot, x.dtype, threading.get_ident(), torch.is_inference_mode_enabled())
    buf, hit = _SCRATCH.get(key), _VIEWS.get((key, shape))
    if hit is not None and hit[0] is buf:  # the same view again (no slicing ops)
        return hit[1]
    n = math.prod(shape)
    if n * x.element_size() > SCRATCH_MAX_BYTES:
        return None
    if buf is None or buf.numel() < n:
        for k in [k for k in _VIEWS if k[0] == key]:  # views of the old buffer
            del _VIEWS[k]
        buf = _SCRATCH[key] = torch.empty(n, dtype=x.dtype)
    if len(_VIEWS) >= 64:
        _VIEWS.clear()
    view = _VIEWS[key, shape] = (buf, buf[:n].view(shape))
    return view[1]


def _bmm(slot: str, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``torch.bmm(a, b)``, into a :func:`_scratch` buffer where one applies."""
    out = _scratch(slot, (a.shape[0], a.shape[1], b.shape[2]), a, b)
    return torch.bmm(a, b) if out is None else torch.bmm(a, b, out=out)


def _mm(slot: str, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` (2-D), into a :func:`_scratch` buffer where one applies."""
    out = _scratch(slot, (a.shape[0], b.shape[1]), a, b)
    return a @ b if out is None else torch.mm(a, b, out=out)


@full_precision
def s2_analysis(x: torch.Tensor, T: dict[str, torch.Tensor]) -> torch.Tensor:
    """Real ``(N, 2b, 2b)`` → ``f̂ (L, 2, N, L)`` ``[m ≥ 0, re/im, batch, l]``.

    Takes x contiguous or grid-major (``x.permute(2, 0, 1)`` contiguous, as
    :func:`s2_synthesis` returns it) without copying it.
    """
    N, b2 = x.shape[0], x.shape[1]
    M = T["ana"].shape[0]
    if x.permute(2, 0, 1).is_contiguous():
        dft = T["dft"].view(b2, 2, M).permute(2, 1, 0).reshape(2 * M, b2)  # rows (m, re|im)
        X = dft @ x.permute(2, 0, 1).reshape(b2, -1)  # (m, r, N·j)
    else:
        X = (x @ T["dft"]).view(N * b2, 2, M).permute(2, 1, 0).contiguous()  # (m, r, N·j)
    return torch.bmm(X.view(M, 2 * N, b2), T["ana"]).view(M, 2, N, -1)


@full_precision
def s2_synthesis(g: torch.Tensor, T: dict[str, torch.Tensor]) -> torch.Tensor:
    """``ĝ (L, 2, N, L)`` → real ``(N, 2b, 2b)``: Re Σ_{m≥0} c_m Σ_l ĝ_lm Y_lm, stored grid-major
    (a permuted view of a contiguous ``[α, N, β]`` tensor; see :func:`so3_synthesis`)."""
    M, _, N, L = g.shape
    H = torch.bmm(g.reshape(M, 2 * N, L), T["syn"])  # (m, r·N, j)
    b2 = H.shape[-1]
    out = T["idft"].T @ H.view(2 * M, N * b2)  # (α, N, j)
    return out.view(b2, N, b2).permute(1, 2, 0)


class _SO3AnalysisGridMajor(torch.autograd.Function):
    """so3_analysis of a grid-major signal, given as its ``(2b, 2b·N·2b)`` ``[α, (γ, N, β)]``
    matrix → ``(L(2L−1), 2N, L)``. The tables are constants, so no grid-sized temporary of
    either pass is kept for backward: they all go to scratch buffers. Views stay outside, so
    in-place ops on the results are allowed."""

    @staticmethod
    def forward(ctx, xp, A, g, B, N):  # noqa: ANN001, ANN205
        ctx.save_for_backward(A, g, B)
        M, b2 = A.shape[0] // 2, A.shape[1]
        U = _mm("a", A, xp)  # ((m, c|s), γ, N, j)
        Z = _bmm("b", g.expand(M, *g.shape), U.view(M, 2 * b2, N * b2))  # (m, n, r, N, j)
        return torch.bmm(Z.view(-1, 2 * N, b2), B)

    @staticmethod
    def backward(ctx, grad):  # noqa: ANN001, ANN205
        A, g, B = ctx.saved_tensors
        M, b2, N = A.shape[0] // 2, A.shape[1], grad.shape[1] // 2
        gZ = _bmm("a", grad, B.transpose(1, 2))  # (m, n, r, N, j)
        gU = _bmm("b", g.T.expand(M, *g.T.shape), gZ.view(M, g.shape[0], N * b2))
        return A.T @ gU.view(2 * M, -1), None, None, None, None


@full_precision
def so3_analysis(x: torch.Tensor, T: dict[str, torch.Tensor]) -> torch.Tensor:
    """Real ``(N, 2b, 2b, 2b)`` ``[β, α, γ]`` → ``F̂ (L, 2L−1, 2, N, L)``.

    Two memory layouts of x, no copy of the grid in either: the plain contiguous one, and the
    grid-major one that :func:`so3_synthesis` returns (``x.permute(2, 3, 0, 1)`` contiguous,
    i.e. stored as ``[α, γ, N, β]``), where every stage is one plain matmul.
    """
    N, b2 = x.shape[0], x.shape[1]
    A = T["ana_a"]
    M = A.shape[0] // 2
    if x.permute(2, 3, 0, 1).is_contiguous():
        xp = x.permute(2, 3, 0, 1).reshape(b2, -1)
        F = _SO3AnalysisGridMajor.apply(xp, A, T["ana_g"].T, T["ana_b"], N)
        return F.view(M, -1, 2, N, F.shape[-1])
    # bmm with an expanded operand: no hidden copy of x (as A @ x would make);
    # U is (N·j, (m, c|s), γ)
    U = _bmm("a", A.expand(N * b2, *A.shape), x.reshape(N * b2, b2, b2))
    Z = U.view(N * b2 * M, 2 * b2) @ T["ana_g"]  # (N, j, m, n, [re|im])
    Z = Z.view(N * b2, -1).T.contiguous()  # (m, n, [re|im], N, j)
    return torch.bmm(Z.reshape(-1, 2 * N, b2), T["ana_b"]).view(M, -1, 2, N, T["ana_b"].shape[-1])


def _grid_major(
    lead: tuple[int, ...], b2: int, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """A fresh ``(*lead, 2b, 2b, 2b)`` ``[β, α, γ]`` tensor stored ``[α, γ, *lead, β]`` (a base
    tensor, not a view, so autograd lets in-place ops on it through cheaply)."""
    inner = [b2]  # strides of (*lead, β) in the stored order, innermost first
    for n in reversed(lead):
        inner.append(inner[-1] * n)
    n_all = inner[-1]  # N·2b
    stride = (*inner[:-1][::-1], 1, b2 * n_all, n_all)
    return torch.empty_strided((*lead, b2, b2, b2), stride, dtype=dtype, device=device)


class _SO3Synthesis(torch.autograd.Function):
    """so3_synthesis from ``(L(2L−1), 2N, L)`` to a grid-major ``(*lead, 2b, 2b, 2b)`` tensor.
    The tables are constants, so no grid-sized temporary of either pass is kept for backward:
    they all go to scratch buffers. The result is a base tensor (no view), so in-place ops on it
    (``ReLU(inplace=True)``) cost nothing extra in autograd."""

    @staticmethod
    def forward(ctx, G, B, W, A, lead):  # noqa: ANN001, ANN205
        ctx.save_for_backward(B, W, A)
        M, b2 = A.shape[1] // 2, B.shape[2]
        H = _bmm("a", G, B)  # (m, k, r, N, j)
        Z = _bmm("b", W.expand(M, *W.shape), H.view(M, -1, G.shape[1] // 2 * b2))  # (m, r, γ, N, j)
        out = _grid_major(lead, b2, G.dtype, G.device)
        k = len(lead)
        torch.mm(A, Z.view(2 * M, -1), out=out.permute(k + 1, k + 2, *range(k + 1)).view(b2, -1))
        return out

    @staticmethod
    def backward(ctx, grad):  # noqa: ANN001, ANN205
        B, W, A = ctx.saved_tensors
        M, K, b2 = A.shape[1] // 2, W.shape[1] // 2, B.shape[2]
        k = grad.dim() - 3
        g = grad.permute(k + 1, k + 2, *range(k + 1)).reshape(b2, -1)  # (α, γ, N, j)
        N = g.shape[1] // (b2 * b2)
        gZ = _mm("a", A.T, g)  # (m, r, γ, N, j)
        gH = _bmm("b", W.T.expand(M, *W.T.shape), gZ.view(M, -1, N * b2))  # (m, k, r, N, j)
        gG = torch.bmm(gH.view(M * K, 2 * N, b2), B.transpose(1, 2))
        return gG, None, None, None, None


@full_precision
def so3_synthesis(
    G: torch.Tensor, T: dict[str, torch.Tensor], lead: tuple[int, ...] | None = None
) -> torch.Tensor:
    """``Ĝ (L, 2L−1, 2, N, L)`` → real ``(*lead, 2b, 2b, 2b)`` ``[β, α, γ]`` (lead = (N,) by
    default, or any shape with N elements), stored grid-major.

    Stored ``[α, γ, *lead, β]`` (like PyTorch's channels-last): shape and values as usual, and
    :func:`so3_analysis`, elementwise ops and ``reshape`` take it without copying; making it
    contiguous would cost a full transpose.
    """
    M, K, _, N, L = G.shape
    lead = (N,) if lead is None else tuple(lead)
    if math.prod(lead) != N:
        raise ValueError(f"lead {lead} does not hold the spectrum's {N} signals")
    return _SO3Synthesis.apply(G.reshape(M * K, 2 * N, L), T["syn_b"], T["syn_g"], T["syn_a"], lead)


@full_precision
def so3_analysis_channels(x: torch.Tensor, T: dict[str, torch.Tensor]) -> torch.Tensor:
    """Real ``(B, C, 2b, 2b, 2b)`` → ``F̂ (L, 2L−1, 2, B, C, L)`` (possibly a strided view).

    Takes, without copying the grid, the layouts :func:`so3_analysis` takes for ``(B·C, …)``
    and also ``[α, γ, C, B, β]`` storage (what :func:`s2_ring_synthesis` returns); then the
    spectrum's (B, C) axes are a transposed view.
    """
    B, C, b2 = x.shape[0], x.shape[1], x.shape[2]
    M = T["ana_a"].shape[0] // 2
    xp = x.permute(3, 4, 1, 0, 2)
    if B > 1 and C > 1 and xp.is_contiguous() and not x.permute(3, 4, 0, 1, 2).is_contiguous():
        F = _SO3AnalysisGridMajor.apply(
            xp.reshape(b2, -1), T["ana_a"], T["ana_g"].T, T["ana_b"], B * C
        )
        return F.view(M, -1, 2, C, B, F.shape[-1]).transpose(3, 4)
    F = so3_analysis(x.reshape(B * C, *x.shape[2:]), T)
    return F.view(M, F.shape[1], 2, B, C, F.shape[-1])
