# SPDX-License-Identifier: MIT
"""SO(3) 1×1 shortcut and the invariant integrals over S² and SO(3) (Haar measure, SOFT grids).

Split from :mod:`gconv.nn.spherical`, whose helpers they use; re-exported by ``gconv.nn``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._precision import full_precision
from ..groups import Group, quadrature_weights
from ..spherical import engine as hm
from ._checks import check_like, empty_output
from ._sphere_exact import spherical_exactness
from .spherical import _bandwidth, _channels, _register_tables, _tables, check_signal

__all__ = ["SO3Shortcut", "so3_integrate", "s2_integrate"]


class SO3Shortcut(nn.Module):
    """1×1 channel mixing on SO(3) with a bandwidth change (for residual stacks).

    ``y[o] = Σ_c W[o, c] P(x[c]) + bias[o]`` where P keeps degrees < min(b_in, b_out) and
    re-samples at b_out (identity when b_in == b_out): ``(B, C_in, 2b_in, …)`` →
    ``(B, C_out, 2b_out, …)``. For b_in ≠ b_out it equals SO3Conv with the one-point grid at
    the identity; for b_in == b_out it keeps every degree of the input, where SO3Conv would
    project onto degrees < b (the two agree on band-limited inputs).
    """

    def __init__(self, in_channels: int, out_channels: int, b_in: int, b_out: int) -> None:
        super().__init__()
        self.in_channels = _channels("SO3Shortcut", "in_channels", in_channels)
        self.out_channels = _channels("SO3Shortcut", "out_channels", out_channels)
        self.b_in = _bandwidth("SO3Shortcut", "b_in", b_in)
        self.b_out = _bandwidth("SO3Shortcut", "b_out", b_out)
        bound = math.sqrt(3.0 / in_channels)  # keeps the second moment (no nonlinearity)
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        if b_in != b_out:
            L = min(b_in, b_out)
            _register_tables(self, "ana", hm.so3_tables(b_in, L))
            _register_tables(self, "syn", hm.so3_tables(b_out, L))

    @full_precision
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_signal("SO3Shortcut", x, self.in_channels, self.b_in, 3)
        check_like("SO3Shortcut", x, self.weight)
        if x.shape[0] == 0:
            return empty_output(x, (0, self.out_channels) + (2 * self.b_out,) * 3, self)
        if self.b_in != self.b_out:
            small = self.out_channels < self.in_channels
            if small:
                x = torch.einsum("oc,bcijk->boijk", self.weight, x)
            B, C, b = x.shape[0], x.shape[1], self.b_out
            Fh = hm.so3_analysis(x.reshape(-1, *x.shape[2:]), _tables(self, "ana", x.dtype))
            x = hm.so3_synthesis(Fh, _tables(self, "syn", x.dtype)).reshape(
                B, C, 2 * b, 2 * b, 2 * b
            )
            if not small:
                x = torch.einsum("oc,bcijk->boijk", self.weight, x)
        else:
            x = torch.einsum("oc,bcijk->boijk", self.weight, x)
        return x + self.bias.view(1, -1, 1, 1, 1)

    def equivariance_exactness(self, group: Group, g: object, x: torch.Tensor) -> str | None:
        """1×1 mixing after a projection onto degrees < min(b_in, b_out): exact for every
        rotation, any input (each channel is rotated by the same linear map)."""
        return spherical_exactness(
            "SO3Shortcut", self.b_in, self.b_out, "so3", group, g, x, any_input=True
        )

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, b_in={self.b_in}, b_out={self.b_out}"


def _weights(b: int, x: torch.Tensor) -> torch.Tensor:
    return quadrature_weights(b).to(dtype=x.dtype, device=x.device)


@full_precision
def so3_integrate(x: torch.Tensor) -> torch.Tensor:
    """Haar integral ``∫ F dR`` (normalised, ∫1 = 1): ``(B, C, 2b, 2b, 2b)`` → ``(B, C)``.

    Exact for band-limited F: ``Σ_{j,k,l} w_j F[j,k,l] / (2(2b)²)``; invariant under rotations.

    >>> float(so3_integrate(torch.ones(1, 1, 8, 8, 8, dtype=torch.float64)))
    1.0
    """
    check_signal("so3_integrate", x, None, None, 3)
    b = x.shape[-1] // 2
    w = _weights(b, x) / (2 * (2 * b) ** 2)
    return torch.einsum("bcjkl,j->bc", x, w)


@full_precision
def s2_integrate(x: torch.Tensor) -> torch.Tensor:
    """Normalised sphere integral ``(1/4π) ∫ f dx`` (mean over S²): ``(B, C, 2b, 2b)`` → ``(B, C)``.

    >>> float(s2_integrate(torch.ones(1, 1, 8, 8, dtype=torch.float64)))
    1.0
    """
    check_signal("s2_integrate", x, None, None, 2)
    b = x.shape[-1] // 2
    w = _weights(b, x) / (4 * b)
    return torch.einsum("bcjk,j->bc", x, w)
