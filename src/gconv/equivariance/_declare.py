# SPDX-License-Identifier: MIT
"""How modules declare exactness, and how the checker composes the declarations.

Protocol (duck-typed, so layers never import the checker):

- ``module.equivariance_exactness(group, g, x) -> str | None``: None if the module commutes
  *exactly* (to float rounding) with element ``g`` of ``group`` for its input ``x`` on its
  grid, else the reason why not. ``group`` is a group object (``gconv.groups``); ``g`` is an
  element index for finite groups, or for SO(3) an element with ``matrix`` (3×3),
  ``grid_exact`` (permutes the SOFT grid points), ``z_angle`` and ``flip``.
- ``module.equivariance_composite = True``: the module's forward only chains its children
  (and operations that commute with every grid permutation): the checker also visits them.
  ``nn.Sequential``, ``nn.ModuleList`` and ``nn.ModuleDict`` are composite.
- ``RULES`` below declares torch modules once. Pointwise ones (ReLU, dropout in eval, …) are
  exact for elements that *permute grid points*; not for resampled rotations.

A module that ran and declares nothing makes the element "unknown", never "exact".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..groups import FiniteGroup, element_reversed_axes, grid_rule, is_grid_element

__all__ = ["RULES", "POINTWISE", "declared_exactness", "record_inputs", "permutes_grid"]

#: modules acting on each value (or each channel, in eval mode) alone
POINTWISE: tuple[type[nn.Module], ...] = (
    nn.Identity,
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Sigmoid,
    nn.Tanh,
    nn.Softplus,
    nn.Hardtanh,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Dropout,  # the checker runs in eval mode, where dropout is the identity
    nn.Dropout1d,
    nn.Dropout2d,
    nn.Dropout3d,
    nn.AlphaDropout,
    nn.modules.batchnorm._BatchNorm,  # eval: one affine map per channel
)


def permutes_grid(group: Any, g: Any) -> bool:
    """True if ``g`` acts by permuting grid samples (then pointwise maps commute with it)."""
    if isinstance(group, FiniteGroup):
        return is_grid_element(group, g)
    return bool(getattr(g, "grid_exact", False))


def _pointwise(mod: nn.Module, group: Any, g: Any, x: torch.Tensor) -> str | None:
    if permutes_grid(group, g):
        return None
    return "a pointwise map commutes with resampling only for grid permutations"


def _planar_window(mod: nn.Module, group: Any, g: Any, x: torch.Tensor) -> str | None:
    """Conv2d (1×1 only) and spatial pooling of images: the stride/padding rule."""
    if not isinstance(group, FiniteGroup):
        return f"{type(mod).__name__} is a planar layer; {group.name} does not act on the plane"
    k, s, p, d = (_int(getattr(mod, a, dflt)) for a, dflt in _WINDOW)
    if isinstance(mod, nn.Conv2d) and k != 1:
        return f"an unconstrained {k}×{k} filter of nn.Conv2d is not symmetric"
    if getattr(mod, "ceil_mode", False):
        return "ceil_mode pads one side only"
    if not is_grid_element(group, g):
        return "rotations other than quarter turns resample the pixel grid"
    axes = element_reversed_axes(group, g)
    sizes = {"H": x.shape[-2], "W": x.shape[-1]}
    why = [f"({ax}) {r}" for ax in axes if (r := grid_rule(sizes[ax], k, s, p, d))]
    return "; ".join(why) or None


def _linear(mod: nn.Module, group: Any, g: Any, x: torch.Tensor) -> str | None:
    """nn.Linear on (B, C): its input can only be invariant features here, because no
    declared module folds a group or spatial axis into C (see ``_flatten``)."""
    if x.dim() == 2:
        return None
    return f"nn.Linear mixes the last axis of a {x.dim()}-D input, which the group may move"


def _adaptive(mod: nn.Module, group: Any, g: Any, x: torch.Tensor) -> str | None:
    if isinstance(group, FiniteGroup) and not is_grid_element(group, g):
        return "adaptive pooling of a resampled grid is not the pooling of the original"
    out = mod.output_size
    out = (out, out) if isinstance(out, int) or out is None else tuple(out)
    for n, o in zip(x.shape[-2:], out, strict=True):
        if o is not None and n % o:
            return f"adaptive pooling of {n} samples into {o} bins has unequal bins"
    return None


def _flatten(mod: nn.Module, group: Any, g: Any, x: torch.Tensor) -> str | None:
    """Flattening is exact only where every flattened axis past the channels has size 1: the
    channel axis is never moved by a group, any other axis may be (group, space)."""
    start, end = mod.start_dim % x.dim(), mod.end_dim % x.dim()
    moved = [n for i, n in enumerate(x.shape) if start <= i <= end and i >= 2 and n > 1]
    if moved:
        return f"nn.Flatten folds axes of size {moved} (which the group may move) into channels"
    return None


def _int(v: Any) -> int:
    return int(v[0] if isinstance(v, tuple) else v)


_WINDOW = (("kernel_size", 1), ("stride", 1), ("padding", 0), ("dilation", 1))

#: torch module types → declaration (first match wins)
RULES: list[tuple[tuple[type[nn.Module], ...], Callable[..., str | None]]] = [
    (POINTWISE, _pointwise),
    ((nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d), _planar_window),
    ((nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d), _adaptive),
    ((nn.Linear,), _linear),
    ((nn.Flatten,), _flatten),
]
_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def record_inputs(module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, dict[int, list]]:
    """Run ``module(x)`` once (no grad) with hooks; return the output and, per module id, the
    first positional input of each call."""
    calls: dict[int, list] = {}
    hooks = []

    def hook(mod: nn.Module, args: tuple) -> None:
        if args and torch.is_tensor(args[0]):
            calls.setdefault(id(mod), []).append(args[0])

    for mod in module.modules():
        hooks.append(mod.register_forward_pre_hook(hook))
    try:
        with torch.no_grad():
            y = module(x)
    finally:
        for h in hooks:
            h.remove()
    return y, calls


def declared_exactness(
    root: nn.Module, group: Any, g: Any, calls: dict[int, list]
) -> tuple[str, list[str]]:
    """Compose the declarations of every module that ran: ``("exact" | "inexact" |
    "unknown", reasons)``. Inexact wins over unknown (one known break suffices)."""
    inexact: list[str] = []
    unknown: list[str] = []

    def visit(mod: nn.Module, name: str) -> None:
        label = name or type(mod).__name__
        declare = getattr(mod, "equivariance_exactness", None)
        composite = getattr(mod, "equivariance_composite", False) or (
            declare is None and isinstance(mod, _CONTAINERS)
        )
        if id(mod) in calls and not (composite and declare is None):
            rule = declare or next((f for t, f in RULES if isinstance(mod, t)), None)
            if rule is None:
                unknown.append(f"{label} ({type(mod).__name__}) declares no exactness")
            else:
                args = (group, g) if declare else (mod, group, g)
                why = next((w for x in calls[id(mod)] if (w := rule(*args, x))), None)
                if why:
                    inexact.append(f"{label}: {why}")
        if composite:
            for child_name, child in mod.named_children():
                visit(child, f"{name}.{child_name}" if name else child_name)

    visit(root, "")
    if inexact:
        return "inexact", inexact
    return ("unknown", unknown) if unknown else ("exact", [])
