# SPDX-License-Identifier: MIT
"""Study ``gan``'s plan (no training): discriminator × data fraction × seed, about equal
generator steps per run at every budget, the GAN settings reaching each run."""

from __future__ import annotations

import math

import pytest

from gconv.experiments import get_study, plan


def _runs(budget: str) -> list:
    spec = get_study("gan")
    b = spec.budget(budget)
    return plan(spec, epochs_scale=b.epochs_scale, limit_test=b.limit_test, budget=b)


@pytest.mark.parametrize(("budget", "steps"), [("full", (10_048, 10_240)), ("cpu", (624, 640))])
def test_design_and_equal_steps(budget, steps):
    runs = _runs(budget)
    assert len(runs) == 18
    cells = {(r.model, r.limit_train, r.seed) for r in runs}
    assert cells == {(m, n, s) for m in ("gan-d-z2", "gan-d-p4") for n in (1_000, 3_300, None)
                     for s in (0, 1, 2)}  # fmt: skip
    per_run = {r.epochs * math.ceil((r.limit_train or 10_000) / r.batch_size) for r in runs}
    assert steps[0] <= min(per_run) and max(per_run) <= steps[1]
    assert all(r.batch_size == 64 and r.limit_test == 10_000 and r.augment == "none" for r in runs)
    kw = dict(runs[0].model_kwargs)
    assert all(r.lr == 4e-4 and r.optim == () for r in runs)  # D's lr: the arms' recipe
    assert (kw["lr_g"], kw["beta1"], kw["beta2"]) == (1e-4, 0.0, 0.9)


def test_smoke_collapses_to_one_tiny_run_per_model_and_seed():
    runs = _runs("smoke")
    assert [(r.model, r.seed, r.epochs, r.limit_train) for r in runs] == [
        (m, s, 1, 64) for s in (0, 1, 2) for m in ("gan-d-z2", "gan-d-p4")]  # fmt: skip
    assert dict(runs[0].model_kwargs)["scorer_epochs"] == 1
