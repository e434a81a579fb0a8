# SPDX-License-Identifier: MIT
"""The data module of the spherical data sets (``spherical-mnist``, ``spherical-fashion-mnist``).

Splits are :class:`gconv.data.SphericalMNIST` (or its Fashion variant) built with the data set's
registered defaults updated by the run's keyword arguments (``bandwidth``, ``rotate``, ``task``,
``digits``, ``seed`` of the recipe, …). ``rotate`` applies to the training and validation
splits; ``test_rotate`` names the test sets, one loader each (default: ``(rotate,)``; a study
passes ``("NR", "R")``), exposed as ``test_names`` (``"nr"``, ``"r"``) for the task's columns.

Augmentation is the run's ``augment`` name for ``"s2"`` inputs (``_s2_augment.py``): ``none``,
``rotate-<p>`` (a fraction p % of the training samples re-generated each epoch with a rotation
keyed by (seed, epoch, index), :class:`gconv.data.SphericalAugment`) or ``copies-<k>``
(:class:`gconv.data.RotatedCopies`). With ``limit_train = n`` only samples 0..n−1 are used
(and their k copies). Evaluation splits are held in memory as tensors; the augmented training
set is generated batch by batch.

Input kinds (:attr:`SphericalDataModule.input_kinds`): ``"s2"`` models get the SOFT grid of
the run's ``bandwidth``; ``"ico"`` models (``model`` names one) get the same digits, masks and
rotations sampled at the vertices of ``IcoGrid(r)`` (``points``), r read from the model's
arguments (``model_kwargs`` over the registered defaults): signals ``(1, V)``, masks ``(V,)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from ._datamodule import DataModule, ResumableLoader, SeededSampler, register_datamodule
from ._s2_augment import s2_augmentation

__all__ = ["SphericalDataModule"]

_ROTATE = ("NR", "R")


def model_points(model: str | None, model_kwargs: Any = None) -> torch.Tensor | None:
    """The sampling points ``(V, 3)`` a registered ``model`` reads its input at: the vertices
    of ``IcoGrid(r)`` for ``"ico"`` models (r from ``model_kwargs`` or the model's defaults),
    None for models on the SOFT grid (or ``model`` None)."""
    if model is None:
        return None
    from ..models import model_spec

    spec = model_spec(model)
    if spec.input_kind != "ico":
        return None
    r = {**spec.defaults, **dict(model_kwargs or {})}.get("r")
    if r is None:
        raise ValueError(f"model {model!r} (ico input) names no resolution r in its arguments")
    from ..groups import IcoGrid

    return torch.from_numpy(IcoGrid(int(r)).vertices.copy())


def _tensors(ds: Any, n: int) -> TensorDataset:
    """The first n samples of a SphericalMNIST as ``(signal (n,1,2b,2b), target, angle 0)``."""
    x = ds.signals[:n].unsqueeze(1).float().div_(255.0)
    y = ds.labels[:n].long() if ds.task == "classification" else ds.masks_of(np.arange(n)).long()
    return TensorDataset(x, y, torch.zeros(n, dtype=torch.float64))


class _AugmentedTrain(Dataset):
    """Samples 0..n−1 of ``base`` with the ``s2`` augmentation ``(mode, value)``; items
    ``(signal float32 (1, …), target, angle 0)``; :meth:`set_epoch` before each epoch."""

    def __init__(self, base: Any, n: int, mode: str, value: float, seed: int) -> None:
        from ..data import RotatedCopies, SphericalAugment

        self.base, self.n, self.mode = base, n, mode
        self.copies = int(value) if mode == "copies" else 1
        if mode == "copies":
            self.impl: Any = RotatedCopies(base, self.copies, seed)
        else:
            self.impl = SphericalAugment(base, value if mode == "rotate" else 0.0, seed)

    def set_epoch(self, epoch: int) -> None:
        if self.mode != "copies":
            self.impl.set_epoch(int(epoch))

    def __len__(self) -> int:
        return self.n * self.copies

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, Any, torch.Tensor]]:
        j = np.asarray(indices, dtype=np.int64)
        copy, i = np.divmod(j, self.n)
        items = self.impl.__getitems__((copy * len(self.base) + i).tolist())
        zero = torch.zeros((), dtype=torch.float64)
        return [(x, torch.as_tensor(y), zero) for x, y in items]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, Any, torch.Tensor]:
        return self.__getitems__([i])[0]


class _EpochSampler(SeededSampler):
    """A :class:`SeededSampler` that also hands the epoch to the augmented data set."""

    def __init__(self, dataset: _AugmentedTrain, *args: Any, **kwargs: Any) -> None:
        super().__init__(len(dataset), *args, **kwargs)
        self.dataset = dataset

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        self.dataset.set_epoch(epoch)


class SphericalDataModule(DataModule):
    """Train / valid / test splits of a spherical data set (module doc). Arguments after
    ``eval_batch_size`` are keyword-only; unknown ones go to the data set (e.g. ``bandwidth``).
    ``model`` / ``model_kwargs`` (the run's) pick the sampling points (:func:`model_points`)."""

    #: the model input kinds it serves (the harness checks a run's model against these)
    input_kinds = ("s2", "ico")

    def __init__(
        self,
        data: str = "spherical-mnist",
        batch_size: int = 32,
        seed: int = 0,
        limit_train: int | None = None,
        limit_val: int | None = None,
        limit_test: int | None = None,
        root: str | None = None,
        eval_batch_size: int = 500,
        *,
        augment: str = "none",
        rotate: str = "NR",
        test_rotate: str | tuple[str, ...] | list[str] | None = None,
        model: str | None = None,
        model_kwargs: dict[str, Any] | None = None,
        **dataset_kwargs: Any,
    ) -> None:
        super().__init__(
            data, batch_size, seed, limit_train, limit_val, limit_test, root, eval_batch_size
        )
        self.mode, self.value = s2_augmentation(augment)  # ValueError listing the names
        tests = (rotate,) if test_rotate is None else test_rotate
        tests = (tests,) if isinstance(tests, str) else tuple(tests)
        for r in (rotate, *tests):
            if r not in _ROTATE:
                raise ValueError(f"rotate and test_rotate must be 'NR' or 'R', got {r!r}")
        if not tests:
            raise ValueError("test_rotate must name at least one test set")
        self.augment, self.rotate, self.test_rotate = augment, rotate, tests
        self.test_names = tuple(r.lower() for r in tests)
        points = model_points(model, model_kwargs)
        if points is not None:
            if dataset_kwargs.get("points") is not None:
                raise ValueError(f"model {model!r} fixes the sampling points; got points too")
            dataset_kwargs = {**dataset_kwargs, "points": points}
        self.dataset_kwargs = dataset_kwargs
        self._train: _AugmentedTrain | None = None

    def dataset(self, split: str, rotate: str) -> Any:
        """The split as a :class:`gconv.data.SphericalMNIST` (generated once, then cached)."""
        from ..data import get_dataset

        return get_dataset(self.data, split, root=self.root, rotate=rotate, **self.dataset_kwargs)

    def prepare_data(self) -> None:
        if self._world()[0] > 1:  # build the caches once, before the ranks read them
            self.dataset("train", self.rotate)
            self.dataset("valid", self.rotate)
            for r in self.test_rotate:
                self.dataset("test", r)

    def _limit(self, ds: Any, name: str) -> int:
        lim = self.limits[name]
        return len(ds) if lim is None else min(int(lim), len(ds))

    def split(self, name: str, rotate: str | None = None) -> TensorDataset:
        """An evaluation split (``rotate`` default: the training one) as tensors."""
        rotate = rotate or self.rotate
        key = f"{name}-{rotate}"
        if key not in self.sets:
            ds = self.dataset(name, rotate)
            self.sets[key] = _tensors(ds, self._limit(ds, "test" if name == "test" else name))
        return self.sets[key]

    def train_set(self) -> TensorDataset | _AugmentedTrain:
        """The training set: tensors, or generated per batch when augmented."""
        if self.mode == "none":
            return self.split("train")
        if self._train is None:
            ds = self.dataset("train", self.rotate)
            self._train = _AugmentedTrain(ds, self._limit(ds, "train"), self.mode, self.value,
                                          self.seed)  # fmt: skip
        return self._train

    def train_dataloader(self) -> DataLoader:
        ds = self.train_set()
        world, rank = self._world()
        if isinstance(ds, _AugmentedTrain):
            sampler: SeededSampler = _EpochSampler(ds, self.seed, num_replicas=world, rank=rank)
        else:
            sampler = SeededSampler(len(ds), self.seed, num_replicas=world, rank=rank)
        return ResumableLoader(
            ds, batch_size=self.batch_size, sampler=sampler, generator=self._gen()
        )

    def _loader(self, ds: TensorDataset) -> DataLoader:
        from ._datamodule import ShardSampler

        world, rank = self._world()
        sampler = ShardSampler(len(ds), num_replicas=world, rank=rank)
        return DataLoader(
            ds, batch_size=self.eval_batch_size, sampler=sampler, generator=self._gen()
        )

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.split("valid"))

    def test_dataloader(self) -> DataLoader | list[DataLoader]:
        loaders = [self._loader(self.split("test", r)) for r in self.test_rotate]
        return loaders[0] if len(loaders) == 1 else loaders


for _name in ("spherical-mnist", "spherical-fashion-mnist"):
    register_datamodule(_name, SphericalDataModule)
