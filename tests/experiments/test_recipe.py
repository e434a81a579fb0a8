# SPDX-License-Identifier: MIT
"""Per-arm training recipes (lr, batch size, lr schedule, weight decay): validation, the plan
carries them to the run, the task module applies them (schedule per epoch, resumable), and the
run keys of the committed rotated-MNIST rows are unchanged by the new arms."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
import torch

from gconv.experiments import Arm, Budget, TrainConfig, get_study, plan, train
from gconv.experiments._module import Classifier
from gconv.experiments._spec import RECIPE_KEYS, check_recipe
from gconv.experiments._study import _row_key, read_rows

RESULTS = Path(__file__).resolve().parents[2] / "results"


@pytest.mark.parametrize(
    ("recipe", "match"),
    [
        ({"nesterov": True}, r"recipe keys must be in .*'nesterov'"),
        ({"momentum": 1.0}, r"recipe momentum must be in \[0, 1\), got 1.0"),
        ({"optimizer": "adagrad"}, r"recipe optimizer must be one of \('adam', 'adamw', 'sgd'\)"),
        ({"lr": 0.0}, r"recipe lr must be > 0, got 0.0"),
        ({"lr": float("nan")}, r"recipe lr must be > 0"),
        ({"lr_decay": 1.5}, r"lr_decay must be in \(0, 1\], got 1.5"),
        ({"lr_decay": 0}, r"lr_decay must be in \(0, 1\], got 0"),
        ({"weight_decay": -1e-4}, r"weight_decay must be >= 0"),
        ({"batch_size": 0}, r"batch_size must be an int >= 1, got 0"),
        ({"batch_size": 64.0}, r"batch_size must be an int >= 1, got 64.0"),
        ({"lr_decay_from": -1}, r"lr_decay_from must be an int >= 0, got -1"),
        ({"lr_decay_from": True}, r"lr_decay_from must be an int >= 0, got True"),
        ({"label_smoothing": 1.0}, r"label_smoothing must be in \[0, 1\), got 1.0"),
        ({"label_smoothing": -0.1}, r"label_smoothing must be in \[0, 1\), got -0.1"),
    ],
)
def test_bad_recipes_are_refused(recipe: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_recipe("here", recipe)
    with pytest.raises(ValueError, match=match):
        Arm("z2cnn", 3, recipe=recipe)
    with pytest.raises(ValueError, match="nesterov" if "nesterov" in recipe else match):
        Budget(per_model={"z2cnn": recipe})
    with pytest.raises(TypeError, match="recipe must be a mapping"):
        check_recipe("here", [("lr", 0.1)])  # type: ignore[arg-type]


def test_plan_carries_recipe_and_budget_overrides() -> None:
    spec = get_study("rotmnist")
    paper = {r.model: r for r in plan(spec, seeds=[0], budget=spec.budget("paper"))}
    c16 = paper["c16cnn"]
    assert (c16.lr, c16.batch_size, c16.epochs, c16.augment) == (0.015, 64, 40, "sample-angle")
    assert dict(c16.optim) == {"lr_decay": 0.8, "lr_decay_from": 15}
    assert (paper["p4cnn"].lr, paper["p4cnn"].batch_size, paper["p4cnn"].optim) == (1e-3, 128, ())
    cpu = plan(spec, seeds=[0], budget=spec.budget("cpu"))
    assert [r.model for r in cpu] == ["c8cnn", "c16cnn", "d16c16cnn"]
    for r in cpu:  # per_model replaces the schedule, keeps lr and batch size of the arm
        assert (r.lr, r.batch_size) == (0.015, 64)
        assert 0 < dict(r.optim)["lr_decay"] < 0.8 and dict(r.optim)["lr_decay_from"] < 15
    budget = Budget(batch_size=32, per_model={"c8cnn": {"lr": 0.5, "weight_decay": 1e-5}})
    (r,) = plan(spec, seeds=[0], models=["c8cnn"], budget=budget)
    assert (r.lr, r.batch_size) == (0.5, 32)  # the budget's batch size wins over the arm's
    assert dict(r.optim) == {"lr_decay": 0.8, "lr_decay_from": 15, "weight_decay": 1e-5}
    budget = Budget(batch_size=32, per_model={"c8cnn": {"batch_size": 256}})
    runs = {r.model: r for r in plan(spec, seeds=[0], models=["c8cnn", "c16cnn"], budget=budget)}
    # the model's own entry wins over the budget's batch size, which still wins for the others
    assert (runs["c8cnn"].batch_size, runs["c16cnn"].batch_size) == (256, 32)


def test_committed_rows_keep_their_run_keys() -> None:
    """The committed paper-budget runs are still the 15 of the five original models, so
    `gconv study rotmnist --seeds 0 1 2` skips them and runs only the new arms."""
    rows = read_rows(RESULTS / "rotmnist.csv")
    runs = plan("rotmnist", seeds=[0, 1, 2], budget=get_study("rotmnist").budget("paper"))
    done = {_row_key(r) for r in rows}
    todo = [r for r in runs if r.key not in done]
    assert len(done & {r.key for r in runs}) == 15 and len(runs) == 24
    assert {r.model for r in todo} == {"c8cnn", "c16cnn", "d16c16cnn"} and len(todo) == 9


def test_compressed_schedule_matches_weiler_cesa() -> None:
    from gconv.experiments.studies.rotmnist import WC_RECIPE, compressed_schedule

    assert compressed_schedule(40) == {"epochs": 40, "lr_decay_from": 15, "lr_decay": 0.8}
    for e in (4, 6, 10, 20):
        s = compressed_schedule(e)
        final = s["lr_decay"] ** (e - 1 - s["lr_decay_from"])  # factor in the last epoch
        assert math.isclose(final, 0.8**24, rel_tol=0.01), (e, final)
        assert s["lr_decay_from"] == math.floor(e * 15 / 40)
    assert set(WC_RECIPE) <= set(RECIPE_KEYS)


def test_study_recipe_is_the_models_training_dict() -> None:
    from gconv.experiments.studies import rotmnist
    from gconv.models.steerable_mnist import TRAINING

    assert TRAINING == {
        "epochs": rotmnist.WC_EPOCHS,
        "augment": rotmnist.WC_AUGMENT,
        "recipe": rotmnist.WC_RECIPE,
    }


def _lrs(module: Classifier, epochs: int) -> list[float]:
    conf = module.configure_optimizers()
    opt, sched = conf["optimizer"], conf["lr_scheduler"]["scheduler"]
    assert conf["lr_scheduler"]["interval"] == "epoch"
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_classifier_schedule_and_weight_decay() -> None:
    torch.manual_seed(0)
    plain = Classifier(model="z2cnn", lr=0.01)
    opt = plain.configure_optimizers()  # no options: plain Adam as before
    assert isinstance(opt, torch.optim.Adam) and opt.defaults["weight_decay"] == 0.0
    m = Classifier(model="z2cnn", lr=0.01, lr_decay=0.5, lr_decay_from=2, weight_decay=1e-4)
    want = [0.01 * 0.5 ** max(0, e - 2) for e in range(6)]
    assert _lrs(m, 6) == pytest.approx(want, rel=1e-12)
    assert m.configure_optimizers()["optimizer"].defaults["weight_decay"] == 1e-4
    with pytest.raises(ValueError, match="lr_decay must be in"):
        Classifier(model="z2cnn", lr_decay=2.0)
    with pytest.raises(TypeError, match="optim must be a dict"):
        TrainConfig(optim=[("lr_decay", 0.5)])  # type: ignore[arg-type]


def test_scheduler_state_round_trips_weights_only() -> None:
    """A resumed run continues the schedule: the scheduler's state loads with weights_only."""
    m = Classifier(model="z2cnn", lr=0.01, lr_decay=0.5, lr_decay_from=1)
    conf = m.configure_optimizers()
    for _ in range(3):
        conf["optimizer"].step()
        conf["lr_scheduler"]["scheduler"].step()
    buf = io.BytesIO()
    torch.save(conf["lr_scheduler"]["scheduler"].state_dict(), buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)
    again = Classifier(model="z2cnn", lr=0.01, lr_decay=0.5, lr_decay_from=1)
    conf2 = again.configure_optimizers()
    conf2["lr_scheduler"]["scheduler"].load_state_dict(state)
    conf2["lr_scheduler"]["scheduler"].step()  # epoch 4
    assert conf2["lr_scheduler"]["scheduler"].get_last_lr()[0] == pytest.approx(0.01 * 0.5**3)


@pytest.mark.usefixtures("mnist_root")
def test_training_applies_the_schedule(tmp_path: Path) -> None:
    from gconv.experiments import load_checkpoint

    cfg = TrainConfig(model="z2cnn", epochs=3, out=str(tmp_path), test=False, progress=False,
                      limit_train=128, limit_val=64, batch_size=64, lr=0.01,
                      optim={"lr_decay": 0.5, "lr_decay_from": 1})  # fmt: skip
    rec = train(cfg)
    assert rec["optim"] == {"lr_decay": 0.5, "lr_decay_from": 1}
    ckpt = load_checkpoint(tmp_path / "checkpoints" / "last.ckpt")
    assert ckpt["hyper_parameters"]["lr_decay"] == 0.5
    (sched,) = ckpt["lr_schedulers"]
    # three epochs done: lrs 0.01, 0.01, 0.005 were used; the next epoch would run at 0.0025
    assert sched["last_epoch"] == 3
    assert sched["_last_lr"][0] == pytest.approx(0.0025, rel=1e-12)


def test_angle_spread_section() -> None:
    from gconv.experiments import StudySpec, render_report
    from gconv.experiments._report import _expected_range

    assert _expected_range(2) == pytest.approx(2 / math.sqrt(math.pi), rel=1e-6)  # analytic
    assert _expected_range(3) == pytest.approx(3 / math.sqrt(math.pi), rel=1e-6)
    g = torch.Generator().manual_seed(0)
    rows = []
    for seed in range(3):
        errs = (0.02 + 0.01 * torch.rand(24, generator=g, dtype=torch.float64)).tolist()
        rows.append({"model": "m", "epochs": "5", "seed": str(seed), "augment": "batch-angle",
                     "test_error": "0.025", "test_n": "48000",
                     **{f"err_deg_{15 * k:03d}": repr(e) for k, e in enumerate(errs)}})  # fmt: skip
    spreads = [max(_vals(r)) - min(_vals(r)) for r in rows]
    mean, sd = sum(spreads) / 3, torch.tensor(spreads).std().item()
    noise = math.sqrt(0.025 * 0.975 / 2000) * _expected_range(24)
    spec = get_study("rotmnist")
    text = render_report(spec, rows)
    line = next(ln for ln in text.splitlines() if ln.startswith("| m | 5 | all | batch-angle |"))
    assert line == (f"| m | 5 | all | batch-angle | 3 | 15° × 24 | {100 * mean:.2f} ± "
                    f"{100 * sd:.2f} | {100 * noise:.2f} ± 0.00 |")  # fmt: skip
    plain = StudySpec("x", "classification", "rotmnist", (Arm("m", 5),),
                      budgets={"full": Budget(), "smoke": Budget()})  # fmt: skip
    assert "Spread of test error" in text and "Spread" not in render_report(plain, rows)


def _vals(row: dict) -> list[float]:
    return [float(row[f"err_deg_{15 * k:03d}"]) for k in range(24)]


@pytest.mark.usefixtures("mnist_root")
def test_smoke_budget_runs_a_steerable_arm(tmp_path: Path) -> None:
    """The smoke budget's C16 run (width 2, 256 digits, one epoch) through the real runner:
    the CSV row carries the recipe and the report has the spread section."""
    from gconv.experiments import run_study
    from gconv.experiments._study import default_runner

    spec = get_study("rotmnist")
    smoke = spec.budget("smoke")
    runs = plan(spec, [0], smoke.epochs_scale, smoke.limit_train, smoke.limit_test,
                ["c16cnn"], smoke)  # fmt: skip
    (row,) = run_study("rotmnist", runs, tmp_path, default_runner(progress=False), log=print)
    assert (row["epochs"], row["lr"], row["batch_size"], row["augment"]) == (
        "1", "0.015", "64", "sample-angle")  # fmt: skip
    assert row["optim"] == "(('lr_decay', 0.8), ('lr_decay_from', 15))"
    assert row["test_n"] == "256" and 0.0 <= float(row["test_error"]) <= 1.0
    assert int(row["params"]) < 10_000  # width 2 (the registered C16 model has 73,653)
    md = (tmp_path / "rotmnist.md").read_text()
    assert "| c16cnn | 1 | 256 | sample-angle | 1 | 15° × 24 |" in md


def test_report_never_pools_two_recipes() -> None:
    """Runs of an earlier lr (or model arguments) in the same CSV get their own table row, named
    by what differs; the last row's recipe keeps the model's name. The model-argument digest is
    the run folder's ``-k`` suffix."""
    from gconv.experiments import RunSpec, render_report, split_recipes

    def row(seed: int, lr: str, err: str, kw: str = "") -> dict:
        return {"model": "p4cnn", "epochs": "5", "seed": str(seed), "augment": "batch-angle",
                "lr": lr, "batch_size": "128", "model_kwargs": kw, "test_error": err}  # fmt: skip

    old = [row(s, "0.0004", "0.5") for s in (0, 1)]
    new = [row(s, "0.001", "0.02") for s in (0, 1, 2)]
    lines = render_report(get_study("rotmnist"), [*old, *new]).splitlines()
    first = next(ln for ln in lines if ln.startswith("| p4cnn [lr 0.0004] | 5 |"))
    assert "| 2 (0, 1) |" in first and "| 50.00 ± 0.00 |" in first
    latest = next(ln for ln in lines if ln.startswith("| p4cnn | 5 |"))
    assert "| 3 (0, 1, 2) |" in latest and "| 2.00 ± 0.00 |" in latest
    kw = (("channels", 12),)
    spec = RunSpec(0, "p4cnn", 0, 5, model_kwargs=kw)
    names = [r["model"] for r in split_recipes([row(0, "0.001", "0.1", str(kw)), new[0]])]
    assert names == [f"p4cnn [model_kwargs {spec.name.rsplit('-k', 1)[1]}]", "p4cnn"]
    assert split_recipes(new) == new  # one recipe: nothing renamed


@pytest.mark.usefixtures("mnist_root")
def test_decay_continues_a_constant_lr_run_at_its_epoch(tmp_path: Path) -> None:
    """A run resumed from a constant-lr checkpoint (no scheduler state in it) with a decay
    applies lr(e) from the checkpoint's epoch e, as an uninterrupted run would (``public-70d``
    continues ``public-60``): after epochs 0–3 with decay 0.5 from epoch 1, the next lr is
    0.01 · 0.5³; a schedule restarted at e = 0 would give 0.01 · 0.5."""
    import shutil

    from gconv.experiments import load_checkpoint

    common = {"model": "z2cnn", "test": False, "progress": False, "limit_train": 64,
              "limit_val": 32, "batch_size": 32, "lr": 0.01}  # fmt: skip
    train(TrainConfig(epochs=2, out=str(tmp_path / "a"), **common))
    assert load_checkpoint(tmp_path / "a" / "checkpoints" / "last.ckpt")["lr_schedulers"] == []
    (tmp_path / "b" / "checkpoints").mkdir(parents=True)
    shutil.copy(tmp_path / "a" / "checkpoints" / "last.ckpt", tmp_path / "b" / "checkpoints")
    decay = {"lr_decay": 0.5, "lr_decay_from": 1}
    train(TrainConfig(epochs=4, out=str(tmp_path / "b"), resume=True, optim=decay, **common))
    ckpt = load_checkpoint(tmp_path / "b" / "checkpoints" / "last.ckpt")
    (sched,) = ckpt["lr_schedulers"]
    assert sched["last_epoch"] == 4
    assert sched["_last_lr"][0] == pytest.approx(0.01 * 0.5**3, rel=1e-12)
    assert ckpt["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(0.01 * 0.5**3)


def test_a_budgets_precision_reaches_each_run_and_its_key() -> None:
    """A budget's precision is part of each run's key and folder name, so a bfloat16 run is
    never skipped as done because a float32 row of the same arm is in the CSV (nor pooled with
    it in a report); float32 (None) leaves both as they were."""
    spec = get_study("rotmnist")
    plain = plan(spec, seeds=[0], models=["p4cnn"], budget=Budget())
    mixed = plan(spec, seeds=[0], models=["p4cnn"], budget=Budget(precision="bf16-mixed"))
    assert [r.precision for r in plain] == [None] and [r.precision for r in mixed] == ["bf16-mixed"]
    assert mixed[0].name == plain[0].name + "-pbf16-mixed"
    assert mixed[0].key != plain[0].key
    assert (
        _row_key({k: str(v) for k, v in vars(plain[0]).items() if v not in (None, ())})
        == plain[0].key
    )
