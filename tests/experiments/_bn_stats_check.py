# SPDX-License-Identifier: MIT
"""One check shared by the ``bn_recompute`` tests (``test_bn_recompute.py``, ``test_ema.py``),
for runs with the settings ``RUN`` (a Z2CNN on the first 96 MNIST training digits as stored,
batches of 32, seed 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gconv.experiments import RotMNISTDataModule, load_checkpoint, load_classifier
from gconv.nn import recompute_batch_norm

STATS = ("running_mean", "running_var")
#: TrainConfig fields of the runs this check reads (no augmentation: the recomputation's
#: inputs are the first training images as stored)
RUN = {"model": "z2cnn", "augment": "none", "limit_train": 96, "limit_val": 64,
       "batch_size": 32, "progress": False, "test": False, "seed": 5}  # fmt: skip


def assert_recomputed_and_used(best: Path, val_error: float) -> None:
    """The checkpoint ``best`` holds the batch norms' statistics recomputed over the first two
    training batches (images 0..63, as stored) at its own weights, and validation used them:
    its stored model reproduces the run's validation error ``val_error`` on 64 digits."""
    saved = load_checkpoint(best)["state_dict"]
    module = load_classifier(best)
    dm = RotMNISTDataModule(batch_size=RUN["batch_size"], seed=RUN["seed"],
                            limit_train=RUN["limit_train"], limit_val=RUN["limit_val"])  # fmt: skip
    x = dm.split("train").tensors[0][:64]
    recompute_batch_norm(module, [x[:32], x[32:]])
    stats = [k for k in saved if k.endswith(STATS)]
    assert stats, f"{best}: no batch-norm statistics"
    for k in stats:
        torch.testing.assert_close(saved[k], module.state_dict()[k], rtol=1e-5, atol=1e-6)
    module = load_classifier(best).eval()
    xv, yv = dm.split("valid").tensors[:2]
    with torch.no_grad():
        err = (module(xv).argmax(1) != yv).double().mean().item()
    assert err == pytest.approx(val_error, abs=1e-6)
