# SPDX-License-Identifier: MIT
r"""Spherical MNIST and spherical Fashion-MNIST (Cohen et al. 2018; Gerken et al. 2022).

Planar digits projected onto the sphere (:func:`gconv.data.project`: stereographic ray from
the north pole, digit around the south pole, bilinear, northern hemisphere zero) and sampled on
the SOFT grid of bandwidth b in ``[β, α]`` layout (``β_j = π(2j+1)/(4b)``, ``α_k = πk/b``) —
the grid gconv's S² transforms use — or on any set of unit vectors ``points (P, 3)``.

Per split, rotations are ``"NR"`` (none) or ``"R"`` (one independent Haar-random rotation per
sample, or per chunk of ``chunk`` samples as in the original's 500); the studies combine them
into NR/NR, NR/R and R/R. Splits: ``train`` 55,000 and ``valid`` 5,000 (held out from the base
training set, for model selection), ``test`` 10,000. Segmentation (``task="segmentation"``):
mask 0 = background, 1..10 = digit + 1 where the projected intensity exceeds 150/255;
``digits=1`` is the public code's single digit, ``digits=k`` (2..4) or ``(lo, hi)`` a 64×64
canvas of k (or uniformly lo..hi) non-overlapping digits (geometry in ``_canvas``). The full
recipe (pools, seeds, cache names) is in ``_spherical_gen``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from ._spherical_gen import SPLITS, THRESHOLD, Spec, generate, load_or_make, pool
from .mnist import MNIST, FashionMNIST

__all__ = ["SphericalMNIST", "SphericalFashionMNIST", "SPHERICAL_SPLITS", "THRESHOLD"]

SPHERICAL_SPLITS = SPLITS
_TASKS = ("classification", "segmentation")


class SphericalMNIST(Dataset):
    """Spherical MNIST: items ``(signal, label)`` or, for segmentation, ``(signal, mask)``.

    ``signal`` is float32 ``(1, 2b, 2b)`` in [0, 1] (stored uint8 / 255) indexed ``[β, α]``;
    with ``points`` (P, 3) it is ``(1, P)``. ``mask`` is int64 ``(2b, 2b)`` (or ``(P,)``),
    classes 0..10. Generated on first use (vectorised, progress bar on a terminal), then read
    from ``$GCONV_CACHE/data`` (:attr:`path`); deterministic from ``seed``.

    Parameters
    ----------
    split: "train" (55,000), "valid" (5,000) or "test" (10,000).
    bandwidth: b of the SOFT grid (ignored when ``points`` is given).
    rotate: "NR" or "R" (Haar-random rotation per sample, or per ``chunk`` samples).
    task: "classification" (needs ``digits=1``) or "segmentation".
    digits: 1 (single digit) or k in 2..4 / (lo, hi) (canvas of several digits).
    seed: the recipe's seed (pools, canvases, rotations).
    points: optional unit vectors (P, 3) to sample instead of the SOFT grid.
    chunk: with ``rotate="R"``, one rotation per chunk of this many consecutive samples.
    root: replaces ``$GCONV_DATA`` when looking up the planar base files.
    progress: show the progress bar (default: when stderr is a terminal).

    Tensors: ``.signals`` uint8 ``(N, 2b, 2b)`` / ``(N, P)``, ``.labels`` int64 ``(N,)`` (the
    first digit of a canvas), ``.digit_labels`` ``(N, K)`` (−1 = unused), ``.rotations``
    float64 ``(N, 3, 3)`` (the rotation R of each sample: ``signal = R·f``), ``.masks``.
    """

    base = "mnist"
    classes: tuple[str, ...] = MNIST.classes

    def __init__(
        self,
        split: str = "train",
        bandwidth: int = 30,
        rotate: str = "NR",
        task: str = "classification",
        digits: int | tuple[int, int] = 1,
        seed: int = 0,
        points: torch.Tensor | None = None,
        *,
        chunk: int | None = None,
        root: str | os.PathLike | None = None,
        progress: bool | None = None,
    ) -> None:
        if task not in _TASKS:
            raise ValueError(f"task must be one of {_TASKS}, got {task!r}")
        spec = Spec.make(self.base, split, bandwidth, rotate, digits, seed, points, chunk)
        if task == "classification" and spec.canvas:
            raise ValueError(f"task='classification' needs digits=1 (one label), got {digits!r}")
        self.spec, self.task, self.root = spec, task, root
        self._points = None if points is None else points.detach().to("cpu", torch.float64)
        self.arrays = load_or_make(spec, self._points, root, progress)
        self._path = spec.path()
        shape: tuple[int, ...] = (
            (2 * bandwidth, 2 * bandwidth) if points is None else (points.shape[0],)
        )
        if points is not None and points.ndim != 2:
            shape = tuple(points.shape[:-1])
        self.shape = shape
        self.signals = torch.from_numpy(self.arrays["signals"]).unflatten(1, shape)
        self.digit_labels = torch.from_numpy(self.arrays["labels"])
        self.labels = self.digit_labels[:, 0].clone()
        self.rotations = torch.from_numpy(self.arrays["rotations"])
        self._pool: tuple[torch.Tensor, torch.Tensor] | None = None

    @property
    def points_arg(self) -> torch.Tensor | None:
        """The custom sampling points ``(P, 3)`` (None on the SOFT grid)."""
        return self._points

    @property
    def path(self) -> Path | None:
        """The cache file this split was read from (None when the cache is disabled)."""
        return self._path

    @property
    def masks(self) -> torch.Tensor:
        """Class masks uint8 ``(N, *shape)``: 0 background, digit + 1 where signal > 150."""
        return self.masks_of(np.arange(len(self)))

    def masks_of(self, indices: int | np.ndarray | torch.Tensor) -> torch.Tensor:
        """Masks uint8 ``(n, *shape)`` of the samples ``indices`` (see :attr:`masks`)."""
        idx = np.asarray(indices, dtype=np.int64)
        if self.spec.canvas:
            return torch.from_numpy(self.arrays["masks"][idx]).unflatten(-1, self.shape)
        t = torch.from_numpy(idx)
        cls = (self.labels[t] + 1).to(torch.uint8).view(*t.shape, *([1] * len(self.shape)))
        return torch.where(self.signals[t] > THRESHOLD, cls, 0)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, Any]:
        x = self.signals[i].unsqueeze(0).float().div_(255.0)
        if self.task == "classification":
            return x, int(self.labels[i])
        return x, self.masks_of(i).long()

    def __repr__(self) -> str:
        s = self.spec
        return (
            f"{type(self).__name__}(split={s.split!r}, grid={s.grid!r}, rotate={s.rotate!r}, "
            f"task={self.task!r}, digits={(s.lo, s.hi) if s.canvas else 1}, seed={s.seed}, "
            f"n={len(self)})"
        )

    def planar(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The split's pool of planar digits (uint8 ``(M, 28, 28)``, labels), loaded once."""
        if self._pool is None:
            self._pool = pool(self.spec, self.root)
        return self._pool

    def regenerate(
        self, indices: torch.Tensor | np.ndarray, rotations: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Samples ``indices`` generated again from their planar digits, each further rotated by
        ``rotations`` ``(n, 3, 3)`` (applied after the stored rotation: total ``R_extra R_i``),
        with one interpolation. Returns signals uint8 ``(n, *shape)`` and masks uint8."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        R = self.rotations[idx]
        if rotations is not None:
            R = rotations.to(torch.float64) @ R
        images, _ = self.planar()
        s, m = generate(self.spec, images, self.arrays, idx, R, self.spec.points(self._points))
        if m is None:
            cls = torch.from_numpy(self.arrays["labels"][idx, 0] + 1).to(torch.uint8)
            m = torch.where(s > THRESHOLD, cls[:, None], 0)
        return s.unflatten(1, self.shape), m.unflatten(1, self.shape)


class SphericalFashionMNIST(SphericalMNIST):
    """Spherical Fashion-MNIST: :class:`SphericalMNIST` on Zalando's Fashion-MNIST (mask class
    = article + 1)."""

    base = "fashion-mnist"
    classes = FashionMNIST.classes
