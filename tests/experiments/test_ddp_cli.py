# SPDX-License-Identifier: MIT
"""DDP as users run it: ``gconv train --devices 2`` and ``gconv study ... --devices 2`` in a
subprocess (strategy ``ddp``: Lightning re-runs the command line for rank 1; gloo on CPU), the
test phase on. Both ranks end with identical weights, the test error covers the whole test set
(checked against a single-process evaluation of the same checkpoint), and only rank 0 writes
files and prints the report.

The command runs through a small wrapper script (written below) that calls ``gconv.cli.main``
unchanged; it only adds a callback saving each rank's weights and logs every file written
through ``gconv._util.atomic_write`` with the writer's rank. Lightning re-runs the wrapper for
rank 1, so both ranks carry the probes.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import gconv
from gconv.experiments import evaluate, load_checkpoint

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("mnist_root")]

WRAPPER = """
import os, sys
from pathlib import Path
import torch
from lightning.pytorch.callbacks import Callback
import gconv._util as util
import gconv.experiments._train as train_mod
from gconv.cli import main

DUMP = Path(os.environ["GCONV_TEST_DUMP"])

def rank():
    return int(os.environ.get("LOCAL_RANK", "0"))

class SaveWeights(Callback):
    def on_train_end(self, trainer, pl_module):
        state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}
        n = len(list(DUMP.glob(f"weights-rank{trainer.global_rank}-*")))
        torch.save(state, DUMP / f"weights-rank{trainer.global_rank}-{n}.pt")

build = train_mod.build_trainer
def build_trainer(cfg, callbacks=(), monitor="val_error"):
    return build(cfg, [*callbacks, SaveWeights()], monitor)
train_mod.build_trainer = build_trainer

write = util.atomic_write
def atomic_write(path):
    with open(DUMP / f"writes-rank{rank()}.txt", "a") as f:
        f.write(str(path) + "\\n")
    return write(path)
util.atomic_write = atomic_write

sys.exit(main(sys.argv[1:]))
"""


def _run(tmp_path: Path, argv: list[str]) -> subprocess.CompletedProcess:
    dump = tmp_path / "dump"
    dump.mkdir()
    script = tmp_path / "run_gconv.py"
    script.write_text(WRAPPER)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GCONV_TEST_DUMP": str(dump)}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(gconv.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    for var in ("LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "NODE_RANK"):
        env.pop(var, None)
    p = subprocess.run([sys.executable, str(script), *argv], env=env, capture_output=True,
                       text=True, timeout=900, cwd=tmp_path)  # fmt: skip
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return p


def _weights(dump: Path, rank: int) -> list[dict]:
    return [torch.load(p, weights_only=True) for p in sorted(dump.glob(f"weights-rank{rank}-*"))]


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k, v in a.items():
        assert torch.equal(v, b[k]), k


def _writes(dump: Path, rank: int) -> list[str]:
    path = dump / f"writes-rank{rank}.txt"
    return path.read_text().split() if path.is_file() else []


def test_gconv_train_devices_2(tmp_path: Path) -> None:
    out = tmp_path / "run"
    p = _run(tmp_path, ["train", "--model", "z2cnn", "--devices", "2", "--epochs", "2",
                        "--limit-train", "128", "--limit-val", "64", "--limit-test", "101",
                        "--batch-size", "32", "--out", str(out), "--no-progress", "--seed", "2"])  # fmt: skip
    dump = tmp_path / "dump"
    w0, w1 = _weights(dump, 0), _weights(dump, 1)
    assert len(w0) == len(w1) == 1  # one training process per rank
    _same(w0[0], w1[0])  # gradients all-reduced: the same update on both ranks
    last = load_checkpoint(out / "checkpoints" / "last.ckpt")
    _same(w0[0], last["state_dict"])
    assert last["global_step"] == 4  # 64 digits per rank in batches of 32, 2 epochs

    rec = json.loads((out / "record.json").read_text())
    assert rec["test_n"] == 101  # the whole test set (51 + 50 digits), each counted once
    single = evaluate(rec["best_checkpoint"], limit_test=101, progress=False)
    assert single["test_n"] == 101
    assert round(rec["test_error"] * 101) == round(single["test_error"] * 101)
    assert rec["test_error"] == pytest.approx(single["test_error"], abs=1e-6)
    assert rec["angle_error"] == pytest.approx(single["angle_error"], abs=1e-6, nan_ok=True)
    assert rec["confusion"] == single["confusion"]  # matrices summed over both ranks

    assert p.stdout.count("gconv train: z2cnn") == 1  # only rank 0 reports
    assert p.stdout.count("best checkpoint:") == 1
    assert _writes(dump, 1) == []  # rank 1 writes nothing (not even the data cache)
    assert _writes(dump, 0)[-1:] == [str(out / "record.json")]
    versions = sorted(d.name for d in (out / "logs").iterdir())
    assert versions == ["version_0"]  # one CSV logger, rank 0's
    rows = (out / "logs" / "version_0" / "metrics.csv").read_text().splitlines()
    epochs = [r.split(",") for r in rows[1:]]
    head = rows[0].split(",")
    val_rows = [r for r in epochs if r[head.index("val_error")]]
    assert len(val_rows) == 2  # one validation row per epoch, not one per rank


def test_gconv_study_devices_2(tmp_path: Path) -> None:
    out = tmp_path / "results"
    p = _run(tmp_path, ["study", "rotmnist", "--devices", "2", "--models", "z2cnn", "p4cnn",
                        "--seeds", "0", "--epochs-scale", "0.004", "--limit-train", "64",
                        "--limit-test", "51", "--out", str(out), "--no-progress"])  # fmt: skip
    dump = tmp_path / "dump"
    w0, w1 = _weights(dump, 0), _weights(dump, 1)
    assert len(w0) == len(w1) == 2  # two runs, each trained by both ranks
    for a, b in zip(w0, w1, strict=True):
        _same(a, b)
    rows = (out / "rotmnist.csv").read_text().splitlines()
    assert len(rows) == 3 and rows[1].startswith("z2cnn,0,") and rows[2].startswith("p4cnn,0,")
    head = rows[0].split(",")
    assert {r.split(",")[head.index("test_n")] for r in rows[1:]} == {"51"}
    with (out / "rotmnist.csv").open() as f:
        recorded = list(csv.DictReader(f))
    assert all(r["command"].startswith("gconv study rotmnist --devices 2") for r in recorded)
    assert all(r["torch_threads"] == "1" and int(r["load_samples"]) >= 2 for r in recorded)
    assert _writes(dump, 1) == []  # rank 1 writes nothing
    written = _writes(dump, 0)
    assert written.count(str(out / "rotmnist.csv")) == 2  # after each run
    assert written.count(str(out / "rotmnist.md")) == 1
    assert p.stdout.count("study rotmnist:") == 1 and p.stdout.count("report:") == 1
