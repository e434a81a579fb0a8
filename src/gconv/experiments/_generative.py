# SPDX-License-Identifier: MIT
"""The ``generative`` task: a class-conditional GAN whose registered model is the discriminator
(``gan-d-z2``, ``gan-d-p4``); the generator is the task's own (:class:`~gconv.experiments.
_gan_module.GAN`, Lightning manual optimisation, hinge loss, Adam).

Metrics (``_gan_score.py``): ``fd`` — the Fréchet distance between generated and real digits on
the penultimate features of our own Z2CNN trained on RotatedMNIST (**not the Inception FID**;
lower is better), ``gen_acc`` — that classifier's accuracy on generated digits (the conditioning
class is the target), also per class as ``gen_acc_<k>``; ``real_acc`` — its accuracy on the real
digits of the same split (the ceiling). Model selection minimises ``val_fd`` (2,000 validation
digits against as many generated ones, every epoch); the test scores use ``limit_test`` test
digits (10,000 in the study) and as many generated ones with the same labels.

This file only registers the task (standard library).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._tasks import TaskSpec, register_task

__all__ = ["generative_row"]

_RUN_COLUMNS = ("params", "params_g", "best_epoch", "val_error", "test_n", "wall_s",
                "images_per_s", "lr_d", "lr_g", "beta1", "beta2", "g_ema")  # fmt: skip


def generative_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """CSV columns of a generative run: speed, selection (``val_error`` is the best
    ``val_fd``), the optimiser (``lr`` is the discriminator's), every ``test_*`` score."""
    row = {k: record[k] for k in _RUN_COLUMNS if k in record}
    if "lr_d" in record:
        row["lr"] = record["lr_d"]
    row.update({k: v for k, v in record.items() if k.startswith("test_") and k not in row})
    return row


GENERATIVE = register_task(
    TaskSpec(
        "generative",
        "gconv.experiments._gan_module:GAN",
        "val_fd",
        generative_row,
        (
            ("test_gen_acc", "Z2CNN acc. on generated (%)"),
            ("test_real_acc", "Z2CNN acc. on real test (%)"),
        ),  # fmt: skip
        description="conditional GAN, hinge loss, Adam; Fréchet distance on our RotatedMNIST "
        "Z2CNN's features (not the Inception FID) and its accuracy on generated digits",
    )
)
