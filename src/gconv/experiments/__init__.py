# SPDX-License-Identifier: MIT
"""Training harness (Lightning): module, data, augmentation, runs, studies, plots, demo.

Needs the ``experiments`` extras (``pip install 'gconv[experiments]'``); names are imported
lazily, so ``import gconv.experiments`` (and the CLI) work without them until used.

- ``Classifier``: LightningModule around any ``(B, C, H, W) → (B, classes)`` model; Adam,
  cross-entropy, torchmetrics accuracy; ``AngleBinnedError`` (test error per input angle).
- ``augment(x, mode, generator)``, ``AUGMENTATIONS`` (none, batch-angle, sample-angle, rot90),
  ``derive_seed``, ``seeded_generator``: every draw keyed by (seed, epoch, batch, …).
- ``SeededSampler``, ``RotMNISTDataModule``: shuffling as a function of (seed, epoch), sharded
  by rank like ``DistributedSampler``.
- ``TrainConfig``, ``train``, ``build_trainer``, ``evaluate``, ``load_checkpoint``
  (``weights_only=True``; ``CheckpointError`` for truncated or foreign files), ``load_classifier``.
- ``STUDIES``, ``RunSpec``, ``plan``, ``select_shard``, ``run_study``, ``merge``,
  ``write_report``: sweeps → tidy CSV, markdown, plots.
- ``plot_angle_error``, ``plot_rotation_curve``, ``save_figure``; ``training_demo``.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "_augment": ("AUGMENTATIONS", "STREAMS", "augment", "derive_seed", "seeded_generator"),
    "_datamodule": ("DATASETS", "RotMNISTDataModule", "SeededSampler", "ShardSampler"),
    "_module": ("AngleBinnedError", "Classifier"),
    "_train": (
        "CheckpointError",
        "Throughput",
        "TrainConfig",
        "build_trainer",
        "evaluate",
        "load_checkpoint",
        "load_classifier",
        "train",
    ),
    "_study": (
        "PAPER",
        "STUDIES",
        "RunSpec",
        "merge",
        "parse_shard",
        "plan",
        "run_study",
        "select_shard",
        "write_report",
    ),
    "_plots": ("plot_angle_error", "plot_rotation_curve", "save_figure"),
    "_demo": ("training_demo",),
}
_NAME_TO_MODULE = {name: mod for mod, names in _WHERE.items() for name in names}
__all__ = sorted(_NAME_TO_MODULE)


def __getattr__(name: str) -> Any:
    mod = _NAME_TO_MODULE.get(name)
    if mod is None:
        raise AttributeError(f"module 'gconv.experiments' has no attribute {name!r}")
    try:
        module = importlib.import_module(f"{__name__}.{mod}")
    except ImportError as e:
        raise ImportError(
            f"gconv.experiments.{name} needs the experiments extras: "
            f"pip install 'gconv[experiments]' ({e})"
        ) from e
    return getattr(module, name)


def __dir__() -> list[str]:
    return __all__
