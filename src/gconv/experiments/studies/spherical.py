# SPDX-License-Identifier: MIT
"""Studies ``spherical-cls`` and ``spherical-seg`` (issue 15): equivariance against rotation
augmentation on spherical MNIST (Cohen et al. 2018; Gerken et al. 2022; REFERENCES.md §2c/§2d).

Every run is tested on the non-rotated (NR) and the rotated (R) test set: columns ``test_*``
and ``test_r_*``. Augmentation names (input kind ``"s2"``, ``_s2_augment.py``): ``none``,
``rotate-<p>`` (p % of the training samples re-generated each epoch with a fresh Haar rotation
keyed by (seed, epoch, index)), ``copies-4`` (4× the data: four rotated copies of each sample).

Classification runs use Cohen et al.'s learning rates (Adam, 5e-3 for the S2CNNs, 5e-4 for the
CNNs), segmentation runs Gerken et al.'s (Adam, 1e-3 for every model).

- ``spherical-cls``: ``s2cnn``, ``s2cnn-72``, ``s2cnn-deep`` trained NR; ``s2cnn-deep`` also with
  100 % augmentation (fresh rotations every epoch; the issue's "trained R"); the CNN family
  ``cnn``, ``cnn-200k``, ``cnn-1m``, ``cnn-5m`` at augmentation 0/25/50/100 % and 4×. 3 seeds.
The icosahedral CNNs (issue 16) are one more model of each: ``ico-cnn`` and ``ico-cnn-seg``
(r = 4), trained NR like the S2CNNs (lr 5e-3 for ico-cnn, as in its public re-implementation);
``ico-cnn`` also with 100 % augmentation, for issue 16's R/R target (trained and tested R).

- ``spherical-seg``: ``s2cnn-seg`` trained NR; ``cnn-seg-218k``, ``cnn-seg-1m``, ``cnn-seg-5.5m``
  at 0 %, 100 % and 4×. 3 seeds.

Budgets (first = default): ``paper`` (the papers' settings: classification b = 30, 55,000
training digits, 20 epochs, batch 32; segmentation b = 50, 100 epochs), ``cpu`` (as proposed in
results/spherical-study-plan.md; its reductions are stated per budget below), ``smoke`` (a few
samples at a small bandwidth, one epoch: checks the plumbing in seconds). ``spherical-seg``
also has ``cpu-multi``: ``cpu`` on canvases of 1-4 digits (Gerken et al.'s paper used
multi-digit canvases; the ``cpu`` budget has one digit per image, as their public commands),
and ``cpu-10k``: ``cpu`` with 10,000 training images instead of 2,000.
``spherical-cls``
also has ``full``: the paper budget (all training digits) with two stated cuts, ``s2cnn-deep``
at b = 15 and ``ico-cnn`` for 10 epochs, for issue 15's and 16's full-data targets.

- ``spherical-fashion``: ``s2cnn`` (NR) against ``cnn-1m`` at augmentation 0 and 100 % on
  spherical FashionMNIST. 3 seeds.

``s2cnn-deep`` and ``s2cnn-seg`` take a ``bandwidth`` that scales all their layers' bandwidths
(same kernels and parameter counts): the ``cpu`` budget trains ``s2cnn-deep`` at b = 15 and the
segmentation study at b = 20; ``smoke`` runs every model at a small b.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypedDict

from .._decision import DecisionRule
from .._spec import Arm, Budget, StudySpec, register_study

__all__ = ["SPHERICAL_CLS", "SPHERICAL_FASHION", "SPHERICAL_SEG"]

_TESTS = ("NR", "R")
_CNNS = ("cnn", "cnn-200k", "cnn-1m", "cnn-5m")
_SEG_CNNS = ("cnn-seg-218k", "cnn-seg-1m", "cnn-seg-5.5m")
#: one column per test set: the first (NR) is ``test_error``, the others ``test_<name>_error``
_CLS_METRICS = (("test_error", "NR test error (%)"), ("test_r_error", "R test error (%)"))
_CLS_NR_R = (("test_error", "NR test error"), ("test_r_error", "R test error"))
_SEG_NR_R = (("test_miou", "NR test mIoU"), ("test_r_miou", "R test mIoU"))
_AUGS = ("none", "rotate-25", "rotate-50", "rotate-100", "copies-4")
#: issue 15: the smallest CNN and augmentation within 2 pooled seed stds of the S2CNN (R test)
_CLS_RULE = DecisionRule(
    "first-within", "test_r_error", "R test error", False, ("s2cnn", "none"),
    tuple((m, a) for m in _CNNS for a in _AUGS),
)  # fmt: skip
#: issue 15: s2cnn-seg (NR) beats each CNN of up to 1M parameters trained with full augmentation
_SEG_RULE = DecisionRule(
    "beats-all", "test_r_miou", "R test mIoU", True, ("s2cnn-seg", "none"),
    (("cnn-seg-218k", "rotate-100"), ("cnn-seg-1m", "rotate-100")),
    extra=(("cnn-seg-5.5m", "rotate-100"), *((m, "copies-4") for m in _SEG_CNNS)),
)  # fmt: skip
_FASHION_RULE = DecisionRule(
    "first-within", "test_r_error", "R test error", False, ("s2cnn", "none"),
    (("cnn-1m", "none"), ("cnn-1m", "rotate-100")),
)  # fmt: skip


class _BudgetArgs(TypedDict):
    """Budget arguments shared by several budgets (``Budget(**args, per_model=...)``)."""

    epochs_scale: float
    limit_train: int
    limit_test: int
    batch_size: int
    data_kwargs: Mapping[str, object]


#: classification at the cpu budget (results/spherical-study-plan.md): 10,000 training digits ×
#: 10 epochs, validation 2,000, test 5,000 NR + 5,000 R; cnn-5m 5,000 × 5; s2cnn-deep at b = 15,
#: 5,000 × 5, validation 1,000, test 2,000 + 2,000
_CLS_CPU: _BudgetArgs = {
    "epochs_scale": 0.5,
    "limit_train": 10_000,
    "limit_test": 5_000,
    "batch_size": 32,
    "data_kwargs": {"bandwidth": 30, "test_rotate": _TESTS, "limit_val": 2_000},
}
#: Cohen et al. 2018 (REFERENCES.md §2c): Adam, lr 5e-3 for the S2CNNs, 5e-4 for the planar CNN
_S2_LR = {"lr": 5e-3}
_CNN_LR = {"lr": 5e-4}

#: all 55,000 training digits at what this machine affords (results/ico-plan.md): the paper
#: budget, but s2cnn-deep at the cpu budget's b = 15 (b = 30 costs 9x per step) and ico-cnn
#: for 10 epochs (about 3.7 core-hours per run)
_FULL = Budget(
    batch_size=32,
    data_kwargs={"bandwidth": 30, "test_rotate": _TESTS},
    per_model={"s2cnn-deep": {"bandwidth": 15}, "ico-cnn": {"epochs": 10}},
)


def _with_recipe(budget: Budget, model: str, **recipe: float) -> Budget:
    """``budget`` with ``per_model`` entries (e.g. an lr schedule, ``bn_recompute``) added to
    ``model``'s runs."""
    per_model = {**budget.per_model, model: {**budget.per_model.get(model, {}), **recipe}}
    return replace(budget, per_model=per_model)


_CLS_SMOKE: _BudgetArgs = {
    "epochs_scale": 1e-3,
    "limit_train": 32,
    "limit_test": 16,
    "batch_size": 16,
    "data_kwargs": {"bandwidth": 12, "test_rotate": _TESTS, "limit_val": 16},
}

SPHERICAL_CLS = register_study(
    StudySpec(
        name="spherical-cls",
        task="classification",
        data="spherical-mnist",
        arms=(
            Arm("s2cnn", 20, augment="none", recipe=_S2_LR),
            Arm("s2cnn-72", 20, augment="none", recipe=_S2_LR),
            Arm("s2cnn-deep", 20, augment="none", recipe=_S2_LR),
            Arm("s2cnn-deep", 20, augment="rotate-100", recipe=_S2_LR),
            Arm("ico-cnn", 20, augment="none", recipe=_S2_LR),
            Arm("ico-cnn", 20, augment="rotate-100", recipe=_S2_LR),
            *(Arm(m, 20, recipe=_CNN_LR) for m in _CNNS),
        ),
        seeds=(0, 1, 2),
        augments=("none", "rotate-25", "rotate-50", "rotate-100", "copies-4"),
        budgets={
            # Cohen et al. 2018: Adam, batch 32, 20 epochs, b = 30; 5,000 digits held out
            "paper": Budget(batch_size=32, data_kwargs={"bandwidth": 30, "test_rotate": _TESTS}),
            # plan: 10,000 digits × 10 epochs, val 2,000, test 5,000 + 5,000; cnn-5m 5,000 × 5,
            # s2cnn-deep 1,000 × 5
            "cpu": Budget(
                **_CLS_CPU,
                per_model={
                    "cnn-5m": {"limit_train": 5_000, "epochs": 5},
                    "s2cnn-deep": {
                        "limit_train": 5_000,
                        "epochs": 5,
                        "bandwidth": 15,
                        "limit_val": 1_000,
                        "limit_test": 2_000,
                    },
                },
            ),  # fmt: skip
            "full": _FULL,
            # ``full`` with an lr schedule for ico-cnn: lr 5e-3 · 0.7^max(0, epoch − 2), so
            # the last of its 10 epochs runs at 4.1e-4 (results/full's constant-lr NR run
            # stalled at 1.0 % validation error; issue 16's N/N target needs ≤ 0.8 % test error)
            "full-decay": _with_recipe(_FULL, "ico-cnn", lr_decay=0.7, lr_decay_from=2),
            # ``full`` with twice the epochs for ico-cnn and a slower decay, lr 5e-3 ·
            # 0.85^max(0, epoch − 2) (3.2e-4 in its 20th epoch): the R-trained ``full-decay``
            # run still underfits (training loss 0.10 in epoch 7); issue 16's R/R target
            "full-long": _with_recipe(_FULL, "ico-cnn", epochs=20, lr_decay=0.85, lr_decay_from=2),
            # ``full`` with 40 epochs for ico-cnn, lr 5e-3 · 0.92^max(0, epoch − 2) (2.3e-4 in its
            # 40th): the R-trained ``full-long`` run still underfits (training loss 0.063 in its
            # 20th epoch); issue 16's R/R target
            "full-40": _with_recipe(_FULL, "ico-cnn", epochs=40, lr_decay=0.92, lr_decay_from=2),
            # ``full`` with the public re-implementation's recipe for ico-cnn (REFERENCES §2f):
            # 60 epochs, batch 256, Adam 5e-3, no lr schedule; ``full-40``'s R-trained run
            # ended at R/R 98.04 % with its validation error flat over its last 10 epochs.
            # Batch-norm statistics recomputed over 10 training batches before each validation
            # (from epoch 16 of the seed-0 R-trained run on): at this constant lr the running
            # averages lag the weights (epoch 15: 46.32 % NR test error with them, 3.52 %
            # recomputed; results/ico-plan.md); the weights are those of the plain recipe
            "public-60": _with_recipe(_FULL, "ico-cnn", epochs=60, batch_size=256, bn_recompute=10),
            # ``public-60`` followed by 10 epochs of decay, lr 5e-3 · 0.7^max(0, epoch − 59)
            # (1.4e-4 in its 70th): epochs 0–59 are ``public-60``'s (a run may resume from its
            # epoch-60 checkpoint); its selected state still erred on 1.20 % of its rotated
            # training digits at the constant lr (results/ico-plan.md); issue 16's R/R target
            "public-70d": _with_recipe(
                _FULL,
                "ico-cnn",
                epochs=70,
                batch_size=256,
                bn_recompute=10,
                lr_decay=0.7,
                lr_decay_from=59,
            ),
            # ``public-70d``'s schedule with label smoothing 0.1 (pilot 7, results/pilot-ls.md:
            # lower R error in four seeds of four at 10,000 digits), in bfloat16, and each step
            # of 256 accumulated over 8 batches of 32 (1.6× faster per step than batch 256 on a
            # 2-core Xeon, results/ico-plan.md; batch norms see batches of 32); statistics
            # recomputed over 80 batches of 32 before each validation; issue 16's R/R target
            "public-70d-ls-bf16": replace(
                _with_recipe(
                    _FULL,
                    "ico-cnn",
                    epochs=70,
                    accumulate=8,
                    bn_recompute=80,
                    lr_decay=0.7,
                    lr_decay_from=59,
                    label_smoothing=0.1,
                ),
                precision="bf16-mixed",
            ),
            # ``full-decay`` with the mean instead of the max in ico-cnn's invariant read-out
            # (``IcoCNN(pool="mean")``): pilot 4 (results/pilot-pool.md) lowered NR test error
            # in every seed at 10,000 digits; this checks it on all training digits
            "full-decay-mean": replace(
                _with_recipe(_FULL, "ico-cnn", lr_decay=0.7, lr_decay_from=2),
                model_kwargs={"ico-cnn": {"pool": "mean"}},
            ),
            # ``full-decay`` with a hexagon mean before each stride-2 convolution of ico-cnn
            # (``IcoCNN(downsample="blur")``): pilot 5 (results/pilot-blur.md) lowered R test
            # error in three seeds of four at 10,000 digits; this checks it on all training digits
            "full-decay-blur": replace(
                _with_recipe(_FULL, "ico-cnn", lr_decay=0.7, lr_decay_from=2),
                model_kwargs={"ico-cnn": {"downsample": "blur"}},
            ),
            # ``full-decay`` trained under bfloat16 autocast (``precision="bf16-mixed"``): does
            # mixed precision, 1.5× faster per ico-cnn step on CPUs with AMX, keep the accuracy?
            "full-decay-bf16": replace(
                _with_recipe(_FULL, "ico-cnn", lr_decay=0.7, lr_decay_from=2),
                precision="bf16-mixed",
            ),
            "smoke": Budget(**_CLS_SMOKE, per_model={"s2cnn-deep": {"bandwidth": 6}}),
        },
        metrics=_CLS_METRICS,
        nr_r=_CLS_NR_R,
        decisions=(_CLS_RULE,),
        intro="Test error (NR and R test sets) of the epoch with the lowest validation error; "
        "mean ± std over seeds. Adam; augmentation per row (none, rotate-p: p % of the "
        "training samples freshly rotated each epoch, copies-4: 4× the data).",
        notes="Test samples per run and test set: {samples}. Std is the sample std over seeds.",
        description="S2CNNs (NR) against CNNs with rotation augmentation, spherical MNIST",
    )
)


def _digits_text(digits: object) -> str:
    """How many digits an image holds, for ``SphericalMNIST``'s ``digits`` argument."""
    if digits == 1:
        return "one digit per image (the public commands' data)"
    if isinstance(digits, tuple) and len(digits) == 2:
        return (f"a 64×64 canvas of {digits[0]} to {digits[1]} non-overlapping digits per image "
                "(the count uniform per image)")  # fmt: skip
    return f"a 64×64 canvas of {digits} non-overlapping digits per image"


@dataclass(frozen=True)
class SegStudySpec(StudySpec):
    """A StudySpec whose report says how many digits its images hold (``{digits}``)."""

    def note_fields(self, rows: Sequence[dict]) -> dict[str, str]:
        """``{digits}``: one sentence per ``digits`` argument among the runs (default 1)."""
        kinds = []
        for r in rows:
            data = dict(ast.literal_eval(r.get("data_kwargs") or "()"))
            if (k := data.get("digits", 1)) not in kinds:
                kinds.append(k)
        text = "; ".join(_digits_text(k) for k in kinds) or _digits_text(1)
        return {"digits": text[0].upper() + text[1:] + "."}


#: segmentation at the cpu budget (results/spherical-study-plan.md): b = 20, 2,000 images × 10
#: epochs, validation 500, tests 1,000 NR + 1,000 R
_SEG_CPU = Budget(
    epochs_scale=0.1,
    limit_train=2_000,
    limit_test=1_000,
    batch_size=32,
    data_kwargs={"bandwidth": 20, "test_rotate": _TESTS, "limit_val": 500},
)

SPHERICAL_SEG = register_study(
    SegStudySpec(
        name="spherical-seg",
        task="segmentation",
        data="spherical-mnist",
        arms=(
            Arm("s2cnn-seg", 100, augment="none"),
            Arm("ico-cnn-seg", 100, augment="none"),
            Arm("ico-cnn-seg-deep", 100, augment="none"),
            Arm("ico-cnn-seg-deep", 100, augment="rotate-100"),
            *(Arm(m, 100) for m in _SEG_CNNS),
        ),
        seeds=(0, 1, 2),
        augments=("none", "rotate-100", "copies-4"),
        budgets={
            # Gerken et al. 2022 (README commands): b = 50, 100 epochs, batch 32
            "paper": Budget(batch_size=32, data_kwargs={"bandwidth": 50, "test_rotate": _TESTS}),
            "cpu": _SEG_CPU,
            # ``cpu`` with 5× the training images (10,000 × 10 epochs): at ``cpu`` every CNN
            # trained with full augmentation stays at the all-background solution
            # (results/spherical-seg.md), so the rule there compares against a degenerate
            # baseline; this asks whether 5× the data lets the augmented CNNs learn the digits
            "cpu-10k": replace(_SEG_CPU, limit_train=10_000),
            # ``cpu`` on multi-digit canvases, the kind of data of Gerken et al.'s paper (App.
            # C.1; our canvas recipe: 1-4 digits on 64×64, ``gconv.data._canvas``)
            "cpu-multi": replace(_SEG_CPU, data_kwargs={**_SEG_CPU.data_kwargs, "digits": (1, 4)}),
            "smoke": Budget(
                epochs_scale=1e-3,
                limit_train=32,
                limit_test=16,
                batch_size=16,
                data_kwargs={"bandwidth": 16, "test_rotate": _TESTS, "limit_val": 16},
                per_model={"s2cnn-seg": {"bandwidth": 6}},
            ),  # fmt: skip
        },
        nr_r=_SEG_NR_R,
        decisions=(_SEG_RULE,),
        intro="Segmentation metrics (NR and R test sets) of the epoch with the highest "
        "validation mIoU; mean ± std over seeds. mIoU over the 11 classes, plain and "
        "area-weighted (each pixel by its solid angle).",
        notes="Test images per run and test set: {samples}. Std is the sample std over seeds. "
        "{digits} Gerken et al.'s paper used multi-digit canvases (budget `cpu-multi`).",
        description="S2CNN-seg (NR) against encoder-decoder CNNs with rotation augmentation",
    )
)

SPHERICAL_FASHION = register_study(
    StudySpec(
        name="spherical-fashion",
        task="classification",
        data="spherical-fashion-mnist",
        arms=(Arm("s2cnn", 20, augment="none", recipe=_S2_LR), Arm("cnn-1m", 20, recipe=_CNN_LR)),
        seeds=(0, 1, 2),
        augments=("none", "rotate-100"),
        budgets={
            "paper": Budget(batch_size=32, data_kwargs={"bandwidth": 30, "test_rotate": _TESTS}),
            "cpu": Budget(**_CLS_CPU),
            "smoke": Budget(**_CLS_SMOKE),
        },
        metrics=_CLS_METRICS,
        nr_r=_CLS_NR_R,
        decisions=(_FASHION_RULE,),
        intro="Test error (NR and R test sets) on spherical FashionMNIST of the epoch with the "
        "lowest validation error; mean ± std over seeds. Adam; augmentation per row.",
        notes="Test samples per run and test set: {samples}. Std is the sample std over seeds.",
        description="S2CNN (NR) against the 1M CNN with and without rotations, spherical "
        "FashionMNIST",
    )
)
