# SPDX-License-Identifier: MIT
"""Study bookkeeping with a fake runner and real CSV files: plan, shards, skip, resume, merge."""

from __future__ import annotations

import random
from dataclasses import asdict
from pathlib import Path

import pytest

from gconv.experiments import RunSpec, merge, plan, run_study, select_shard
from gconv.experiments._shards import csv_path
from gconv.experiments._study import read_rows, write_rows


class FakeRunner:
    """Returns metrics derived from the spec; counts calls; can fail on a given call."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.calls: list[str] = []
        self.fail_at = fail_at

    def __call__(self, spec: RunSpec, run_dir: Path) -> dict:
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            raise RuntimeError("killed")
        self.calls.append(spec.name)
        err = 0.01 * (1 + spec.index)
        bins = {f"err_deg_{15 * k:03d}": err * (1 + k % 6) / 3 for k in range(24)}
        return {"params": 1000 + spec.index, "val_error": err, "test_error": err,
                "test_n": 50000, "wall_s": 10.0 * spec.epochs, "images_per_s": 900.0,
                "best_epoch": spec.epochs - 1, **bins}  # fmt: skip


def test_plan_budget_and_order() -> None:
    runs = plan("rotmnist", seeds=[0, 1])
    assert [r.index for r in runs] == list(range(16))
    assert [(r.model, r.seed, r.epochs) for r in runs[:8]] == [
        ("z2cnn", 0, 300), ("p4cnn", 0, 100), ("p4cnn-rp", 0, 100), ("p4mcnn", 0, 100),
        ("p4mcnn-coset", 0, 100), ("c8cnn", 0, 40), ("c16cnn", 0, 40), ("d16c16cnn", 0, 40),
    ]  # fmt: skip
    assert all(r.seed == 1 for r in runs[8:])
    quick = plan("rotmnist", seeds=[0], epochs_scale=0.02)
    assert [r.epochs for r in quick] == [6, 2, 2, 2, 2, 1, 1, 1]
    assert all(r.epochs == 1 for r in plan("rotmnist", epochs_scale=1e-6))
    with pytest.raises(ValueError, match="unknown study"):
        plan("cifar")


@pytest.mark.parametrize("n", [1, 2, 3, 7, 11])
def test_shards_partition_the_runs(n: int) -> None:
    runs = plan("rotmnist", seeds=[0, 1, 2])
    parts = [select_shard(runs, k, n) for k in range(n)]
    assert sorted(r.index for p in parts for r in p) == list(range(len(runs)))
    assert all(r.index % n == k for k, p in enumerate(parts) for r in p)


def test_skip_resume_after_kill_and_report(tmp_path: Path) -> None:
    runs = plan("rotmnist", seeds=[0, 1], epochs_scale=0.01)
    dying = FakeRunner(fail_at=3)
    with pytest.raises(RuntimeError, match="killed"):
        run_study("rotmnist", runs, tmp_path, dying, log=lambda s: None)
    assert len(read_rows(csv_path(tmp_path, "rotmnist"))) == 3  # written after every run
    again = FakeRunner()
    rows = run_study("rotmnist", runs, tmp_path, again, log=lambda s: None)
    assert again.calls == [r.name for r in runs[3:]]
    assert len(rows) == 16 and len({(r["model"], r["seed"]) for r in rows}) == 16
    md = (tmp_path / "rotmnist.md").read_text()
    assert "| p4cnn |" in md and "± " in md and "2.28" in md
    assert (tmp_path / "rotmnist-angle.png").stat().st_size > 10_000
    assert not list(tmp_path.glob(".*tmp*"))  # atomic writes leave nothing behind
    third = FakeRunner()
    run_study("rotmnist", runs, tmp_path, third, log=lambda s: None)
    assert third.calls == []


def test_shard_then_merge(tmp_path: Path) -> None:
    runs = plan("rotmnist", seeds=[0, 1, 2], epochs_scale=0.01)
    n = 4
    order = list(range(n))
    random.Random(0).shuffle(order)  # shards finish in any order
    for k in order:
        run_study("rotmnist", select_shard(runs, k, n), tmp_path, FakeRunner(), shard=(k, n),
                  log=lambda s: None)  # fmt: skip
        assert csv_path(tmp_path, "rotmnist", (k, n)).name == f"rotmnist.shard-{k}-of-{n}.csv"
    assert not (tmp_path / "rotmnist.md").exists()  # shards write no report
    path = merge("rotmnist", tmp_path, log=lambda s: None)
    rows = read_rows(path)
    assert len(rows) == len(runs)
    assert sorted((r["model"], r["seed"]) for r in rows) == sorted(
        (r.model, str(r.seed)) for r in runs
    )
    # merging again (e.g. after one more shard file appears) does not duplicate runs
    assert len(read_rows(merge("rotmnist", tmp_path, log=lambda s: None))) == len(runs)
    assert "3 (0, 1, 2)" in (tmp_path / "rotmnist.md").read_text()


def test_a_second_writer_of_the_same_csv_keeps_its_rows(tmp_path: Path) -> None:
    """Two processes on one shard file (two studies' runs with the same K/N in one folder): a
    row the other process wrote while this one trained stays when this one writes its own."""
    runs = plan("rotmnist", seeds=[0], epochs_scale=0.01)[:2]
    path = csv_path(tmp_path, "rotmnist", (0, 1))
    (other,) = plan("rotmnist", seeds=[5], epochs_scale=0.01)[:1]
    other_row = {k: v for k, v in asdict(other).items() if k != "index" and v != ()}
    fake = FakeRunner()

    def runner(spec: RunSpec, run_dir: Path) -> dict:
        if not fake.calls:  # the other process finishes first and writes the file
            write_rows(path, [{**other_row, **FakeRunner()(other, run_dir)}])
        return fake(spec, run_dir)

    rows = run_study("rotmnist", runs, tmp_path, runner, shard=(0, 1), log=lambda s: None)
    on_disk = read_rows(path)
    assert sorted((r["model"], r["seed"]) for r in on_disk) == sorted(
        [(other.model, "5"), (runs[0].model, "0"), (runs[1].model, "0")]
    )
    assert len(rows) == 3


def test_merge_without_shards_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="shard"):
        merge("rotmnist", tmp_path)


def test_budget_per_model_sizes_and_bandwidth_in_the_key() -> None:
    """per_model replaces epochs and the three split sizes of one model only; the data's
    arguments (bandwidth) are part of a run's key and folder, so budgets never collide."""
    from gconv.experiments import Budget

    budget = Budget(
        limit_train=100, limit_test=50, data_kwargs={"bandwidth": 12, "limit_val": 20},
        per_model={"s2cnn": {"epochs": 2, "limit_train": 10, "limit_test": 5, "limit_val": 4}},
    )  # fmt: skip
    runs = plan("spherical-cls", [0], 0.5, 100, 50, ["s2cnn", "cnn"], budget)
    s2 = next(r for r in runs if r.model == "s2cnn")
    cnn = next(r for r in runs if r.model == "cnn")
    assert (s2.epochs, s2.limit_train, s2.limit_test) == (2, 10, 5)
    assert dict(s2.data_kwargs) == {"bandwidth": 12, "limit_val": 4}
    assert (cnn.epochs, cnn.limit_train, cnn.limit_test) == (10, 100, 50)
    assert dict(cnn.data_kwargs) == {"bandwidth": 12, "limit_val": 20}
    assert s2.name.endswith("-b12-lr0.005") and "limit_val" in s2.key[6]
    other = plan("spherical-cls", [0], 0.5, 100, 50, ["cnn"], Budget(data_kwargs={"bandwidth": 8}))
    assert other[0].key != cnn.key and other[0].name != cnn.name
    assert plan("rotmnist", [0])[0].key[6:] == (
        "",
        "0.001",
        "",
        "128",
        "",
        "",
    )  # no data or model arguments, float32: the old keys stay valid (every CSV has batch_size)
    with pytest.raises(ValueError, match="per_model"):
        Budget(per_model={"cnn": {"nesterov": True}})  # lr is a recipe entry (test_recipe.py)


def test_budget_bn_recompute_reaches_the_run_not_its_key(tmp_path: Path) -> None:
    """per_model bn_recompute goes to that model's runs and their CSV rows; the key and folder
    stay those of the same run without it (it changes no weight: test_bn_recompute.py); it
    must be >= 1."""
    from gconv.experiments import Budget

    budget = Budget(per_model={"s2cnn": {"bn_recompute": 4}})
    runs = plan("spherical-cls", [0], models=["s2cnn", "cnn"], budget=budget)
    (s2,) = (r for r in runs if r.model == "s2cnn")
    cnn = {r.bn_recompute for r in runs if r.model == "cnn"}  # one run per augmentation
    plain = plan("spherical-cls", [0], models=["s2cnn"], budget=Budget())[0]
    assert (s2.bn_recompute, cnn, plain.bn_recompute) == (4, {0}, 0)
    assert (s2.key, s2.name) == (plain.key, plain.name)
    (row,) = run_study("spherical-cls", [s2], tmp_path, FakeRunner(), shard=(0, 1), log=str)
    assert row["bn_recompute"] == "4"
    with pytest.raises(ValueError, match="bn_recompute"):
        Budget(per_model={"s2cnn": {"bn_recompute": 0}})
