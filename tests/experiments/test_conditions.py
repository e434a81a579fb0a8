# SPDX-License-Identifier: MIT
"""A study records the conditions of each run (command, threads, load sampled during the run);
rows from before say "not recorded"; the report shows the columns only where recorded."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest
import torch

import gconv.experiments._train as train_module
from gconv.experiments import get_study, plan, render_report, run_study
from gconv.experiments._conditions import CONDITION_COLUMNS, NOT_RECORDED, RunConditions
from gconv.experiments._study import default_runner, read_rows

RESULTS = Path(__file__).resolve().parents[2] / "results"


def test_sampler_records_during_the_run() -> None:
    with RunConditions(["gconv", "study", "x y"], interval=0.02) as c:
        time.sleep(0.3)
    row = c.record()
    assert set(row) == set(CONDITION_COLUMNS)
    assert row["command"] == "gconv study 'x y'"  # shell-quoted, re-runnable
    assert row["torch_threads"] == torch.get_num_threads() and row["cpu_count"] == os.cpu_count()
    assert row["load_samples"] >= 4  # start, several in the background, end
    assert 0 <= row["load_mean"] <= row["load_max"] and row["load_start"] >= 0
    assert row["started_utc"].endswith("Z")
    with pytest.raises(ValueError, match="interval"):
        RunConditions(interval=0)


def test_default_runner_adds_conditions(tmp_path: Path, monkeypatch) -> None:
    seen = {}

    def fake_train(cfg):  # noqa: ANN001, ANN202
        seen["threads"] = torch.get_num_threads()
        return {"task": "classification", "params": 7, "val_error": 0.5, "test_error": 0.25,
                "test_n": 10, "wall_s": 1.0, "images_per_s": 2.0, "best_epoch": 0,
                "angle_error": [0.1] * 24}  # fmt: skip

    monkeypatch.setattr(train_module, "train", fake_train)
    runner = default_runner(command=["gconv", "study", "rotmnist", "--seeds", "4"])
    runs = plan("rotmnist", seeds=[4], epochs_scale=0.01, models=["p4cnn"])
    rows = run_study("rotmnist", runs, tmp_path, runner, log=lambda s: None)
    assert len(rows) == 1
    row = rows[0]
    assert row["command"] == "gconv study rotmnist --seeds 4"
    assert row["torch_threads"] == str(seen["threads"]) and int(row["load_samples"]) >= 2
    with (tmp_path / "rotmnist.csv").open() as f:
        header = next(csv.reader(f))
    assert header[-len(CONDITION_COLUMNS) :] == list(CONDITION_COLUMNS)  # at the end, in order
    md = (tmp_path / "rotmnist.md").read_text()
    assert "| threads | load mean / max |" in md and "`gconv study rotmnist --seeds 4`" in md


#: the five planar models: their 15 runs in results/rotmnist.csv predate the recorded conditions
PLANAR = ("z2cnn", "p4cnn", "p4cnn-rp", "p4mcnn", "p4mcnn-coset")


def test_existing_rows_say_not_recorded_and_render_as_before() -> None:
    rows = read_rows(RESULTS / "rotmnist.csv")
    old = [r for r in rows if r["model"] in PLANAR]
    assert len(old) == 15 and all(r[c] == NOT_RECORDED for r in old for c in CONDITION_COLUMNS)
    text = render_report(get_study("rotmnist"), old)
    assert "threads" not in text and NOT_RECORDED not in text
    assert render_report(get_study("rotmnist"), rows) == (RESULTS / "rotmnist.md").read_text(
        encoding="utf-8"
    )


def test_report_columns_only_where_recorded() -> None:
    rows = [r for r in read_rows(RESULTS / "rotmnist.csv") if r["model"] in PLANAR]
    new = dict(rows[0], seed="9", command="gconv study rotmnist --seeds 9", torch_threads="2",
               load_mean="3.5", load_max="6.25", cpu_count="2")  # fmt: skip
    text = render_report(get_study("rotmnist"), [*rows, new])
    lines = text.splitlines()
    head = next(ln for ln in lines if ln.startswith("| model"))
    assert head.endswith("| train img/s | threads | load mean / max |")
    sep = lines[lines.index(head) + 1]
    assert sep.count("---") == head.count("|") - 1  # a well-formed table
    first = next(ln for ln in lines if ln.startswith(f"| {new['model']} |"))
    assert first.endswith("| 2 | 3.5 / 6.2 (1 of 4 runs) |")  # the old seeds were not recorded
    table = lines[lines.index(head) : lines.index("", lines.index(head))]  # the main table
    others = [ln for ln in table if ln.startswith("| ") and ln is not first and ln != head]
    assert all(ln.endswith(f"| {NOT_RECORDED} | {NOT_RECORDED} |") for ln in others)
    assert "Commands: `gconv study rotmnist --seeds 9`." in text and "(CPUs: 2)" in text
