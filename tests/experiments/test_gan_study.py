# SPDX-License-Identifier: MIT
"""Study ``gan``'s plan (no training): discriminator × data fraction × seed, about equal
generator steps per run at every budget, the GAN settings reaching each run."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from gconv.experiments import get_study, plan


def _runs(budget: str) -> list:
    spec = get_study("gan")
    b = spec.budget(budget)
    return plan(spec, epochs_scale=b.epochs_scale, limit_test=b.limit_test, budget=b)


@pytest.mark.parametrize(
    ("budget", "steps", "batch"), [("full", (10_048, 10_240), 64), ("cpu", (1_248, 1_280), 32)]
)
def test_design_and_equal_steps(budget, steps, batch):
    runs = _runs(budget)
    assert len(runs) == 18
    cells = {(r.model, r.limit_train, r.seed) for r in runs}
    assert cells == {(m, n, s) for m in ("gan-d-z2", "gan-d-p4") for n in (1_000, 3_300, None)
                     for s in (0, 1, 2)}  # fmt: skip
    per_run = {r.epochs * math.ceil((r.limit_train or 10_000) / r.batch_size) for r in runs}
    assert steps[0] <= min(per_run) and max(per_run) <= steps[1]
    assert all(r.batch_size == batch and r.limit_test == 10_000 and r.augment == "none"
               for r in runs)  # fmt: skip
    kw = dict(runs[0].model_kwargs)
    assert all(r.lr == 8e-4 and r.optim == () for r in runs)  # D's lr: the arms' recipe
    assert (kw["lr_g"], kw["beta1"], kw["beta2"]) == (8e-4, 0.0, 0.9)
    assert (kw["g_ema"], kw["g_out_mean"]) == (0.999, 0.131)


def test_another_recipe_is_another_run():
    """The GAN settings travel in model_kwargs: they are part of the run key (so a CSV row of
    another recipe is not taken for this run) and of the run folder (never resumed)."""
    runs = _runs("cpu")
    old = [replace(r, model_kwargs=(("beta1", 0.0), ("beta2", 0.9), ("lr_g", 1e-4),
                                    ("val_digits", 1_000))) for r in runs]  # fmt: skip
    assert all(a.key != b.key and a.name != b.name for a, b in zip(runs, old, strict=True))
    assert len({r.name for r in runs}) == len(runs)
    rebatched = [replace(r, batch_size=64) for r in runs]
    assert all(a.key != b.key for a, b in zip(runs, rebatched, strict=True))


def test_smoke_collapses_to_one_tiny_run_per_model_and_seed():
    runs = _runs("smoke")
    assert [(r.model, r.seed, r.epochs, r.limit_train) for r in runs] == [
        (m, s, 1, 64) for s in (0, 1, 2) for m in ("gan-d-z2", "gan-d-p4")]  # fmt: skip
    assert dict(runs[0].model_kwargs)["scorer_epochs"] == 1
