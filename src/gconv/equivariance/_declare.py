# SPDX-License-Identifier: MIT
"""How modules declare exactness, and how the checker composes the declarations.

Protocol (duck-typed, so layers never import the checker):

- ``module.equivariance_exactness(group, g, x) -> str | None``: None if the module commutes
  *exactly* (to float rounding) with element ``g`` of ``group`` for its input ``x`` on its
  grid, else the reason why not. ``group`` is a group object (``gconv.groups``); ``g`` is an
  element index for finite groups, for SO(3) an element with ``matrix`` (3×3),
  ``grid_exact`` (permutes the SOFT grid points), ``z_angle`` and ``flip``, and for the
  icosahedral group an ``IcoElement`` (its index among the 60 rotations, and a
  ``pointwise_exactness`` rule that replaces the pointwise one: chart features vanish at the 12
  five-neighbour vertices, so a pointwise map must send 0 to 0).
- ``module.equivariance_composite = True``: the module's forward only chains its children
  (and operations that commute with every grid permutation): the checker also visits them.
  ``nn.Sequential``, ``nn.ModuleList`` and ``nn.ModuleDict`` are composite.
- ``RULES`` below declares torch modules once. Pointwise ones (ReLU, dropout in eval, …) are
  exact for elements that *permute grid points*; not for resampled rotations.

A module that ran and declares nothing makes the element "unknown", never "exact". So does a
subclass (outside gconv) that overrides ``forward`` of a declared class: the declaration was
written for the forward it replaces. A module called with a non-tensor first argument cannot
be checked against its declaration, so it is "unknown" too.
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
    if isinstance(group, str):
        raise TypeError(
            f"permutes_grid: group must be a group object (gconv.groups.get({group!r})), got str"
        )
    if isinstance(group, FiniteGroup):
        return is_grid_element(group, g)
    return bool(getattr(g, "grid_exact", False))


def _pointwise(mod: nn.Module, group: Any, g: Any, x: torch.Tensor) -> str | None:
    rule = getattr(g, "pointwise_exactness", None)  # an element may know better (ico)
    if rule is not None:
        return rule(mod, x)
    if permutes_grid(group, g):
        return None
    return "a pointwise map commutes with resampling only for grid permutations"


def _planar_window(mod: nn.Module, group: Any, g: Any, x: torch.Tensor) -> str | None:
    """Conv2d (1×1 only) and spatial pooling of images: the stride/padding rule."""
    if not isinstance(group, FiniteGroup):
        return f"{type(mod).__name__} is a planar layer; {group.name} does not act on the plane"
    win = {a: _pair(getattr(mod, a, dflt)) for a, dflt in _WINDOW}  # (H, W) values each
    if isinstance(mod, nn.Conv2d) and win["kernel_size"] != (1, 1):
        kh, kw = win["kernel_size"]
        return f"an unconstrained {kh}×{kw} filter of nn.Conv2d is not symmetric"
    if getattr(mod, "ceil_mode", False):
        return "ceil_mode pads one side only"
    if not is_grid_element(group, g):
        return "rotations other than quarter turns resample the pixel grid"
    _, r = group.split(g)
    if (4 * r // group.N) % 2 and any(h != w for h, w in win.values()):
        return f"a quarter turn swaps H and W, which this window treats differently ({win})"
    sizes = {"H": x.shape[-2], "W": x.shape[-1]}
    why = [
        f"({ax}) {reason}"
        for ax in element_reversed_axes(group, g)
        if (reason := grid_rule(sizes[ax], *(v[ax == "W"] for v in win.values())))
    ]
    return "; ".join(why) or None


def _linear(mod: nn.Module, group: Any, g: Any, x: torch.Tensor) -> str | None:
    """nn.Linear on (B, C): its input can only be invariant features here, because no
    declared module folds a group or spatial axis into C (see ``_flatten``)."""
    if x.dim() == 2:
        return None
    return f"nn.Linear mixes the last axis of a {x.dim()}-D input, which the group may move"


def _adaptive(mod: nn.Module, group: Any, g: Any, x: torch.Tensor) -> str | None:
    if not isinstance(group, FiniteGroup):
        return f"{type(mod).__name__} pools the planar grid; {group.name} does not act on it"
    if not is_grid_element(group, g):
        return "adaptive pooling of a resampled grid is not the pooling of the original"
    assert isinstance(mod, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d))  # RULES' classes
    size = mod.output_size
    out = (size, size) if isinstance(size, int) or size is None else tuple(size)
    for n, o in zip(x.shape[-2:], out, strict=True):
        if o is not None and n % o:
            return f"adaptive pooling of {n} samples into {o} bins has unequal bins"
    return None


def _flatten(mod: nn.Module, group: Any, g: Any, x: torch.Tensor) -> str | None:
    """Flattening is exact only where every flattened axis past the channels has size 1: the
    channel axis is never moved by a group, any other axis may be (group, space)."""
    assert isinstance(mod, nn.Flatten)  # RULES' class
    start, end = mod.start_dim % x.dim(), mod.end_dim % x.dim()
    if start == 0 and end > 0:
        return "nn.Flatten folds the batch axis, which shifts the axes the group acts on"
    moved = [n for i, n in enumerate(x.shape) if start <= i <= end and i >= 2 and n > 1]
    if moved:
        return f"nn.Flatten folds axes of size {moved} (which the group may move) into channels"
    return None


def _pair(v: Any) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, tuple) else (int(v), int(v))


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

    def hook(mod: nn.Module, args: tuple) -> None:  # None: it ran, on no tensor we can read
        first = args[0] if args and torch.is_tensor(args[0]) else None
        calls.setdefault(id(mod), []).append(first)

    for mod in module.modules():
        hooks.append(mod.register_forward_pre_hook(hook))
    try:
        with torch.no_grad():
            y = module(x)
    finally:
        for h in hooks:
            h.remove()
    return y, calls


def _declaring_class(mod: nn.Module, declare: Any, composite: bool) -> type | None:
    """The class whose declaration applies to ``mod``: the one defining its
    ``equivariance_exactness`` (or ``equivariance_composite``), else the matched container or
    ``RULES`` type; None when nothing applies (or it is set on the instance)."""
    mro = type(mod).__mro__
    attr = "equivariance_exactness" if declare is not None else "equivariance_composite"
    if declare is not None or getattr(mod, "equivariance_composite", False):
        return next((c for c in mro if attr in c.__dict__), None)
    types = _CONTAINERS if composite else tuple(t for ts, _ in RULES for t in ts)
    return next((c for c in mro if c in types), None)


def _forward_trusted(mod: nn.Module, owner: type) -> bool:
    """False when a class more derived than ``owner`` and defined outside gconv overrides
    ``forward``: ``owner``'s declaration says nothing about that forward."""
    mro = type(mod).__mro__
    fwd = next((c for c in mro if "forward" in c.__dict__), None)
    if fwd is None or mro.index(fwd) >= mro.index(owner):
        return True
    return fwd.__module__.split(".")[0] == "gconv"


def declared_exactness(
    root: nn.Module, group: Any, g: Any, calls: dict[int, list]
) -> tuple[str, list[str]]:
    """Compose the declarations of every module that ran: ``("exact" | "inexact" |
    "unknown", reasons)``. Inexact wins over unknown (one known break suffices)."""
    if not isinstance(root, nn.Module):
        raise TypeError(f"declared_exactness: root must be an nn.Module, got {type(root).__name__}")
    if isinstance(group, str):
        raise TypeError(
            f"declared_exactness: group must be a group object (gconv.groups.get({group!r})), "
            "got str"
        )
    inexact: list[str] = []
    unknown: list[str] = []

    def visit(mod: nn.Module, name: str) -> None:
        label = name or type(mod).__name__
        declare = getattr(mod, "equivariance_exactness", None)
        composite = getattr(mod, "equivariance_composite", False) or (
            declare is None and isinstance(mod, _CONTAINERS)
        )
        owner = _declaring_class(mod, declare, composite)
        if owner is not None and not _forward_trusted(mod, owner):
            if id(mod) in calls:
                unknown.append(
                    f"{label} ({type(mod).__name__}) overrides forward of {owner.__name__}, "
                    f"whose declaration was written for the forward it replaces"
                )
            return
        if id(mod) in calls and not (composite and declare is None):
            rule = declare or next((f for t, f in RULES if isinstance(mod, t)), None)
            if rule is None:
                unknown.append(f"{label} ({type(mod).__name__}) declares no exactness")
            elif any(x is None for x in calls[id(mod)]):
                unknown.append(f"{label} ({type(mod).__name__}) ran on a non-tensor input")
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
