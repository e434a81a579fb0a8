# SPDX-License-Identifier: MIT
"""Tasks, augmentations per input kind, data modules by name, study specs (run plans as
products of axes, budgets) and the study report rendered from the committed CSV."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gconv.cli import main
from gconv.experiments import (
    Arm,
    Budget,
    StudySpec,
    TrainConfig,
    _augment,
    _datamodule,
    _spec,
    get_augmentation,
    get_datamodule,
    get_study,
    get_task,
    list_augmentations,
    list_studies,
    list_tasks,
    plan,
    register_augmentation,
    register_study,
    register_task,
    render_report,
    seeded_generator,
    train,
)
from gconv.experiments._study import read_rows

RESULTS = Path(__file__).resolve().parents[2] / "results"


def test_report_renders_committed_results_byte_for_byte():
    rows = read_rows(RESULTS / "rotmnist.csv")
    assert len(rows) >= 15  # the planar models' 15 paper-budget runs, then the newer arms
    text = render_report(get_study("rotmnist"), rows)
    assert text == (RESULTS / "rotmnist.md").read_text(encoding="utf-8")


def test_classification_task():
    assert "classification" in list_tasks()
    task = get_task("classification")
    assert task.monitor == "val_error" and task.report[1][0] == "test_error"
    row = task.row({"val_error": 0.1, "test_error": 0.2, "params": 5, "lr": 1e-3,
                    "angle_error": [0.1, 0.2, 0.3, 0.4]})  # fmt: skip
    assert row == {"params": 5, "val_error": 0.1, "test_error": 0.2, "err_deg_000": 0.1,
                   "err_deg_090": 0.2, "err_deg_180": 0.3, "err_deg_270": 0.4}  # fmt: skip
    with pytest.raises(ValueError, match="unknown task 'detection'; known tasks: classification"):
        get_task("detection")
    with pytest.raises(ValueError, match="already registered"):
        register_task(task)


def test_a_task_refuses_arguments_its_module_does_not_take(tmp_path):
    """The GAN sets its own optimisers: ``--optim ema=…`` is refused with the task's name, the
    refused and the accepted arguments, before the run folder is written."""
    out = tmp_path / "run"
    cfg = TrainConfig(model="gan-d-p4", data="rotmnist", task="generative", out=str(out),
                      optim={"ema": 0.9}, progress=False)  # fmt: skip
    with pytest.raises(ValueError, match=r"task 'generative' \(GAN\) takes no \['ema'\]; its "
                       r"arguments: \['augment', 'lr', 'model'"):  # fmt: skip
        train(cfg)
    assert not out.exists()
    assert get_task("classification").build(model="z2cnn", ema=0.9).hparams["ema"] == 0.9


def test_augmentations_per_input_kind(monkeypatch):
    monkeypatch.setattr(_augment, "_REGISTRY", {k: dict(v) for k, v in _augment._REGISTRY.items()})
    assert list_augmentations("image") == [
        "none", "batch-angle", "sample-angle", "gcnn-code", "rot90", "flip-translate",
    ]  # fmt: skip

    def flip_alpha(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return x.flip(-1)

    register_augmentation("flip-alpha", flip_alpha, "s2")
    assert "flip-alpha" not in list_augmentations("image")
    assert list_augmentations("s2")[-1] == "flip-alpha"  # after the built-in "s2" ones
    assert list_augmentations(None)[-1] == "flip-alpha"
    x = torch.randn(2, 1, 8, 8)
    assert torch.equal(get_augmentation("flip-alpha", "s2")(x, seeded_generator(0)), x.flip(-1))
    with pytest.raises(ValueError, match="mode must be one of"):
        get_augmentation("flip-alpha", "image")
    with pytest.raises(ValueError, match="already registered"):
        register_augmentation("none", flip_alpha, "image")


def test_datamodule_by_name():
    dm = get_datamodule("rotfashion", batch_size=7)
    assert dm.data == "rotfashion" and dm.batch_size == 7
    with pytest.raises(ValueError, match="data must be one of"):
        get_datamodule("imagenet")


def test_datamodule_gets_the_model_only_where_it_takes_one(monkeypatch):
    # the plain DataModule serves every planar model alike: the model is not its argument
    assert get_datamodule("rotmnist", model="p4cnn", model_kwargs={}).data == "rotmnist"
    seen = {}

    def factory(data, **kw):
        seen.update(kw)
        return get_datamodule("rotmnist")

    monkeypatch.setitem(_datamodule._DATAMODULES, "rotfashion", factory)
    get_datamodule("rotfashion", model="z2cnn", model_kwargs={"width": 3}, batch_size=2)
    assert seen == {"model": "z2cnn", "model_kwargs": {"width": 3}, "batch_size": 2}
    seen.clear()
    get_datamodule("rotfashion", batch_size=2)
    assert seen == {"batch_size": 2}  # no model: nothing added


def _spec_with_axes() -> StudySpec:
    return StudySpec(
        name="axes",
        task="classification",
        data="rotmnist",
        arms=(Arm("z2cnn", 10), Arm("p4cnn", 4), Arm("p4mcnn", 4, augment="rot90", limit_train=50)),
        seeds=(0, 1),
        augments=("none", "batch-angle"),
        train_sizes=(100, None),
        budgets={"full": Budget(), "smoke": Budget(0.1, 32, 32)},
    )


def test_plan_is_the_product_of_the_axes():
    spec = _spec_with_axes()
    runs = plan(spec)
    # per seed: 2 arms × 2 augmentations × 2 sizes, and the explicit arm once
    assert len(runs) == 2 * (2 * 2 * 2 + 1) and [r.index for r in runs] == list(range(18))
    first = [(r.model, r.seed, r.augment, r.limit_train) for r in runs[:6]]
    assert first == [
        ("z2cnn", 0, "none", 100), ("p4cnn", 0, "none", 100), ("p4mcnn", 0, "rot90", 50),
        ("z2cnn", 0, "batch-angle", 100), ("p4cnn", 0, "batch-angle", 100),
        ("z2cnn", 0, "none", None),
    ]  # fmt: skip
    assert all(r.seed == 1 for r in runs[9:]) and len({r.key for r in runs}) == 18
    smoke = spec.budget("smoke")
    quick = plan(spec, [0], smoke.epochs_scale, smoke.limit_train, smoke.limit_test, ["z2cnn"])
    assert [(r.epochs, r.limit_train, r.limit_test) for r in quick] == [(1, 32, 32)] * 2
    with pytest.raises(ValueError, match="budget must be one of"):
        spec.budget("paper")


def test_study_registry_and_spec_checks(monkeypatch):
    assert "rotmnist" in list_studies()
    rot = get_study("rotmnist")
    assert rot.models == ["z2cnn", "p4cnn", "p4cnn-rp", "p4mcnn", "p4mcnn-coset", "c8cnn",
                          "c16cnn", "d16c16cnn"]  # fmt: skip
    assert list(rot.budgets) == ["paper", "cpu", "cpu-2x", "smoke"] and rot.budget() == Budget()
    with pytest.raises(ValueError, match="unknown study 'cifar'"):
        get_study("cifar")
    monkeypatch.setattr(_spec, "_REGISTRY", _spec._REGISTRY.copy())
    register_study(_spec_with_axes())
    assert get_study("axes").arms[2].augment == "rot90"
    with pytest.raises(ValueError, match="already registered"):
        register_study(_spec_with_axes())
    with pytest.raises(ValueError, match="'smoke'"):
        StudySpec("x", "classification", "rotmnist", (Arm("z2cnn", 1),))
    with pytest.raises(ValueError, match="epochs_scale must be positive"):
        Budget(0.0)


def test_study_smoke_budget_dry_run(capsys):
    assert main(["study", "rotmnist", "--budget", "smoke", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.count("-e1-batch-angle-n256-t256") == 5
    assert main(["study", "rotmnist", "--budget", "smoke", "--epochs-scale", "0.01",
                 "--models", "z2cnn", "--dry-run"]) == 0  # fmt: skip
    assert "z2cnn-seed0-e3-batch-angle-n256-t256" in capsys.readouterr().out
