# SPDX-License-Identifier: MIT
"""The spherical CNN of Cohen, Geiger, Köhler & Welling (2018) for spherical MNIST.

``S2CNN``: S² signal ``(B, 1, 2b, 2b)`` (SOFT grid, ``[β, α]``, default b = 30, i.e. 60×60) →
``S2Conv`` to SO(3) at bandwidth 10 (20 channels) → ReLU → ``SO3Conv`` to bandwidth 6 (40
channels) → ReLU → ``so3_integrate`` (the normalised Haar integral, invariant to every
rotation) → ``Linear(40, 10)`` → logits ``(B, 10)``. Submodules ``s2``, ``so3``, ``head``.

Registered as ``s2cnn`` (SO(3) filters on ``so3_near_identity_grid()``, 192 rotations:
154,550 parameters = 1·20·24 + 20 for ``s2``, 20·40·192 + 40 for ``so3``, 40·10 + 10 for the
head) and ``s2cnn-72`` (the 72-point grid of the s2cnn code, ``so3_near_identity_grid(
n_gamma=3)``: 58,550 parameters).

The logits are invariant to every rotation of a band-limited input up to the sampling of the
nonlinearities; exactly (to rounding) for the rotations that map the SOFT grids onto themselves
(Ry(π), and z-rotations by multiples of π/gcd(b, 10, 6)).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .._util import check_positive_int
from ..nn import S2Conv, SO3Conv, so3_integrate, so3_near_identity_grid
from ._registry import ModelSpec, register_model

__all__ = ["S2CNN"]


class S2CNN(nn.Module):
    """S² → SO(3) → SO(3) → Haar integral → linear: ``(B, C, 2b, 2b)`` → ``(B, K)``.

    ``channels`` and ``bandwidths`` are those of the two spherical layers; ``so3_grid`` the
    rotations the SO(3) filter is sampled on (default ``so3_near_identity_grid()``).
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        bandwidth: int = 30,
        channels: tuple[int, int] = (20, 40),
        bandwidths: tuple[int, int] = (10, 6),
        so3_grid: Sequence[Sequence[float]] | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        check_positive_int(name, "num_classes", num_classes)
        if len(channels) != 2 or len(bandwidths) != 2:
            raise ValueError(
                f"{name}: channels and bandwidths must be pairs (one per spherical layer), got "
                f"{channels!r} and {bandwidths!r}"
            )
        c1, c2 = channels
        b1, b2 = bandwidths
        self.s2 = S2Conv(in_channels, c1, bandwidth, b1)
        self.so3 = SO3Conv(c1, c2, b1, b2, grid=so3_grid)
        self.head = nn.Linear(c2, num_classes)

    #: forward chains s2, so3, the Haar integral and the head: the checker composes them
    equivariance_composite = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, 2b, 2b)`` S² signal → ``(B, K)`` logits."""
        h = torch.relu(self.so3(torch.relu(self.s2(x))))
        return self.head(so3_integrate(h))

    def num_parameters(self, trainable_only: bool = True) -> int:
        """Number of (trainable) parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)


def _s2cnn_72(**kwargs: object) -> S2CNN:
    """S2CNN with the s2cnn code's 72-point SO(3) filter grid (24 rotations, each thrice)."""
    return S2CNN(so3_grid=so3_near_identity_grid(n_gamma=3), **kwargs)  # type: ignore[arg-type]


for _name, _builder, _params in (("s2cnn", S2CNN, "154,550"), ("s2cnn-72", _s2cnn_72, "58,550")):
    register_model(
        ModelSpec(
            _name,
            _builder,
            "s2",
            "logits",
            "classification",
            (1, 60, 60),
            group="so3",
            defaults={"bandwidth": 30},
            description=f"spherical MNIST (Cohen et al. 2018): S2Conv, SO3Conv, Haar integral, "
            f"linear; {_params} params",
        )
    )
