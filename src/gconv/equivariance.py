# SPDX-License-Identifier: MIT
"""Measure how equivariant a module is, element by element, and say which elements are exact.

For each group element g: relative error ``‖f(g·x) − g·f(x)‖ / ‖f(x)‖``, and a grid verdict.
On the pixel grid (p4, p4m) an element is *exact* when every strided layer's sampling grid maps
onto itself under it — DESIGN.md's rule, ``(H + 2p − d(k − 1) − 1) % s == 0`` (likewise W);
such elements must show float rounding only. Any other element (or a rotation by a
non-multiple of 90°) is *inexact* and its error is a measurement, not a bug.

>>> from gconv.nn import LiftConv2d
>>> layer = LiftConv2d(1, 4, 3, group="p4").double()
>>> report = check_equivariance(layer, "p4", torch.randn(2, 1, 9, 9, dtype=torch.float64))
>>> report.passed, len(report.rows)
(True, 4)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ._equivariance_sphere import SPHERE_KINDS, check_sphere_equivariance, is_sphere_group
from .groups import FiniteGroup, get, rotate_image
from .nn._checks import grid_rule

__all__ = [
    "ElementResult",
    "EquivarianceReport",
    "check_equivariance",
    "KINDS",
    "SPHERE_KINDS",
    "TOLERANCES",
]

#: relative error below which a grid-exact element passes, per dtype
TOLERANCES: dict[torch.dtype, float] = {
    torch.float64: 1e-10,
    torch.float32: 1e-4,
    torch.float16: 1e-2,
    torch.bfloat16: 5e-2,
}
#: how an element acts on each kind of tensor: ``KINDS[kind](x, g, group)``
KINDS: dict[str, Callable[[torch.Tensor, Any, Any], torch.Tensor]] = {
    "image": lambda x, g, group: group.act_image(x, g),
    "features": lambda x, g, group: group.act_features(x, g),
    "invariant": lambda x, g, group: x,
}


@dataclass
class ElementResult:
    """One group element's measurement."""

    name: str
    error: float
    exact: bool  # exact on the grid: error must be float rounding only
    reason: str = ""


@dataclass
class EquivarianceReport:
    """Per-element table of relative equivariance errors, with the grid verdicts."""

    module: str
    group: str
    input_kind: str
    output_kind: str
    dtype: torch.dtype
    tolerance: float
    rows: list[ElementResult] = field(default_factory=list)

    @property
    def max_error(self) -> float:
        """Largest error over the elements that are exact on the grid."""
        return max((r.error for r in self.rows if r.exact), default=0.0)

    @property
    def passed(self) -> bool:
        """All grid-exact elements are equivariant up to the dtype's tolerance."""
        return all(r.error <= self.tolerance for r in self.rows if r.exact)

    def __str__(self) -> str:
        head = (
            f"{self.module} on {self.group}: {self.input_kind} → {self.output_kind}, "
            f"{str(self.dtype).replace('torch.', '')}"
        )
        width = max([len(r.name) for r in self.rows] + [7])
        lines = [head, f"  {'element':<{width}}  rel. error  grid", "  " + "-" * (width + 20)]
        reasons = []
        for r in self.rows:
            lines.append(
                f"  {r.name:<{width}}  {r.error:10.2e}  {'exact' if r.exact else 'inexact'}"
            )
            if r.reason and r.reason not in reasons:
                reasons.append(r.reason)
        lines += [f"  note: {why}" for why in reasons]
        verdict = "equivariant" if self.passed else "NOT equivariant"
        lines.append(
            f"  verdict: {verdict} (max error on grid-exact elements "
            f"{self.max_error:.1e}, tolerance {self.tolerance:.0e})"
        )
        return "\n".join(lines)


def _strided_layers(module: nn.Module, x: torch.Tensor) -> list[tuple[str, tuple, dict]]:
    """Run once with hooks; record (name, input H×W, geometry) of every strided layer."""
    seen: list[tuple[str, tuple, dict]] = []
    hooks = []

    def record(name: str) -> Callable:
        def hook(mod: nn.Module, args: tuple, _out: Any) -> None:
            geo = _geometry(mod)
            if geo is not None and args and torch.is_tensor(args[0]) and args[0].dim() >= 4:
                seen.append((name or type(mod).__name__, tuple(args[0].shape[-2:]), geo))

        return hook

    for name, mod in module.named_modules():
        hooks.append(mod.register_forward_hook(record(name)))
    try:
        with torch.no_grad():
            module(x)
    finally:
        for h in hooks:
            h.remove()
    return seen


def _geometry(mod: nn.Module) -> dict | None:
    keys = ("kernel_size", "stride", "padding", "dilation")
    if not all(hasattr(mod, k) for k in keys[:2]):
        return None
    geo = {}
    for k in keys:
        v = getattr(mod, k, 1 if k == "dilation" else 0)
        v = v if v is not None else 1
        geo[k] = v[0] if isinstance(v, tuple) else v
    if not all(isinstance(v, int) for v in geo.values()):
        return None
    return geo


def _grid_reasons(layers: list[tuple[str, tuple, dict]]) -> dict[str, list[str]]:
    """Which axes ("H", "W") break the grid rule, with the reasons."""
    out: dict[str, list[str]] = {"H": [], "W": []}
    for name, (h, w), geo in layers:
        for axis, size in (("H", h), ("W", w)):
            why = grid_rule(
                size, geo["kernel_size"], geo["stride"], geo["padding"], geo["dilation"]
            )
            if why:
                out[axis].append(f"{name} ({axis}): {why}")
    return out


def _axes_needed(group: FiniteGroup, g: int) -> tuple[str, ...]:
    m, r = divmod(g, 4)
    if g == 0:
        return ()
    if m and r == 0:
        return ("W",)  # pure mirror flips the width only
    if m and r == 2:
        return ("H",)  # mirror then 180° flips the height only
    return ("H", "W")


def _relative(a: torch.Tensor, b: torch.Tensor, ref: torch.Tensor) -> float:
    denom = ref.detach().double().norm().item()
    diff = (a.detach().double() - b.detach().double()).norm().item()
    return diff / denom if denom > 0 else diff


def check_equivariance(
    module: nn.Module | Callable[[torch.Tensor], torch.Tensor],
    group: str | FiniteGroup,
    x: torch.Tensor,
    input_kind: str = "image",
    output_kind: str = "features",
    elements: Iterable[int] | None = None,
    angles: Sequence[float] = (),
    tolerance: float | None = None,
    rotations: int | Sequence[torch.Tensor] = 2,
) -> EquivarianceReport:
    """Relative error ‖f(g·x) − g·f(x)‖ / ‖f(x)‖ for every element g (or those given).

    ``input_kind``/``output_kind``: ``"image"`` ``(B, C, H, W)``, ``"features"``
    ``(B, C, |G| or a quotient, H, W)`` or ``"invariant"`` (output must not change).
    ``angles``: extra continuous rotations (radians; with image input and image/invariant
    output), always reported as inexact: bilinear resampling is not a symmetry of the grid.

    Group ``"so3"`` (sphere): kinds ``"s2"`` ``(B, C, 2b, 2b)``, ``"so3"`` ``(B, C, 2b, 2b, 2b)``,
    ``"invariant"``; the grid symmetries (α-rolls, Ry(π)) plus ``rotations`` random rotations
    (or the given 3×3 matrices), each with its verdict — see ``gconv._equivariance_sphere``.
    """
    if is_sphere_group(group):
        return check_sphere_equivariance(module, x, input_kind, output_kind, rotations, tolerance)
    grp = get(group)
    for kind, role in ((input_kind, "input_kind"), (output_kind, "output_kind")):
        if kind not in KINDS:
            raise ValueError(f"check_equivariance: unknown {role} {kind!r}; known: {sorted(KINDS)}")
    act_in, act_out = KINDS[input_kind], KINDS[output_kind]
    was_training = getattr(module, "training", False)
    if isinstance(module, nn.Module):
        module.eval()
    try:
        layers = _strided_layers(module, x) if isinstance(module, nn.Module) else []
        broken = _grid_reasons(layers)
        with torch.no_grad():
            y = module(x)
            report = EquivarianceReport(
                type(module).__name__,
                grp.name,
                input_kind,
                output_kind,
                x.dtype,
                tolerance if tolerance is not None else TOLERANCES.get(x.dtype, 1e-4),
            )
            for g in grp.elements() if elements is None else elements:
                why = [r for axis in _axes_needed(grp, g) for r in broken[axis]]
                err = _relative(module(act_in(x, g, grp)), act_out(y, g, grp), y)
                report.rows.append(ElementResult(grp.element_name(g), err, not why, "; ".join(why)))
            for angle in angles:
                report.rows.append(_continuous(module, x, y, angle, input_kind, output_kind))
    finally:
        if isinstance(module, nn.Module):
            module.train(was_training)
    return report


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
    err = _relative(module(rotate_image(x, angle)), expected, y)
    deg = math.degrees(angle)
    return ElementResult(
        f"rot {deg:g}° (bilinear)",
        err,
        False,
        "rotations other than multiples of 90° resample the pixel grid "
        "(bilinear interpolation), so they are never exact",
    )
