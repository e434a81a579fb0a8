# SPDX-License-Identifier: MIT
"""A checkpoint's task module (the moving average of the weights or the live ones) and its test
on a data set's test split, as ``gconv evaluate`` runs it."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, cast

import lightning as L

from ..nn import recompute_batch_norm
from ._callbacks import batches_as_in_run, progress_bar, quiet_lightning
from ._checkpoint import CheckpointError, load_checkpoint
from ._datamodule import get_datamodule
from ._tasks import get_task

if TYPE_CHECKING:
    from ._module import Classifier

__all__ = ["evaluate", "load_classifier", "load_module"]


def load_module(
    path: str | os.PathLike, task: str = "classification", live: bool = False
) -> L.LightningModule:
    """The ``task``'s LightningModule stored in a checkpoint (weights loaded): for a run with
    ``optim ema`` the moving average, or with ``live=True`` the weights the optimiser stepped
    (the checkpoint's ``current_model_state``; CheckpointError where there is none)."""
    ckpt = load_checkpoint(path)
    module = get_task(task).module_class()(**ckpt["hyper_parameters"])
    key = "current_model_state" if live else "state_dict"  # load_checkpoint checked state_dict
    if live and key not in ckpt:
        raise CheckpointError(
            f"{path}: no live weights (current_model_state) to evaluate: its run kept no "
            "moving average of the weights (optim ema), so its weights are the live ones"
        )
    try:
        module.load_state_dict(ckpt[key])
    except RuntimeError as e:
        raise CheckpointError(
            f"{path}: weights do not fit model {module.hparams.model!r}: {e}"
        ) from None
    return module


def load_classifier(path: str | os.PathLike, live: bool = False) -> Classifier:
    """The ``Classifier`` stored in a checkpoint (``load_module(path, "classification", live)``)."""
    return cast("Classifier", load_module(path, "classification", live))


def evaluate(
    checkpoint: str | os.PathLike,
    data: str = "rotmnist",
    limit_test: int | None = None,
    batch_size: int = 500,
    progress: bool = True,
    data_kwargs: dict[str, Any] | None = None,
    accelerator: str = "cpu",
    bn_recompute: tuple[int, int, int | None] | None = None,
    live: bool = False,
) -> dict:
    """Test error and error per input-angle bin of a checkpoint on ``data``'s test split;
    ``data_kwargs`` go to the data module (spherical data: ``test_rotate=("NR", "R")`` adds
    ``test_r_error``, ``bandwidth`` the run's grid). ``test_names`` names the test sets;
    ``accelerator`` is Lightning's (``"cpu"``, ``"gpu"``, ``"auto"``; one device).
    ``bn_recompute=(batches, batch_size, limit_train)``: first recompute the batch norms'
    statistics as a run at that batch size and training limit with ``bn_recompute=batches``
    does before validating the checkpoint's epoch (``gconv.nn.recompute_batch_norm`` over
    :func:`~gconv.experiments._callbacks.batches_as_in_run`). ``live``: a run with ``optim
    ema`` is tested with the weights the optimiser stepped, not their average
    (:func:`load_module`)."""
    quiet_lightning()
    module = load_classifier(checkpoint, live)
    hp = dict(module.hparams)
    recomputed = None
    if bn_recompute is not None:
        batches, size, limit = bn_recompute
        epoch = int(load_checkpoint(checkpoint)["epoch"])
        inputs = batches_as_in_run(module, data, batches, size, epoch, limit, data_kwargs)
        recompute_batch_norm(module, inputs)
        recomputed = {"batches": batches, "batch_size": size, "limit_train": limit, "epoch": epoch}
    dm = get_datamodule(data, model=hp["model"], model_kwargs=hp.get("model_kwargs"),
                        limit_test=limit_test, eval_batch_size=batch_size,
                        **(data_kwargs or {}))  # fmt: skip
    bar = progress_bar(progress)
    trainer = L.Trainer(
        accelerator=accelerator,
        devices=1,
        logger=False,
        callbacks=[bar] if bar else [],
        enable_progress_bar=bar is not None,
        enable_model_summary=False,
        use_distributed_sampler=False,
    )
    t0 = time.perf_counter()
    trainer.test(module, dm, verbose=False)
    wall = time.perf_counter() - t0
    names = list(getattr(dm, "test_names", ()))  # spherical: one per test set, equal sizes
    return {
        "model": hp["model"],
        "params": module.num_params,
        "images_per_s": module.test_results["test_n"] * max(1, len(names)) / wall,
        "test_names": names,
        **module.test_results,
        **({"bn_recompute": recomputed} if recomputed else {}),
        **({"weights": "live"} if live else {}),
    }
