# SPDX-License-Identifier: MIT
r"""Exact rotation of band-limited signals on S² and SO(3) through their spectra.

For a rotation R (a ``(3, 3)`` tensor): ``[R·f](p) = f(R⁻¹p)`` on S² and
``[R·F](Q) = F(R⁻¹Q)`` on SO(3). With ``Y_lm(R⁻¹x) = Σ_{m'} D^l_{m'm}(R) Y_{lm'}(x)`` the S²
spectrum transforms as ``f̂_l ↦ D^l(R) f̂_l``. On SO(3), ``D^l(R⁻¹Q) = D^l(R)^† D^l(Q)`` and
``F = Σ (2l+1) Σ f̂^l_{mn} D^l_{mn}`` give ``f̂^l ↦ conj(D^l(R)) f̂^l`` (left multiplication
acts on the row index m only). Both are exact when the signal is band-limited to the grid's b,
up to the precision of R itself: R is read in float64, but a float32 R (``euler_to_matrix`` of
Python floats gives one) is a rotation only to ~1e-7, which then bounds the result's accuracy.

>>> import math
>>> from gconv.groups import euler_to_matrix
>>> x = torch.randn(6, 6, dtype=torch.float64)               # b = 3
>>> R = euler_to_matrix(torch.tensor(2 * math.pi / 6, dtype=torch.float64), 0.0, 0.0)  # α step
>>> y = rotate_s2(s2_ifft(s2_fft(x)).real, R)
>>> bool(torch.allclose(y, torch.roll(s2_ifft(s2_fft(x)).real, 1, dims=-1)))
True
"""

from __future__ import annotations

import torch

from gconv._precision import full_precision
from gconv._util import check_positive_int, check_rotation
from gconv.groups import matrix_to_euler, wigner_d_iter

from ._fft import _grid_b, s2_fft, s2_ifft, so3_fft, so3_ifft

__all__ = ["rotate_s2", "rotate_so3", "wigner_D_blocks"]


def _check_R(R: torch.Tensor, name: str = "wigner_D_blocks") -> torch.Tensor:
    """R as a float64 CPU tensor, after :func:`gconv._util.check_rotation` (finite, RᵀR = I and
    det R = +1 within ROTATION_ATOL = 1e-5)."""
    check_rotation(f"{name}: R", R)
    return R.detach().to(device="cpu", dtype=torch.float64)


def wigner_D_blocks(R: torch.Tensor, b: int) -> list[torch.Tensor]:
    """``[D^l(R) for l < b]``, complex128 ``(2l+1, 2l+1)`` each, R a ``(3, 3)`` rotation."""
    check_positive_int("wigner_D_blocks", "b", b)
    alpha, beta, gamma = matrix_to_euler(_check_R(R))
    out = []
    for l, d in enumerate(wigner_d_iter(beta, b - 1)):
        m = torch.arange(-l, l + 1, dtype=torch.float64)
        pa = torch.polar(torch.ones_like(m), -alpha * m)
        pg = torch.polar(torch.ones_like(m), -gamma * m)
        out.append(pa[:, None] * d * pg[None, :])
    return out


@full_precision
def rotate_s2(x: torch.Tensor, R: torch.Tensor) -> torch.Tensor:
    """``[R·x](p) = x(R⁻¹p)`` for ``x (..., 2b, 2b)`` band-limited to b; same shape/dtype."""
    b = _grid_b(x, 2, "rotate_s2")
    _check_R(R, "rotate_s2")
    c = s2_fft(x)
    D = torch.block_diag(*wigner_D_blocks(R, b)).to(device=c.device, dtype=c.dtype)
    y = s2_ifft(c @ D.T)
    return y if x.is_complex() else y.real


@full_precision
def rotate_so3(x: torch.Tensor, R: torch.Tensor) -> torch.Tensor:
    """``[R·x](Q) = x(R⁻¹Q)`` for ``x (..., 2b, 2b, 2b)`` band-limited to b."""
    b = _grid_b(x, 3, "rotate_so3")
    _check_R(R, "rotate_so3")
    c = so3_fft(x)
    parts, off = [], 0
    for l, D in enumerate(wigner_D_blocks(R, b)):
        k = 2 * l + 1
        blk = c[..., off : off + k * k].unflatten(-1, (k, k))
        parts.append((D.conj().to(c) @ blk).flatten(-2))
        off += k * k
    y = so3_ifft(torch.cat(parts, dim=-1))
    return y if x.is_complex() else y.real
