# SPDX-License-Identifier: MIT
"""Study ``rotmnist``: Z2CNN, P4CNN, P4CNN-RP, P4MCNN and P4MCNN-coset on rotated MNIST at the
budget of Cohen & Welling (2016), §8.1 (300 epochs for Z2CNN, 100 for the G-CNNs), Adam with
batch-angle augmentation; the paper's Table 1 test errors beside ours (REFERENCES.md 2a)."""

from __future__ import annotations

from .._spec import Arm, Budget, StudySpec, register_study

__all__ = ["ROTMNIST"]

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
        ),
        budgets={
            "paper": Budget(),
            # one epoch per model on 256 training and 256 test digits: checks the plumbing
            "smoke": Budget(epochs_scale=1e-3, limit_train=256, limit_test=256),
        },
        reference={"z2cnn": 5.03, "p4cnn-rp": 3.21, "p4cnn": 2.28},
        reference_label="paper (%)",
        intro="Test error of the epoch with the lowest validation error (never selected on "
        "test); mean ± std over seeds. Adam, batch-angle augmentation (lr, batch size per "
        "row's CSV).",
        notes="Test digits per run: {samples}. Paper: Cohen & Welling (2016), Table 1, on the "
        "original MNIST-rot files (ours is the same recipe on a fresh draw); empty where the "
        "paper has no such model. Std is the sample std over seeds.",
        description="Cohen & Welling (2016), Table 1: five models on rotated MNIST",
    )
)
