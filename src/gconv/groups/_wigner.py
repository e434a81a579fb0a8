# SPDX-License-Identifier: MIT
r"""Wigner matrices of SO(3) and the d-tables of the SOFT transforms.

Convention (quantum, Condon–Shortley; Wikipedia "Wigner D-matrix"):

.. math:: D^l_{mn}(α, β, γ) = e^{-imα} d^l_{mn}(β) e^{-inγ},\quad
          d^l_{mn}(β) = ⟨l m| e^{-iβ J_y} |l n⟩,

for the rotation ``R = Rz(α) Ry(β) Rz(γ)``. Then ``D(R₁R₂) = D(R₁) D(R₂)`` (a unitary
representation), ``Y_lm(β, α) = sqrt((2l+1)/4π) e^{imα} d^l_{m0}(β)`` are SciPy's orthonormal
spherical harmonics (``scipy.special.sph_harm_y(l, m, β, α)``), and rotating a harmonic gives
``Y_lm(R⁻¹x) = Σ_{m'} D^l_{m'm}(R) Y_{lm'}(x)``. Matrices are indexed ``[m+l, n+l]``.

The d^l are built in float64 by the three-term recursion in l (Kostelec & Rockmore 2008),
vectorised over all (m, n) and all β, seeded at |m| = l or |n| = l by the closed form
``d^l_{l,n} = (−1)^{l−n} sqrt(C(2l, l+n)) cos(β/2)^{l+n} sin(β/2)^{l−n}`` (computed in log
space). Streaming it over l needs O(l²) memory per β (``wigner_d_iter``).

Packed layouts (DESIGN.md): S² index ``l² + l + m``; SO(3) index
``l(4l²−1)/3 + (m+l)(2l+1) + (n+l)``.

>>> d = wigner_d(1, torch.tensor(0.3))
>>> bool(torch.allclose(d[1, 1], torch.cos(torch.tensor(0.3, dtype=torch.float64))))
True
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import torch

from .._util import cached_tensors
from ._cache import disk_cached
from ._so3 import broadcast_angles
from ._soft import _check_b, s2_grid

#: an angle argument: a number, a sequence of numbers or a tensor (broadcast; radians)
Angle = float | Sequence[float] | torch.Tensor

__all__ = [
    "s2_wigner_table",
    "so3_wigner_table",
    "spherical_harmonics",
    "wigner_D",
    "wigner_D_packed",
    "wigner_d",
    "wigner_d_iter",
    "STORE_MAX_B",
]

#: SO(3) tables for grids with b above this are not stored whole; transforms stream per degree.
STORE_MAX_B = 64
_VERSION = 1


def _f64(x: Angle) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        return torch.as_tensor(x, dtype=torch.float64)
    return x.detach().to(device="cpu", dtype=torch.float64)


def _edge(l: int, c2: torch.Tensor, s2: torch.Tensor) -> torch.Tensor:
    """``sqrt(C(2l, l+n)) cos(β/2)^{l+n} sin(β/2)^{l−n}`` for n = −l..l, shape ``(N, 2l+1)``."""
    n = torch.arange(-l, l + 1, dtype=torch.float64)
    lb = 0.5 * (math.lgamma(2 * l + 1) - torch.lgamma(l + n + 1) - torch.lgamma(l - n + 1))
    p, q = (l + n)[None, :], (l - n)[None, :]
    log = lb + torch.xlogy(p, c2.abs()[:, None]) + torch.xlogy(q, s2.abs()[:, None])
    odd_c = (c2 < 0)[:, None] & (p % 2 == 1)
    odd_s = (s2 < 0)[:, None] & (q % 2 == 1)
    return torch.where(odd_c ^ odd_s, -1.0, 1.0) * torch.exp(log)


def _edge0(l: int, c2: torch.Tensor, s2: torch.Tensor) -> torch.Tensor:
    """``sqrt(C(2l, l)) (cos(β/2) sin(β/2))^l`` = d^l_{−l,0}(β), shape ``(N,)``."""
    lb = 0.5 * (math.lgamma(2 * l + 1) - 2 * math.lgamma(l + 1))
    cs = c2 * s2
    sign = torch.where((cs < 0) & (l % 2 == 1), -1.0, 1.0)
    return sign * torch.exp(lb + l * torch.log(cs.abs()))


def _parity(v: torch.Tensor) -> torch.Tensor:
    return 1.0 - 2.0 * (v.abs() % 2)


def wigner_d_iter(
    beta: torch.Tensor | float, lmax: int, *, reuse: bool = False
) -> Iterator[torch.Tensor]:
    """Yield ``d^l(β)`` for l = 0..lmax, each float64 ``(..., 2l+1, 2l+1)`` (O(l²) memory).

    ``beta`` is any shape (radians). Three-term recursion in l, vectorised over (m, n, β).
    ``reuse=True`` recycles three preallocated buffers (faster for large l): each yielded
    tensor is then valid only until the iterator advances twice.
    """
    if isinstance(lmax, bool) or not isinstance(lmax, int) or lmax < 0:
        raise ValueError(f"wigner_d_iter: lmax must be an int >= 0, got {lmax!r}")
    beta = _f64(beta)
    shape, bt = beta.shape, beta.reshape(-1)
    n = bt.shape[0]
    cb = torch.cos(bt)[:, None, None]
    c2, s2 = torch.cos(bt / 2), torch.sin(bt / 2)
    bufs = (
        [torch.empty(n * (2 * lmax + 1) ** 2, dtype=torch.float64) for _ in range(3)]
        if reuse
        else []
    )
    prev = None
    cur = torch.ones(n, 1, 1, dtype=torch.float64)
    for l in range(lmax + 1):
        yield cur.reshape(*shape, 2 * l + 1, 2 * l + 1)
        if l == lmax:
            return
        k = 2 * l + 3
        out = (
            bufs[l % 3][: n * k * k].view(n, k, k)
            if reuse
            else torch.empty(n, k, k, dtype=torch.float64)
        )
        prev, cur = cur, _d_step(l, cb, prev, cur, _edge(l + 1, c2, s2), out)


def _d_step(l: int, cb, prev, cur, e: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """d^{l+1} into ``out`` from d^l, d^{l−1} (recursion inside, seeds ``e`` on the border)."""
    m = torch.arange(-l, l + 1, dtype=torch.float64)
    a = 1.0 / torch.sqrt((l + 1) ** 2 - m**2)
    s = math.sqrt((l + 1) * (2 * l + 1))
    A = torch.outer(s * a, s * a)  # (l+1)(2l+1) / sqrt(((l+1)² − m²)((l+1)² − n²))
    L = l + 1
    inner = out[:, 1:-1, 1:-1]
    if l == 0:
        torch.mul(A * cb, cur, out=inner)
    else:
        am = s * a * m / math.sqrt(l * (l + 1))
        AB = torch.outer(am, am)  # A · mn / (l(l+1))
        ac = (s * a * torch.sqrt(l**2 - m**2) / math.sqrt(l * (2 * l + 1)))[1:-1]
        AC = torch.outer(ac, ac)  # A · sqrt((l² − m²)(l² − n²)) / (l(2l+1))
        if cb.shape[0] > 2 * l + 1:  # many β, small matrices: vectorise over β
            tmp = torch.mul(cur, A).mul_(cb)  # (A cos β − AB) ⊙ d^l − AC ⊙ d^{l−1}
            torch.addcmul(tmp, AB, cur, value=-1.0, out=inner)
            inner[:, 1:-1, 1:-1].addcmul_(AC, prev, value=-1.0)
            return _set_border(out, L, e)
        for i in range(cb.shape[0]):  # fused per β: (A cos β − AB) ⊙ d^l − AC ⊙ d^{l−1}
            torch.mul(torch.add(-AB, A, alpha=float(cb[i])), cur[i], out=inner[i])
            inner[i, 1:-1, 1:-1].addcmul_(AC, prev[i], value=-1.0)
    return _set_border(out, L, e)


def _set_border(out: torch.Tensor, L: int, e: torch.Tensor) -> torch.Tensor:
    """Closed-form entries of d^L at |m| = L or |n| = L from ``e`` (see ``_edge``)."""
    n = torch.arange(-L, L + 1, dtype=torch.float64)
    out[:, -1, :] = _parity(L - n) * e  # m = L
    out[:, 0, :] = e.flip(-1)  # m = −L
    out[:, :, -1] = e  # n = L
    out[:, :, 0] = _parity(n + L) * e.flip(-1)  # n = −L
    return out


def wigner_d(l: int, beta: torch.Tensor | float) -> torch.Tensor:
    """Wigner small-d ``d^l(β)``, float64 ``(..., 2l+1, 2l+1)`` indexed ``[m+l, n+l]``."""
    if isinstance(l, bool) or not isinstance(l, int) or l < 0:
        raise ValueError(f"degree l must be a non-negative int, got {l!r}")
    *_, last = wigner_d_iter(beta, l, reuse=True)
    return last.clone()


def _phases(angle: torch.Tensor, l: int) -> torch.Tensor:
    """``e^{−imθ}`` for m = −l..l, shape ``(..., 2l+1)``."""
    m = torch.arange(-l, l + 1, dtype=torch.float64)
    return torch.polar(
        torch.ones_like(angle)[..., None].expand(*angle.shape, 2 * l + 1), -angle[..., None] * m
    )


def wigner_D(l: int, alpha: Angle, beta: Angle, gamma: Angle) -> torch.Tensor:
    """Wigner ``D^l(α, β, γ)``, complex128 ``(..., 2l+1, 2l+1)`` (angles broadcast)."""
    angles = _f64(alpha), _f64(beta), _f64(gamma)
    alpha, beta, gamma = broadcast_angles("wigner_D", "alpha, beta and gamma", *angles)
    d = wigner_d(l, beta)
    return _phases(alpha, l)[..., :, None] * d * _phases(gamma, l)[..., None, :]


def wigner_D_packed(b: int, alpha: Angle, beta: Angle, gamma: Angle) -> torch.Tensor:
    """All ``D^l_{mn}(α, β, γ)`` for l < b in the packed SO(3) layout, ``(..., b(4b²−1)/3)``."""
    _check_b(b)
    angles = _f64(alpha), _f64(beta), _f64(gamma)
    alpha, beta, gamma = broadcast_angles("wigner_D_packed", "alpha, beta and gamma", *angles)
    out = torch.empty(*beta.shape, b * (4 * b * b - 1) // 3, dtype=torch.complex128)
    pa, pg = _phases(alpha, b - 1), _phases(gamma, b - 1)
    for l, d in enumerate(wigner_d_iter(beta, b - 1, reuse=True)):
        sl = slice(b - 1 - l, b + l)
        D = pa[..., sl, None] * d * pg[..., None, sl]
        off = l * (4 * l * l - 1) // 3
        out[..., off : off + (2 * l + 1) ** 2] = D.reshape(*beta.shape, -1)
    return out


def _d_m0_iter(beta: torch.Tensor, lmax: int) -> Iterator[torch.Tensor]:
    """Yield ``d^l_{m0}(β)`` for l = 0..lmax, float64 ``(N, 2l+1)``; beta is ``(N,)``."""
    cb = torch.cos(beta)[:, None]
    c2, s2 = torch.cos(beta / 2), torch.sin(beta / 2)
    prev, cur = None, torch.ones(beta.shape[0], 1, dtype=torch.float64)
    for l in range(lmax + 1):
        yield cur
        if l == lmax:
            return
        m = torch.arange(-l, l + 1, dtype=torch.float64)
        out = torch.empty(beta.shape[0], 2 * l + 3, dtype=torch.float64)
        out[:, 1:-1] = (2 * l + 1) * cb * cur
        if l > 0:
            assert prev is not None  # set at l = 0
            out[:, 2:-2] -= torch.sqrt(l**2 - m[1:-1] ** 2) * prev
        out[:, 1:-1] /= torch.sqrt((l + 1) ** 2 - m**2)
        e0 = _edge0(l + 1, c2, s2)
        out[:, 0], out[:, -1] = e0, (-1) ** (l + 1) * e0
        prev, cur = cur, out


def spherical_harmonics(b: int, beta: Angle, alpha: Angle) -> torch.Tensor:
    """All ``Y_lm(β, α)`` for l < b in the packed S² layout, complex128 ``(..., b²)``."""
    _check_b(b)
    beta, alpha = broadcast_angles("spherical_harmonics", "beta and alpha", _f64(beta), _f64(alpha))
    out = torch.empty(beta.numel(), b * b, dtype=torch.complex128)
    ph = _phases(-alpha.reshape(-1), b - 1)  # e^{+imα}
    for l, d in enumerate(_d_m0_iter(beta.reshape(-1), b - 1)):
        norm = math.sqrt((2 * l + 1) / (4 * math.pi))
        out[:, l * l : (l + 1) ** 2] = norm * d * ph[:, b - 1 - l : b + l]
    return out.reshape(*beta.shape, b * b)


@cached_tensors(8)
def _s2_table(b: int, degrees: int) -> torch.Tensor:
    def build() -> torch.Tensor:
        out = torch.empty(2 * b, degrees**2, dtype=torch.float64)
        for l, d in enumerate(_d_m0_iter(s2_grid(b)[0], degrees - 1)):
            out[:, l * l : (l + 1) ** 2] = d
        return out

    return disk_cached("s2_wigner_table", _VERSION, (b, degrees), build)


@cached_tensors(4)
def _so3_table(b: int, degrees: int) -> torch.Tensor:
    def build() -> torch.Tensor:
        out = torch.empty(2 * b, degrees * (4 * degrees**2 - 1) // 3, dtype=torch.float64)
        for l, d in enumerate(wigner_d_iter(s2_grid(b)[0], degrees - 1, reuse=True)):
            off = l * (4 * l * l - 1) // 3
            out[:, off : off + (2 * l + 1) ** 2] = d.reshape(2 * b, -1)
        return out

    return disk_cached("so3_wigner_table", _VERSION, (b, degrees), build)


def _degrees(b: int, degrees: int | None) -> int:
    _check_b(b)
    degrees = b if degrees is None else degrees
    if isinstance(degrees, bool) or not isinstance(degrees, int) or degrees < 1:
        raise ValueError(f"degrees must be a positive int, got {degrees!r}")
    return degrees


def s2_wigner_table(
    b: int,
    degrees: int | None = None,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """``d^l_{m0}(β_j)`` on the SOFT β grid of bandwidth b, l < degrees: ``(2b, degrees²)``.

    Column ``l² + l + m`` (the packed S² layout). A fresh copy of a cached float64 table.
    """
    return _s2_table(b, _degrees(b, degrees)).to(dtype=dtype, device=device, copy=True)


def so3_wigner_table(
    b: int,
    degrees: int | None = None,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """``d^l_{mn}(β_j)`` on the SOFT β grid, l < degrees: ``(2b, degrees(4degrees²−1)/3)``.

    Column ``l(4l²−1)/3 + (m+l)(2l+1) + (n+l)``. Only for ``b <= STORE_MAX_B`` (the table
    grows like 8b⁴/3); larger grids stream ``wigner_d_iter`` degree by degree instead.
    """
    degrees = _degrees(b, degrees)
    if b > STORE_MAX_B:
        raise ValueError(
            f"so3_wigner_table stores tables only for b <= {STORE_MAX_B}, got b={b}; "
            "stream wigner_d_iter(beta, degrees - 1) instead"
        )
    return _so3_table(b, degrees).to(dtype=dtype, device=device, copy=True)
