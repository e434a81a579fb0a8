# SPDX-License-Identifier: MIT
"""The LightningModule of the ``segmentation`` task (see ``_segmentation.py`` for the metrics).

Same optimiser options and seed handling as :class:`~gconv.experiments._module.Classifier`
(Adam, or SGD with momentum, weight decay and a per-epoch lr decay: ``WrappedNet``;
augmentation and dropout drawn from ``(seed, epoch, batch, rank)``), so a run resumed from an
epoch checkpoint is the uninterrupted run.
"""

from __future__ import annotations

from typing import Any, cast

import lightning as L
import torch
from torch import nn

from ._augment import STREAMS, derive_seed, seeded_generator
from ._module import WrappedNet, resolve_net
from ._seg_metrics import area_element, confusion_matrix, metrics_from_confusion

__all__ = ["Segmenter"]


class _Confusion(nn.Module):
    """Plain (pixel counts) and area-weighted confusion matrices ``(K, K)``, summed over
    batches (and over processes at :meth:`compute`)."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.k = num_classes
        self.reset()

    def reset(self) -> None:
        self.plain = torch.zeros(self.k, self.k, dtype=torch.float64)
        self.area = torch.zeros(self.k, self.k, dtype=torch.float64)
        self.n = 0

    def update(self, logits: torch.Tensor, target: torch.Tensor) -> None:
        labels = logits.argmax(1)
        self.plain += confusion_matrix(labels, target, self.k).double().cpu()
        om = area_element(target)
        if om is not None:
            self.area += confusion_matrix(labels, target, self.k, om).cpu()
        self.n += int(target.shape[0])

    def compute(self, module: L.LightningModule) -> tuple[dict[str, float], int]:
        plain, area = self.plain, self.area
        n = torch.tensor(float(self.n), dtype=torch.float64)
        trainer = module._trainer  # None outside a Trainer (the property would raise)
        if trainer is not None and trainer.world_size > 1:
            gathered = (module.all_gather(t.to(module.device)) for t in (plain, area, n))
            # all_gather of a tensor is a tensor (Lightning annotates any collection)
            plain, area, n = (cast(torch.Tensor, g).sum(0).cpu() for g in gathered)
        out = metrics_from_confusion(plain)
        out |= {f"{k}_area": v for k, v in metrics_from_confusion(area).items()}
        return out, int(n)


class Segmenter(WrappedNet):
    """Wrap ``net`` (or ``gconv.models.get_model(model, **model_kwargs)``), ``x (B, C, H, W)
    → logits (B, num_classes, H, W)``, for training on per-pixel cross-entropy.

    Hyper-parameters are plain Python values (checkpoints load with ``weights_only=True``).
    After ``trainer.test``, ``test_results`` holds ``test_<metric>`` (first test set) and
    ``test_<name>_<metric>`` (further sets named by the data module's ``test_names``).
    """

    def __init__(
        self,
        model: str = "cnn-seg-218k",
        model_kwargs: dict[str, Any] | None = None,
        lr: float = 1e-3,
        augment: str = "none",
        seed: int = 0,
        num_classes: int = 11,
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
        net, self._augment = resolve_net(model, model_kwargs, net, "s2", augment, lr)
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}")
        self.save_hyperparameters(ignore=["net"])
        self.check_optim()
        self.net = net
        self._val = _Confusion(num_classes)
        self._test: list[_Confusion] = []
        self.test_results: dict[str, Any] = {}

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        x, y = batch[0], batch[1]
        keys = (self.hparams["seed"], self.current_epoch, batch_idx, self.global_rank)
        x = self._augment(x, seeded_generator(*keys, STREAMS["augment"]))
        torch.manual_seed(derive_seed(*keys, STREAMS["torch"]))  # dropout: as Classifier
        loss = self.training_loss(self(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True, prog_bar=True, sync_dist=True)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        self._val.update(self(batch[0]), batch[1])

    def on_validation_epoch_end(self) -> None:
        scores, _ = self._val.compute(self)
        self._val.reset()
        self.log("val_miou", scores["miou"])
        self.log("val_pixel_accuracy", scores["pixel_accuracy"])
        self.log("val_error", 1.0 - scores["miou"], prog_bar=True)

    def on_test_epoch_start(self) -> None:
        self._test = []

    def test_step(
        self, batch: tuple[torch.Tensor, ...], batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        while len(self._test) <= dataloader_idx:
            self._test.append(_Confusion(self.hparams["num_classes"]))
        self._test[dataloader_idx].update(self(batch[0]), batch[1])

    def on_test_epoch_end(self) -> None:
        dm = getattr(self.trainer, "datamodule", None)
        names = tuple(getattr(dm, "test_names", ()))
        results: dict[str, Any] = {}
        for i, conf in enumerate(self._test):
            scores, n = conf.compute(self)
            name = names[i] if i < len(names) else str(i)
            prefix = "test_" if i == 0 else f"test_{name}_"
            results |= {f"{prefix}{k}": v for k, v in scores.items()}
            results[f"{prefix}n"] = n
        for k, v in results.items():
            self.log(k, float(v))
        self.test_results = results
