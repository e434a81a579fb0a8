# SPDX-License-Identifier: MIT
"""Rotation augmentation and the seed derivation that makes it (and shuffling) resumable.

Every random draw of a run comes from a generator seeded by :func:`derive_seed` from integers
such as (seed, epoch, batch index, stream), never from a global stream: a run resumed at an
epoch boundary makes exactly the draws an uninterrupted run makes.

Augmentations are registered per input kind (``register_augmentation(name, fn, input_kind)``,
``get_augmentation``, ``list_augmentations``); ``fn(x, generator)`` draws from ``generator``
only. Those for images ``(B, C, H, W)`` act by the rotation group SO(2) (or its subgroup C4):

- ``"none"``: identity.
- ``"batch-angle"``: one angle θ ~ U[0, 2π) for the whole batch, ``rotate_image(x, θ)``
  (this project's rotated-MNIST default; far stronger than what the G-CNN paper's released
  code did, see ``"gcnn-code"``).
- ``"sample-angle"``: one angle per sample.
- ``"gcnn-code"``: what Cohen & Welling's released code (``gconv_experiments``,
  ``rotate_transform_batch(x, rotation=2π)``) does in effect: one angle per digit drawn from
  [−π, π] and handed to skimage's ``rotate``, which reads degrees, so each digit turns by at
  most ±3.14°; here ``rotate_image`` (bilinear, as skimage's default order 1) by that many
  degrees.
- ``"rot90"``: one quarter turn k ~ U{0, 1, 2, 3} per sample, ``torch.rot90(x_i, k_i)``.

and, not a rotation: ``"flip-translate"``, CIFAR10+'s "+" (:func:`gconv.data.flip_translate`:
per sample a left-right flip with probability 1/2 and an integer shift of at most 4 pixels in
each direction, zeros shifted in; the common "+", not the released G-CNN code's continuous shift
of at most 2 pixels with cubic interpolation and reflected edges).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from .._util import check_choice
from ..groups import rotate_image

__all__ = [
    "AUGMENTATIONS",
    "STREAMS",
    "augment",
    "derive_seed",
    "get_augmentation",
    "list_augmentations",
    "register_augmentation",
    "seeded_generator",
]

Augmentation = Callable[[torch.Tensor, torch.Generator], torch.Tensor]
#: input kind → name → augmentation
_REGISTRY: dict[str, dict[str, Augmentation]] = {}
#: independent random streams of one run (the last integer handed to :func:`derive_seed`)
STREAMS: dict[str, int] = {"shuffle": 1, "augment": 2, "torch": 3, "loader": 4, "bn": 5}


def derive_seed(*keys: int) -> int:
    """A 63-bit seed mixed from non-negative integers (NumPy ``SeedSequence``), so nearby keys
    such as (seed=0, epoch=1) and (seed=1, epoch=0) give unrelated streams.

    >>> derive_seed(0, 1) == derive_seed(0, 1) != derive_seed(1, 0)
    True
    """
    ints = [int(k) for k in keys]
    if any(k < 0 for k in ints):
        raise ValueError(f"derive_seed expects non-negative integers, got {keys}")
    hi, lo = np.random.SeedSequence(ints).generate_state(2, dtype=np.uint32)
    return ((int(hi) << 32) | int(lo)) & ((1 << 63) - 1)


def seeded_generator(*keys: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``derive_seed(*keys)``."""
    return torch.Generator().manual_seed(derive_seed(*keys))


def register_augmentation(name: str, fn: Augmentation, input_kind: str = "image") -> Augmentation:
    """Register ``fn(x, generator) → x'`` as augmentation ``name`` for inputs of ``input_kind``
    ("image", "s2", "so3", "ico"); ValueError if taken. Returns ``fn``."""
    from ..data import INPUT_KINDS

    check_choice("register_augmentation", "input_kind", input_kind, INPUT_KINDS)
    if not callable(fn):
        raise TypeError(f"register_augmentation: fn must be callable, got {type(fn).__name__}")
    table = _REGISTRY.setdefault(input_kind, {})
    if name in table:
        raise ValueError(f"augmentation {name!r} is already registered for {input_kind!r} inputs")
    table[name] = fn
    return fn


def list_augmentations(input_kind: str | None = "image") -> list[str]:
    """Names registered for ``input_kind`` (all kinds, without repeats, for None)."""
    from ..data import INPUT_KINDS

    if input_kind is not None:
        check_choice("list_augmentations", "input_kind", input_kind, INPUT_KINDS)
    if input_kind is None:
        return list(dict.fromkeys(n for t in _REGISTRY.values() for n in t))
    return list(_REGISTRY.get(input_kind, {}))


def get_augmentation(name: str, input_kind: str = "image") -> Augmentation:
    """The augmentation ``name`` for ``input_kind``; ValueError listing the known ones."""
    check_choice("augment", "mode", name, tuple(list_augmentations(input_kind)))
    return _REGISTRY[input_kind][name]


def augment(x: torch.Tensor, mode: str, generator: torch.Generator) -> torch.Tensor:
    """Apply the image augmentation ``mode`` (one of :data:`AUGMENTATIONS`) to images
    ``(B, C, H, W)``, drawing from ``generator`` (CPU) only.

    >>> x = torch.rand(4, 1, 5, 5)
    >>> y = augment(x, "rot90", seeded_generator(0, 0, 0))
    >>> all(any(torch.equal(y[i], torch.rot90(x[i], k, (-2, -1))) for k in range(4)) for i in range(4))
    True
    """
    fn = get_augmentation(mode, "image")
    if x.dim() != 4:
        raise ValueError(f"augment expects images (B, C, H, W), got shape {tuple(x.shape)}")
    return fn(x, generator)


def _none(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return x


def _batch_angle(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    angle = float(torch.rand((), generator=generator, dtype=torch.float64)) * 2.0 * math.pi
    return rotate_image(x, angle)


def _sample_angle(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    angles = torch.rand(x.shape[0], generator=generator, dtype=torch.float64) * 2.0 * math.pi
    return rotate_image(x, angles.to(x.device))


def _gcnn_code(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    u = torch.rand(x.shape[0], generator=generator, dtype=torch.float64) - 0.5  # U[-½, ½)
    degrees = u * 2.0 * math.pi  # the released code's angle, which skimage reads as degrees
    return rotate_image(x, torch.deg2rad(degrees).to(x.device))


def _rot90(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    k = torch.randint(0, 4, (x.shape[0],), generator=generator).to(x.device)
    out = x.clone()
    for r in (1, 2, 3):
        sel = k == r
        if bool(sel.any()):
            out[sel] = torch.rot90(x[sel], r, dims=(-2, -1))
    return out


def _flip_translate(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    from ..data import flip_translate

    return flip_translate(x, generator)


for _name, _fn in (
    ("none", _none),
    ("batch-angle", _batch_angle),
    ("sample-angle", _sample_angle),
    ("gcnn-code", _gcnn_code),
    ("rot90", _rot90),
    ("flip-translate", _flip_translate),
):
    register_augmentation(_name, _fn, "image")

#: the image augmentations registered above
AUGMENTATIONS: tuple[str, ...] = tuple(list_augmentations("image"))

from . import _s2_augment as _s2_augment  # noqa: E402  registers the "s2" augmentations
