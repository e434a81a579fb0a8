# SPDX-License-Identifier: MIT
"""Invariant read-outs of spherical signals as modules (so that models and the checker see
them): ``SO3Integrate`` and ``S2Integrate`` wrap ``so3_integrate`` / ``s2_integrate``."""

from __future__ import annotations

import torch
from torch import nn

from ..groups import SO3, Group
from ._so3_extra import s2_integrate, so3_integrate

__all__ = ["SO3Integrate", "S2Integrate"]


class _Integrate(nn.Module):
    def equivariance_exactness(self, group: Group, g: object, x: torch.Tensor) -> str | None:
        """The normalised quadrature integral is the degree-0 coefficient: grid symmetries keep
        the weights, and ``rotate_*`` keeps degree 0, so it is invariant to every rotation."""
        if group is not SO3:
            return f"{type(self).__name__} integrates over the sphere, not under {group}"
        return None


class SO3Integrate(_Integrate):
    """Haar integral ``(B, C, 2b, 2b, 2b) → (B, C)``, normalised so that ∫1 = 1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return so3_integrate(x)


class S2Integrate(_Integrate):
    """Sphere integral ``(B, C, 2b, 2b) → (B, C)``, normalised so that ∫1 = 1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return s2_integrate(x)
