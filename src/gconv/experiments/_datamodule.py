# SPDX-License-Identifier: MIT
"""Data for training: a resumable shuffling sampler and a Lightning DataModule for any data set
registered in :mod:`gconv.data`, looked up by name (``get_datamodule``; a data set that needs
its own DataModule registers it with ``register_datamodule``).

Shuffling is a function of (seed, epoch) alone; with ``num_replicas`` processes the epoch's
permutation is padded and dealt out as in ``torch.utils.data.DistributedSampler`` (rank r takes
positions r, r + R, r + 2R, …), so the ranks' shares are disjoint and together cover the set.
The training loader (:class:`ResumableLoader`) keeps its place in the epoch in the checkpoint,
so a run resumed from a checkpoint written inside an epoch continues with the next batch.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, Sampler, TensorDataset

from .._util import check_choice, check_positive_int
from ._augment import STREAMS, seeded_generator

__all__ = [
    "DataModule",
    "ResumableLoader",
    "RotMNISTDataModule",
    "SeededSampler",
    "ShardSampler",
    "as_tensors",
    "get_datamodule",
    "register_datamodule",
]

#: data set name → DataModule factory, for data sets that need their own (default: DataModule)
_DATAMODULES: dict[str, Callable[..., L.LightningDataModule]] = {}


class SeededSampler(Sampler[int]):
    """Shuffled indices of ``0..n−1`` whose order is a function of ``(seed, epoch)``; rank
    ``rank`` of ``num_replicas`` gets every ``num_replicas``-th position of the (padded)
    permutation, exactly ``ceil(n / num_replicas)`` indices (``drop_last=False``).

    >>> s = SeededSampler(10, seed=3, num_replicas=2, rank=0)
    >>> s.set_epoch(1)
    >>> a = list(s)
    >>> s.rank = 1
    >>> sorted(a + list(s)) == list(range(10))
    True
    """

    def __init__(
        self, n: int, seed: int = 0, num_replicas: int = 1, rank: int = 0, shuffle: bool = True
    ) -> None:
        if n <= 0 or num_replicas <= 0 or not 0 <= rank < num_replicas:
            raise ValueError(
                f"SeededSampler: need n > 0 and 0 <= rank < num_replicas, got n={n}, "
                f"rank={rank}, num_replicas={num_replicas}"
            )
        self.n, self.seed, self.num_replicas, self.rank = n, seed, num_replicas, rank
        self.shuffle = shuffle
        self.epoch = 0
        #: positions of this rank's share skipped by the next iteration only (a resumed epoch)
        self.start = 0

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning (and by hand) before every epoch."""
        self.epoch = int(epoch)

    def permutation(self) -> list[int]:
        """The whole epoch's order, before it is dealt out to the ranks."""
        if not self.shuffle:
            return list(range(self.n))
        g = seeded_generator(self.seed, self.epoch, STREAMS["shuffle"])
        return torch.randperm(self.n, generator=g).tolist()

    def __len__(self) -> int:
        return math.ceil(self.n / self.num_replicas)

    def __iter__(self) -> Iterator[int]:
        order = self.permutation()
        total = len(self) * self.num_replicas
        while len(order) < total:  # pad by repeating from the start, as DistributedSampler does
            order += order[: total - len(order)]
        start, self.start = self.start, 0
        return iter(order[self.rank : total : self.num_replicas][start:])


class ResumableLoader(DataLoader):
    """The training DataLoader, whose place in the epoch is saved in checkpoints: Lightning
    calls :meth:`state_dict` when it writes one and :meth:`load_state_dict` when it resumes
    from one. Resumed inside epoch E after K batches, the next pass over epoch E yields
    batches K, K + 1, … of the same order (its :class:`SeededSampler` skips the first
    K · batch_size positions); augmentation and dropout are keyed by (seed, epoch, batch
    index), so the resumed epoch replays exactly what the uninterrupted one would have done.

    >>> loader = ResumableLoader(range(10), batch_size=4, sampler=SeededSampler(10, shuffle=False))
    >>> loader.load_state_dict({"epoch": 0, "batches": 2})
    >>> [b.tolist() for b in loader], loader.state_dict()
    ([[8, 9]], {'epoch': 0, 'batches': 3, 'replicas': 1})

    A resume with another number of processes (``replicas``) deals the epoch's order out
    differently, so skipping K batches would skip and repeat other samples: that epoch is
    replayed from its start instead, with a warning.
    """

    # both checked in __init__
    sampler: SeededSampler
    batch_size: int

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not isinstance(self.sampler, SeededSampler) or self.batch_size is None:
            raise TypeError(
                "ResumableLoader needs a SeededSampler and a batch_size, got "
                f"{type(self.sampler).__name__} and batch_size={self.batch_size!r}"
            )
        self._place = (0, 0)  # (epoch, batches yielded in it)
        self._resume: tuple[int, int, int | None] | None = None

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        return self._batches()

    def _batches(self) -> Iterator[Any]:
        # runs at the first next(): after Lightning's set_epoch for the coming epoch
        sampler, (skip_epoch, skip, replicas) = self.sampler, self._resume or (-1, 0, None)
        skip = skip if skip_epoch == sampler.epoch else 0
        if skip and replicas is not None and replicas != sampler.num_replicas:
            warnings.warn(
                f"resuming inside epoch {skip_epoch} with {sampler.num_replicas} process(es), "
                f"saved with {replicas}: the epoch's samples are dealt differently, so it is "
                f"replayed from its start",
                stacklevel=2,
            )
            skip = 0
        self._resume = None
        sampler.start = skip * self.batch_size
        self._place = (sampler.epoch, skip)
        for batch in super().__iter__():
            self._place = (self._place[0], self._place[1] + 1)
            yield batch

    def state_dict(self) -> dict[str, int]:
        """``{"epoch": E, "batches": K, "replicas": R}``: K batches of epoch E have been handed
        out to each of R processes."""
        replicas = self.sampler.num_replicas
        return {"epoch": self._place[0], "batches": self._place[1], "replicas": replicas}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Skip the first ``state["batches"]`` batches when epoch ``state["epoch"]`` is next
        iterated (any other epoch: nothing is skipped)."""
        try:
            replicas = state.get("replicas")  # absent in checkpoints written before it was kept
            self._resume = (
                int(state["epoch"]),
                int(state["batches"]),
                None if replicas is None else int(replicas),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValueError(
                f"ResumableLoader: expected a state {{'epoch': int, 'batches': int}}, got {state!r}"
            ) from None


class ShardSampler(Sampler[int]):
    """Positions ``rank, rank + R, …`` of ``0..n−1`` in order, no padding: for evaluation, where
    metrics are summed over ranks and every sample must count once."""

    def __init__(self, n: int, num_replicas: int = 1, rank: int = 0) -> None:
        if not (
            isinstance(n, int) and n >= 0 and isinstance(num_replicas, int) and num_replicas >= 1
        ):
            raise ValueError(
                f"ShardSampler: need n >= 0 and num_replicas >= 1, got n={n!r}, "
                f"num_replicas={num_replicas!r}"
            )
        if not (isinstance(rank, int) and 0 <= rank < num_replicas):
            raise ValueError(f"ShardSampler: need 0 <= rank < {num_replicas}, got rank={rank!r}")
        self.n, self.num_replicas, self.rank = n, num_replicas, rank

    def __len__(self) -> int:
        return len(range(self.rank, self.n, self.num_replicas))

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.rank, self.n, self.num_replicas))


def as_tensors(dataset: Dataset, limit: int | None = None) -> TensorDataset:
    """``(inputs float32 (N, C, …), labels int64, angles float64)`` in memory, the first
    ``limit`` samples (the rotated sets are already a random draw). ``.images`` without a
    channel axis (``(N, H, W)``) get one; uint8 values are scaled to [0, 1]."""
    n = len(dataset) if limit is None else min(int(limit), len(dataset))  # type: ignore[arg-type]
    if n <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
    if hasattr(dataset, "images") and hasattr(dataset, "labels"):
        images = dataset.images[:n]
        scale = images.dtype == torch.uint8
        images = images.unsqueeze(1) if images.dim() == 3 else images
        images = images.float().div_(255.0) if scale else images.float()
        labels = dataset.labels[:n].long()
    else:
        items = [dataset[i] for i in range(n)]
        images = torch.stack([torch.as_tensor(x, dtype=torch.float32) for x, _ in items])
        labels = torch.tensor([int(y) for _, y in items], dtype=torch.long)
    angles = getattr(dataset, "angles", None)
    angles = torch.zeros(n, dtype=torch.float64) if angles is None else angles[:n].double()
    return TensorDataset(images, labels, angles)


class DataModule(L.LightningDataModule):
    """A registered data set's train / valid / test splits as in-memory tensors
    ``(input, label, angle)`` (``gconv.data.get_dataset(data, split, root)``).

    ``limit_*`` keep the first N samples of a split (quick runs); the validation set is used for
    model selection, the test set only for the final report.
    """

    def __init__(
        self,
        data: str = "rotmnist",
        batch_size: int = 128,
        seed: int = 0,
        limit_train: int | None = None,
        limit_val: int | None = None,
        limit_test: int | None = None,
        root: str | None = None,
        eval_batch_size: int = 500,
    ) -> None:
        super().__init__()
        from ..data import list_datasets

        if data not in list_datasets():
            raise ValueError(f"data must be one of {list_datasets()}, got {data!r}")
        check_positive_int(type(self).__name__, "batch_size", batch_size)
        check_positive_int(type(self).__name__, "eval_batch_size", eval_batch_size)
        self.data, self.batch_size, self.seed = data, batch_size, seed
        self.limits = {"train": limit_train, "valid": limit_val, "test": limit_test}
        self.root = root or os.environ.get("GCONV_DATA")
        self.eval_batch_size = eval_batch_size
        self.sets: dict[str, TensorDataset] = {}

    def prepare_data(self) -> None:
        """Lightning calls this in one process per node before the others start: with more
        than one process, a derived set (rotated MNIST) is built and cached here once, not by
        every rank at the same time (the ranks then read the cache)."""
        if self._world()[0] > 1:
            from ..data import get_dataset

            for name in self.limits:
                get_dataset(self.data, name, root=self.root)

    def split(self, name: str) -> TensorDataset:
        """One split as tensors (loaded once)."""
        if name not in self.sets:
            from ..data import get_dataset

            ds = get_dataset(self.data, name, root=self.root)
            self.sets[name] = as_tensors(ds, self.limits[name])
        return self.sets[name]

    def _world(self) -> tuple[int, int]:
        trainer = self.trainer
        if trainer is None:
            return 1, 0
        return trainer.world_size, trainer.global_rank

    def train_dataloader(self) -> DataLoader:
        ds = self.split("train")
        world, rank = self._world()
        sampler = SeededSampler(len(ds), self.seed, num_replicas=world, rank=rank)
        return ResumableLoader(
            ds, batch_size=self.batch_size, sampler=sampler, generator=self._gen()
        )

    def _eval_loader(self, name: str) -> DataLoader:
        ds = self.split(name)
        world, rank = self._world()
        sampler = ShardSampler(len(ds), num_replicas=world, rank=rank)
        return DataLoader(
            ds, batch_size=self.eval_batch_size, sampler=sampler, generator=self._gen()
        )

    def _gen(self) -> torch.Generator:
        # loaders draw their worker base seed from this, not from the global stream
        return seeded_generator(self.seed, STREAMS["loader"])

    def val_dataloader(self) -> DataLoader:
        return self._eval_loader("valid")

    def test_dataloader(self) -> DataLoader | list[DataLoader]:  # subclasses may test on several
        return self._eval_loader("test")


#: the name of the rotated-MNIST harness before it served every data set
RotMNISTDataModule = DataModule


def register_datamodule(data: str, factory: Callable[..., L.LightningDataModule]) -> None:
    """Use ``factory(data, batch_size, seed, limit_train, limit_val, limit_test, root,
    eval_batch_size)`` (DataModule's arguments) for the data set ``data``."""
    from ..data import list_datasets

    check_choice("register_datamodule", "data", data, tuple(list_datasets()))
    if not callable(factory):
        raise TypeError(
            f"register_datamodule: factory must be callable, got {type(factory).__name__}"
        )
    if data in _DATAMODULES:
        raise ValueError(f"a DataModule is already registered for {data!r}")
    _DATAMODULES[data] = factory


def get_datamodule(
    data: str,
    *,
    model: str | None = None,
    model_kwargs: dict[str, Any] | None = None,
    **kwargs: Any,
) -> L.LightningDataModule:
    """The DataModule of the registered data set ``data`` (``DataModule`` unless one was
    registered for it) with ``kwargs`` (DataModule's arguments).

    ``model`` and ``model_kwargs`` (the run's model) go to a data set's own data module, which
    derives the model's input points from them (a spherical grid or the icosahedron); the plain
    ``DataModule`` serves every planar model alike and does not take them."""
    factory = _DATAMODULES.get(data)
    if factory is None:
        return DataModule(data, **kwargs)
    if model is not None:
        kwargs |= {"model": model, "model_kwargs": model_kwargs}
    return factory(data, **kwargs)


from . import _cifar_dm as _cifar_dm  # noqa: E402  registers the CIFAR-10 data module
from . import _spherical_dm as _spherical_dm  # noqa: E402  registers the spherical data modules
