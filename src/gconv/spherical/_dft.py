# SPDX-License-Identifier: MIT
"""Azimuthal transforms as small matrix products (private; used for 2b <= DFT_MAX_2B).

For the small grids of spherical CNNs, many tiny ``torch.fft`` calls are dominated by
per-transform overhead, while a product with the (2b × (2L−1)) matrix of the needed
frequencies runs at GEMM speed and lands directly in the pair-major layout the β contraction
wants. Forward: ``F[m, n, β] = Σ_{α,γ} x[β, α, γ] e^{+imα} e^{+inγ}`` (SO(3)) and
``F[m, β] = Σ_α x[β, α] e^{−imα}`` (S²); inverse: the conjugate sums. Pairs are returned in
the shell order of ``_plan.pairs``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .._util import cached_tensors
from ._plan import pairs

__all__ = ["DFT_MAX_2B", "so3_forward", "so3_inverse", "s2_forward", "s2_inverse"]

#: grids with at most this many azimuthal samples use matrix products instead of torch.fft
DFT_MAX_2B = 32


@dataclass
class _Mats:
    nat: torch.Tensor  # (P,) natural index of each shell-ordered pair
    nat_half: torch.Tensor | None  # (P,) index into the (m, n ≥ 0) half spectrum (SO(3))
    fwd_half: torch.Tensor | None  # real (2b, 2L): cos/sin interleaved, n = 0..L−1 (SO(3))
    inv: torch.Tensor  # (P,) shell position of each natural pair
    fwd_real: torch.Tensor  # real (2b, 2M) or (2M, 2b): interleaved cos/sin
    fwd: torch.Tensor  # complex (2b, M) or (M, 2b)
    alpha_fwd: torch.Tensor | None  # complex (M, 2b): e^{+imα} (SO(3))
    alpha_inv: torch.Tensor  # complex (2b, M)
    gamma_inv: torch.Tensor | None  # complex (M, 2b): e^{−inγ} (SO(3))
    gamma_inv_real: torch.Tensor | None  # real (2M, 2b): rows (cos nγ, sin nγ)


@cached_tensors(32)
def mats(kind: str, b: int, degrees: int, dtype: torch.dtype, device: str) -> _Mats:
    M = 2 * degrees - 1
    freq = np.arange(-(degrees - 1), degrees)
    theta = np.pi * np.arange(2 * b) / b
    ph = np.exp(1j * theta[:, None] * freq[None, :])  # (2b, M): e^{+ikθ}
    pr = pairs(kind, degrees)
    nat = (
        pr + degrees - 1 if kind == "s2" else (pr[:, 0] + degrees - 1) * M + pr[:, 1] + degrees - 1
    )
    cdt = torch.complex64 if dtype == torch.float32 else torch.complex128
    t = lambda a, dt: torch.as_tensor(np.ascontiguousarray(a), device=device).to(dt)  # noqa: E731
    inter = np.stack([ph.real, ph.imag], -1).reshape(2 * b, 2 * M)  # columns (re, im) per k
    if kind == "s2":  # forward e^{−imα} as rows; inverse e^{+imα}
        fwd_real = np.concatenate([ph.real.T, -ph.imag.T])  # (2M, 2b): [Re; Im] rows
        return _Mats(t(nat, torch.long), None, None, t(np.argsort(nat), torch.long), t(fwd_real, dtype),
                     t(ph.conj().T, cdt), None, t(ph, cdt), None, None)  # fmt: skip
    m, n = pr[:, 0], pr[:, 1]  # real signals: F[m, n] = conj(F[−m, −n]) serves n < 0
    half = (np.where(n < 0, -m, m) + degrees - 1) * degrees + np.abs(n)
    inter_half = inter[:, 2 * (degrees - 1) :]
    return _Mats(
        t(nat, torch.long), t(half, torch.long), t(inter_half, dtype),
        t(np.argsort(nat), torch.long), t(inter, dtype), t(ph, cdt),
        t(ph.T, cdt), t(ph.conj(), cdt), t(ph.conj().T, cdt), t(inter.T, dtype),
    )  # fmt: skip


def so3_forward(x: torch.Tensor, degrees: int) -> torch.Tensor:
    """``x (N, 2b, 2b, 2b)`` → ``F (P, 2b, N)`` complex, pairs in shell order.

    For real x only n ≥ 0 is computed; pairs with n < 0 then hold ``F[−m, −n]``, whose
    conjugate is the wanted value (the caller flips those imaginary parts).
    """
    N, B2 = x.shape[0], x.shape[1]
    real = not x.is_complex()
    mt = mats("so3", B2 // 2, degrees, x.real.dtype if not real else x.dtype, str(x.device))
    M = 2 * degrees - 1
    if real:
        K = degrees
        Y = torch.view_as_complex((x.reshape(-1, B2) @ mt.fwd_half).view(N, B2, B2, K, 2))
    else:
        K = M
        Y = (x.reshape(-1, B2) @ mt.fwd).view(N, B2, B2, M)  # γ → n
    Yt = Y.permute(2, 3, 1, 0).reshape(B2, -1)  # (α, n·β·N)
    F = (mt.alpha_fwd @ Yt).view(M * K, B2, N)  # α → m; natural (m, n) order
    return F.index_select(0, mt.nat_half if real else mt.nat)


def so3_inverse(G: torch.Tensor, b: int, degrees: int, real: bool) -> torch.Tensor:
    """``G (P, 2b, N)`` complex, shell order → ``(N, 2b, 2b, 2b)`` (real part if ``real``)."""
    N = G.shape[-1]
    mt = mats("so3", b, degrees, G.real.dtype, str(G.device))
    M = 2 * degrees - 1
    Gn = G.index_select(0, mt.inv).view(M, -1)  # (m, n·β·N)
    H = (mt.alpha_inv @ Gn).view(2 * b, M, 2 * b, N).permute(3, 2, 0, 1)  # (N, β, α, n)
    if real:
        Hr = torch.view_as_real(H.contiguous()).reshape(-1, 2 * M)
        return (Hr @ mt.gamma_inv_real).view(N, 2 * b, 2 * b, 2 * b)
    return (H.reshape(-1, M) @ mt.gamma_inv).view(N, 2 * b, 2 * b, 2 * b)


def s2_forward(x: torch.Tensor, degrees: int) -> torch.Tensor:
    """``x (N, 2b, 2b)`` → ``F (P, 2b, N)`` complex, m in shell order."""
    N, B2 = x.shape[0], x.shape[1]
    real = not x.is_complex()
    mt = mats("s2", B2 // 2, degrees, x.dtype if real else x.real.dtype, str(x.device))
    M = 2 * degrees - 1
    xt = x.permute(2, 1, 0).reshape(B2, -1)  # (α, β·N)
    if real:
        F = mt.fwd_real @ xt
        F = torch.complex(F[:M], F[M:])
    else:
        F = mt.fwd @ xt
    return F.view(M, B2, N).index_select(0, mt.nat)


def s2_inverse(G: torch.Tensor, b: int, degrees: int) -> torch.Tensor:
    """``G (P, 2b, N)`` complex, shell order → ``(N, 2b, 2b)`` complex."""
    N = G.shape[-1]
    mt = mats("s2", b, degrees, G.real.dtype, str(G.device))
    Gn = G.index_select(0, mt.inv).reshape(2 * degrees - 1, -1)
    return (mt.alpha_inv @ Gn).view(2 * b, 2 * b, N).permute(2, 1, 0)
