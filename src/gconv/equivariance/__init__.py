# SPDX-License-Identifier: MIT
"""Measure how equivariant a module is, element by element, and never overclaim.

For each group element g: the relative error ``‖f(g·x) − g·f(x)‖ / ‖f(x)‖`` and a status
(``_report``): *exact* only where every module that ran declares itself exact for g on its grid
(``_declare``: the layers' ``equivariance_exactness``, torch's pointwise modules in one table),
*inexact* where one says why not, *unknown* where one declares nothing. The verdict is
"equivariant", "not equivariant" (an exact element failed: a bug) or "nothing checkable
exactly". Geometries: the plane (``_planar``; C_N and D_N for any N: quarter turns and mirrors
permute pixels, other rotations resample with ``rotate_image`` and are measured, never exact),
the sphere (``_sphere``; SO(3) on SOFT grids) and the icosahedral grid (``_ico``; the 60
rotations).

- ``check_equivariance(module, group, x, input_kind, output_kind, ...)`` → report.
- ``assert_equivariant(module, group, x, ...)``: for users' tests; raises with the table.

>>> from gconv.nn import LiftConv2d
>>> layer = LiftConv2d(1, 4, 3, group="p4").double()
>>> report = check_equivariance(layer, "p4", torch.randn(2, 1, 9, 9, dtype=torch.float64))
>>> report.verdict, len(report.rows)
('equivariant', 4)
>>> strided = LiftConv2d(1, 2, 3, stride=2).double()   # (8 − 3) mod 2 = 1: no rotation exact
>>> check_equivariance(strided, "p4", torch.randn(1, 1, 8, 8, dtype=torch.float64)).verdict
'nothing checkable exactly'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import nn

from .._util import ShapeError
from ..groups import FiniteGroup, Group, get
from ._declare import POINTWISE, RULES, declared_exactness, permutes_grid
from ._ico import ICO_KINDS, IcoElement, check_ico_equivariance, ico_act
from ._planar import KINDS, check_planar
from ._report import TOLERANCES, VERDICTS, ElementResult, EquivarianceReport, relative_error
from ._sphere import SPHERE_KINDS, SphereElement, check_sphere_equivariance
from ._sphere import act as sphere_act

__all__ = [
    "ICO_KINDS",
    "IcoElement",
    "KINDS",
    "POINTWISE",
    "RULES",
    "SPHERE_KINDS",
    "ShapeError",
    "TOLERANCES",
    "VERDICTS",
    "ElementResult",
    "EquivarianceReport",
    "SphereElement",
    "assert_equivariant",
    "check_equivariance",
    "declared_exactness",
    "ico_act",
    "permutes_grid",
    "relative_error",
    "sphere_act",
]


def check_equivariance(
    module: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    group: str | Group,
    x: torch.Tensor,
    input_kind: str = "image",
    output_kind: str = "features",
    elements: Iterable[int] | None = None,
    angles: Sequence[float] = (),
    tolerance: float | None = None,
    rotations: int | Sequence[torch.Tensor] = 2,
) -> EquivarianceReport:
    """Relative error ‖f(g·x) − g·f(x)‖ / ‖f(x)‖ and status for every element g (or those given).

    Planar groups (``"p4"``, ``"p4m"``, ``"c8"``, ``"d16"``, … or their objects; element
    g = N·m + r acts by ``gconv.groups.PlaneAction``: exact pixel permutations for quarter
    turns and mirrors, bilinear ``rotate_image`` by 2πr/N otherwise): kinds
    ``"image"`` ``(B, C, H, W)``, ``"features"`` ``(B, C, |G|, H, W)``, ``"cosets:rotations"`` /
    ``"cosets:mirrors"`` (a group axis pooled over that subgroup) or ``"invariant"``.
    ``angles``: extra continuous rotations (radians; image in, image/invariant out), always
    inexact. A group axis pooled over any subgroup is ``"cosets:<subgroup>"`` (e.g.
    ``"cosets:c4"``). Group ``"so3"``: kinds ``"s2"``, ``"so3"``, ``"invariant"`` (the defaults
    read as ``"s2"`` → ``"so3"``); the grid symmetries (α-rolls, Ry(π)) plus ``rotations``
    random rotations (drawn from torch's global generator, so ``torch.manual_seed`` fixes them)
    or the given 3×3 matrices; ``elements`` and ``angles`` do not apply. Group ``"ico"`` (the 60
    rotations of ``gconv.groups.ICO`` on ``IcoGrid(r)``): kinds ``"vertices"`` ``(B, C, V)``,
    ``"features"`` ``(B, C, 6, 5, n, 2n)`` (``[g·f](v)[θ] = f(R_g⁻¹v)[θ − t]``, t the gauge
    shift), ``"scalars"`` ``(B, C, 5, n, 2n)``, ``"invariant"`` (the defaults read as
    ``"vertices"`` → ``"features"``); ``elements`` picks rotations, ``angles`` and ``rotations``
    do not apply.
    The module runs in eval mode; its training flag is restored.
    """
    if not torch.is_tensor(x):
        raise TypeError(f"check_equivariance: x must be a torch.Tensor, got {type(x).__name__}")
    if x.numel() == 0 or not bool(x.detach().ne(0).any()):
        what = "no elements" if x.numel() == 0 else "only zeros"
        raise ValueError(
            f"check_equivariance: x has {what} (shape {tuple(x.shape)}), so no error could "
            f"show: pass a generic input, e.g. torch.randn"
        )
    grp = get(group)
    if getattr(grp, "name", None) == "ico":
        return check_ico_equivariance(module, x, input_kind, output_kind, elements, tolerance)
    if not isinstance(grp, FiniteGroup):
        return check_sphere_equivariance(module, x, input_kind, output_kind, rotations, tolerance)
    was_training = getattr(module, "training", False)
    if isinstance(module, nn.Module):
        module.eval()
    try:
        return check_planar(module, grp, x, input_kind, output_kind, elements, angles, tolerance)
    finally:
        if isinstance(module, nn.Module):
            module.train(was_training)


def assert_equivariant(
    module: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    group: str | Group,
    x: torch.Tensor,
    input_kind: str = "image",
    output_kind: str = "features",
    *,
    require_exact: bool = True,
    **kwargs: Any,
) -> EquivarianceReport:
    """Raise ``AssertionError`` (with the per-element table) unless the verdict is
    "equivariant" — or, with ``require_exact=False``, unless no exact element fails.
    Keyword arguments go to ``check_equivariance``; returns the report.

    >>> from gconv.nn import GroupConv2d
    >>> layer = GroupConv2d(2, 2, 3, group="p4m").double()
    >>> _ = assert_equivariant(layer, "p4m", torch.randn(1, 2, 8, 7, 7, dtype=torch.float64),
    ...                        "features", "features")
    """
    __tracebackhide__ = True
    report = check_equivariance(module, group, x, input_kind, output_kind, **kwargs)
    bad = report.verdict == "not equivariant" or (require_exact and report.verdict != "equivariant")
    if bad:
        raise AssertionError(f"expected an equivariant module, got {report.verdict!r}:\n{report}")
    return report
