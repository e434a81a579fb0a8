# SPDX-License-Identifier: MIT
"""The LightningModule of the ``classification`` task: trains any registered model
``input → (B, classes)``.

Adam on the cross-entropy (optionally with an exponential lr decay from a given epoch and L2
weight decay: :class:`WrappedNet`); augmentation drawn from ``(seed, epoch, batch, rank)``; dropout (the
global torch stream) reseeded from the same keys at every step, so a run resumed
from an epoch checkpoint is the uninterrupted run. Logs ``train_loss``, ``val_acc``,
``val_error`` (model selection), ``test_error`` and the test error per input-angle bin; after
a test, ``test_results["confusion"]`` holds each test set's confusion matrix (counts
``[true, predicted]``, torchmetrics, summed over processes) under the set's name.
"""

from __future__ import annotations

import math
from typing import Any, cast

import lightning as L
import torch
import torch.nn.functional as F
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities.types import OptimizerLRScheduler
from torch import nn
from torchmetrics import Metric
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix

from ._augment import STREAMS, derive_seed, get_augmentation, seeded_generator
from ._callbacks import WeightEMA
from ._spec import OPTIM_KEYS, check_recipe

__all__ = ["AngleBinnedError", "Classifier"]


class AngleBinnedError(Metric):
    """Error rate per bin of input angle: bin k holds angles in [k, k+1)·2π/bins (mod 2π).
    Counts are summed over processes."""

    full_state_update = False
    wrong: torch.Tensor  # states (add_state)
    total: torch.Tensor

    def __init__(self, bins: int = 24) -> None:
        super().__init__()
        if bins <= 0:
            raise ValueError(f"bins must be positive, got {bins}")
        self.bins = bins
        self.add_state("wrong", torch.zeros(bins, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("total", torch.zeros(bins, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, wrong: torch.Tensor, angles: torch.Tensor) -> None:
        frac = torch.remainder(angles.double(), 2.0 * math.pi) / (2.0 * math.pi)
        idx = (frac * self.bins).long().clamp_(0, self.bins - 1)
        # a one-hot sum, not bincount: CUDA's weighted bincount has no deterministic kernel,
        # and the Trainer runs with deterministic algorithms
        hits = F.one_hot(idx, self.bins).double()  # (N, bins)
        self.wrong += wrong.double() @ hits
        self.total += hits.sum(dim=0)

    def compute(self) -> torch.Tensor:
        """``(2, bins)``: errors per bin (NaN for empty bins) and counts, summed over ranks."""
        return torch.stack([self.wrong / self.total.where(self.total > 0, torch.nan), self.total])


def resolve_net(
    model: str,
    model_kwargs: dict[str, Any] | None,
    net: nn.Module | None,
    kind: str,
    augment: str,
    lr: float,
) -> tuple[nn.Module, Any]:
    """``(network, augmentation)`` of a task module: ``net`` or the registered ``model`` built
    with ``model_kwargs`` (its input kind then picks the augmentation); lr must be positive."""
    if net is None:
        from ..models import model_spec

        spec = model_spec(model)
        kind = spec.input_kind
        net = spec.build(**dict(model_kwargs or {}))
    aug = get_augmentation(augment, kind)  # ValueError listing the known ones
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr}")
    return net, aug


class WrappedNet(L.LightningModule):
    """What every task module shares: ``forward`` is the wrapped ``self.net``; Adam at
    ``hparams.lr`` over all parameters; ``num_params`` counts the trainable ones.

    Optional hyper-parameters (absent: the plain Adam above): ``optimizer`` "sgd" for
    ``torch.optim.SGD`` with heavy-ball ``momentum`` (default 0.9: b ← μ·b + g, w ← w − lr·b),
    ``weight_decay`` (the L2 term added to the gradient, g ← g + λ·w, for "adam" and "sgd"),
    ``optimizer`` "adamw" for ``torch.optim.AdamW``, whose weight decay is decoupled (Loshchilov
    & Hutter 2019: w ← w − lr·λ·w, then the Adam step, on every parameter),
    and an lr schedule stepped once per epoch, lr(e) = lr · lr_decay ^ max(0, e − lr_decay_from)
    for epoch e = 0, 1, … (Weiler & Cesa's "exponential" schedule: 0.8 from epoch 15). The
    scheduler's state is in the checkpoint, so a resumed run continues the schedule; a run
    resumed from a checkpoint without that state (trained at a constant lr, continued with a
    decay) starts its schedule at the checkpoint's epoch (:meth:`on_train_start`).
    ``ema`` d > 0 adds :class:`~gconv.experiments._callbacks.WeightEMA` to any Trainer that
    fits the module (:meth:`configure_callbacks`): the weights validated, checkpointed and
    tested are then the moving average w̄ ← d_n·w̄ + (1 − d_n)·w over the optimiser steps,
    d_n = min(d, (1 + n)/(10 + n)).
    ``label_smoothing`` ε > 0 trains on the cross-entropy against the smoothed target
    (1 − ε)·one-hot(y) + ε/K over the K classes (:meth:`training_loss`; Szegedy et al. 2016);
    validation and test metrics are unchanged.
    ``accumulate`` K > 1 sets the Trainer's ``accumulate_grad_batches`` to K when training
    starts (:meth:`on_train_start`, a resume included): each optimiser step takes the mean of K
    batches' gradients (each batch's loss divided by K), as one batch K times larger would for
    a network without batch norms; batch norms normalise each batch of ``batch_size`` alone.
    An epoch whose batch count is not a multiple of K ends with a step over its last, fewer
    batches, still divided by K (Lightning's rule; Adam's step hardly depends on the scale).
    """

    net: nn.Module

    @property
    def num_params(self) -> int:
        """Trainable parameters of the wrapped network."""
        return sum(p.numel() for p in self.net.parameters() if p.requires_grad)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def configure_optimizers(self) -> OptimizerLRScheduler:
        hp = self.hparams
        wd = hp.get("weight_decay", 0.0)
        if hp.get("optimizer", "adam") == "sgd":
            momentum = hp.get("momentum", 0.9)
            opt: torch.optim.Optimizer = torch.optim.SGD(
                self.parameters(), lr=hp["lr"], momentum=momentum, weight_decay=wd
            )
        elif hp.get("optimizer", "adam") == "adamw":
            opt = torch.optim.AdamW(self.parameters(), lr=hp["lr"], weight_decay=wd)
        else:
            opt = torch.optim.Adam(self.parameters(), lr=hp["lr"], weight_decay=wd)
        decay, start = hp.get("lr_decay", 1.0), hp.get("lr_decay_from", 0)
        if decay == 1.0:
            return opt
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: decay ** max(0, e - start))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}

    def training_loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of ``logits (B, K, ...)`` against integer targets ``y (B, ...)``, with
        the module's ``label_smoothing`` ε (0 if unset): (1 − ε)·CE + ε·mean_k(−log p_k)."""
        return F.cross_entropy(logits, y, label_smoothing=self.hparams.get("label_smoothing", 0.0))

    def check_optim(self) -> None:
        """ValueError unless the saved optimiser options are in range (0 < lr_decay ≤ 1,
        lr_decay_from an int ≥ 0, weight_decay ≥ 0, optimizer "adam", "adamw" or "sgd",
        0 ≤ momentum < 1, 0 ≤ ema < 1, 0 ≤ label_smoothing < 1, accumulate an int ≥ 1)."""
        check_recipe("task module", {k: self.hparams[k] for k in OPTIM_KEYS if k in self.hparams})

    def configure_callbacks(self) -> list[Callback]:
        decay = self.hparams.get("ema", 0.0)
        return [WeightEMA(decay)] if decay else []

    def on_train_start(self) -> None:
        """Set the Trainer's gradient accumulation to ``accumulate`` (when > 1), and the epoch
        schedule to the trainer's epoch, after a resume has restored both: a no-op when the
        checkpoint held the scheduler's state (or on a fresh start); for a checkpoint without
        it, lr(e) as above from the checkpoint's epoch e instead of e = 0."""
        if (k := self.hparams.get("accumulate", 1)) > 1:
            self.trainer.accumulate_grad_batches = k
        epoch = self.trainer.current_epoch
        for config in self.trainer.lr_scheduler_configs:
            sched = config.scheduler
            if (
                not isinstance(sched, torch.optim.lr_scheduler.LambdaLR)
                or sched.last_epoch == epoch
            ):
                continue
            sched.last_epoch = epoch
            lrs = [
                base * f(epoch) for base, f in zip(sched.base_lrs, sched.lr_lambdas, strict=True)
            ]
            for group, lr in zip(sched.optimizer.param_groups, lrs, strict=True):
                group["lr"] = lr
            sched._last_lr = lrs  # what get_last_lr() reports


class Classifier(WrappedNet):
    """Wrap ``net`` (or ``gconv.models.get_model(model, **model_kwargs)``) for training.

    Hyper-parameters are plain Python values, so checkpoints load with ``weights_only=True``.
    """

    def __init__(
        self,
        model: str = "p4cnn",
        model_kwargs: dict[str, Any] | None = None,
        lr: float = 1e-3,
        augment: str = "batch-angle",
        seed: int = 0,
        num_classes: int = 10,
        angle_bins: int = 24,
        net: nn.Module | None = None,
        lr_decay: float = 1.0,
        lr_decay_from: int = 0,
        weight_decay: float = 0.0,
        optimizer: str = "adam",
        momentum: float = 0.9,
        ema: float = 0.0,
        label_smoothing: float = 0.0,
        accumulate: int = 1,
    ) -> None:
        super().__init__()
        net, self._augment = resolve_net(model, model_kwargs, net, "image", augment, lr)
        self.save_hyperparameters(ignore=["net"])
        self.check_optim()
        self.net = net
        self.val_acc = MulticlassAccuracy(num_classes, average="micro")
        self.test_acc = MulticlassAccuracy(num_classes, average="micro")
        self.test_bins = AngleBinnedError(angle_bins)
        self.test_confusion = nn.ModuleList()  # one confusion matrix per test set
        self.test_results: dict[str, Any] = {}

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        x, y = batch[0], batch[1]
        keys = (self.hparams["seed"], self.current_epoch, batch_idx, self.global_rank)
        x = self._augment(x, seeded_generator(*keys, STREAMS["augment"]))
        # dropout draws from the global stream: reseed it per step, so no other consumer of
        # that stream (loaders, callbacks, a resume) can shift the draws
        torch.manual_seed(derive_seed(*keys, STREAMS["torch"]))
        loss = self.training_loss(self(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True, prog_bar=True, sync_dist=True)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        self.val_acc.update(self(batch[0]), batch[1])

    def on_validation_epoch_end(self) -> None:
        acc = self.val_acc.compute()  # summed over processes by torchmetrics
        self.val_acc.reset()
        self.log("val_acc", acc, sync_dist=True)
        self.log("val_error", 1.0 - acc, prog_bar=True, sync_dist=True)

    def test_step(
        self, batch: tuple[torch.Tensor, ...], batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        x, y = batch[0], batch[1]
        logits = self(x)
        while len(self.test_confusion) <= dataloader_idx:
            cm = MulticlassConfusionMatrix(self.hparams["num_classes"])
            self.test_confusion.append(cm.to(self.device))
        cast(MulticlassConfusionMatrix, self.test_confusion[dataloader_idx]).update(logits, y)
        if dataloader_idx > 0:  # a further test set (e.g. the rotated one): its matrix only
            return
        self.test_acc.update(logits, y)
        if len(batch) > 2:
            self.test_bins.update(logits.argmax(dim=1) != y, batch[2])

    def on_test_epoch_end(self) -> None:
        acc = self.test_acc.compute()
        bins, counts = self.test_bins.compute()  # synced over processes
        n = int(counts.sum().item())
        self.test_acc.reset()
        self.test_bins.reset()
        self.log("test_error", 1.0 - acc, sync_dist=True)
        self.test_results = {
            "test_error": float(1.0 - acc),
            "test_n": n,
            "angle_error": [float(v) for v in bins],
        }
        names = getattr(getattr(self.trainer, "datamodule", None), "test_names", ())
        confusion = {}  # counts[true, predicted] per test set under its name ("test" if one)
        for i, metric in enumerate(self.test_confusion):
            metric = cast(MulticlassConfusionMatrix, metric)
            name = names[i] if i < len(names) else "test" if i == 0 else str(i)
            cm = metric.compute()
            metric.reset()
            confusion[name] = cm.tolist()
            if i > 0:  # a further set's error, from its matrix
                self.test_results[f"test_{name}_error"] = float(1.0 - cm.trace() / cm.sum())
        self.test_results["confusion"] = confusion
