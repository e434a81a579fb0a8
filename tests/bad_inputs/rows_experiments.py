# SPDX-License-Identifier: MIT
"""Bad inputs for ``gconv.experiments`` (run in a temporary folder; nothing trains): tasks,
data modules, training and checkpoints (studies: ``rows_experiments_studies.py``; metrics and
the GAN: ``rows_experiments_metrics.py``)."""

from __future__ import annotations

from pathlib import Path

import torch
from _bad_row import Row, floats

from gconv import experiments as x

PACKAGE = "gconv.experiments"


def _junk(name: str = "bad.ckpt") -> str:
    Path(name).write_bytes(b"not a checkpoint")
    return name


def _ema_update_of_another_net() -> None:
    from gconv.models import ConditionalGenerator

    x.GeneratorEMA(ConditionalGenerator(z_dim=4, width=2), 0.9).update(torch.nn.Linear(2, 2))


ROWS = [
    Row(
        "GeneratorEMA",
        lambda: x.GeneratorEMA(torch.nn.Linear(2, 2), 1.5),
        ValueError,
        r"decay must be in \[0, 1\), got 1.5",
    ),
    Row(
        "GeneratorEMA",
        lambda: x.GeneratorEMA("g", 0.9),
        TypeError,
        r"generator must be an nn.Module, got str",
    ),
    Row(
        "GeneratorEMA",
        _ema_update_of_another_net,
        ValueError,
        r"generator does not match the averaged one: expected \d+ parameter tensors",
    ),
    Row(
        "as_tensors",
        lambda: x.as_tensors([(torch.zeros(1, 2, 2), 0)], limit=0),
        ValueError,
        r"limit must be positive, got 0",
    ),
    Row("Segmenter", lambda: x.Segmenter(lr=0.0), ValueError, r"lr must be positive, got 0.0"),
    Row(
        "Segmenter",
        lambda: x.Segmenter(augment="batch-angle"),
        ValueError,
        r"must be one of .*got 'batch-angle'",
    ),
    Row(
        "SphericalDataModule",
        lambda: x.SphericalDataModule(augment="rotate-33"),
        ValueError,
        r"spherical augmentation must be one of .*got 'rotate-33'",
    ),
    Row(
        "SphericalDataModule",
        lambda: x.SphericalDataModule(rotate="X"),
        ValueError,
        r"rotate and test_rotate must be 'NR' or 'R', got 'X'",
    ),
    Row(
        "AngleBinnedError",
        lambda: x.AngleBinnedError(0),
        ValueError,
        r"bins must be positive, got 0",
    ),
    Row("Classifier", lambda: x.Classifier(lr=-1.0), ValueError, r"lr must be positive, got -1.0"),
    Row(
        "Classifier",
        lambda: x.Classifier(model="nope"),
        ValueError,
        r"unknown model 'nope'; known models",
    ),
    Row(
        "DataModule",
        lambda: x.DataModule(batch_size=0),
        ValueError,
        r"batch_size must be a positive int, got 0",
    ),
    Row(
        "DataModule",
        lambda: x.DataModule(data="cifar"),
        ValueError,
        r"data must be one of \[.*'rotmnist'.*\], got 'cifar'",
    ),
    Row(
        "RotMNISTDataModule",
        lambda: x.RotMNISTDataModule(eval_batch_size=-5),
        ValueError,
        r"eval_batch_size must be a positive int, got -5",
    ),
    Row(
        "ResumableLoader",
        lambda: x.ResumableLoader(list(range(4)), batch_size=2),
        TypeError,
        r"needs a SeededSampler and a batch_size, got SequentialSampler and batch_size=2",
    ),
    Row(
        "ResumableLoader",
        lambda: x.ResumableLoader(list(range(4)), sampler=x.SeededSampler(4), batch_size=None),
        TypeError,
        r"needs a SeededSampler and a batch_size, got SeededSampler and batch_size=None",
    ),
    Row(
        "SeededSampler",
        lambda: x.SeededSampler(10, num_replicas=2, rank=2),
        ValueError,
        r"0 <= rank < num_replicas, got n=10, rank=2, num_replicas=2",
    ),
    Row(
        "ShardSampler",
        lambda: x.ShardSampler(10, num_replicas=0),
        ValueError,
        r"num_replicas >= 1, got n=10, num_replicas=0",
    ),
    Row(
        "ShardSampler",
        lambda: x.ShardSampler(10, num_replicas=2, rank=3),
        ValueError,
        r"need 0 <= rank < 2, got rank=3",
    ),
    Row(
        "TaskSpec",
        lambda: x.TaskSpec("t", "gconv.experiments._module.Classifier", "val", dict, ()),
        ValueError,
        r"module must be 'package.module:Class', got 'gconv.experiments._module.Classifier'",
    ),
    Row("Throughput", lambda: x.Throughput(1), TypeError, r"takes 1 positional argument"),
    Row("RecomputeBatchNorm", lambda: x.RecomputeBatchNorm(0), ValueError, r"batches.*got 0"),
    Row(
        "TrainConfig",
        lambda: x.TrainConfig(epochs=0),
        ValueError,
        r"epochs must be an int >= 1, got 0",
    ),
    Row(
        "WeightEMA",
        lambda: x.WeightEMA(1.5),
        ValueError,
        r"WeightEMA: decay must be a number in \(0, 1\), got 1.5",
    ),
    Row(
        "Classifier", lambda: x.Classifier(ema=1.0), ValueError, r"ema must be in \[0, 1\), got 1.0"
    ),
    Row(
        "Segmenter",
        lambda: x.Segmenter(label_smoothing=1.5),
        ValueError,
        r"label_smoothing must be in \[0, 1\), got 1.5",
    ),
    Row(
        "TrainConfig",
        lambda: x.TrainConfig(lr=0.0),
        ValueError,
        r"lr must be a positive number, got 0.0",
    ),
    Row(
        "TrainConfig",
        lambda: x.TrainConfig(precision="bf16"),  # type: ignore[arg-type]
        ValueError,
        r"precision must be one of \('32-true', '64-true', 'bf16-mixed', '16-mixed'\), got 'bf16'",
    ),
    Row(
        "TrainConfig",
        lambda: x.TrainConfig(precision="16-mixed"),
        ValueError,
        r"'16-mixed' \(float16 autocast\) does not run on the CPU.*ask for 'bf16-mixed'",
    ),
    Row(
        "add_commands",
        lambda: x.add_commands(None),
        TypeError,
        r"expected the result of ArgumentParser.add_subparsers\(\), got NoneType",
    ),
    Row(
        "augment",
        lambda: x.augment(floats(2, 1, 5, 5), "flip", torch.Generator()),
        ValueError,
        r"mode must be one of \('none', .*\), got 'flip'",
    ),
    Row(
        "build_trainer",
        lambda: x.build_trainer({"epochs": 1}),
        TypeError,
        r"expected a TrainConfig, got dict",
    ),
    Row(
        "derive_seed",
        lambda: x.derive_seed(0, -1),
        ValueError,
        r"expects non-negative integers, got \(0, -1\)",
    ),
    Row(
        "batches_as_in_run",
        lambda: x.batches_as_in_run(x.Classifier("z2cnn"), "mnist-rot", 2, 8, 0),
        ValueError,
        r"data must be one of \[.*\], got 'mnist-rot'",
    ),
    Row(
        "batches_as_in_run",
        lambda: x.batches_as_in_run(x.Classifier("z2cnn"), "rotmnist", 0, 8, 0),
        ValueError,
        r"batches must be a positive int, got 0",
    ),
    Row("evaluate", lambda: x.evaluate(_junk()), ValueError, r"bad.ckpt: unreadable checkpoint"),
    Row(
        "get_augmentation",
        lambda: x.get_augmentation("flip"),
        ValueError,
        r"mode must be one of \('none', .*\), got 'flip'",
    ),
    Row(
        "get_datamodule",
        lambda: x.get_datamodule("cifar"),
        ValueError,
        r"data must be one of \[.*\], got 'cifar'",
    ),
    Row("get_task", lambda: x.get_task("nope"), ValueError, r"unknown task 'nope'; known"),
    Row(
        "list_augmentations",
        lambda: x.list_augmentations("audio"),
        ValueError,
        r"input_kind must be one of \('image', .*\), got 'audio'",
    ),
    Row("list_tasks", lambda: x.list_tasks("all"), TypeError, r"takes 0 positional arguments"),
    Row(
        "load_checkpoint",
        lambda: x.load_checkpoint(_junk()),
        ValueError,
        r"bad.ckpt: unreadable checkpoint",
    ),
    Row(
        "load_classifier",
        lambda: x.load_classifier(_junk()),
        ValueError,
        r"bad.ckpt: unreadable checkpoint",
    ),
    Row("load_module", lambda: x.load_module(_junk()), ValueError, r"unreadable checkpoint"),
    Row(
        "plot_angle_error",
        lambda: x.plot_angle_error({}, "angle.png"),
        ValueError,
        r"expected a non-empty mapping model -> curve, got \{\}",
    ),
    Row(
        "plot_rotation_curve",
        lambda: x.plot_rotation_curve([0, 90], {"p4cnn": [0.5]}, "curve.png", "t"),
        ValueError,
        r"same first dimension, but have shapes \(2,\) and \(1,\)",
    ),
    Row(
        "register_augmentation",
        lambda: x.register_augmentation("twist", "not a function"),
        TypeError,
        r"fn must be callable, got str",
    ),
    Row(
        "register_augmentation",
        lambda: x.register_augmentation("twist", lambda t, g: t, "audio"),
        ValueError,
        r"input_kind must be one of \('image', .*\), got 'audio'",
    ),
    Row(
        "register_datamodule",
        lambda: x.register_datamodule("cifar", x.DataModule),
        ValueError,
        r"data must be one of \('mnist', .*\), got 'cifar'",
    ),
    Row("register_task", lambda: x.register_task({}), TypeError, r"expects a TaskSpec, got dict"),
    Row(
        "top_confusions",
        lambda: x.top_confusions([[1, 2], [3]]),
        ValueError,
        r"a confusion matrix must be square and non-empty, got row lengths \[2, 1\]",
    ),
    Row(
        "top_confusions",
        lambda: x.top_confusions([[1]], k=-1),
        ValueError,
        r"k must be a non-negative int, got -1",
    ),
    Row(
        "confusion_tables",
        lambda: x.confusion_tables({"r": [[1, 2]]}),
        ValueError,
        r"must be square and non-empty, got row lengths \[2\]",
    ),
    Row(
        "save_figure",
        lambda: x.save_figure(None, "fig.png"),
        TypeError,
        r"expected a matplotlib Figure, got NoneType",
    ),
    Row(
        "seeded_generator",
        lambda: x.seeded_generator(-3),
        ValueError,
        r"expects non-negative integers, got \(-3,\)",
    ),
    Row("train", lambda: x.train("p4cnn"), TypeError, r"expected a TrainConfig, got str"),
    Row(
        "training_demo",
        lambda: x.training_demo(None),
        TypeError,
        r"expected an argparse.Namespace, got NoneType",
    ),
    Row(
        "CIFAR10DataModule",
        lambda: x.CIFAR10DataModule(val_size=-5),
        ValueError,
        r"val_size must be an int >= 1, got -5",
    ),
    Row(
        "CIFAR10DataModule",
        lambda: x.CIFAR10DataModule(normalize="zca"),
        ValueError,
        r"normalize must be one of \('channel', 'none'\), got 'zca'",
    ),
]
