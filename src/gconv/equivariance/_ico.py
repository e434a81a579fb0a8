# SPDX-License-Identifier: MIT
"""The icosahedral part of the checker: group "ico" (the 60 rotations, ``gconv.groups.ICO``)
acting on ``IcoGrid(r)`` signals. Kinds:

- ``"vertices"``: a scalar signal ``(B, C, V)`` on all vertices, ``[g·x](v) = x(R_g⁻¹ v)``.
- ``"features"``: regular features ``(B, C, 6, 5, n, 2n)``,
  ``[g·f](v)[θ] = f(u)[θ − t]`` with u = R_g⁻¹ v and t the gauge shift R_g induces at u.
- ``"scalars"``: scalar charts ``(B, C, 5, n, 2n)``, ``[g·f](v) = f(u)``.
- ``"invariant"``: unchanged.

Chart-stored features vanish at the 12 five-neighbour vertices (where a 60° frame does not
exist and where the poles, which charts do not store, land): the action writes zero there.
Hence a pointwise map is exact on such features only if it maps 0 to 0 (ReLU yes, sigmoid or
``nn.BatchNorm*`` in general no: use ``IcoBatchNorm``); on vertex signals and invariants every
pointwise map is exact. Every element permutes grid points, so errors of exact elements are
float rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._util import cached_tensors, check_choice, check_tensor
from ..groups import ICO, IcoGrid
from ._declare import declared_exactness, record_inputs
from ._report import TOLERANCES, ElementResult, EquivarianceReport, element_error

__all__ = ["ICO_KINDS", "IcoElement", "ico_act", "check_ico_equivariance"]

ICO_KINDS = ("vertices", "features", "scalars", "invariant")
_ALIASES = {"image": "vertices"}


@dataclass(frozen=True)
class IcoElement:
    """Rotation ``index`` of ``ICO`` as the checker hands it to the declarations."""

    index: int
    name: str
    grid_exact: bool = True

    def __post_init__(self) -> None:
        ICO._check(self.index)  # ValueError unless an int in 0..59

    def pointwise_exactness(self, mod: nn.Module, x: torch.Tensor) -> str | None:
        """Chart features (5-D/6-D) are zero at the corners after the action: exact iff
        ``mod(0) == 0``; vertex signals and invariants are only permuted: always exact."""
        if x.dim() <= 3:
            return None
        with torch.no_grad():
            z = mod(torch.zeros_like(x[:1]))
        if torch.count_nonzero(z) == 0:
            return None
        return (
            f"{type(mod).__name__} maps 0 (the value of chart features at the 12 "
            "five-neighbour vertices) to a nonzero value"
        )


@cached_tensors(32)
def _grid(r: int) -> IcoGrid:
    return IcoGrid(r)


def _resolution(n_vertices: int) -> int:
    r = int(round(np.log(max((n_vertices - 2) / 10, 1)) / np.log(4)))
    if 10 * 4**r + 2 != n_vertices:
        raise ValueError(f"ico: {n_vertices} vertices is not 10·4^r + 2 for any r")
    return r


@cached_tensors(512)
def _index(r: int, g: int, kind: str) -> torch.Tensor:
    grid = _grid(r)
    perm = grid.rotation_perm[g]
    inv = np.empty_like(perm)
    inv[perm] = np.arange(len(perm))
    if kind == "vertices":
        return torch.from_numpy(inv.copy())
    nc = grid.num_chart_vertices
    src = inv[:nc]
    is_corner = np.zeros(grid.num_vertices, dtype=bool)
    is_corner[grid.corners] = True
    if kind == "scalars":
        return torch.from_numpy(np.where(is_corner[:nc], nc, src))
    t = grid.rotation_shift[g][src]
    theta = np.arange(6)[:, None]
    idx = ((theta - t[None]) % 6) * nc + src[None]
    return torch.from_numpy(np.where(is_corner[:nc][None], 6 * nc, idx).reshape(-1))


def ico_act(x: torch.Tensor, g: int, kind: str) -> torch.Tensor:
    """``g·x`` for rotation g (0..59) of ``ICO`` on a signal of the given kind."""
    check_tensor("ico_act: x", x, floating=False)
    check_choice("ico_act", "kind", kind, ICO_KINDS)
    ICO._check(g)
    if kind == "invariant":
        return x
    if kind == "vertices":
        return x.index_select(-1, _index(_resolution(x.shape[-1]), g, kind).to(x.device))
    n = x.shape[-2]
    r = n.bit_length() - 1
    if x.shape[-3:] != (5, n, 2 * n) or 2**r != n:
        raise ValueError(f"ico: expected charts (..., 5, n, 2n), n = 2^r, got {tuple(x.shape)}")
    if kind == "features" and (x.dim() < 4 or x.shape[-4] != 6):
        raise ValueError(
            f"ico: expected regular features (..., 6, 5, n, 2n) (6 orientations), got "
            f"{tuple(x.shape)}"
        )
    lead = x.shape[: -4 if kind == "features" else -3]
    flat = torch.nn.functional.pad(x.reshape(*lead, -1), (0, 1))
    return flat.index_select(-1, _index(r, g, kind).to(x.device)).view(x.shape)


def check_ico_equivariance(
    module: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    input_kind: str,
    output_kind: str,
    elements: Iterable[int] | None = None,
    tolerance: float | None = None,
) -> EquivarianceReport:
    """Per-element relative errors ‖f(g·x) − g·f(x)‖ / ‖f(x)‖ for the 60 rotations."""
    kin, kout = (_ALIASES.get(k, k) for k in (input_kind, output_kind))
    for kind, role in ((kin, "input_kind"), (kout, "output_kind")):
        allowed = ICO_KINDS if role == "output_kind" else ICO_KINDS[:3]
        if kind not in allowed:
            raise ValueError(
                f"check_equivariance: {role} {kind!r} is not a kind of group ico; "
                f"known: {list(allowed)}"
            )
    is_mod = isinstance(module, nn.Module)
    was_training = getattr(module, "training", False)
    if isinstance(module, nn.Module):
        module.eval()
    tol = tolerance if tolerance is not None else TOLERANCES.get(x.dtype, 1e-4)
    name = type(module).__name__ if is_mod else getattr(module, "__name__", "function")
    report = EquivarianceReport(name, "ico (60 rotations)", kin, kout, x.dtype, tol)
    try:
        if isinstance(module, nn.Module):
            y, calls = record_inputs(module, x)
        else:
            with torch.no_grad():
                y, calls = module(x), None
        with torch.no_grad():
            for g in ICO.elements() if elements is None else elements:
                el = IcoElement(int(g), ICO.element_name(int(g)))
                err = element_error(
                    module(ico_act(x, el.index, kin)), ico_act(y, el.index, kout), y
                )
                if calls is None or not isinstance(module, nn.Module):
                    status, why = "unknown", ["a plain function declares no exactness"]
                else:
                    status, why = declared_exactness(module, ICO, el, calls)
                report.rows.append(
                    ElementResult(el.name, err, status, "; ".join(why), identity=el.index == 0)
                )
    finally:
        if isinstance(module, nn.Module):
            module.train(was_training)
    return report
