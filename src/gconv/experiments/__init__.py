# SPDX-License-Identifier: MIT
"""Training harness (Lightning): tasks, data modules, augmentations, runs, studies, plots, demo.

Needs the ``experiments`` extras (``pip install 'gconv[experiments]'``) to train; names are
imported lazily, so ``import gconv.experiments``, the registries and the CLI work without them.

Registries (adding one = a new file that registers it):

- tasks: ``TaskSpec``, ``register_task``, ``get_task``, ``list_tasks`` (``classification``:
  ``Classifier``, cross-entropy, torchmetrics accuracy, ``AngleBinnedError``; ``segmentation``:
  ``Segmenter``, per-pixel cross-entropy, plain and area-weighted pixel accuracy and mIoU;
  ``generative``: ``GAN``, conditional GAN with hinge loss, scored by ``frechet_distance`` on
  the features of our own RotatedMNIST Z2CNN (``load_scorer``, ``scorer_features``; not the
  Inception FID), ``sample_grid`` PNGs, ``GeneratorEMA``: the averaged generator).
- augmentations per input kind: ``register_augmentation(name, fn, input_kind)``,
  ``get_augmentation``, ``list_augmentations``; ``augment(x, mode, generator)`` and
  ``AUGMENTATIONS`` for images (none, batch-angle, sample-angle, rot90, flip-translate);
  ``derive_seed``,
  ``seeded_generator``: every draw keyed by (seed, epoch, batch, …).
- data modules by data set name: ``get_datamodule(data, **kw)`` (``DataModule`` over
  ``gconv.data.get_dataset`` unless ``register_datamodule`` gave one: ``SphericalDataModule``
  for the spherical sets, with the ``"s2"`` augmentations; ``CIFAR10DataModule``: 45k/5k/10k,
  per-channel normalisation); ``SeededSampler``,
  ``ShardSampler``: shuffling as a function of (seed, epoch), sharded by rank;
  ``as_tensors``: a data set's first samples as an in-memory ``TensorDataset``.
- studies: ``StudySpec``, ``Arm``, ``Budget``, ``register_study``, ``get_study``,
  ``list_studies`` (files in ``studies/``: ``rotmnist``, ``spherical-cls``, ``spherical-seg``,
  ``cifar10``).

Runs: ``TrainConfig``, ``train``, ``build_trainer``, ``evaluate``, ``load_checkpoint``
(``weights_only=True``; ``CheckpointError`` for truncated or foreign files), ``load_module``,
``load_classifier``, ``RecomputeBatchNorm`` (precise batch-norm statistics before each
validation), ``WeightEMA`` (a moving average of the weights, validated, checkpointed and
tested: a task module's ``ema``), ``batches_as_in_run`` (the batches a run recomputed them over, for a checkpoint). Studies: ``RunSpec``, ``plan``, ``select_shard``, ``run_study``,
``merge``, ``render_report``, ``write_report`` → tidy CSV, markdown, plots. Plots:
``plot_angle_error``, ``plot_rotation_curve``, ``save_figure``; ``training_demo``.
``add_commands(subparsers)``: ``gconv train|evaluate|study`` (used by ``gconv.cli``).
"""

from __future__ import annotations

import importlib
from typing import Any

from .._util import ShapeError as ShapeError  # re-exported

_WHERE = {
    "_augment": (
        "AUGMENTATIONS",
        "STREAMS",
        "augment",
        "derive_seed",
        "get_augmentation",
        "list_augmentations",
        "register_augmentation",
        "seeded_generator",
    ),
    "_datamodule": (
        "DataModule",
        "ResumableLoader",
        "RotMNISTDataModule",
        "SeededSampler",
        "ShardSampler",
        "as_tensors",
        "get_datamodule",
        "register_datamodule",
    ),
    "_tasks": ("TaskSpec", "get_task", "list_tasks", "register_task"),
    "_spec": ("Arm", "Budget", "StudySpec", "get_study", "list_studies", "register_study"),
    "_report": ("render_report", "split_recipes", "write_report"),
    "_decision": ("DecisionRule", "render_decision"),
    "_confusion": ("confusion_tables", "top_confusions"),
    "_callbacks": ("WeightEMA", "batches_as_in_run"),
    "_cli": ("add_commands",),
    "_module": ("AngleBinnedError", "Classifier"),
    "_seg_module": ("Segmenter",),
    "_gan_module": ("GAN", "GAN_SETTINGS", "GeneratorEMA", "sample_grid"),
    "_gan_score": ("frechet_distance", "load_scorer", "scorer_features"),
    "_spherical_dm": ("SphericalDataModule",),
    "_cifar_dm": ("CIFAR10DataModule",),
    "_train": (
        "CheckpointError",
        "RecomputeBatchNorm",
        "Throughput",
        "TrainConfig",
        "build_trainer",
        "load_checkpoint",
        "train",
    ),
    "_evaluate": ("evaluate", "load_classifier", "load_module"),
    "_study": ("RunSpec", "merge", "plan", "run_study"),
    "_shards": ("parse_shard", "select_shard"),
    "_plots": ("plot_angle_error", "plot_rotation_curve", "save_figure"),
    "_demo": ("training_demo",),
    "_seg_metrics": (
        "METRICS",
        "area_element",
        "confusion_matrix",
        "iou_per_class",
        "metrics_from_confusion",
        "pixel_solid_angles",
        "segmentation_metrics",
        "vertex_solid_angles",
    ),
}
_NAME_TO_MODULE = {name: mod for mod, names in _WHERE.items() for name in names}
__all__ = sorted([*_NAME_TO_MODULE, "ShapeError"])


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
