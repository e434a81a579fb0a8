# SPDX-License-Identifier: MIT
"""Icosahedral models in the harness: the spherical data module samples the same digits at the
vertices of the model's ``IcoGrid(r)``, and ``train`` runs ico-cnn / ico-cnn-seg end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from gconv.cli import main
from gconv.data import SphericalMNIST
from gconv.experiments import TrainConfig, evaluate, get_datamodule, list_augmentations, train
from gconv.experiments._spherical_dm import model_points
from gconv.groups import IcoGrid

pytestmark = pytest.mark.usefixtures("mnist_root")  # real MNIST: skip, or fail under CI


def test_model_points_follow_input_kind_and_r() -> None:
    assert model_points(None) is None and model_points("s2cnn") is None
    v4 = model_points("ico-cnn")  # registered default r = 4
    assert v4.shape == (2562, 3) and torch.equal(v4, torch.tensor(IcoGrid(4).vertices))
    assert model_points("ico-cnn-seg", {"r": 3}).shape == (642, 3)
    assert {"none", "rotate-100", "copies-4"} <= set(list_augmentations("ico"))


def test_datamodule_samples_the_ico_vertices() -> None:
    r = 3
    dm = get_datamodule("spherical-mnist", batch_size=4, limit_train=8, limit_val=4,
                        limit_test=4, bandwidth=12, task="segmentation", test_rotate=("NR", "R"),
                        model="ico-cnn-seg", model_kwargs={"r": r})  # fmt: skip
    v = 10 * 4**r + 2
    x, y, _ = dm.split("valid").tensors
    assert x.shape == (4, 1, v) and y.shape == (4, v) and 0 <= y.min() and y.max() <= 10
    ref = SphericalMNIST("valid", task="segmentation", points=model_points("ico-cnn-seg", {"r": r}))
    assert torch.equal(x, ref.signals[:4].unsqueeze(1).float() / 255)  # the same digits
    assert torch.equal(y, ref.masks_of(np.arange(4)).long())
    nr, rot = (dm.split("test", t).tensors[0] for t in ("NR", "R"))
    assert not torch.equal(nr, rot)
    with pytest.raises(ValueError, match="fixes the sampling points"):
        get_datamodule("spherical-mnist", model="ico-cnn", points=torch.eye(3))


def test_s2_model_still_gets_the_soft_grid() -> None:
    dm = get_datamodule("spherical-mnist", limit_val=2, bandwidth=8, model="s2cnn")
    assert dm.split("valid").tensors[0].shape == (2, 1, 16, 16)


@pytest.mark.parametrize(
    ("model", "task", "kwargs", "augment"),
    [("ico-cnn", "classification", {"r": 4}, "rotate-100"),
     ("ico-cnn-seg", "segmentation", {"r": 3}, "none")],
)  # fmt: skip
def test_train_one_epoch_ico(
    tmp_path: Path, capsys: pytest.CaptureFixture, model, task, kwargs, augment
) -> None:
    cfg = TrainConfig(model=model, data="spherical-mnist", task=task, epochs=1, batch_size=8,
                      augment=augment, limit_train=16, limit_val=8, limit_test=8,
                      model_kwargs=kwargs, out=str(tmp_path / "run"), progress=False,
                      data_kwargs={"test_rotate": ("NR", "R")})  # fmt: skip
    rec = train(cfg)
    assert rec["epochs_done"] == 1 and (tmp_path / "run" / "record.json").exists()
    if task == "classification":
        assert rec["params"] == 182_218
        assert 0 <= rec["test_error"] <= 1 and 0 <= rec["test_r_error"] <= 1
        again = evaluate(rec["best_checkpoint"], "spherical-mnist", limit_test=8, progress=False)
        assert again["test_n"] == 8 and again["test_error"] == rec["test_error"]  # same NR set
        both = evaluate(rec["best_checkpoint"], "spherical-mnist", limit_test=8, progress=False,
                        data_kwargs={"test_rotate": ("NR", "R")})  # fmt: skip
        assert both["test_names"] == ["nr", "r"] and both["test_r_error"] == rec["test_r_error"]
        for name, err in (("nr", both["test_error"]), ("r", both["test_r_error"])):
            cm = torch.tensor(both["confusion"][name])  # one matrix per test set, 8 digits each
            assert cm.sum() == 8 and 1 - cm.trace().item() / 8 == pytest.approx(err, abs=1e-6)
        argv = ["evaluate", rec["best_checkpoint"], "--data", "spherical-mnist", "--test-rotate",
                "NR", "R", "--limit-test", "8", "--accelerator", "cpu", "--no-progress"]  # fmt: skip
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "test error (NR)" in out and "test error (R)" in out
        assert f"{100 * rec['test_r_error']:.2f} %" in out
        assert "per input-angle bin" not in out  # spherical samples carry no input angle
        record = tmp_path / "eval.json"
        assert main([*argv, "--json", str(record)]) == 0
        saved = json.loads(record.read_text())
        assert "angle_error" not in saved and saved["test_names"] == ["nr", "r"]
        assert saved["test_r_error"] == rec["test_r_error"]
    else:
        assert 0 <= rec["test_miou"] <= 1 and 0 <= rec["test_r_miou"] <= 1
        assert rec["test_n"] == rec["test_r_n"] == 8
        # vertex data gets area-weighted metrics too (vertex Voronoi areas), not NaN
        assert 0 <= rec["test_miou_area"] <= 1 and 0 <= rec["test_r_pixel_accuracy_area"] <= 1


def test_study_arms_for_the_lead_plan_and_run(tmp_path: Path) -> None:
    """The arm proposed for spherical-cls (added to a copy of the registered spec unless it is
    there already): at the cpu budget it gets the same training size, epochs and NR/R test sets
    as the CNN arms; its smoke budget runs end to end through the study runner."""
    import dataclasses
    import math

    from gconv.experiments import get_study, plan
    from gconv.experiments._spec import Arm
    from gconv.experiments._study import default_runner, run_study

    spec = get_study("spherical-cls")
    if "ico-cnn" not in spec.models:
        spec = dataclasses.replace(spec, arms=(*spec.arms, Arm("ico-cnn", 20, augment="none")))
    smoke = dataclasses.replace(spec.budget("smoke"), models=("ico-cnn",))
    spec = dataclasses.replace(spec, budgets={**spec.budgets, "smoke": smoke})
    cpu = spec.budget("cpu")
    cpu_runs = plan(spec, [0], cpu.epochs_scale, cpu.limit_train, cpu.limit_test, budget=cpu)
    icos = [r for r in cpu_runs if r.model == "ico-cnn"]
    cnn = next(r for r in cpu_runs if r.model == "cnn")
    # trained NR (the protocol of the S2CNNs) and R (issue 16's R/R target), tested NR and R
    assert sorted(r.augment for r in icos) == ["none", "rotate-100"]
    for ico in icos:
        assert (ico.epochs, ico.limit_train, ico.limit_test) == (cnn.epochs, cnn.limit_train,
                                                                 cnn.limit_test)  # fmt: skip
        assert dict(ico.data_kwargs)["test_rotate"] == ("NR", "R")
    runs = plan(spec, [0], smoke.epochs_scale, smoke.limit_train, smoke.limit_test,
                budget=smoke, augments=["none"])  # fmt: skip
    assert [r.model for r in runs] == ["ico-cnn"]
    rows = run_study("spherical-cls", runs, tmp_path, default_runner("spherical-mnist", False))
    assert len(rows) == 1 and rows[0]["model"] == "ico-cnn"
    assert all(0 <= float(rows[0][k]) <= 1 for k in ("test_error", "test_r_error"))
    assert not math.isnan(float(rows[0]["val_error"]))


def test_full_budget_plans_the_full_data_targets() -> None:
    """spherical-cls's ``full`` budget: every training digit and test digit, the paper's 20
    epochs and b = 30, except the stated cuts (s2cnn-deep at b = 15, ico-cnn 10 epochs); both
    arms of s2cnn-deep and ico-cnn (trained NR and with 100 % augmentation)."""
    from gconv.experiments import get_study, plan

    spec = get_study("spherical-cls")
    full = spec.budget("full")
    runs = plan(spec, [0], full.epochs_scale, full.limit_train, full.limit_test,
                ["s2cnn", "s2cnn-deep", "ico-cnn"], full)  # fmt: skip
    got = {(r.model, r.augment): (r.epochs, r.limit_train, r.limit_test,
                                  dict(r.data_kwargs)["bandwidth"]) for r in runs}  # fmt: skip
    assert got == {
        ("s2cnn", "none"): (20, None, None, 30),
        ("s2cnn-deep", "none"): (20, None, None, 15),
        ("s2cnn-deep", "rotate-100"): (20, None, None, 15),
        ("ico-cnn", "none"): (10, None, None, 30),
        ("ico-cnn", "rotate-100"): (10, None, None, 30),
    }
    assert all(dict(r.data_kwargs)["test_rotate"] == ("NR", "R") for r in runs)


@pytest.mark.parametrize(
    ("name", "epochs", "decay"),
    [("full-decay", 10, 0.7), ("full-long", 20, 0.85), ("full-40", 40, 0.92)],
)
def test_lr_schedule_budgets_change_only_ico_cnn(name: str, epochs: int, decay: float) -> None:
    """``full-decay``, ``full-long`` and ``full-40`` are ``full`` with ico-cnn's lr 5e-3 ·
    decay^max(0, epoch − 2) (``full-long``, ``full-40``: also 20 and 40 epochs, not 10): the
    same runs and data; only ico-cnn's optimiser options and epochs differ."""
    from gconv.experiments import get_study, plan

    spec = get_study("spherical-cls")

    def runs(budget: str) -> dict:  # every arm of the study
        b = spec.budget(budget)
        return {(r.model, r.augment): r for r in
                plan(spec, [0], b.epochs_scale, b.limit_train, b.limit_test, None, b)}  # fmt: skip

    full, changed = runs("full"), runs(name)
    assert full.keys() == changed.keys()
    for key, run in changed.items():
        base = full[key]
        ico = key[0] == "ico-cnn"
        assert run.epochs == (epochs if ico else base.epochs), key
        assert (run.lr, run.data_kwargs) == (base.lr, base.data_kwargs)
        assert (run.limit_train, run.batch_size) == (base.limit_train, base.batch_size)
        want = (("lr_decay", decay), ("lr_decay_from", 2)) if ico else base.optim
        assert run.optim == want, key
    assert any(model == "ico-cnn" for model, _ in changed)


def _budget_runs(*budgets: str) -> dict[str, dict]:
    """Per budget of spherical-cls: its seed-0 runs keyed by (model, augment)."""
    from gconv.experiments import get_study, plan

    spec = get_study("spherical-cls")
    runs = {}
    for name in budgets:
        b = spec.budget(name)
        got = plan(spec, [0], b.epochs_scale, b.limit_train, b.limit_test, None, b)
        runs[name] = {(r.model, r.augment): r for r in got}
    return runs


def test_public_recipe_budget_changes_only_ico_cnn() -> None:
    """``public-60`` is ``full`` with ico-cnn trained as the public re-implementation does (60
    epochs, batch 256, lr 5e-3 constant); every other run is ``full``'s."""
    runs = _budget_runs("full", "public-60")
    assert runs["full"].keys() == runs["public-60"].keys()
    for key, run in runs["public-60"].items():
        base = runs["full"][key]
        if key[0] == "ico-cnn":
            assert (run.epochs, run.batch_size, run.lr, run.optim) == (60, 256, 5e-3, base.optim)
            assert run.batch_size != base.batch_size
        else:
            assert run == base, key


def test_public_70d_is_public_60_then_a_decay() -> None:
    """``public-70d`` runs ``public-60``'s recipe for epochs 0–59 (lr 5e-3 constant, so a run
    may resume from ``public-60``'s epoch-60 checkpoint) and decays by 0.7 per epoch after."""
    runs = _budget_runs("public-60", "public-70d")
    assert runs["public-60"].keys() == runs["public-70d"].keys()
    for key, run in runs["public-70d"].items():
        p60 = runs["public-60"][key]
        if key[0] != "ico-cnn":
            assert run == p60, key
            continue
        assert (run.epochs, run.batch_size, run.lr) == (70, 256, 5e-3)
        optim = dict(run.optim)
        assert p60.optim == () and optim == {"lr_decay": 0.7, "lr_decay_from": 59}
        lrs = [run.lr * optim["lr_decay"] ** max(0, e - optim["lr_decay_from"]) for e in range(70)]
        assert lrs[:60] == [5e-3] * 60 and lrs[60] == pytest.approx(3.5e-3, rel=1e-12)
        assert lrs[69] == pytest.approx(5e-3 * 0.7**10, rel=1e-12)


def test_public_70d_ls_accumulates_public_70d_steps() -> None:
    """``public-70d-ls-bf16``: ``public-70d``'s epochs, lr and schedule with steps of 256 digits
    as 8 accumulated batches of 32, label smoothing 0.1, bfloat16, statistics recomputed over
    80 batches of 32 (the 2,560 digits of ``public-70d``'s 10 batches of 256); other runs as
    ``full-decay-bf16``'s (``full`` in bfloat16)."""
    runs = _budget_runs("public-70d", "public-70d-ls-bf16", "full-decay-bf16")
    for key, run in runs["public-70d-ls-bf16"].items():
        if key[0] != "ico-cnn":
            assert run == runs["full-decay-bf16"][key], key
            continue
        p70 = runs["public-70d"][key]
        assert (run.epochs, run.lr, run.precision) == (p70.epochs, p70.lr, "bf16-mixed")
        optim = dict(run.optim)
        assert run.batch_size * optim.pop("accumulate") == p70.batch_size == 256
        assert optim.pop("label_smoothing") == 0.1 and optim == dict(p70.optim)
        assert run.bn_recompute * run.batch_size == p70.bn_recompute * p70.batch_size == 2560
