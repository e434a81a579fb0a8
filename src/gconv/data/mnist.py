# SPDX-License-Identifier: MIT
"""MNIST and Fashion-MNIST from their original idx files, found and verified as
:mod:`gconv.data._files` describes."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import torch
from torch.utils.data import Dataset

from ._checksums import spec_of
from ._files import find_file, load_file

__all__ = ["MNIST", "FashionMNIST", "load_arrays"]

_SPLITS = ("train", "test")


def load_arrays(
    dataset: str, split: str, root: str | os.PathLike | None = None, download: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, labels)`` of ``dataset``'s ``split``: uint8 ``(N, 28, 28)`` and int64 ``(N,)``."""
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
    files = spec_of(dataset).files
    out = []
    for kind in ("images", "labels"):
        spec = files[f"{split}-{kind}"]
        out.append(torch.from_numpy(load_file(find_file(spec, root, download), spec)))
    images, labels = out
    return images, labels.long()


class _IdxDataset(Dataset):
    """Images and labels held in memory (``.images``, ``.labels``); items through ``transform``."""

    dataset = ""
    classes: tuple[str, ...] = ()

    def __init__(
        self,
        split: str = "train",
        root: str | os.PathLike | None = None,
        transform: Callable[[torch.Tensor], Any] | None = None,
        download: bool = True,
    ) -> None:
        self.split = split
        self.images, self.labels = self._load(split, root, download)
        self.transform = transform

    def _load(
        self, split: str, root: str | os.PathLike | None, download: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(images, labels)`` of ``split``; subclasses with another file format override it."""
        return load_arrays(self.dataset, split, root, download)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, i: int) -> tuple[Any, int]:
        image = self.images[i]
        return (self.transform(image) if self.transform else image), int(self.labels[i])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(split={self.split!r}, n={len(self)})"


class MNIST(_IdxDataset):
    """MNIST (LeCun et al.): ``split`` "train" (60,000) or "test" (10,000).

    ``.images`` uint8 ``(N, 28, 28)``, ``.labels`` int64 ``(N,)``; an item is
    ``(image, label)`` with the uint8 ``(28, 28)`` image passed through ``transform`` if given.
    ``root`` replaces ``$GCONV_DATA`` in the lookup (a folder holding ``mnist/<file>.gz``).
    """

    dataset = "mnist"
    classes = tuple(str(d) for d in range(10))


class FashionMNIST(_IdxDataset):
    """Fashion-MNIST (Xiao et al. 2017), same layout and arguments as :class:`MNIST`."""

    dataset = "fashion-mnist"
    classes = (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    )
