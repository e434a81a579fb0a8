# SPDX-License-Identifier: MIT
"""Study ``rotmnist``: Z2CNN, P4CNN, P4CNN-RP, P4MCNN and P4MCNN-coset on rotated MNIST at the
budget of Cohen & Welling (2016), §8.1 (300 epochs for Z2CNN, 100 for the G-CNNs), Adam with
batch-angle augmentation; the paper's Table 1 test errors beside ours (REFERENCES.md 2a). And
the steerable C8, C16 and D16 → C16 models (``gconv.models.steerable_mnist``) on Weiler & Cesa's
(2019) recipe: 40 epochs, batch 64, lr 0.015 × 0.8 per epoch after epoch 15, every digit rotated
by its own angle (REFERENCES.md 2b; ``steerable_mnist.TRAINING``, repeated here so that planning
a study imports no torch — a test keeps the two equal).

Budgets: ``paper`` (both papers' epochs), ``cpu`` (the steerable arms only, epochs cut so a run
fits about 2 hours on one core of the shared 2-core machine and the 9 runs of 3 seeds about 12
hours — ``results/steerable-plan.md`` — with Weiler & Cesa's schedule compressed to the shorter
run: :func:`compressed_schedule`) and ``smoke`` (one epoch per model on 256 training and 256
test digits, the steerable models at width 2: checks the plumbing).
"""

from __future__ import annotations

import math
from typing import Any

from .._spec import Arm, Budget, StudySpec, register_study

__all__ = ["ROTMNIST", "STEERABLE", "WC_RECIPE", "compressed_schedule"]

#: Weiler & Cesa's MNIST-rot recipe (= ``steerable_mnist.TRAINING``): full-budget epochs,
#: augmentation and the run recipe (``Arm.recipe``)
WC_EPOCHS, WC_AUGMENT = 40, "sample-angle"
WC_RECIPE: dict[str, Any] = {"lr": 0.015, "batch_size": 64, "lr_decay": 0.8, "lr_decay_from": 15}

#: the steerable arms
STEERABLE = ("c8cnn", "c16cnn", "d16c16cnn")

#: ``cpu`` budget: epochs per steerable model (results/steerable-plan.md)
CPU_EPOCHS = {"c8cnn": 6, "c16cnn": 6, "d16c16cnn": 5}


def compressed_schedule(epochs: int) -> dict[str, Any]:
    """Weiler & Cesa's schedule squeezed into ``epochs``: constant for the same fraction of the
    run (15/40), then a per-epoch factor that reaches their final factor 0.8^24 (epoch 39) at
    the last epoch; ``{"epochs", "lr_decay_from", "lr_decay"}`` for ``Budget.per_model``.

    >>> compressed_schedule(40) == {"epochs": 40, "lr_decay_from": 15, "lr_decay": 0.8}
    True
    """
    start = math.floor(epochs * WC_RECIPE["lr_decay_from"] / WC_EPOCHS)
    steps = epochs - 1 - start  # epoch boundaries with decay up to the last epoch
    final = WC_EPOCHS - 1 - WC_RECIPE["lr_decay_from"]  # 24
    decay = round(WC_RECIPE["lr_decay"] ** (final / steps), 4) if steps > 0 else 1.0
    return {"epochs": epochs, "lr_decay_from": start, "lr_decay": decay}


ROTMNIST = register_study(
    StudySpec(
        name="rotmnist",
        task="classification",
        data="rotmnist",
        arms=(
            Arm("z2cnn", 300),
            Arm("p4cnn", 100),
            Arm("p4cnn-rp", 100),
            Arm("p4mcnn", 100),
            Arm("p4mcnn-coset", 100),
            *(Arm(m, WC_EPOCHS, augment=WC_AUGMENT, recipe=WC_RECIPE) for m in STEERABLE),
        ),
        budgets={
            "paper": Budget(),
            "cpu": Budget(
                models=STEERABLE,
                per_model={m: compressed_schedule(e) for m, e in CPU_EPOCHS.items()},
            ),
            # what the next factor of compute buys: the cpu budget's runs at twice the epochs
            "cpu-2x": Budget(
                models=STEERABLE,
                per_model={m: compressed_schedule(2 * e) for m, e in CPU_EPOCHS.items()},
            ),
            "smoke": Budget(
                epochs_scale=1e-3,
                limit_train=256,
                limit_test=256,
                model_kwargs={m: {"widths": (2,) * 6} for m in STEERABLE},
            ),  # fmt: skip
        },
        reference={"z2cnn": 5.03, "p4cnn-rp": 3.21, "p4cnn": 2.28, "d16c16cnn": 0.682},
        reference_label="paper (%)",
        intro="Test error of the epoch with the lowest validation error (never selected on "
        "test); mean ± std over seeds. Adam (lr, batch size, lr schedule per row's CSV); "
        "batch-angle augmentation for the G-CNNs of Cohen & Welling (a full turn per batch, "
        "far stronger than their released code's ±3.14° per digit: augment gcnn-code), "
        "sample-angle for the steerable models (Weiler & Cesa's recipe).",
        notes="Test digits per run: {samples}. Paper: Cohen & Welling (2016), Table 1, on the "
        "original MNIST-rot files (ours is a fresh draw of that data set's recipe; the training "
        "recipe differs from their released code's, see the README); for d16c16cnn "
        'Weiler & Cesa (2019), "D16|5 C16" (their widths, layout and 40 epochs; ours are narrower, '
        "with other kernels, blur pooling and a smaller head: see the model's docstring); "
        "empty where the paper has no such model. Std is the sample std over seeds.",
        angle_spread=True,
        description="Cohen & Welling (2016), Table 1: five models on rotated MNIST; and steerable "
        "C8, C16, D16|5 C16 models on Weiler & Cesa's (2019) recipe",
    )
)
