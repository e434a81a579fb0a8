# SPDX-License-Identifier: MIT
"""Rotation augmentation for spherical inputs, generated on the fly from the planar digits.

- :class:`SphericalAugment` (per epoch): sample i of epoch e is rotated with probability
  ``fraction`` — decided by ``keyed_uniforms([seed, 0xA1, e, i]) < fraction`` — by the Haar
  rotation ``keyed_rotations([seed, 0xA2, e, i])``, composed after the sample's stored rotation,
  and projected again from its planar digit (one interpolation, no rotation of a sampled
  signal). The draws are pure functions of (seed, epoch, index): a resumed run, any batch
  order and any number of workers see the same rotations.
- :class:`RotatedCopies` ("k× the data", Gerken et al. 2022): item ``c·N + i`` is sample i
  rotated by ``keyed_rotations([seed, 0xC0, c, i])``, c < k; nothing is stored.

Both implement ``__getitems__``, so a ``DataLoader`` fetches a whole batch with one vectorised
projection.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from ._project import keyed_rotations, keyed_uniforms
from .spherical import SphericalMNIST

__all__ = ["SphericalAugment", "RotatedCopies", "augment_rotations"]

_DRAW, _ROT, _COPY = 0xA1, 0xA2, 0xC0


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return seed


def augment_rotations(
    seed: int, epoch: int, indices: np.ndarray, fraction: float
) -> tuple[np.ndarray, torch.Tensor]:
    """``(rotated (n,) bool, R (n, 3, 3) float64)`` of the samples ``indices`` in ``epoch``
    (R is the identity where not rotated)."""
    idx = np.asarray(indices, dtype=np.int64)
    hit = keyed_uniforms([seed, _DRAW, epoch, idx], 1)[..., 0] < fraction
    R = keyed_rotations([seed, _ROT, epoch, idx])
    R[torch.from_numpy(~hit)] = torch.eye(3, dtype=R.dtype)
    return hit, R


def _items(ds: SphericalMNIST, signals: torch.Tensor, masks: torch.Tensor, idx) -> list:
    x = signals.unsqueeze(1).float().div_(255.0)
    if ds.task == "classification":
        return [(x[j], int(ds.labels[i])) for j, i in enumerate(idx)]
    return [(x[j], masks[j].long()) for j in range(len(idx))]


class SphericalAugment(Dataset):
    """A fraction of a spherical dataset's samples rotated afresh each epoch (see module doc).

    ``set_epoch(e)`` before each epoch (with ``persistent_workers=False`` the workers get the
    new epoch with their copy of the dataset). Items are those of the wrapped dataset.
    """

    def __init__(self, dataset: SphericalMNIST, fraction: float = 1.0, seed: int = 0) -> None:
        if not isinstance(dataset, SphericalMNIST):
            raise TypeError(f"dataset must be a SphericalMNIST, got {type(dataset).__name__}")
        if not 0.0 <= float(fraction) <= 1.0:
            raise ValueError(f"fraction must be in [0, 1], got {fraction!r}")
        self.dataset, self.fraction, self.seed = dataset, float(fraction), _check_seed(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative int, got {epoch!r}")
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.dataset)

    def batch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        """Signals and masks uint8 ``(n, *shape)`` of ``indices`` in the current epoch."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        hit, R = augment_rotations(self.seed, self.epoch, idx, self.fraction)
        signals = self.dataset.signals[idx].clone()
        seg = self.dataset.task == "segmentation"
        masks = self.dataset.masks_of(idx) if seg else signals
        if hit.any():
            s, m = self.dataset.regenerate(idx[hit], R[torch.from_numpy(hit)])
            signals[torch.from_numpy(hit)] = s
            if seg:
                masks[torch.from_numpy(hit)] = m
        return signals, masks

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, Any]]:
        signals, masks = self.batch(indices)
        return _items(self.dataset, signals, masks, indices)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, Any]:
        return self.__getitems__([i])[0]


class RotatedCopies(Dataset):
    """``copies`` Haar-rotated copies of every sample, generated on the fly (see module doc)."""

    def __init__(self, dataset: SphericalMNIST, copies: int, seed: int = 0) -> None:
        if not isinstance(dataset, SphericalMNIST):
            raise TypeError(f"dataset must be a SphericalMNIST, got {type(dataset).__name__}")
        if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
            raise ValueError(f"copies must be a positive int, got {copies!r}")
        self.dataset, self.copies, self.seed = dataset, copies, _check_seed(seed)

    def __len__(self) -> int:
        return self.copies * len(self.dataset)

    def batch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        """Signals and masks uint8 ``(n, *shape)`` of items ``indices``."""
        j = np.asarray(indices, dtype=np.int64).reshape(-1)
        if j.size and (j.min() < 0 or j.max() >= len(self)):
            raise IndexError(f"index out of range for {len(self)} items: {j.min()}..{j.max()}")
        copy, i = np.divmod(j, len(self.dataset))
        R = keyed_rotations([self.seed, _COPY, copy, i])
        return self.dataset.regenerate(i, R)

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, Any]]:
        signals, masks = self.batch(indices)
        i = np.asarray(indices, dtype=np.int64) % len(self.dataset)
        return _items(self.dataset, signals, masks, i)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, Any]:
        return self.__getitems__([i])[0]
