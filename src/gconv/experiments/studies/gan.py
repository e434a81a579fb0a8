# SPDX-License-Identifier: MIT
"""Study ``gan`` (issue 19): a class-conditional GAN on RotatedMNIST with a plain (``gan-d-z2``)
or p4-equivariant (``gan-d-p4``) discriminator of matched parameter count (Dey et al. 2021;
REFERENCES.md §2e), at 10 %, 33 % and 100 % of the 10,000 training digits, seeds 0, 1, 2.

Every run makes about the same number of generator steps: at the full budget (batch 64) 64
epochs of 10,000 digits (10,048 steps), 194 of 3,300 (10,088) and 640 of 1,000 (10,240);
``cpu`` scales the epochs by 4/64 (4, 12 and 40 epochs) at batch 32 (1,252, 1,248 and 1,280
steps) and selects the epoch on 1,000 validation digits; ``smoke`` runs one epoch on 64 digits
with a scorer trained for one epoch on 256 (checks the plumbing; its fractions collapse into
one). Recipe (both discriminators, every budget): hinge loss, Adam lr_D = lr_G = 8e-4,
β = (0, 0.9), G's output bias started at the training digits' mean pixel, the moving average of
G's weights (decay 0.999, warm-up) scored; no augmentation. It was chosen by pilot runs at the
``cpu`` budget (results/gan-plan.md: the earlier recipe — lr_G = 1e-4, lr_D = 4e-4, batch 64,
no average — never left chance-level class accuracy); the full budget is not piloted. The run
key and folder include the batch size and these settings, so rows and checkpoints of another
recipe are never reused.

Scores (``_gan_score.py``): the Fréchet distance between 10,000 test digits and 10,000 generated
ones on the features of our own Z2CNN trained on RotatedMNIST — **not the Inception FID** — and
that classifier's accuracy on generated digits. The report adds the Fréchet-distance table with
the decision rule (p4 better at a fraction if its mean beats z2's by more than twice the pooled
seed std) and ``gan-fd.png`` (the score against the data fraction).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .._spec import Arm, Budget, StudySpec, register_study

__all__ = ["GAN_STUDY", "GanStudySpec"]

#: full-budget epochs per training-set size (None: all 10,000): ~10,000 generator steps each
_EPOCHS = {1_000: 640, 3_300: 194, None: 64}
_MODELS = ("gan-d-z2", "gan-d-p4")
#: D's learning rate and the batch size (the arms' recipe); G's optimiser and the scorer's recipe
#: travel to the GAN module in model_kwargs
_RECIPE = {"lr": 8e-4, "batch_size": 64}
#: G's optimiser, its output bias started at the training digits' mean pixel (0.131, measured;
#: see ConditionalGenerator), the moving average of its weights that is scored (decay 0.999 with
#: warm-up); chosen by the pilot runs of results/gan-plan.md
_SETTINGS = {"lr_g": 8e-4, "beta1": 0.0, "beta2": 0.9, "g_out_mean": 0.131, "g_ema": 0.999}
_CPU = {**_SETTINGS, "val_digits": 1_000}
_SMOKE = {**_SETTINGS, "scorer_epochs": 1, "scorer_limit": 256, "val_digits": 64}


@dataclass(frozen=True)
class GanStudySpec(StudySpec):
    """A StudySpec whose report gets the Fréchet-distance section and plot."""

    def report_sections(self, rows: Sequence[dict]) -> list[str]:
        """Extra markdown lines (``_report.render_report`` appends them)."""
        from .._gan_report import gan_report_sections

        return gan_report_sections(rows, self.name)

    def write_figures(self, rows: Sequence[dict], out: str | os.PathLike) -> list[Path]:
        """``out/<name>-fd.png`` (``_report.write_report`` calls this)."""
        from .._gan_report import plot_fd

        return [plot_fd(rows, Path(out) / f"{self.name}-fd.png")]


GAN_STUDY = register_study(
    GanStudySpec(
        name="gan",
        task="generative",
        data="rotmnist",
        arms=tuple(
            Arm(model, epochs, augment="none", limit_train=size, recipe=_RECIPE)
            for size, epochs in _EPOCHS.items()
            for model in _MODELS
        ),
        seeds=(0, 1, 2),
        augments=("none",),
        budgets={
            "full": Budget(limit_test=10_000, model_kwargs={m: _SETTINGS for m in _MODELS}),
            "cpu": Budget(
                epochs_scale=4 / 64,
                batch_size=32,
                limit_test=10_000,
                model_kwargs={m: _CPU for m in _MODELS},
            ),
            "smoke": Budget(
                epochs_scale=1e-3,
                batch_size=32,
                limit_test=64,
                model_kwargs={m: _SMOKE for m in _MODELS},
                per_model={m: {"limit_train": 64} for m in _MODELS},
            ),
        },
        intro="Class-conditional GAN on RotatedMNIST: plain (z2) against p4-equivariant "
        "discriminator (Dey et al. 2021), matched parameter counts, at three fractions of the "
        "training digits; test scores of the moving average of the generator's weights at the "
        "epoch with the lowest validation Fréchet distance (2,000 validation digits; 1,000 at the "
        "cpu budget). Accuracy columns: our Z2CNN scorer on generated digits (conditioning class "
        "as target) and on the real test digits.",
        notes="Test digits per run (and as many generated): {samples}. Std is the sample std "
        "over seeds.",
        description="GAN with a z2 or p4 discriminator × data fraction, RotatedMNIST (issue 19)",
    )
)
