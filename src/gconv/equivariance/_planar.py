# SPDX-License-Identifier: MIT
"""The planar part of the checker: C_N and D_N (any N) acting on images and group features
(``PlaneAction``): quarter turns and mirrors permute pixels (``torch.rot90`` / flips, exact),
other rotations by 2πr/N resample the grid with ``rotate_image`` (bilinear). Each element's
status comes from the modules' declarations (``_declare``): a strided layer is exact for a grid
element g only on the axes g reverses where DESIGN's rule ``(H + 2p − d(k − 1) − 1) % s == 0``
holds; resampled elements are declared inexact, and their rows report the measured error.
Extra continuous rotations (``angles``) are always inexact."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import nn

from ..groups import FiniteGroup, PlaneAction, rotate_image
from ._declare import declared_exactness, record_inputs
from ._report import TOLERANCES, ElementResult, EquivarianceReport, element_error

__all__ = ["KINDS", "check_planar"]

#: how an element acts on each kind of tensor: ``KINDS[kind](grid, x, g)``; "cosets:<H>" is a
#: group axis pooled over the subgroup H ("rotations", "mirrors", or a group such as "c4")
KINDS: dict[str, Callable[[PlaneAction, torch.Tensor, int], torch.Tensor]] = {
    "image": lambda grid, x, g: grid.act_image(x, g),
    "features": lambda grid, x, g: grid.act_features(x, g),
    "cosets:rotations": lambda grid, x, g: grid.act_features(x, g, "rotations"),
    "cosets:mirrors": lambda grid, x, g: grid.act_features(x, g, "mirrors"),
    "invariant": lambda grid, x, g: x,
}


def _kind(kind: str, role: str) -> Callable[[PlaneAction, torch.Tensor, int], torch.Tensor]:
    """``KINDS[kind]``, or for ``"cosets:<subgroup>"`` (e.g. ``"cosets:c4"``) the action on
    the cosets of that subgroup."""
    if kind in KINDS:
        return KINDS[kind]
    if kind.startswith("cosets:") and len(kind) > 7:
        sub = kind[7:]
        return lambda grid, x, g: grid.act_features(x, g, sub)
    raise ValueError(f"check_equivariance: unknown {role} {kind!r}; known: {sorted(KINDS)}")


def _status(module: Any, group: FiniteGroup, g: int, calls: dict | None) -> tuple[str, str]:
    if g == 0:
        return "exact", ""
    if calls is None:
        return "unknown", "a plain function declares no exactness"
    status, why = declared_exactness(module, group, g, calls)
    return status, "; ".join(why)


def check_planar(
    module: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    group: FiniteGroup,
    x: torch.Tensor,
    input_kind: str,
    output_kind: str,
    elements: Iterable[int] | None,
    angles: Sequence[float],
    tolerance: float | None,
) -> EquivarianceReport:
    """Per-element errors and statuses on the pixel grid (see ``check_equivariance``)."""
    grid = PlaneAction(group)
    act_in, act_out = _kind(input_kind, "input_kind"), _kind(output_kind, "output_kind")
    if isinstance(module, nn.Module):
        y, calls = record_inputs(module, x)
    else:
        with torch.no_grad():
            y, calls = module(x), None
    tol = tolerance if tolerance is not None else TOLERANCES.get(x.dtype, 1e-4)
    name = (
        type(module).__name__
        if isinstance(module, nn.Module)
        else getattr(module, "__name__", "function")
    )
    report = EquivarianceReport(name, group.name, input_kind, output_kind, x.dtype, tol)
    fiber = _fiber_mismatch(module, group, calls, input_kind, output_kind)
    with torch.no_grad():
        for g in group.elements() if elements is None else elements:
            status, why = _status(module, group, g, calls)
            if status == "exact" and g != 0 and fiber:
                status, why = "unknown", fiber
            err = element_error(module(act_in(grid, x, g)), act_out(grid, y, g), y)
            report.rows.append(ElementResult(group.element_name(g), err, status, why, g == 0))
        for angle in angles:
            report.rows.append(_continuous(module, x, y, angle, input_kind, output_kind))
    return report


def _fiber_mismatch(
    module: Any, group: FiniteGroup, calls: dict | None, input_kind: str, output_kind: str
) -> str:
    """Why a group axis at the input or output may not hold ``group``'s features: the modules
    that read it first or wrote it last (call order; a module's ``group``, or its ``subgroup``
    for what it writes) are built for another group, e.g. a C4 net checked as D2. The check
    would act on that axis by ``group``'s regular representation, a wrong action; "" if none."""
    if calls is None:
        return ""
    named = {id(m): (n or type(m).__name__, m) for n, m in module.named_modules()}
    ran = [named[i] for i in calls if i in named]
    held = [(n, m) for n, m in ran if isinstance(getattr(m, "group", None), FiniteGroup)]
    if not held:
        return ""
    why = []
    for role, kind, (label, mod) in (
        ("input", input_kind, held[0]),
        ("output", output_kind, held[-1]),
    ):
        own = mod.group
        if role == "output" and isinstance(getattr(mod, "subgroup", None), FiniteGroup):
            own = mod.subgroup
        if kind not in ("image", "invariant") and own != group:
            why.append(
                f"the {role}'s group axis is {'read' if role == 'input' else 'written'} by "
                f"{label} ({type(mod).__name__}) as {own.name} features, but the check acts on "
                f"it as {group.name}'s: check with group {own.name.lower()!r}"
            )
    return "; ".join(why)


def _continuous(
    module: Callable,
    x: torch.Tensor,
    y: torch.Tensor,
    angle: float,
    input_kind: str,
    output_kind: str,
) -> ElementResult:
    if input_kind != "image" or output_kind not in ("image", "invariant"):
        raise ValueError(
            "check_equivariance: continuous angles need image input and image or "
            f"invariant output, got {input_kind} → {output_kind}"
        )
    expected = rotate_image(y, angle) if output_kind == "image" else y
    err = element_error(module(rotate_image(x, angle)), expected, y)
    return ElementResult(
        f"rot {math.degrees(angle):g}° (bilinear)",
        err,
        "inexact",
        "rotations other than multiples of 90° resample the pixel grid "
        "(bilinear interpolation), so they are never exact",
    )
