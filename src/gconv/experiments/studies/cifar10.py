# SPDX-License-Identifier: MIT
"""Study ``cifar10`` (issue 18): Cohen & Welling (2016), Table 2 — All-CNN-C on Z², p4, p4m and
ResNet44 on Z², p4m, each without augmentation (CIFAR10) and with ``flip-translate`` (CIFAR10+:
flips and shifts of at most 4 px), 3 seeds: 5 × 2 × 3 = 30 runs. Test error of the epoch with
the lowest error on the 5,000 held-out training images; the paper's Table 2 beside it.

Budgets (first = default):

- ``paper``: the training recipe of the paper's released code
  (``gconv_experiments/CIFAR10/train.py``, its defaults; the paper's per-model command lines
  are not public, and REFERENCES.md §2a lists no CIFAR budget): momentum SGD (Chainer's
  ``MomentumSGD`` defaults: lr 0.01, momentum 0.9), weight decay 1e-3, batch 128, 100 epochs,
  no learning-rate decay (its ``lr_decay_factor`` defaults to 0). Unlike that code we hold out
  5,000 training images for model selection instead of selecting on the test set, and we
  normalise per channel instead of contrast normalisation + ZCA whitening.
- ``short``: the same recipe for 10 epochs: a first comparison at a tenth of the cost.
- ``smoke``: one epoch on at most 16 training, 8 validation and 8 test images, batch 8:
  checks the plumbing on small files in the binary format (the tests write them).
"""

from __future__ import annotations

from .._spec import Arm, Budget, StudySpec, register_study

__all__ = ["CIFAR10_STUDY"]

_MODELS = ("allcnnc-z2", "allcnnc-p4", "allcnnc-p4m", "resnet44-z2", "resnet44-p4m")
#: the released code's defaults (module docstring), for every arm at every budget (smoke: batch 8)
_RECIPE = {"optimizer": "sgd", "momentum": 0.9, "weight_decay": 1e-3, "lr": 0.01,
           "batch_size": 128}  # fmt: skip
#: Table 2 of Cohen & Welling (2016), test error %, as in REFERENCES.md §2a: CIFAR10, CIFAR10+
_TABLE2 = {
    "allcnnc-z2": (9.44, 8.86),
    "allcnnc-p4": (8.84, 7.67),
    "allcnnc-p4m": (7.59, 7.04),
    "resnet44-z2": (9.45, 5.61),
    "resnet44-p4m": (6.46, 4.94),
}
_AUGMENTS = ("none", "flip-translate")

CIFAR10_STUDY = register_study(
    StudySpec(
        name="cifar10",
        task="classification",
        data="cifar10",
        arms=tuple(Arm(m, 100, recipe=_RECIPE) for m in _MODELS),
        seeds=(0, 1, 2),
        augments=_AUGMENTS,
        budgets={
            "paper": Budget(data_kwargs={"val_size": 5_000}),
            "short": Budget(epochs_scale=0.1, data_kwargs={"val_size": 5_000}),
            "smoke": Budget(
                epochs_scale=1e-3,
                limit_train=16,
                limit_test=8,
                batch_size=8,
                data_kwargs={"val_size": 8, "limit_val": 8},
            ),  # fmt: skip
        },
        reference={
            f"{m}|{aug}": err[k] for m, err in _TABLE2.items() for k, aug in enumerate(_AUGMENTS)
        },
        reference_label="paper (%)",
        intro="Test error of the epoch with the lowest error on training images held out for "
        "validation (5,000 at the paper and short budgets); mean ± std over seeds. Momentum "
        "SGD (paper and short budgets: lr 0.01, momentum 0.9, weight decay 1e-3, batch 128; "
        "each run's values in the CSV); augmentation per row: none (CIFAR10) or "
        "flip-translate (CIFAR10+).",
        notes="Test images per run: {samples}. Paper: Cohen & Welling (2016), Table 2 "
        "(CIFAR10 for augment none, CIFAR10+ for flip-translate); its released code trains "
        "on all 50,000 images with contrast normalisation and ZCA whitening, ours holds out "
        "5,000 and normalises per channel. Std is the sample std over seeds.",
        description="Cohen & Welling (2016), Table 2: All-CNN-C and ResNet44 on Z², p4, p4m",
    )
)
