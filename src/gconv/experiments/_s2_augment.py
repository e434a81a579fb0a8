# SPDX-License-Identifier: MIT
"""Rotation augmentation for spherical inputs (input kinds ``"s2"`` and ``"ico"``: the SOFT grid
or the icosahedral vertices), applied at data-set level.

A sampled spherical signal cannot be rotated exactly; the samples are projected again from
their planar digits with a fresh rotation (:class:`gconv.data.SphericalAugment`,
:class:`gconv.data.RotatedCopies`). The names registered here for ``"s2"`` are therefore
identities at batch level; the spherical data module (``_spherical_dm.py``) reads the name and
wraps its training set:

- ``"none"``: the training set as generated (NR or R, per the data set's ``rotate``).
- ``"rotate-<p>"`` (p = 25, 50, 75, 100; ``"rotate"`` = 100): in epoch e, sample i is re-generated
  with probability p/100 with the Haar rotation keyed by (seed, e, i) (Gerken et al.'s
  augmentation fraction).
- ``"copies-<k>"`` (k = 2, 4): k Haar-rotated copies of every sample, keyed by (seed, copy, i)
  ("k× the data"): an epoch has k times as many steps.
"""

from __future__ import annotations

import torch

from ._augment import register_augmentation

__all__ = ["S2_AUGMENTATIONS", "s2_augmentation"]

#: name → ("rotate", fraction) | ("copies", k) | ("none", 0)
S2_AUGMENTATIONS: dict[str, tuple[str, float]] = {
    "none": ("none", 0.0),
    "rotate": ("rotate", 1.0),
    **{f"rotate-{p}": ("rotate", p / 100) for p in (25, 50, 75, 100)},
    **{f"copies-{k}": ("copies", float(k)) for k in (2, 4)},
}


def s2_augmentation(name: str) -> tuple[str, float]:
    """``(mode, value)`` of the ``"s2"`` augmentation ``name``; ValueError listing the names."""
    if name not in S2_AUGMENTATIONS:
        raise ValueError(
            f"spherical augmentation must be one of {list(S2_AUGMENTATIONS)}, got {name!r}"
        )
    return S2_AUGMENTATIONS[name]


def _identity(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return x  # the rotation happened when the data module generated the sample


for _kind in ("s2", "ico"):
    for _name in S2_AUGMENTATIONS:
        register_augmentation(_name, _identity, _kind)
