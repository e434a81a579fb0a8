# SPDX-License-Identifier: MIT
r"""Fourier transforms on S² and SO(3) on the SOFT grids (batched, differentiable, any device).

Grids and conventions: ``gconv.groups`` (``_soft``, ``_wigner``). Spectra, packed by degree:

.. math:: \hat f_{lm} = ∫_{S²} f\, \overline{Y_{lm}}\, dx,\qquad
          f = Σ_{l<b} Σ_m \hat f_{lm} Y_{lm}\qquad (\text{index } l² + l + m),

.. math:: \hat f^l_{mn} = ∫_{SO(3)} f(R)\, \overline{D^l_{mn}(R)}\, dR,\qquad
          f(R) = Σ_{l<b} (2l+1) Σ_{m,n} \hat f^l_{mn} D^l_{mn}(R)

(normalised Haar measure; index ``l(4l²−1)/3 + (m+l)(2l+1) + (n+l)``). Both are exact for
signals band-limited to b (quadrature of ``gconv.groups.quadrature_weights``).

Algorithm: the layers' real-signal engine (:mod:`gconv.spherical.engine`), with the packed
complex layout converted at the ends (``_pack``). A complex signal ``f = u + iv`` is analysed as
the two real signals u and v (``f̂ = û + i v̂``); the engine's half spectra (m ≥ 0) give the rows
m < 0 by ``f̂_{l,−m} = (−1)^m conj(f̂_lm)`` (SO(3): ``F̂^l_{−m,−n} = (−1)^{m−n} conj(F̂^l_mn)``).
A packed spectrum c is synthesised as ``f = u + iv`` with u, v the real signals of the symmetric
spectra ``(c + c̃)/2`` and ``(c − c̃)/2i``, ``c̃`` the spectrum of ``conj(f)``; ``real=True``
synthesises u only (``_pack`` hands the engine twice these spectra, all weights ±1, and the
synthesis tables here are halved: exact, a power of two). SO(3) grids with
b > ``gconv.groups.STORE_MAX_B`` (64) stream the Wigner-d values degree by degree
(``_stream``; O(b³) rather than O(b⁴) memory).
Few signals of a small S² grid (``DENSE_MAX``, ``DENSE_MAX_WORK``) are instead one matmul with
a cached dense matrix built once from the engine path in float64: there the engine path's fixed
per-call cost (the conversion's small ops) would dominate.
Real outputs of the inverse transforms are stored grid-major (``[α, N, β]`` on S²,
``[α, γ, N, β]`` on SO(3); shape and values as usual, ``.is_contiguous()`` false).

>>> x = torch.randn(2, 8, 8, dtype=torch.float64)        # b = 4
>>> c = s2_fft(s2_ifft(s2_fft(x)))                        # band-limited round trip
>>> bool(torch.allclose(c, s2_fft(x)))
True
"""

from __future__ import annotations

import math

import torch

from gconv._precision import full_precision
from gconv._util import DTypeError, cached_tensors, check_positive_int, check_tensor
from gconv.groups import STORE_MAX_B

from . import engine as hm
from ._pack import _packed_size, from_half, to_half
from ._stream import so3_analysis_streamed, so3_synthesis_streamed

__all__ = ["s2_fft", "s2_ifft", "so3_fft", "so3_ifft", "so3_size", "s2_size"]


def s2_size(b: int) -> int:
    """Number of S² coefficients for degrees l < b: b²."""
    check_positive_int("s2_size", "b", b)
    return _packed_size("s2", b)


def so3_size(b: int) -> int:
    """Number of SO(3) coefficients for degrees l < b: b(4b²−1)/3."""
    check_positive_int("so3_size", "b", b)
    return _packed_size("so3", b)


def _bandwidth_of(size: int, kind: str) -> int:
    b = math.isqrt(size) if kind == "s2" else max(1, round((0.75 * size) ** (1 / 3)))
    for c in (b, b - 1, b + 1):
        if c >= 1 and _packed_size(kind, c) == size:
            return c
    what = "b² (S²)" if kind == "s2" else "b(4b²−1)/3 (SO(3))"
    raise ValueError(f"spectrum length must be {what} for some b >= 1, got {size}")


def _check_bout(b_out: int | None, default: int) -> int:
    if b_out is None:
        return default
    if isinstance(b_out, bool) or not isinstance(b_out, int) or b_out < 1:
        raise ValueError(f"b_out must be a positive int or None, got {b_out!r}")
    return b_out


def _grid_b(x: torch.Tensor, ndim: int, name: str) -> int:
    check_tensor(f"{name}: x", x, floating=False)
    shape = tuple(x.shape[-ndim:])
    if x.dim() < ndim or shape[0] % 2 or len(set(shape)) != 1 or shape[0] == 0:
        want = ", ".join(["2b"] * ndim)
        raise ValueError(f"{name} expects a signal (..., {want}), got shape {tuple(x.shape)}")
    if not (x.is_floating_point() or x.is_complex()):
        raise DTypeError(f"{name} expects a float or complex tensor, got {x.dtype}")
    if x.dtype in (torch.float16, torch.bfloat16, torch.complex32):
        raise DTypeError(
            f"{name} computes in float32 or float64 (complex64/128), got {x.dtype}: cast it "
            f"first (x.float())"
        )
    return shape[0] // 2


def _empty(t: torch.Tensor, lead: torch.Size, tail: tuple[int, ...], real: bool) -> torch.Tensor:
    """The result for a batch with no signals: zeros ``(*lead, *tail)`` (complex unless
    ``real``) in ``t``'s precision and device."""
    dtype = torch.promote_types(t.dtype, torch.complex64)
    return t.new_zeros((*lead, *tail), dtype=dtype.to_real() if real else dtype)


def _resize(c: torch.Tensor, kind: str, src: int, dst: int) -> torch.Tensor:
    """Truncate or zero-pad a packed spectrum from src to dst degrees (last axis)."""
    if dst == src:
        return c
    size = s2_size if kind == "s2" else so3_size
    if dst <= src:
        return c[..., : size(dst)]
    return torch.nn.functional.pad(c, (0, size(dst) - size(src)))


def _spectrum(c: torch.Tensor, name: str, kind: str) -> tuple[torch.Tensor, int]:
    """A packed spectrum ``(..., n)`` checked (a complex tensor, n = b² or b(4b²−1)/3) and its
    bandwidth. A real tensor is refused: it is far more often a grid signal than a spectrum."""
    check_tensor(f"{name}: coeffs", c, floating=False)
    if c.dim() == 0:
        raise ValueError(f"{name} expects a packed spectrum (..., n), got a 0-d tensor")
    b = _bandwidth_of(c.shape[-1], kind)
    if c.dtype == torch.complex32:
        raise DTypeError(f"{name} computes in complex64 or complex128, got {c.dtype}")
    if not c.is_complex():
        grid = "a grid signal? " if c.dim() >= 2 and c.shape[-1] == c.shape[-2] else ""
        fft = "s2_fft" if kind == "s2" else "so3_fft"
        raise DTypeError(
            f"{name} expects a complex packed spectrum, got {c.dtype} of shape "
            f"{tuple(c.shape)} ({grid}{fft} computes a spectrum; for real coefficients pass "
            f"coeffs.to(torch.complex64))"
        )
    return c.resolve_conj(), b


#: the engine's tables of each direction; the one scaled by 1/2 in synthesis (``_pack.to_half``
#: hands over twice the spectrum, so that all its weights are ±1)
_KEYS = {
    ("s2", "ana"): ("dft", "ana"),
    ("s2", "syn"): ("syn", "idft"),
    ("so3", "ana"): ("ana_a", "ana_g", "ana_b"),
    ("so3", "syn"): ("syn_b", "syn_g", "syn_a"),
}
_HALVED = {"syn", "syn_b"}


@cached_tensors(16)
def _tables(kind: str, way: str, b: int, L: int, dtype: torch.dtype, device: str) -> dict:
    """The engine's tables of one direction for (b, L), cast to ``dtype`` on ``device``, the
    synthesis table halved (exact: a power of two); cached, bounded."""
    T = hm.s2_tables(b, L) if kind == "s2" else hm.so3_tables(b, L)
    out = {k: hm.cast_table(T[k], dtype).to(device) for k in _KEYS[kind, way]}
    return {k: v * 0.5 if k in _HALVED else v for k, v in out.items()}


def _streamed(b: int) -> bool:
    return b > STORE_MAX_B


def _real_parts(x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """``(N, …)`` → the real signals the engine analyses (``[Re; Im]`` for complex x), and N."""
    if not x.is_complex():
        return x, x.shape[0]
    return torch.cat([x.real, x.imag]), x.shape[0]


def _combine(c: torch.Tensor, n: int) -> torch.Tensor:
    """Spectra of ``[u; v]`` (2n rows) → spectra of u + iv; n rows: unchanged."""
    return c if c.shape[0] == n else c[:n] + 1j * c[n:]


def _grid_out(y: torch.Tensor, n: int, real: bool) -> torch.Tensor:
    """Synthesised ``[u; v]`` (or u) → u + iv, or u when ``real``."""
    return y if real else torch.complex(y[:n], y[n:])


def _batched(t: torch.Tensor, k: int) -> torch.Tensor:
    """``t`` with its leading axes as one (k axes in all); t itself when it has k axes."""
    return t if t.dim() == k else t.reshape(-1, *t.shape[t.dim() - k + 1 :])


def _unbatched(t: torch.Tensor, lead: tuple[int, ...]) -> torch.Tensor:
    """The inverse of :func:`_batched` for a result with the same leading axis."""
    return t if len(lead) == 1 else t.reshape(*lead, *t.shape[1:])


#: the dense S² path: one matmul with a cached real matrix (built from the engine path in
#: float64) when the matrix has at most DENSE_MAX entries and the product at most
#: DENSE_MAX_WORK multiply-adds: small b and few signals, where the engine path's fixed
#: per-call cost dominates (``benchmarks/spherical_small.py``); at most 8 matrices are cached,
#: like the tables (≤ 1 MiB each in float64)
DENSE_MAX = 2**17
DENSE_MAX_WORK = 6 * 2**20


def _dense_ok(rows: int, entries: int) -> bool:
    return entries <= DENSE_MAX and rows * entries <= DENSE_MAX_WORK


def _s2_analysis_engine(xr: torch.Tensor, b: int, L: int) -> torch.Tensor:
    T = _tables("s2", "ana", b, L, xr.dtype, str(xr.device))
    return from_half("s2", hm.s2_analysis(xr, T))


def _s2_synthesis_engine(c: torch.Tensor, b_out: int, L: int, real: bool) -> torch.Tensor:
    T = _tables("s2", "syn", b_out, L, c.dtype.to_real(), str(c.device))
    return _grid_out(hm.s2_synthesis(to_half("s2", c, real), T), c.shape[0], real)


@cached_tensors(8)
def _s2_dense(way: str, b: int, L: int, dtype: torch.dtype, device: str) -> torch.Tensor:
    """The S² transforms of grid bandwidth b, degrees l < L, as real matrices from the engine
    path (float64, CPU): "ana" ``(4b², 2L²)`` ``[(β, α), (packed, re/im)]``; "syn" ``(2b,
    2L², 2b)`` ``[α, (packed, re/im), β]`` (real part); "cplx" ``(2b, 2L², 4b)`` ``[α,
    (packed, re/im), (β, re/im)]``. Row (k, im) of a synthesis is that of i·e_k."""
    with torch.no_grad():
        if way == "ana":
            eye = torch.eye(4 * b * b, dtype=torch.float64).view(-1, 2 * b, 2 * b)
            M = torch.view_as_real(_s2_analysis_engine(eye, b, L)).reshape(4 * b * b, -1)
        else:
            Y = _s2_synthesis_engine(torch.eye(L * L, dtype=torch.complex128), b, L, False)
            Y = torch.stack([Y, 1j * Y], dim=1).reshape(2 * L * L, 2 * b, 2 * b)  # [row, β, α]
            M = Y.real.permute(2, 0, 1) if way == "syn" else torch.view_as_real(Y.permute(2, 0, 1))
            M = M.reshape(2 * b, 2 * L * L, -1)
    return M.to(device, dtype).contiguous()


@full_precision
def s2_fft(x: torch.Tensor, b_out: int | None = None) -> torch.Tensor:
    """S² analysis: ``(..., 2b, 2b)`` ``[β, α]`` real/complex → ``(..., b_out²)`` complex.

    Degrees l < min(b, b_out) are computed, higher ones (up to b_out) are zero.
    """
    b = _grid_b(x, 2, "s2_fft")
    b_out = _check_bout(b_out, b)
    L, lead = min(b, b_out), x.shape[:-2]
    if x.numel() == 0:
        return _empty(x, lead, (b_out * b_out,), False)
    xr, n = _real_parts(_batched(x, 3))
    N = xr.shape[0]
    if _dense_ok(N, 8 * b * b * L * L):
        A = _s2_dense("ana", b, L, xr.dtype, str(xr.device))
        c = torch.view_as_complex((xr.reshape(N, -1) @ A).view(N, -1, 2))
    else:
        c = _s2_analysis_engine(xr, b, L)
    return _unbatched(_resize(_combine(c, n), "s2", L, b_out), lead)


@full_precision
def s2_ifft(coeffs: torch.Tensor, b_out: int | None = None, *, real: bool = False) -> torch.Tensor:
    """S² synthesis: complex ``(..., b²)`` packed → ``(..., 2b_out, 2b_out)`` complex.

    Degrees ≥ b_out are dropped (the grid of bandwidth b_out cannot hold them).
    ``real=True`` returns the real part (as a real tensor): one real synthesis, not two.
    """
    coeffs, b = _spectrum(coeffs, "s2_ifft", "s2")
    b_out = _check_bout(b_out, b)
    L, lead = min(b, b_out), coeffs.shape[:-1]
    if coeffs.numel() == 0:
        return _empty(coeffs, lead, (2 * b_out, 2 * b_out), real)
    c = _resize(_batched(coeffs, 2), "s2", b, L)
    N, b2 = c.shape[0], 2 * b_out
    if not _dense_ok(N, b2 * b2 * 2 * L * L * (1 if real else 2)):
        return _unbatched(_s2_synthesis_engine(c, b_out, L, real), lead)
    S = _s2_dense("syn" if real else "cplx", b_out, L, c.dtype.to_real(), str(c.device))
    cr = torch.view_as_real(c).reshape(N, -1)
    y = torch.bmm(cr.expand(b2, *cr.shape), S)  # [α, N, β(, re/im)]: grid-major as the engine's
    y = y if real else torch.view_as_complex(y.view(b2, N, b2, 2))
    return _unbatched(y.permute(1, 2, 0), lead)


@full_precision
def so3_fft(x: torch.Tensor, b_out: int | None = None) -> torch.Tensor:
    """SO(3) analysis: ``(..., 2b, 2b, 2b)`` ``[β, α, γ]`` → ``(..., b_out(4b_out²−1)/3)``."""
    b = _grid_b(x, 3, "so3_fft")
    b_out = _check_bout(b_out, b)
    L, lead = min(b, b_out), x.shape[:-3]
    if x.numel() == 0:
        return _empty(x, lead, (so3_size(b_out),), False)
    xr, n = _real_parts(_batched(x, 4))
    if _streamed(b):
        F = so3_analysis_streamed(xr, L)
    else:
        F = hm.so3_analysis(xr, _tables("so3", "ana", b, L, xr.dtype, str(xr.device)))
    c = _combine(from_half("so3", F), n)
    return _unbatched(_resize(c, "so3", L, b_out), lead)


@full_precision
def so3_ifft(coeffs: torch.Tensor, b_out: int | None = None, *, real: bool = False) -> torch.Tensor:
    """SO(3) synthesis: complex packed ``(..., b(4b²−1)/3)`` → ``(..., 2b_out, 2b_out, 2b_out)``.

    Complex output; ``real=True`` returns only the real part: one real synthesis, not two.
    """
    coeffs, b = _spectrum(coeffs, "so3_ifft", "so3")
    b_out = _check_bout(b_out, b)
    L, lead = min(b, b_out), coeffs.shape[:-1]
    if coeffs.numel() == 0:
        return _empty(coeffs, lead, (2 * b_out,) * 3, real)
    c = _resize(_batched(coeffs, 2), "so3", b, L)
    G = to_half("so3", c, real)
    if _streamed(b_out):
        y = so3_synthesis_streamed(G * 0.5, b_out)  # to_half gives twice the spectrum
    else:
        y = hm.so3_synthesis(G, _tables("so3", "syn", b_out, L, c.dtype.to_real(), str(c.device)))
    return _unbatched(_grid_out(y, c.shape[0], real), lead)
