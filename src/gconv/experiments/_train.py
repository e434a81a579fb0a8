# SPDX-License-Identifier: MIT
"""Trainer construction and one training run (fit, resume, test); loading a checkpoint's module
and evaluating it: ``_evaluate.py``.

Layout of a run directory ``out``: ``checkpoints/last.ckpt`` (every epoch, what ``resume``
picks up), ``checkpoints/best-<epoch>.ckpt`` (lowest validation error — the model that is
tested), ``logs/version_<session>/metrics.csv`` (CSV logger; also each epoch's learning rate,
``lr``), ``tb/`` (TensorBoard),
``record.json`` (the run's record: what :func:`train` returns; rank 0 writes it),
``recipe.json`` (the settings a resume must match: every field but the epochs, the test, the
output, the hardware and the display). Checkpoint
files, atomic writes and the resume's choice of file: ``_checkpoint.py``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint

from .._util import atomic_write_text
from ._augment import derive_seed
from ._callbacks import (
    EpochLearningRate,
    EpochLines,
    RecomputeBatchNorm,
    Throughput,
    progress_bar,
    quiet_lightning,
    run_loggers,
)
from ._checkpoint import (
    AtomicCheckpointIO,
    CheckpointError,
    KillSwitch,
    MidEpochCheckpoint,
    MovableCheckpoint,
    check_recipe,
    kill_point,
    load_checkpoint,
    refuse_to_overwrite,
    resume_path,
)
from ._datamodule import _DATAMODULES, get_datamodule
from ._run_files import LAST, rank_zero
from ._spec import DEFAULT_PRECISION, Precision, check_precision
from ._tasks import TaskSpec, get_task

__all__ = [
    "CheckpointError",
    "Throughput",
    "TrainConfig",
    "build_trainer",
    "load_checkpoint",
    "train",
]

#: stream of :func:`derive_seed` for the model's initial weights
_INIT_STREAM = 0
#: TrainConfig fields a resumed run may change: its length, its test, where it writes, what it
#: runs on, the statistics its validations use (``bn_recompute`` leaves the weights as they are)
_NOT_RECIPE = (
    "epochs", "limit_test", "test", "out", "devices", "num_nodes", "accelerator", "strategy",
    "resume", "checkpoint_minutes", "progress", "bn_recompute",
)  # fmt: skip


@dataclass
class TrainConfig:
    """Everything one run depends on (plain values: it is also the run's record)."""

    model: str = "p4cnn"
    data: str = "rotmnist"
    task: str | None = None  # None: the data set's task
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    augment: str = "batch-angle"
    seed: int = 0
    limit_train: int | None = None
    limit_val: int | None = None
    limit_test: int | None = None
    out: str = "runs/train"
    devices: int = 1
    num_nodes: int = 1
    accelerator: str = "cpu"
    strategy: str = "auto"
    resume: bool = False
    #: also write last.ckpt inside an epoch, at least this many minutes of training apart (0:
    #: after every batch; None: at epoch ends only); a resume continues with the next batch
    checkpoint_minutes: float | None = 10.0
    progress: bool = True
    test: bool = True
    #: before each validation, recompute the batch norms' running statistics at the current
    #: weights over this many training batches (0: keep the running averages; see
    #: :class:`RecomputeBatchNorm`); the selected checkpoint is tested with those statistics
    bn_recompute: int = 0
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    #: for data sets with their own data module (spherical: bandwidth, rotate, test_rotate, …)
    data_kwargs: dict[str, Any] = field(default_factory=dict)
    #: the task module's optimiser options (``lr_decay``, ``lr_decay_from``, ``weight_decay``)
    optim: dict[str, Any] = field(default_factory=dict)
    #: Lightning's precision (``PRECISIONS``): "32-true", "64-true", "bf16-mixed" (autocast;
    #: the spherical layers compute in float32 there) or, on a GPU, "16-mixed"
    precision: Precision = DEFAULT_PRECISION

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """ValueError/TypeError naming the first field out of range (before any work)."""
        for name in ("epochs", "batch_size", "devices", "num_nodes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"TrainConfig: {name} must be an int >= 1, got {v!r}")
        b = self.bn_recompute
        if isinstance(b, bool) or not isinstance(b, int) or b < 0:
            raise ValueError(f"TrainConfig: bn_recompute must be an int >= 0, got {b!r}")
        for name in ("limit_train", "limit_val", "limit_test"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ValueError(f"TrainConfig: {name} must be None or an int >= 1, got {v!r}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not self.lr > 0:
            raise ValueError(f"TrainConfig: lr must be a positive number, got {self.lr!r}")
        m = self.checkpoint_minutes
        if m is not None and (isinstance(m, bool) or not isinstance(m, (int, float)) or not m >= 0):
            raise ValueError(
                f"TrainConfig: checkpoint_minutes must be None or a number >= 0, got {m!r}"
            )
        check_precision("TrainConfig", self.precision, self.accelerator)
        for name in ("model_kwargs", "data_kwargs", "optim"):
            if not isinstance(getattr(self, name), dict):
                raise TypeError(
                    f"TrainConfig: {name} must be a dict, got {type(getattr(self, name)).__name__}"
                )


def _check_config(owner: str, cfg: object) -> None:
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"{owner}: expected a TrainConfig, got {type(cfg).__name__}")


def _checkpoint_callbacks(out: Path, monitor: str, minutes: float | None) -> list[Callback]:
    """The best checkpoint by ``monitor``, the last one after every epoch and, every
    ``minutes``, the mid-epoch one (which a resumed run continues from)."""
    best = MovableCheckpoint(
        dirpath=out / "checkpoints",
        filename="best-{epoch:03d}",
        monitor=monitor,
        mode="min",
        save_top_k=1,
        auto_insert_metric_name=False,
        enable_version_counter=False,  # a resumed run replays an epoch: same name, same file
    )
    # every epoch, unconditionally (save_last only follows epochs that improved the monitor)
    last = MovableCheckpoint(
        dirpath=out / "checkpoints",
        filename=Path(LAST).stem,
        save_top_k=1,
        enable_version_counter=False,
    )
    mid = [] if minutes is None else [MidEpochCheckpoint(out / "checkpoints" / LAST, minutes)]
    return [best, last, *mid]


def build_trainer(
    cfg: TrainConfig,
    callbacks: list[Callback] | tuple[Callback, ...] = (),
    monitor: str = "val_error",
) -> L.Trainer:
    """A Trainer writing checkpoints/logs under ``cfg.out``, keeping the checkpoint with the
    lowest ``monitor``; ``strategy="auto"`` becomes Lightning's ``"ddp"`` when
    ``devices × num_nodes > 1``."""
    _check_config("build_trainer", cfg)
    out = Path(cfg.out)
    quiet_lightning()
    strategy = cfg.strategy
    if strategy == "auto" and cfg.devices * cfg.num_nodes > 1:
        strategy = "ddp"
    bar = progress_bar(cfg.progress)
    kill = kill_point()  # tests only: GCONV_TEST_KILL_AT
    if kill is not None and kill[0] == "batch":
        callbacks = [*callbacks, KillSwitch(int(kill[1]), int(kill[2]))]
    if cfg.bn_recompute:
        callbacks = [*callbacks, RecomputeBatchNorm(cfg.bn_recompute)]
    io = AtomicCheckpointIO((kill[1], int(kill[2])) if kill and kill[0] != "batch" else None)
    return L.Trainer(
        max_epochs=cfg.epochs,
        accelerator=cfg.accelerator,
        devices=cfg.devices,
        num_nodes=cfg.num_nodes,
        strategy=strategy,
        precision=cfg.precision,
        logger=run_loggers(out),
        callbacks=[
            Throughput(),
            EpochLearningRate(),
            *_checkpoint_callbacks(out, monitor, cfg.checkpoint_minutes),
            bar if bar else EpochLines(),
            *callbacks,
        ],  # fmt: skip
        deterministic=True,
        use_distributed_sampler=False,  # our samplers shard by rank with (seed, epoch) seeding
        num_sanity_val_steps=0,
        enable_progress_bar=bar is not None,
        enable_model_summary=False,
        log_every_n_steps=10,
        plugins=[io],
    )


def _checkpoint_dir(out: str | os.PathLike) -> Path:
    return Path(out) / "checkpoints"


def train(cfg: TrainConfig, callbacks: list[Callback] | tuple[Callback, ...] = ()) -> dict:
    """Fit (resuming from ``out/checkpoints/last.ckpt`` when ``cfg.resume``), select the epoch
    with the lowest validation error, test it. Returns the run's record (plain values)."""
    _check_config("train", cfg)
    cfg.validate()
    task = _task_of(cfg)
    if not cfg.resume:
        refuse_to_overwrite(_checkpoint_dir(cfg.out))
    start = resume_path(_checkpoint_dir(cfg.out)) if cfg.resume else None
    ckpt_path = None if start is None else str(start)
    recipe = {k: v for k, v in asdict(cfg).items() if k not in _NOT_RECIPE}
    if recipe["precision"] == DEFAULT_PRECISION:  # as in runs recorded before the field
        del recipe["precision"]
    torch.manual_seed(derive_seed(cfg.seed, _INIT_STREAM))
    module = task.build(
        model=cfg.model, model_kwargs=_model_kwargs(cfg), lr=cfg.lr, augment=cfg.augment,
        seed=cfg.seed, **cfg.optim,
    )  # fmt: skip
    dm = get_datamodule(cfg.data, model=cfg.model, model_kwargs=_model_kwargs(cfg), **{
        "batch_size": cfg.batch_size, "seed": cfg.seed, "limit_train": cfg.limit_train,
        "limit_val": cfg.limit_val, "limit_test": cfg.limit_test, **_datamodule_extras(cfg, task),
    })  # fmt: skip
    # after the module and data module accepted their arguments: a refused run writes nothing
    check_recipe(cfg.out, recipe, resuming=start is not None, write=rank_zero())
    trainer = build_trainer(cfg, callbacks, monitor=task.monitor)
    t0 = time.perf_counter()
    trainer.fit(module, dm, ckpt_path=ckpt_path, weights_only=True)
    session_s = time.perf_counter() - t0
    # Lightning sets Trainer.callbacks in its callback connector, not declared on the class
    callbacks_run: list[Callback] = trainer.callbacks  # type: ignore[attr-defined]
    ckpt_cb = next(c for c in callbacks_run if isinstance(c, ModelCheckpoint) and c.monitor)
    thr = next(c for c in callbacks_run if isinstance(c, Throughput))
    best = ckpt_cb.best_model_path if ckpt_cb else ""
    score = ckpt_cb.best_model_score if ckpt_cb else None
    record = {
        **{k: v for k, v in asdict(cfg).items() if k not in ("progress", "resume", "test")},
        "task": task.name,
        "params": module.num_params,
        "epochs_done": int(trainer.current_epoch),
        "best_epoch": _epoch_of(best),
        "val_error": float(score) if score is not None else float("nan"),
        "wall_s": thr.state_dict()["wall_s"],
        "session_s": session_s,
        "images_per_s": thr.images_per_s,
        "best_checkpoint": best,
    }
    if cfg.test:
        trainer.test(module, dm, ckpt_path=best or None, weights_only=True, verbose=False)
        record.update(module.test_results)
    if trainer.is_global_zero:
        atomic_write_text(Path(cfg.out) / "record.json", json.dumps(record, indent=1) + "\n")
    return record


def _task_of(cfg: TrainConfig) -> TaskSpec:
    """The run's task (``cfg.task`` or the data set's), after checking that the model and the
    data set agree on input kind and task."""
    from ..data import dataset_spec
    from ..models import model_spec

    data, model = dataset_spec(cfg.data), model_spec(cfg.model)
    task = cfg.task or data.task
    kinds = getattr(_DATAMODULES.get(cfg.data), "input_kinds", (data.input_kind,))
    if model.task != task or model.input_kind not in kinds:
        raise ValueError(
            f"model {model.name!r} ({model.input_kind} input, {model.task}) does not fit data "
            f"set {data.name!r} ({data.input_kind} input) for task {task!r}"
        )
    return get_task(task)


def _datamodule_extras(cfg: TrainConfig, task: TaskSpec) -> dict[str, Any]:
    """What a data set's own data module gets besides DataModule's arguments and the model
    (which ``get_datamodule`` hands on): the task (when not the data set's), the augmentation
    and ``cfg.data_kwargs`` (which may replace ``limit_val``). The plain DataModule gets none."""
    from ..data import dataset_spec

    if cfg.data not in _DATAMODULES:
        if cfg.data_kwargs:
            raise ValueError(f"data set {cfg.data!r} takes no data_kwargs, got {cfg.data_kwargs}")
        return {}
    extra: dict[str, Any] = {"augment": cfg.augment, **cfg.data_kwargs}
    if task.name != dataset_spec(cfg.data).task:
        extra["task"] = task.name
    return extra


def _model_kwargs(cfg: TrainConfig) -> dict[str, Any]:
    """``cfg.model_kwargs``, with the data's ``bandwidth`` when the model takes one and the
    run did not set it (a spherical model must match its input grid)."""
    from ..models import model_spec

    kw = dict(cfg.model_kwargs)
    b = cfg.data_kwargs.get("bandwidth")
    if b is not None and "bandwidth" in model_spec(cfg.model).defaults:
        kw.setdefault("bandwidth", b)
    return kw


def _epoch_of(path: str) -> int:
    stem = Path(path).stem
    return int(stem.split("-")[-1]) if stem.startswith("best-") else -1
