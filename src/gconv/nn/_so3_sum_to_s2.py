# SPDX-License-Identifier: MIT
"""SO(3) → S² layer with a kernel on SO(3), summed over n (Gerken et al. 2022's output layer).

``SO3SumToS2Conv`` first correlates on SO(3) as ``SO3Conv`` does,
``G(R) = ∫ ψ(R⁻¹Q) F(Q) dQ`` with ``ψ = Σ_i w_i δ_{Q_i}`` (band-limited to L = min(b_in, b_out)),
then maps G to S² by summing each degree's spectrum over its right index,
``h_lm = Σ_k Ĝ^l_{mk}``, and synthesising the real part
``g(x) = Re Σ_{l<L} (2l+1) Σ_m h_lm D^l_{m0}(α, β, 0)`` for ``x = Rz(α) Ry(β) e_z``
(``(2l+1) D^l_{m0}(α, β, 0) = √(4π(2l+1)) conj(Y_lm(x))``; for a G that does not depend on γ,
only k = 0 is nonzero and g(x) = G(Q_x), the value on the fibre). Left rotations act on m only,
so ``layer(R·F) = R·layer(F)``. In sem_seg_s2cnn this is ``SO3ToS2`` (``so3_sum_n``): the same
product and sum, here in gconv's conventions (DESIGN.md) and normalisation.

Because ``Σ_k Ĝ^l_{mk} = Σ_n F̂^l_{mn} Σ_k ψ̃^l_{kn}``, the layer is ``SO3ToS2Conv``'s product with
the S² filter ``φ_ln = ½ √(4π(2l+1)) [χ_ln + (−1)^n conj(χ_{l,−n})]``, ``χ_ln = Σ_i w_i Σ_k
D^l_{kn}(Q_i)`` (the real part folds ±m together): the product costs no more than SO3ToS2Conv's.

>>> import torch
>>> layer = SO3SumToS2Conv(2, 3, b_in=4, b_out=5)
>>> layer(torch.randn(1, 2, 8, 8, 8)).shape
torch.Size([1, 3, 10, 10])
>>> layer.weight.shape[-1]  # so3_near_identity_grid(): 192 rotations
192
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..spherical import engine as hm
from . import _spectral as sp
from ._spherical_grids import check_so3_grid, so3_near_identity_grid
from .spherical import SO3ToS2Conv, _register_tables, _SphericalLinear

__all__ = ["SO3SumToS2Conv"]


class SO3SumToS2Conv(SO3ToS2Conv):
    """SO(3) → S² with an SO(3) kernel summed over n (see module docstring).

    ``(B, C_in, 2b_in, 2b_in, 2b_in)`` → ``(B, C_out, 2b_out, 2b_out)``; real inputs.
    grid: ``(β, α, γ)`` rotations (default ``so3_near_identity_grid()``, 192 points).
    Weights ``(C_in, C_out, |grid|)``, one bias per output channel.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        b_in: int,
        b_out: int,
        grid: Sequence[Sequence[float]] | None = None,
        gain: float = math.sqrt(2.0),
    ) -> None:
        pts = check_so3_grid("SO3SumToS2Conv", so3_near_identity_grid() if grid is None else grid)
        _SphericalLinear.__init__(self, in_channels, out_channels, b_in, b_out, pts, gain)
        L = self.degrees
        table = sp.so3_sum_to_s2_filter_table(pts, L)
        self.register_buffer("filter_table", table, persistent=False)
        _register_tables(self, "ana", hm.so3_tables(b_in, L))
        _register_tables(self, "syn", hm.s2_tables(b_out, L))
