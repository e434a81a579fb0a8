# SPDX-License-Identifier: MIT
"""Argument and shape validation shared by the layers (ValueError with expected vs got)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import torch
from torch import nn

from .._precision import autocasting
from .._util import DTypeError, ShapeError, check_tensor  # one class for every package
from ..groups import (
    FiniteGroup,
    Group,
    get,
    grid_rule,  # noqa: F401  (re-exported: one implementation, in groups)
)

_T = TypeVar("_T")

__all__ = [
    "ShapeError",
    "square",
    "check_features",
    "check_image",
    "check_kernel_fits",
    "grid_rule",
]


def square(name: str, value: int | Sequence[int], layer: str) -> int:
    """An int, or a pair of equal ints: unequal pairs would break the 90° symmetry. At least 0
    for ``padding``, at least 1 for everything else (kernel_size, stride, dilation)."""
    minimum = 0 if name == "padding" else 1
    if isinstance(value, int) and not isinstance(value, bool):
        out = value
    else:
        vals = tuple(value) if isinstance(value, (tuple, list)) else ()
        ok = len(vals) == 2 and vals[0] == vals[1]
        if not (ok and all(isinstance(v, int) and not isinstance(v, bool) for v in vals)):
            raise ValueError(
                f"{layer}: {name} must be one int (or two equal ints) so that rotating by 90° "
                f"maps the sampling grid onto itself; got {value!r}"
            )
        out = int(vals[0])
    if out < minimum:
        raise ValueError(f"{layer}: {name} must be an int >= {minimum}, got {value!r}")
    return out


def check_image(layer: str, x: torch.Tensor, channels: int) -> None:
    check_tensor(f"{layer}: input", x)
    if x.dim() != 4 or x.shape[1] != channels:
        hint = ""
        if x.dim() == 5:
            hint = " (this looks like a group feature map; use GroupConv2d)"
        raise ShapeError(
            f"{layer}: expected an image batch (B, {channels}, H, W), got {tuple(x.shape)}{hint}"
        )


def check_features(layer: str, x: torch.Tensor, channels: int, order: int, group: str) -> None:
    check_tensor(f"{layer}: input", x)
    if x.dim() != 5 or x.shape[1] != channels or x.shape[2] != order:
        hint = ""
        if x.dim() == 4:
            hint = " (this looks like an image; lift it with LiftConv2d first)"
        raise ShapeError(
            f"{layer}: expected (B, {channels}, {order}, H, W) for {channels} channels on "
            f"{group}, got {tuple(x.shape)}{hint}"
        )


def check_kernel_fits(layer: str, h: int, w: int, kernel: int, padding: int, dilation: int) -> None:
    """ShapeError unless an ``h × w`` input padded by ``padding`` holds one dilated kernel
    (``dilation·(kernel − 1) + 1`` pixels across): the check torch makes, said in our terms."""
    span = dilation * (kernel - 1) + 1
    if min(h, w) + 2 * padding < span:
        raise ShapeError(
            f"{layer}: kernel_size {kernel} with dilation {dilation} spans {span}×{span} pixels, "
            f"so the input padded by {padding} must be at least {span}×{span}, got {h}×{w} "
            f"({h + 2 * padding}×{w + 2 * padding} padded)"
        )


def check_batch_norm(owner: str, eps: object, momentum: object) -> None:
    """ValueError unless ``eps`` > 0 is finite and ``momentum`` is None or in [0, 1]."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps < float("inf"):
        raise ValueError(f"{owner}: eps must be a positive finite number, got {eps!r}")
    if momentum is not None and not (
        isinstance(momentum, (int, float))
        and not isinstance(momentum, bool)
        and 0.0 <= momentum <= 1.0
    ):
        raise ValueError(f"{owner}: momentum must be None or in [0, 1], got {momentum!r}")


def check_like(layer: str, x: torch.Tensor, param: torch.Tensor | None) -> None:
    """DTypeError unless ``x`` has the dtype of the layer's parameter ``param`` (None: nothing
    to compare). Not checked under autocast, where the two differ by design."""
    if param is None or x.dtype == param.dtype or autocasting(x.device.type):
        return
    raise DTypeError(
        f"{layer}: input is {x.dtype}, the layer's parameters are {param.dtype}: cast one to "
        f"the other (e.g. layer.to({x.dtype}) or x.to({param.dtype}))"
    )


def planar_group(owner: str, group: str | Group, example: str = "") -> FiniteGroup:
    """``gconv.groups.get(group)`` for a layer that needs C_N or D_N; anything else (SO(3), the
    icosahedral rotations) is a ValueError naming ``owner`` (and an ``example`` of good names)."""
    grp = get(group)
    if not isinstance(grp, FiniteGroup):
        hint = f" (e.g. {example})" if example else ""
        raise ValueError(f"{owner}: group must be C_N or D_N{hint}, got {group!r}")
    return grp


def bank_key(weight: torch.Tensor, bias: torch.Tensor | None) -> tuple | None:
    """What an eval-mode filter-bank cache is keyed on (identity and version counter of weight
    and bias, device, dtype); None for a parametrised weight or bias (``spectral_norm``,
    ``weight_norm``, ``torch.func.functional_call``): a fresh tensor at every access, whose id
    may repeat once the old one is freed and which has no version counter in inference mode,
    so no key can trust it."""
    if not isinstance(weight, nn.Parameter) or not (bias is None or isinstance(bias, nn.Parameter)):
        return None
    b = None if bias is None else (id(bias), bias._version)
    return (id(weight), weight._version, weight.device, weight.dtype, b)


def _same(kept: torch.Tensor | None, now: torch.Tensor | None) -> bool:
    return kept is None if now is None else kept is not None and torch.equal(kept, now)


def cached_bank(
    module: nn.Module,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    build: Callable[[], _T],
    extra: tuple = (),
) -> _T:
    """``build()`` (what a layer makes from its ``weight`` and ``bias``: its filter bank),
    kept in ``module._cache`` for the calls that need no autograd graph (the caller decides
    which). Reused while :func:`bank_key` and ``extra`` match *and* weight and bias hold the
    values of the copies kept beside it (``torch.equal``): an edit through ``.data`` bumps no
    version counter (Lightning's weight-averaging callbacks swap weights that way), so the key
    alone would serve a stale bank. Nothing is kept for a parametrised weight or on the
    ``meta`` device. Each reuse reads the weights once more (on a GPU, ``torch.equal`` waits
    for them)."""
    key = bank_key(weight, bias)
    state = module.__dict__  # a plain attribute, beside nn.Module's registries
    if key is None or weight.device.type == "meta":
        state["_cache"] = None
        return build()
    key = (*key, *extra)
    hit: tuple | None = state.get("_cache")
    if hit is not None and hit[0] == key and _same(hit[1], weight) and _same(hit[2], bias):
        return hit[3]
    with torch.no_grad():
        value = build()
        kept_bias = None if bias is None else bias.detach().clone()
        state["_cache"] = (key, weight.detach().clone(), kept_bias, value)
    return value


def empty_output(x: torch.Tensor, shape: tuple[int, ...], module: nn.Module) -> torch.Tensor:
    """Zeros of ``shape`` (an empty batch) that stay in the autograd graph of ``x`` and of
    every parameter of ``module``: backward gives them zero gradients, as torch's layers do
    (DDP needs every parameter in the graph on every rank)."""
    anchor = x.sum()
    for p in module.parameters():
        anchor = anchor + p.sum()
    return x.new_zeros(shape) + anchor  # a 0-dim float keeps x's dtype
