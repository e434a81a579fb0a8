# SPDX-License-Identifier: MIT
"""The sphere part of the checker: group SO(3), kinds "s2", "so3", "invariant".

Elements tested, each with its verdict:

- grid-exact: ``Rz(θ)`` with θ a multiple of π/gcd(all bandwidths of the module, input and
  output), which rolls α by whole samples on every SOFT grid involved; and ``Ry(π)``, which maps
  every SOFT grid onto itself (S²: (β, α) → (π−β, π−α); SO(3): (α, β, γ) → (π−α, π−β, γ+π)).
  Both permute grid points and keep the quadrature weights, so FFTs, spectral products, biases
  and pointwise nonlinearities all commute with them: the error must be rounding only.
- random rotations R (Haar), applied through ``rotate_s2`` / ``rotate_so3``: the spherical
  layers declare them exact when their own input is band-limited (FFT round trip), pointwise
  nonlinearities declare them inexact, so a single linear layer on a band-limited input is
  exact and anything else is a measurement. Statuses come from the modules' declarations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce

import torch
from torch import nn

from .._util import check_choice, check_rotation
from ..groups import SO3
from ._declare import declared_exactness, record_inputs
from ._report import TOLERANCES, ElementResult, EquivarianceReport, relative_error

__all__ = ["SPHERE_KINDS", "SphereElement", "is_sphere_group", "check_sphere_equivariance"]

SPHERE_KINDS = ("s2", "so3", "invariant")
_ALIASES = {"image": "s2", "features": "so3"}


def is_sphere_group(group: object) -> bool:
    """True for "so3" / "SO(3)" or an object whose ``name`` is one of them."""
    name = group if isinstance(group, str) else getattr(group, "name", None)
    return isinstance(name, str) and name.lower().replace("(", "").replace(")", "") == "so3"


@dataclass(frozen=True)
class SphereElement:
    """A rotation; ``z_angle``/``flip`` set for grid symmetries ``Ry(π)^flip · Rz(z_angle)``."""

    name: str
    matrix: torch.Tensor  # (3, 3) float64
    grid_exact: bool = False
    z_angle: float = 0.0
    flip: bool = False

    def __post_init__(self) -> None:
        check_rotation(f"SphereElement {self.name!r}: matrix", self.matrix)


def _roll_alpha(x: torch.Tensor, angle: float, dim: int) -> torch.Tensor:
    b = x.shape[-1] // 2
    shift = angle * b / math.pi
    if abs(shift - round(shift)) > 1e-9:
        raise ValueError(f"Rz({angle:g}) does not roll a bandwidth-{b} grid by whole samples")
    return torch.roll(x, int(round(shift)), dims=dim)


def _flip(x: torch.Tensor, kind: str) -> torch.Tensor:
    """Ry(π): S² new[j,k] = x[2b−1−j, (b−k) mod 2b]; SO(3) also γ index l → (l + b) mod 2b."""
    b = x.shape[-1] // 2
    idx = torch.arange(2 * b, device=x.device)
    beta_dim, alpha_dim = (-2, -1) if kind == "s2" else (-3, -2)
    x = x.flip(beta_dim).index_select(alpha_dim % x.dim(), (b - idx) % (2 * b))
    if kind == "so3":
        x = x.index_select(x.dim() - 1, (idx + b) % (2 * b))
    return x


def act(x: torch.Tensor, g: SphereElement, kind: str) -> torch.Tensor:
    """``[g·x](p) = x(g⁻¹p)`` on an S² / SO(3) signal, or x itself for "invariant"."""
    check_choice("sphere_act", "kind", kind, SPHERE_KINDS)
    if not isinstance(g, SphereElement):
        raise TypeError(f"sphere_act: g must be a SphereElement, got {type(g).__name__}")
    if kind == "invariant":
        return x
    if g.grid_exact:
        y = _roll_alpha(x, g.z_angle, -1 if kind == "s2" else -2) if g.z_angle else x
        return _flip(y, kind) if g.flip else y
    from ..spherical import rotate_s2, rotate_so3

    R = g.matrix.to(dtype=x.dtype, device=x.device)
    return rotate_s2(x, R) if kind == "s2" else rotate_so3(x, R)


def _bandwidths(
    module: object, x: torch.Tensor, y: torch.Tensor, kinds: tuple[str, str]
) -> list[int]:
    bs = [x.shape[-1] // 2]
    if kinds[1] != "invariant":
        bs.append(y.shape[-1] // 2)
    if isinstance(module, nn.Module):
        for m in module.modules():
            bs += [getattr(m, a) for a in ("b_in", "b_out") if isinstance(getattr(m, a, None), int)]
    return bs


def _z(angle: float) -> torch.Tensor:
    c, s = math.cos(angle), math.sin(angle)
    return torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64)


_RY_PI = torch.diag(torch.tensor([-1.0, 1.0, -1.0], dtype=torch.float64))


def elements(
    step: float, rotations: int | Sequence[torch.Tensor], seed: int | None
) -> list[SphereElement]:
    """Grid symmetries for the α step ``step`` plus random (or given) rotations: drawn from
    ``seed``, or from torch's global generator when it is None (so ``torch.manual_seed``
    decides them)."""
    out = [
        SphereElement(f"Rz({step:.4g})", _z(step), True, step),
        SphereElement(f"Rz({-step:.4g})", _z(-step), True, -step),
        SphereElement("Ry(π)", _RY_PI, True, flip=True),
        SphereElement(f"Ry(π)·Rz({step:.4g})", _RY_PI @ _z(step), True, step, True),
    ]
    if step >= math.pi - 1e-12:
        del out[1]  # Rz(−π) = Rz(π)
    if isinstance(rotations, int):
        from ..groups import rand_rotation

        gen = None if seed is None else torch.Generator().manual_seed(seed)
        rotations = list(rand_rotation(rotations, generator=gen)) if rotations else []
    out += [
        SphereElement(f"random R{i}", torch.as_tensor(R, dtype=torch.float64))
        for i, R in enumerate(rotations)
    ]
    return out


def check_sphere_equivariance(
    module: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    input_kind: str,
    output_kind: str,
    rotations: int | Sequence[torch.Tensor] = 2,
    tolerance: float | None = None,
    seed: int | None = None,
) -> EquivarianceReport:
    """Per-element relative errors ‖f(g·x) − g·f(x)‖ / ‖f(x)‖ for rotations g of S² / SO(3)."""
    kin, kout = (_ALIASES.get(k, k) for k in (input_kind, output_kind))
    for kind, role, allowed in (
        (kin, "input_kind", ("s2", "so3")),
        (kout, "output_kind", SPHERE_KINDS),
    ):
        if kind not in allowed:
            raise ValueError(
                f"check_equivariance: {role} {kind!r} is not a kind of group so3; known: {list(allowed)}"
            )
    was_training = getattr(module, "training", False)
    if isinstance(module, nn.Module):
        module.eval()
    tol = tolerance if tolerance is not None else TOLERANCES.get(x.dtype, 1e-4)
    name = (
        type(module).__name__
        if isinstance(module, nn.Module)
        else getattr(module, "__name__", "function")
    )
    report = EquivarianceReport(name, "SO(3)", kin, kout, x.dtype, tol)
    try:
        if isinstance(module, nn.Module):
            y, calls = record_inputs(module, x)
        else:
            with torch.no_grad():
                y, calls = module(x), None
        with torch.no_grad():
            step = math.pi / reduce(math.gcd, _bandwidths(module, x, y, (kin, kout)))
            for g in elements(step, rotations, seed):
                err = relative_error(module(act(x, g, kin)), act(y, g, kout), y)
                if calls is None or not isinstance(module, nn.Module):
                    status, why = "unknown", ["a plain function declares no exactness"]
                else:
                    status, why = declared_exactness(module, SO3, g, calls)
                report.rows.append(ElementResult(g.name, err, status, "; ".join(why)))
    finally:
        if isinstance(module, nn.Module):
            module.train(was_training)
    return report
