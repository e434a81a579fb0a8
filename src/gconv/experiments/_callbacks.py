# SPDX-License-Identifier: MIT
"""The training harness's Lightning parts: the :class:`Throughput` callback (wall-clock and
images/s, carried across resumed sessions), :class:`EpochLearningRate` (each epoch's lr in the
logs), :class:`RecomputeBatchNorm` (batch-norm statistics at the weights validated),
:class:`WeightEMA` (a moving average of the weights, validated and checkpointed), the progress
bar or, where there is none, :class:`EpochLines`, the loggers, and silencing Lightning's
chatter."""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, WeightAveraging

from .._util import format_duration

__all__ = [
    "EpochLearningRate",
    "EpochLines",
    "RecomputeBatchNorm",
    "WeightEMA",
    "batches_as_in_run",
    "Throughput",
    "progress_bar",
    "quiet_lightning",
    "run_loggers",
]


class Throughput(Callback):
    """Wall-clock of the fit (epochs incl. validation) and training images/s, accumulated over
    resumed sessions through the checkpoint (plain floats: ``weights_only``-loadable)."""

    def __init__(self) -> None:
        self.wall_s, self.train_s, self.images = 0.0, 0.0, 0
        self._t0: float | None = None
        self._tb = 0.0

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # a resume from a mid-epoch checkpoint skips on_train_epoch_start: time that epoch's
        # rest from here (a fresh epoch restarts the clock below)
        self._t0 = time.perf_counter()

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._t0 = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._t0 is not None:
            self.wall_s += time.perf_counter() - self._t0
        self._t0 = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:  # noqa: ANN001
        self._tb = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:  # noqa: ANN001
        self.train_s += time.perf_counter() - self._tb
        self.images += int(batch[0].shape[0]) * trainer.world_size

    @property
    def images_per_s(self) -> float:
        return self.images / self.train_s if self.train_s > 0 else float("nan")

    def state_dict(self) -> dict[str, float]:
        running = time.perf_counter() - self._t0 if self._t0 is not None else 0.0
        return {"wall_s": self.wall_s + running, "train_s": self.train_s, "images": self.images}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.wall_s = float(state.get("wall_s", 0.0))
        self.train_s = float(state.get("train_s", 0.0))
        self.images = int(state.get("images", 0))


def quiet_lightning() -> None:
    """Silence Lightning's info chatter (accelerator lines, tips) and known harmless warnings;
    our commands print their own summary table."""
    for name in ("lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for msg in (
        ".*isinstance.treespec, LeafSpec.*",
        ".*smaller than the logging interval.*",
        ".*does not have many workers.*",
        ".*Checkpoint directory .* exists and is not empty.*",
    ):
        warnings.filterwarnings("ignore", message=msg)


def progress_bar(enabled: bool) -> Callback | None:
    """Rich's bar when rich is installed, else TQDM; none when disabled or not on a terminal
    (a log file gets the summary table, not thousands of bar refreshes)."""
    if not enabled or not sys.stdout.isatty():
        return None
    from lightning.pytorch.callbacks import RichProgressBar, TQDMProgressBar

    try:
        import rich  # noqa: F401
    except ImportError:
        return TQDMProgressBar()
    return RichProgressBar()


class EpochLines(Callback):
    """One line per epoch on stdout where no progress bar runs (a log file, ``--no-progress``):
    ``epoch k/n  step s  <name> <value>  …  <elapsed>``: the values the bar would show (those
    logged with ``prog_bar=True``, 4 significant digits) and the time since this session's fit
    began, as the reports print wall times. Rank 0 only."""

    def __init__(self) -> None:
        self._t0 = time.perf_counter()

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._t0 = time.perf_counter()

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        metrics = sorted((k, float(v)) for k, v in trainer.progress_bar_metrics.items())
        parts = [
            f"epoch {trainer.current_epoch + 1}/{trainer.max_epochs}",
            f"step {trainer.global_step}",
            *(f"{k} {v:.4g}" for k, v in metrics if "step" not in k),
            format_duration(time.perf_counter() - self._t0),
        ]
        print("  ".join(parts), flush=True)


def run_loggers(out: Path) -> list:
    """The CSV logger and, where tensorboard is installed, the TensorBoard one, under ``out``."""
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    # one version_<n> folder per session, so resuming never overwrites earlier logs
    loggers: list = [CSVLogger(out, name="logs")]
    try:
        loggers.append(TensorBoardLogger(out, name="tb", default_hp_metric=False))
    except (ImportError, ModuleNotFoundError):  # tensorboard not installed: CSV only
        pass
    return loggers


class EpochLearningRate(Callback):
    """Logs the learning rate each epoch trained with (its first parameter group) as ``lr``, or
    ``lr-<i>`` for optimiser i when the module has several, in the epoch's row of the logs.

    Read when the epoch starts and, for a run resumed inside an epoch (where Lightning does not
    call ``on_train_epoch_start`` again), when training starts from the restored optimisers."""

    def __init__(self) -> None:
        self._lrs: list[float] = []

    def _read(self, trainer: L.Trainer) -> None:
        self._lrs = [float(opt.param_groups[0]["lr"]) for opt in trainer.optimizers]

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._read(trainer)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._read(trainer)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        for i, lr in enumerate(self._lrs):
            name = "lr" if len(self._lrs) == 1 else f"lr-{i}"
            pl_module.log(name, lr, on_step=False, on_epoch=True, sync_dist=False)


class RecomputeBatchNorm(Callback):
    """Before each validation of a fit, every batch norm's running statistics recomputed at the
    current weights (:func:`gconv.nn.recompute_batch_norm`) over ``batches`` training batches:
    the first ``batches × batch_size`` samples of the data module's training set as this epoch
    serves them, then the task module's augmentation drawn from its own stream ``(seed, epoch,
    batch, STREAMS["bn"])``. Every process uses the same samples, so their statistics agree.
    It draws from none of the training's streams, so the weights are those of a run without
    it; the checkpoints written after the validation hold the recomputed statistics."""

    def __init__(self, batches: int) -> None:
        from .._util import check_positive_int

        check_positive_int("RecomputeBatchNorm", "batches", batches)
        self.batches = batches

    def inputs(self, dm: Any, module: L.LightningModule, epoch: int) -> Iterator[torch.Tensor]:
        """The recomputation's batches: the first ``batches × dm.batch_size`` training samples
        as epoch ``epoch`` serves them, each batch augmented by ``module``'s augmentation from
        the stream ``(seed, epoch, batch, STREAMS["bn"])``, on ``module``'s device."""
        from ._augment import STREAMS, seeded_generator

        data = dm.train_set() if hasattr(dm, "train_set") else dm.split("train")
        if hasattr(data, "set_epoch"):  # rotated afresh each epoch: this epoch's rotations
            data.set_epoch(epoch)
        size, seed = dm.batch_size, int(module.hparams.get("seed", 0))
        augment = getattr(module, "_augment", None)
        many = getattr(data, "__getitems__", None)  # a batch at once, as DataLoader asks
        for k, start in enumerate(range(0, min(len(data), self.batches * size), size)):
            idx = list(range(start, min(start + size, len(data))))
            items = many(idx) if many is not None else [data[i] for i in idx]
            x = torch.stack([torch.as_tensor(item[0]) for item in items]).to(module.device)
            if augment is not None:
                x = augment(x, seeded_generator(seed, epoch, k, STREAMS["bn"]))
            yield x

    def on_validation_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # one hook after on_validation_start, where WeightEMA swaps the average in: with both,
        # the statistics recomputed are the average's
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        from ..nn import recompute_batch_norm

        with torch.inference_mode(False):
            # Lightning sets Trainer.datamodule at fit time but does not declare it on the class
            dm = trainer.datamodule  # type: ignore[attr-defined]
            batches = self.inputs(dm, pl_module, trainer.current_epoch)
            recompute_batch_norm(pl_module, batches)


def batches_as_in_run(
    module: L.LightningModule,
    data: str,
    batches: int,
    batch_size: int,
    epoch: int,
    limit_train: int | None = None,
    data_kwargs: dict[str, Any] | None = None,
) -> Iterator[torch.Tensor]:
    """The inputs :class:`RecomputeBatchNorm` (``batches``) recomputes ``module``'s batch norms
    over before the validation of epoch ``epoch`` in a run on ``data`` at ``batch_size`` with
    ``limit_train`` training samples: the same samples, rotations and augmentation (the module's
    ``augment`` and ``seed``; ``module`` is a task module loaded from that run's checkpoint).
    ``data_kwargs`` go to a data set's own data module (spherical: ``bandwidth``)."""
    from ._datamodule import _DATAMODULES, get_datamodule

    hp = dict(module.hparams)
    own = {"augment": hp.get("augment", "none"), **(data_kwargs or {})}
    dm = get_datamodule(data, model=hp["model"], model_kwargs=hp.get("model_kwargs"),
                        batch_size=batch_size, seed=int(hp.get("seed", 0)),
                        limit_train=limit_train, **(own if data in _DATAMODULES else {}))  # fmt: skip
    return RecomputeBatchNorm(batches).inputs(dm, module, epoch)


def _ema_of_floats(decay: float) -> Callable[..., torch.Tensor]:
    """``AveragedModel``'s ``avg_fn`` for the n-th update after the first (n ≥ 1):
    d_n·w̄ + (1 − d_n)·w with d_n = min(d, (1 + n)/(10 + n)) for floating-point tensors, the
    live value for the others (batch counters, index buffers: an average of integers, cast
    back, would truncate them)."""

    def avg(averaged: torch.Tensor, current: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        if not averaged.is_floating_point():
            return current
        d = torch.clamp((1 + n) / (10 + n), max=decay).to(averaged.dtype)  # no host sync
        return d * averaged + (1 - d) * current

    return avg


class WeightEMA(WeightAveraging):
    """An exponential moving average of a task module's weights and floating-point buffers
    (batch-norm statistics included), ``w̄ ← d_n·w̄ + (1 − d_n)·w`` after the n-th optimiser
    step (the first copies ``w``), d_n = min(d, (1 + n)/(10 + n)): the warm-up of TensorFlow's
    ``ExponentialMovingAverage(num_updates=…)``. Until the cap d takes over (n ≈ 9/(1 − d))
    the average after n steps weights step s about as (s/n)⁹ (mean age n/10), so the first
    steps' weights, far from the later ones, fade instead of keeping a share dⁿ. Integer
    buffers (counters, the layers' index tables) follow the live module. Lightning's
    ``WeightAveraging`` does the bookkeeping: validation (so the selection of the best epoch),
    every checkpoint's ``state_dict`` (so ``gconv evaluate`` and the test of the selected
    checkpoint) and the module after ``fit`` hold the averages; the live weights travel in the
    checkpoints as ``current_model_state``, and a resumed fit continues both. Outside ``fit``
    (``trainer.test(ckpt_path=…)`` after a fit, on the same callback) a loaded checkpoint keeps
    its averages, where Lightning's callback would load the live weights. With
    :class:`RecomputeBatchNorm` the statistics recomputed before each validation are the
    average's, and the checkpoints keep them with it."""

    def __init__(self, decay: float) -> None:
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 < decay < 1:
            raise ValueError(f"WeightEMA: decay must be a number in (0, 1), got {decay!r}")
        super().__init__(use_buffers=True, avg_fn=_ema_of_floats(decay))
        self.decay = decay

    def on_load_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        if trainer.state.fn == "fit":
            super().on_load_checkpoint(trainer, pl_module, checkpoint)

    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # the average in one hook earlier than Lightning's callback does, so that
        # RecomputeBatchNorm (on_validation_epoch_start) recomputes the average's statistics
        if self._average_model is not None:
            self._swap_models(pl_module)

    def on_validation_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        pass  # swapped in on_validation_start
