# SPDX-License-Identifier: MIT
"""Slow, independent references for the spherical layer tests (NumPy/SciPy, float64).

Nothing here uses gconv: Wigner D by the matrix exponential of the angular-momentum generator,
spherical harmonics from SciPy, SOFT grids and weights from their formulas, and integrals by
direct quadrature. Signals are band-limited, given by random coefficients, evaluable anywhere.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.linalg import expm
from scipy.special import sph_harm_y


def betas(b: int) -> np.ndarray:
    return np.pi * (2 * np.arange(2 * b) + 1) / (4 * b)


def alphas(b: int) -> np.ndarray:
    return 2 * np.pi * np.arange(2 * b) / (2 * b)


def weights(b: int) -> np.ndarray:
    """SOFT β weights w_j (sum 2)."""
    j = np.arange(2 * b)[:, None]
    k = np.arange(b)[None, :]
    s = (np.sin((2 * j + 1) * (2 * k + 1) * np.pi / (4 * b)) / (2 * k + 1)).sum(1)
    return 2 / b * np.sin(betas(b)) * s


def rz(t: float) -> np.ndarray:
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def ry(t: float) -> np.ndarray:
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, 0, s], [0, 1.0, 0], [-s, 0, c]])


def euler(a: float, b: float, g: float) -> np.ndarray:
    return rz(a) @ ry(b) @ rz(g)


def to_euler(R: np.ndarray) -> tuple[float, float, float]:
    """ZYZ angles (α, β, γ); within 1e-7 of a pole γ = 0 and α carries α ± γ (error O(β²))."""
    sb = np.hypot(R[0, 2], R[1, 2])
    beta = np.arctan2(sb, R[2, 2])
    if sb < 1e-7:
        s = np.sign(R[2, 2])
        return np.arctan2(s * R[1, 0], s * R[0, 0]), beta, 0.0
    return np.arctan2(R[1, 2], R[0, 2]), beta, np.arctan2(R[2, 1], -R[2, 0])


def to_polar(v: np.ndarray) -> tuple[float, float]:
    """(β, α) of a unit vector (atan2 keeps β accurate near the poles)."""
    return np.arctan2(np.hypot(v[0], v[1]), v[2]), np.arctan2(v[1], v[0])


def point(beta: float, alpha: float) -> np.ndarray:
    return euler(alpha, beta, 0.0)[:, 2]


@cache
def _jy_eig(l: int) -> tuple[np.ndarray, np.ndarray]:
    """J_y = V diag(λ) V† (Hermitian), so exp(−iβJ_y) = V diag(e^{−iβλ}) V†; checked vs expm."""
    m = np.arange(-l, l + 1)
    jp = np.diag(np.sqrt(l * (l + 1) - m[:-1] * (m[:-1] + 1)), -1)  # J+|m> ∝ |m+1>
    jy = (jp - jp.T) / 2j
    lam, V = np.linalg.eigh(jy)
    assert np.allclose(V * np.exp(-0.7j * lam) @ V.conj().T, expm(-0.7j * jy), atol=1e-13)
    return lam, V


def wigner_D(l: int, a: float, b: float, g: float) -> np.ndarray:
    """D^l_{mn} = e^{−imα} d^l_{mn}(β) e^{−inγ}, d = exp(−iβJ_y); indexed [m+l, n+l]."""
    m = np.arange(-l, l + 1)
    lam, V = _jy_eig(l)
    d = (V * np.exp(-1j * b * lam)) @ V.conj().T
    return np.exp(-1j * m * a)[:, None] * d * np.exp(-1j * m * g)[None, :]


def Y(l: int, m: int, beta: float, alpha: float) -> complex:
    return complex(sph_harm_y(l, m, beta, alpha))


class S2Signal:
    """f(x) = Re Σ_{l<b} c_lm Y_lm(x), random c (real and band-limited)."""

    def __init__(self, b: int, rng: np.random.Generator) -> None:
        self.b = b
        self.c = {
            (l, m): complex(*rng.standard_normal(2)) for l in range(b) for m in range(-l, l + 1)
        }

    def __call__(self, v: np.ndarray) -> float:
        beta, alpha = to_polar(v)
        return sum(c * Y(l, m, beta, alpha) for (l, m), c in self.c.items()).real

    def grid(self) -> np.ndarray:
        return np.array([[self(point(bt, al)) for al in alphas(self.b)] for bt in betas(self.b)])


class SO3Signal:
    """F(Q) = Re Σ_{l<b} tr(C^l D^l(Q)ᵀ), random C (real and band-limited)."""

    def __init__(self, b: int, rng: np.random.Generator) -> None:
        self.b = b
        self.c = [rng.standard_normal((2 * l + 1, 2 * l + 1, 2)) @ [1, 1j] for l in range(b)]

    def __call__(self, Q: np.ndarray) -> float:
        a, be, g = to_euler(Q)
        return sum((c * wigner_D(l, a, be, g)).sum() for l, c in enumerate(self.c)).real

    def grid(self) -> np.ndarray:
        b = self.b
        out = np.empty((2 * b,) * 3)
        for j, bt in enumerate(betas(b)):
            for k, al in enumerate(alphas(b)):
                for n, ga in enumerate(alphas(b)):
                    out[j, k, n] = self(euler(al, bt, ga))
        return out


def s2_integral(b: int, fn) -> float:
    """∫_{S²} fn(x) dx by SOFT quadrature on the bandwidth-b grid (area measure)."""
    w = weights(b)
    return sum(
        w[j] * np.pi / b * fn(point(bt, al)) for j, bt in enumerate(betas(b)) for al in alphas(b)
    )


def so3_integral(b: int, fn) -> float:
    """∫ fn(Q) dQ (normalised Haar) by SOFT quadrature at bandwidth b."""
    w = weights(b) / (2 * (2 * b) ** 2)
    return sum(
        w[j] * fn(euler(al, bt, ga))
        for j, bt in enumerate(betas(b))
        for al in alphas(b)
        for ga in alphas(b)
    )
