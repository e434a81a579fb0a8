# SPDX-License-Identifier: MIT
r"""Fourier transforms on S² and SO(3) on the SOFT grids (batched, differentiable, any device).

Grids and conventions: ``gconv.groups`` (``_soft``, ``_wigner``). Spectra, packed by degree:

.. math:: \hat f_{lm} = ∫_{S²} f\, \overline{Y_{lm}}\, dx,\qquad
          f = Σ_{l<b} Σ_m \hat f_{lm} Y_{lm}\qquad (\text{index } l² + l + m),

.. math:: \hat f^l_{mn} = ∫_{SO(3)} f(R)\, \overline{D^l_{mn}(R)}\, dR,\qquad
          f(R) = Σ_{l<b} (2l+1) Σ_{m,n} \hat f^l_{mn} D^l_{mn}(R)

(normalised Haar measure; index ``l(4l²−1)/3 + (m+l)(2l+1) + (n+l)``). Both are exact for
signals band-limited to b (quadrature of ``gconv.groups.quadrature_weights``).

Algorithm: transform the azimuthal axes (α on S², (α, γ) on SO(3)) — by products with small
DFT matrices of the needed frequencies when 2b <= ``DFT_MAX_2B`` (32), by ``torch.fft``
above — then, for each block of order pairs, one ``torch.bmm`` against the cached float64
d-table cast to the working dtype (see ``_plan``). Batches are processed in chunks whose
temporaries stay under ``CHUNK_BYTES``. For SO(3) grids with b > ``STORE_MAX_B`` (64) the d^l
are streamed degree by degree instead of stored (O(b³) rather than O(b⁴) memory).

>>> x = torch.randn(2, 8, 8, dtype=torch.float64)        # b = 4
>>> c = s2_fft(s2_ifft(s2_fft(x)))                        # band-limited round trip
>>> bool(torch.allclose(c, s2_fft(x)))
True
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gconv._util import DTypeError, check_positive_int, check_tensor
from gconv.groups import wigner_d_iter

from ._dft import DFT_MAX_2B, s2_forward, s2_inverse, so3_forward, so3_inverse
from ._plan import Plan, _columns, plan

__all__ = ["s2_fft", "s2_ifft", "so3_fft", "so3_ifft", "so3_size", "s2_size"]


def s2_size(b: int) -> int:
    """Number of S² coefficients for degrees l < b: b²."""
    check_positive_int("s2_size", "b", b)
    return b * b


def so3_size(b: int) -> int:
    """Number of SO(3) coefficients for degrees l < b: b(4b²−1)/3."""
    check_positive_int("so3_size", "b", b)
    return b * (4 * b * b - 1) // 3


def _bandwidth_of(size: int, kind: str) -> int:
    b = math.isqrt(size) if kind == "s2" else max(1, round((0.75 * size) ** (1 / 3)))
    for c in (b - 1, b, b + 1):
        if c >= 1 and (s2_size(c) if kind == "s2" else so3_size(c)) == size:
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
    return shape[0] // 2


def _real_dtype(x: torch.Tensor) -> torch.dtype:
    return x.real.dtype if x.is_complex() else x.dtype


def _resize(c: torch.Tensor, kind: str, src: int, dst: int) -> torch.Tensor:
    """Truncate or zero-pad a packed spectrum from src to dst degrees (last axis)."""
    size = s2_size if kind == "s2" else so3_size
    if dst <= src:
        return c[..., : size(dst)]
    return torch.nn.functional.pad(c, (0, size(dst) - size(src)))


def _complex_to_rows(y: torch.Tensor) -> torch.Tensor:
    """``(R, N)`` complex → ``(R, 2N)`` real (real/imag interleaved)."""
    return torch.view_as_real(y.contiguous()).reshape(y.shape[0], -1)


def _rows_to_complex(y: torch.Tensor) -> torch.Tensor:
    return torch.view_as_complex(y.reshape(y.shape[0], -1, 2).contiguous())


def _analysis(p: Plan, Xp: torch.Tensor, fac: torch.Tensor) -> torch.Tensor:
    """Pair-major ring spectra ``Xp (P, 2b, N)`` (shell order) → coefficients ``(N, S)``.

    ``fac (S, 1, 1 or 2)`` scales each coefficient (and flips imaginary parts of conjugated
    half-spectrum reads).
    """
    N = Xp.shape[-1]
    Xr = torch.view_as_real(Xp.contiguous()).reshape(Xp.shape[0], Xp.shape[1], 2 * N)
    Xr = Xr * p.w_fwd[:, None]
    if p.d is None:
        y = _analysis_streamed(p, Xr)
    else:
        blocks = zip(p.blocks, p.d, strict=True)
        outs = [torch.bmm(d, Xr[p0:p1]).reshape(-1, 2 * N) for (p0, p1, _), d in blocks]
        y = torch.cat(outs).index_select(0, p.out_pos)
    return torch.view_as_complex(y.view(-1, N, 2) * fac).T


def _fft_pairs(p: Plan, X: torch.Tensor, real: bool) -> torch.Tensor:
    """FFT path: ``X (2b, N, bins)`` → ``(P, 2b, N)`` in shell order."""
    return X.permute(2, 0, 1).index_select(0, p.real_bins if real else p.pair_bins)


def _synthesis(p: Plan, c: torch.Tensor) -> torch.Tensor:
    """Packed coefficients ``(N, S)`` → pair-major ring spectra ``(P, 2b, N)`` (shell order)."""
    N = c.shape[0]
    cr = _complex_to_rows((c * p.c_inv).T)  # (S, 2N)
    cr = torch.cat([cr, cr.new_zeros(1, 2 * N)])
    if p.d is None:
        G = _synthesis_streamed(p, cr)
    else:
        ce = cr.index_select(0, p.in_idx)
        parts, e0 = [], 0
        for d in p.d:
            e1 = e0 + d.shape[0] * d.shape[1]
            parts.append(torch.bmm(d.transpose(1, 2), ce[e0:e1].view(d.shape[0], d.shape[1], -1)))
            e0 = e1
        G = torch.cat(parts)  # (P, 2b, 2N)
    return torch.view_as_complex(G.view(G.shape[0], G.shape[1], N, 2))


def _fft_bins(p: Plan, G: torch.Tensor) -> torch.Tensor:
    """FFT path: ``(P, 2b, N)`` → ``(2b, N, bins)`` with zeros in unused bins."""
    G = torch.cat([G, G.new_zeros(1, *G.shape[1:])])
    return G.permute(1, 2, 0).index_select(2, p.bin_pair)


def _degree_maps(p: Plan, l: int) -> tuple[np.ndarray, np.ndarray]:
    """Streamed path: for the first (2l+1)² pairs, their index in d^l and their column."""
    pr = p.pairs[: (2 * l + 1) ** 2]
    local = (pr[:, 0] + l) * (2 * l + 1) + (pr[:, 1] + l)
    return local, _columns(p.kind, np.full(len(pr), l), pr)


def _betas(p: Plan) -> torch.Tensor:
    return math.pi * (2 * torch.arange(2 * p.b, dtype=torch.float64) + 1) / (4 * p.b)


def _analysis_streamed(p: Plan, Xr: torch.Tensor) -> torch.Tensor:
    outs, cols = [], []
    for l, d in enumerate(wigner_d_iter(_betas(p), p.degrees - 1, reuse=True)):
        local, col = _degree_maps(p, l)
        dl = d.reshape(2 * p.b, -1)[:, local].T.to(Xr)[:, None, :]  # (P_l, 1, 2b)
        outs.append(torch.bmm(dl, Xr[: len(local)])[:, 0])
        cols.append(col)
    pos = torch.as_tensor(np.argsort(np.concatenate(cols)), device=Xr.device)
    return torch.cat(outs).index_select(0, pos)


def _synthesis_streamed(p: Plan, cr: torch.Tensor) -> torch.Tensor:
    G = cr.new_zeros(len(p.pairs), 2 * p.b, cr.shape[1])
    for l, d in enumerate(wigner_d_iter(_betas(p), p.degrees - 1, reuse=True)):
        local, col = _degree_maps(p, l)
        dl = d.reshape(2 * p.b, -1)[:, local].T.to(cr)[:, :, None]  # (P_l, 2b, 1)
        cl = cr.index_select(0, torch.as_tensor(col, device=cr.device))[:, None, :]
        G[: len(local)] += torch.bmm(dl, cl)
    return G


def _plan(kind: str, b: int, degrees: int, x: torch.Tensor) -> Plan:
    return plan(kind, b, degrees, _real_dtype(x), str(x.device))


#: bytes of the largest per-chunk intermediate: batches are split so that temporaries stay
#: small (cache-friendly, and below glibc's mmap threshold, which avoids page faults)
CHUNK_BYTES = 4 * 2**20


def _chunks(n: int, b: int, L: int, ndim: int, itemsize: int) -> int:
    per_signal = (2 * b) ** (ndim - 1) * max(2 * b, 2 * L - 1) * 2 * itemsize
    return max(1, min(n, CHUNK_BYTES // per_signal))


def _map_chunks(fn, x: torch.Tensor, size: int) -> torch.Tensor:
    if x.shape[0] <= size:
        return fn(x)
    return torch.cat([fn(xc) for xc in x.split(size)])


def s2_fft(x: torch.Tensor, b_out: int | None = None) -> torch.Tensor:
    """S² analysis: ``(..., 2b, 2b)`` ``[β, α]`` real/complex → ``(..., b_out²)`` complex.

    Degrees l < min(b, b_out) are computed, higher ones (up to b_out) are zero.
    """
    b = _grid_b(x, 2, "s2_fft")
    b_out = _check_bout(b_out, b)
    L = min(b, b_out)
    lead = x.shape[:-2]
    p = _plan("s2", b, L, x)
    xf = x.reshape(-1, 2 * b, 2 * b)
    size = _chunks(xf.shape[0], b, L, 2, xf.element_size())
    c = _map_chunks(lambda t: _s2_analysis(p, t), xf, size)
    return _resize(c, "s2", L, b_out).reshape(*lead, -1)


def _s2_analysis(p: Plan, xf: torch.Tensor) -> torch.Tensor:
    real = not xf.is_complex()
    if 2 * p.b <= DFT_MAX_2B:
        Xp, real = s2_forward(xf, p.degrees), False
    else:
        xt = xf.transpose(0, 1).contiguous()  # (β, N, α)
        X = torch.fft.rfft(xt, dim=-1) if real else torch.fft.fft(xt, dim=-1)
        Xp = _fft_pairs(p, X, real)
    return _analysis(p, Xp, p.fac_real if real else p.c_fwd[:, None, None])


def s2_ifft(coeffs: torch.Tensor, b_out: int | None = None, *, real: bool = False) -> torch.Tensor:
    """S² synthesis: ``(..., b²)`` packed → ``(..., 2b_out, 2b_out)`` complex.

    Degrees ≥ b_out are dropped (the grid of bandwidth b_out cannot hold them).
    ``real=True`` returns the real part (as a real tensor).
    """
    coeffs = _as_complex(coeffs)
    b = _bandwidth_of(coeffs.shape[-1], "s2")
    b_out = _check_bout(b_out, b)
    L = min(b, b_out)
    lead = coeffs.shape[:-1]
    c = _resize(coeffs.reshape(-1, coeffs.shape[-1]), "s2", b, L)
    p = _plan("s2", b_out, L, coeffs)
    size = _chunks(c.shape[0], b_out, L, 2, c.element_size() // 2)
    y = _map_chunks(lambda t: _s2_synthesis(p, t, real), c, size)
    return y.reshape(*lead, 2 * b_out, 2 * b_out)


def _s2_synthesis(p: Plan, c: torch.Tensor, real: bool) -> torch.Tensor:
    G = _synthesis(p, c)  # (P, β, N)
    if 2 * p.b <= DFT_MAX_2B:
        y = s2_inverse(G, p.b, p.degrees)
    else:
        y = torch.fft.ifft(_fft_bins(p, G), dim=-1, norm="forward").transpose(0, 1)
    return y.real if real else y


def so3_fft(x: torch.Tensor, b_out: int | None = None) -> torch.Tensor:
    """SO(3) analysis: ``(..., 2b, 2b, 2b)`` ``[β, α, γ]`` → ``(..., b_out(4b_out²−1)/3)``."""
    b = _grid_b(x, 3, "so3_fft")
    b_out = _check_bout(b_out, b)
    L = min(b, b_out)
    lead = x.shape[:-3]
    p = _plan("so3", b, L, x)
    xf = x.reshape(-1, 2 * b, 2 * b, 2 * b)
    size = _chunks(xf.shape[0], b, L, 3, xf.element_size())
    c = _map_chunks(lambda t: _so3_analysis(p, t), xf, size)
    return _resize(c, "so3", L, b_out).reshape(*lead, -1)


def _so3_analysis(p: Plan, xf: torch.Tensor) -> torch.Tensor:
    real = not xf.is_complex()
    if 2 * p.b <= DFT_MAX_2B:
        fac = p.fac_real_dft if real else p.c_fwd[:, None, None]
        return _analysis(p, so3_forward(xf, p.degrees), fac)
    xt = xf.transpose(0, 1).contiguous()  # (β, N, α, γ)
    X = torch.fft.rfft2(xt) if real else torch.fft.ifft2(xt, norm="forward")
    Xp = _fft_pairs(p, X.reshape(2 * p.b, xt.shape[1], -1), real)
    return _analysis(p, Xp, p.fac_real if real else p.c_fwd[:, None, None])


def so3_ifft(coeffs: torch.Tensor, b_out: int | None = None, *, real: bool = False) -> torch.Tensor:
    """SO(3) synthesis: packed ``(..., b(4b²−1)/3)`` → ``(..., 2b_out, 2b_out, 2b_out)``.

    Complex output; ``real=True`` returns only the real part, computed directly (cheaper).
    """
    coeffs = _as_complex(coeffs)
    b = _bandwidth_of(coeffs.shape[-1], "so3")
    b_out = _check_bout(b_out, b)
    L = min(b, b_out)
    lead = coeffs.shape[:-1]
    c = _resize(coeffs.reshape(-1, coeffs.shape[-1]), "so3", b, L)
    p = _plan("so3", b_out, L, coeffs)
    size = _chunks(c.shape[0], b_out, L, 3, c.element_size() // 2)
    y = _map_chunks(lambda t: _so3_synthesis(p, t, real), c, size)
    return y.reshape(*lead, *y.shape[1:])


def _so3_synthesis(p: Plan, c: torch.Tensor, real: bool) -> torch.Tensor:
    G = _synthesis(p, c)  # (P, β, N)
    if 2 * p.b <= DFT_MAX_2B:
        return so3_inverse(G, p.b, p.degrees, real)
    B2 = 2 * p.b
    y = torch.fft.fft2(_fft_bins(p, G).reshape(B2, -1, B2, B2)).transpose(0, 1)
    return y.real if real else y


def _as_complex(c: torch.Tensor) -> torch.Tensor:
    if c.is_complex():
        return c
    if not c.is_floating_point():
        raise ValueError(f"expected a complex (or float) spectrum, got {c.dtype}")
    return c.to(torch.promote_types(c.dtype, torch.complex64))
