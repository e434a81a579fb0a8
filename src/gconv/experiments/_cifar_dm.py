# SPDX-License-Identifier: MIT
"""The data module of CIFAR-10 (``--data cifar10``): train / valid / test from the binary files.

- **Splits.** The 50,000 training images (``data_batch_1..5.bin`` in file order) lose their
  last ``val_size`` images (default 5,000: records 5,000–9,999 of ``data_batch_5.bin``), which
  become the validation split used for model selection, as in He et al. (2016, 45k/5k); the
  test split is ``test_batch.bin``'s 10,000 images, used only for the final report. (The
  paper's released code trains on all 50,000 and validates on the test set; we do not.)
- **Normalisation** (``normalize``): ``"channel"`` (default) subtracts the mean and divides by
  the standard deviation of each colour channel, both computed in float64 over the held-in
  training images (all ``50,000 − val_size``, whatever ``limit_train``) on the [0, 1] scale;
  ``"none"`` only scales to [0, 1]. A per-channel affine map commutes with every rotation and
  flip of the image, so it keeps the p4/p4m models' invariance (the paper's contrast
  normalisation + ZCA whitening would not exactly: its whitening filter is learned from data).
  The statistics are ``.mean``/``.std`` after :meth:`setup`.
- **Augmentation** is the run's ``augment`` applied per batch by the task module (for
  CIFAR10+ ``flip-translate``: zeros shifted in are the channel mean after normalisation);
  the data module only accepts the name (and the run's ``model``/``model_kwargs``, which
  the harness hands every registered data module; planar images need neither).

Items are ``(image float32 (3, 32, 32), label, angle 0.0)`` held in memory (about 740 MB for
all 60,000 images); ``limit_*`` keep the first N of a split.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import TensorDataset

from .._util import check_choice
from ._datamodule import DataModule, register_datamodule

__all__ = ["NORMALIZATIONS", "CIFAR10DataModule"]

NORMALIZATIONS = ("channel", "none")


class CIFAR10DataModule(DataModule):
    """CIFAR-10 with a validation split held out of the training files (module docstring).
    Arguments after ``eval_batch_size`` are keyword-only.

    >>> dm = CIFAR10DataModule(val_size=1000)
    >>> dm.val_size, dm.normalize
    (1000, 'channel')
    """

    def __init__(
        self,
        data: str = "cifar10",
        batch_size: int = 128,
        seed: int = 0,
        limit_train: int | None = None,
        limit_val: int | None = None,
        limit_test: int | None = None,
        root: str | None = None,
        eval_batch_size: int = 500,
        *,
        augment: str = "none",
        val_size: int = 5_000,
        normalize: str = "channel",
        model: str | None = None,
        model_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            data, batch_size, seed, limit_train, limit_val, limit_test, root, eval_batch_size
        )
        if isinstance(val_size, bool) or not isinstance(val_size, int) or val_size < 1:
            raise ValueError(f"CIFAR10DataModule: val_size must be an int >= 1, got {val_size!r}")
        check_choice("CIFAR10DataModule", "normalize", normalize, NORMALIZATIONS)
        self.augment, self.val_size, self.normalize = augment, val_size, normalize
        self.mean: tuple[float, ...] | None = None
        self.std: tuple[float, ...] | None = None

    def prepare_data(self) -> None:
        """With several processes, find (download, verify) the files once before the ranks
        read them."""
        if self._world()[0] > 1:
            from ..data import get_dataset

            for name in ("train", "test"):
                get_dataset(self.data, name, root=self.root)

    def _load(self) -> None:
        from ..data import get_dataset

        train = get_dataset(self.data, "train", root=self.root)
        images, labels = train.images, train.labels.long()  # type: ignore[attr-defined]
        n = len(labels)
        if self.val_size >= n:
            raise ValueError(
                f"CIFAR10DataModule: val_size must be below the {n:,} training images, "
                f"got {self.val_size:,}"
            )
        cut = n - self.val_size
        held_in = images[:cut].double().div_(255.0)
        if self.normalize == "channel":
            mean = held_in.mean(dim=(0, 2, 3))
            std = held_in.std(dim=(0, 2, 3)).clamp_min(1e-12)
        else:
            mean, std = torch.zeros(images.shape[1]), torch.ones(images.shape[1])
        self.mean = tuple(float(v) for v in mean)
        self.std = tuple(float(v) for v in std)
        test = get_dataset(self.data, "test", root=self.root)
        parts = {
            "train": (images[:cut], labels[:cut]),
            "valid": (images[cut:], labels[cut:]),
            "test": (test.images, test.labels.long()),  # type: ignore[attr-defined]
        }
        for name, (x, y) in parts.items():
            self.sets[name] = self._tensors(x, y, self.limits[name])

    def _tensors(self, x: torch.Tensor, y: torch.Tensor, limit: int | None) -> TensorDataset:
        n = len(y) if limit is None else min(int(limit), len(y))
        mean = torch.tensor(self.mean, dtype=torch.float64).view(1, -1, 1, 1)
        std = torch.tensor(self.std, dtype=torch.float64).view(1, -1, 1, 1)
        images = ((x[:n].double() / 255.0 - mean) / std).float()
        return TensorDataset(images, y[:n], torch.zeros(n, dtype=torch.float64))

    def setup(self, stage: str | None = None) -> None:
        """Load and normalise the three splits (once)."""
        if not self.sets:
            self._load()

    def split(self, name: str) -> TensorDataset:
        """``"train"``, ``"valid"`` or ``"test"`` as tensors (loaded once)."""
        check_choice("CIFAR10DataModule.split", "name", name, ("train", "valid", "test"))
        self.setup()
        return self.sets[name]

    def state(self) -> dict[str, Any]:
        """What a run should record about its data: split sizes and the normalisation."""
        self.setup()
        sizes = {f"n_{k}": len(v) for k, v in self.sets.items()}
        return {**sizes, "normalize": self.normalize, "mean": self.mean, "std": self.std}


register_datamodule("cifar10", CIFAR10DataModule)
