# SPDX-License-Identifier: MIT
"""Training on real rotated MNIST (small subsets): exact resume, checkpoints, evaluate, CLI."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import pytest
import torch
from lightning.pytorch.callbacks import Callback

from gconv.cli import main
from gconv.experiments import (
    CheckpointError,
    RotMNISTDataModule,
    TrainConfig,
    evaluate,
    load_checkpoint,
    train,
)
from gconv.experiments._study import checkpoint_progress

pytestmark = pytest.mark.usefixtures("mnist_root")  # real MNIST: skip, or fail under CI

TINY = {"limit_train": 192, "limit_val": 96, "batch_size": 64, "progress": False}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `gconv train` run (1 epoch of Z2CNN on 192 digits); returns its directory."""
    out = tmp_path_factory.mktemp("train") / "run"
    rc = main(["train", "--model", "z2cnn", "--epochs", "1", "--limit-train", "192",
               "--limit-val", "96", "--limit-test", "128", "--batch-size", "64",
               "--out", str(out), "--no-progress"])  # fmt: skip
    assert rc == 0
    return out


def test_resume_equals_uninterrupted(tmp_path: Path) -> None:
    # Z2CNN has dropout and BN; batch-angle draws an angle per batch: all must replay exactly
    def run(out: Path, epochs: int) -> dict:
        cfg = TrainConfig(model="z2cnn", epochs=epochs, out=str(out), resume=True, test=False,
                          seed=3, **TINY)  # fmt: skip
        return train(cfg)

    run(tmp_path / "straight", 2)
    run(tmp_path / "stopped", 1)
    once = load_checkpoint(tmp_path / "stopped" / "checkpoints" / "last.ckpt")
    assert once["epoch"] == 0
    rec = run(tmp_path / "stopped", 2)  # picks up last.ckpt
    assert rec["epochs_done"] == 2
    a = load_checkpoint(tmp_path / "straight" / "checkpoints" / "last.ckpt")
    b = load_checkpoint(tmp_path / "stopped" / "checkpoints" / "last.ckpt")
    assert a["global_step"] == b["global_step"] == 6
    assert a["state_dict"].keys() == b["state_dict"].keys()
    changed = False
    for k, v in a["state_dict"].items():
        assert torch.equal(v, b["state_dict"][k]), k  # CPU, deterministic: bit-identical
        changed |= not torch.equal(v, once["state_dict"][k])
    assert changed  # the second epoch did train


@pytest.mark.parametrize(
    "change",
    [
        {"batch_size": 32}, {"limit_val": 48}, {"optim": {"lr_decay": 0.5}}, {"augment": "none"},
        {"precision": "bf16-mixed"},
    ],
)  # fmt: skip
def test_resuming_other_settings_is_refused(tmp_path: Path, change: dict) -> None:
    """The run folder's name is the study's business; recipe.json makes a resume with any
    other setting (here ones a study's folder name leaves out) fail before training."""
    base = {"model": "z2cnn", "out": str(tmp_path / "run"), "resume": True, "test": False,
            "limit_train": 64, "limit_val": 64, "batch_size": 64, "progress": False}  # fmt: skip
    train(TrainConfig(epochs=1, **base))
    saved = (tmp_path / "run" / "recipe.json").read_text()
    last = (tmp_path / "run" / "checkpoints" / "last.ckpt").read_bytes()
    key = next(iter(change))
    with pytest.raises(CheckpointError, match=f"other settings.*{key}: .* there, .* here"):
        train(TrainConfig(epochs=2, **{**base, **change}))
    assert (tmp_path / "run" / "recipe.json").read_text() == saved  # nothing rewritten
    assert (tmp_path / "run" / "checkpoints" / "last.ckpt").read_bytes() == last


def test_run_without_recipe_file_resumes_and_gets_one(tmp_path: Path) -> None:
    """A folder written before recipe.json existed resumes (nothing to compare) and gets the
    file, so the next resume is checked (a changed test size passes); a corrupt file is a
    clear error."""
    base = {"model": "z2cnn", "out": str(tmp_path / "run"), "resume": True, "test": False,
            "limit_train": 64, "limit_val": 64, "batch_size": 64, "progress": False}  # fmt: skip
    train(TrainConfig(epochs=1, **base))
    (tmp_path / "run" / "recipe.json").unlink()
    assert train(TrainConfig(epochs=2, **base))["epochs_done"] == 2
    assert '"batch_size": 64' in (tmp_path / "run" / "recipe.json").read_text()
    # the test size is not part of the recipe: a resume may change it
    assert train(TrainConfig(epochs=3, limit_test=32, **base))["epochs_done"] == 3
    (tmp_path / "run" / "recipe.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="recipe.json: unreadable"):
        train(TrainConfig(epochs=4, **base))


def test_checkpoint_is_weights_only_loadable(trained: Path) -> None:
    for name in ("last.ckpt", *(p.name for p in (trained / "checkpoints").glob("best-*.ckpt"))):
        raw = torch.load(trained / "checkpoints" / name, map_location="cpu", weights_only=True)
        assert raw["hyper_parameters"]["model"] == "z2cnn"
    assert len(list((trained / "checkpoints").glob("best-*.ckpt"))) == 1
    assert (trained / "logs").is_dir() and (trained / "tb").is_dir()


def test_truncated_checkpoint_gives_clear_error(trained: Path, tmp_path: Path) -> None:
    data = (trained / "checkpoints" / "last.ckpt").read_bytes()
    bad = tmp_path / "truncated.ckpt"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(bad)


class _Foreign:
    pass


def test_foreign_checkpoints_give_clear_errors(tmp_path: Path) -> None:
    plain = tmp_path / "plain.ckpt"
    torch.save({"weights": torch.zeros(3)}, plain)
    with pytest.raises(CheckpointError, match="not a gconv.experiments checkpoint"):
        load_checkpoint(plain)
    obj = tmp_path / "object.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"model": _Foreign()}}, obj)
    with pytest.raises(CheckpointError, match="weights_only=True.*_Foreign"):
        load_checkpoint(obj)
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(pickle.dumps([1, 2, 3], protocol=2)[:5])  # a legacy pickle, cut short
    with pytest.raises(CheckpointError, match="unreadable"):
        load_checkpoint(junk)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.ckpt")


def test_evaluate_counts_every_test_digit_once(trained: Path) -> None:
    best = next((trained / "checkpoints").glob("best-*.ckpt"))
    rec = evaluate(best, limit_test=128, progress=False)
    assert rec["test_n"] == 128 and len(rec["angle_error"]) == 24
    assert 0.0 <= rec["test_error"] <= 1.0
    # the bins partition the test digits: the bin errors, weighted by bin counts, average
    # to the overall error
    angles = RotMNISTDataModule(limit_test=128).split("test").tensors[2]
    counts = torch.bincount((angles / (2 * math.pi) * 24).long().clamp(0, 23), minlength=24)
    errs = torch.tensor([0.0 if math.isnan(e) else e for e in rec["angle_error"]])
    assert (errs * counts).sum().item() / 128 == pytest.approx(rec["test_error"], abs=1e-6)
    # one confusion matrix (rows: true class) counting every test digit once
    cm = torch.tensor(rec["confusion"]["test"])
    labels = RotMNISTDataModule(limit_test=128).split("test").tensors[1]
    assert cm.shape == (10, 10) and torch.equal(cm.sum(1), torch.bincount(labels, minlength=10))
    assert 1 - cm.trace().item() / 128 == pytest.approx(rec["test_error"], abs=1e-6)


def test_cli_evaluate(trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    best = next((trained / "checkpoints").glob("best-*.ckpt"))
    assert main(["evaluate", str(best), "--limit-test", "64", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "test error" in out and "per input-angle bin" in out and "345.0°" in out
    record = tmp_path / "out" / "eval.json"
    argv = ["evaluate", str(best), "--limit-test", "64", "--confusion", "--json", str(record)]
    assert main([*argv, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "confusion matrix (test)" in out and "most frequent confusions (test)" in out

    def strict(name: str) -> None:
        raise AssertionError(f"not standard JSON: {name}")

    saved = json.loads(record.read_text(), parse_constant=strict)
    bins = saved["angle_error"]  # 64 digits in 24 bins: empty bins are null, not NaN
    assert None in bins and all(b is None or 0 <= b <= 1 for b in bins)
    assert saved["test_n"] == 64 and sum(map(sum, saved["confusion"]["test"])) == 64
    assert saved["checkpoint"] == str(best) and saved["data"] == "rotmnist"
    assert main([*argv[:-1], str(tmp_path), "--no-progress"]) == 2  # a folder: not writable
    assert f"cannot write --json {tmp_path}" in capsys.readouterr().err
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"x": 1}, foreign)
    assert main(["evaluate", str(foreign), "--no-progress"]) == 2
    assert "not a gconv.experiments checkpoint" in capsys.readouterr().err
    assert main(["evaluate", str(best), "--test-rotate", "R", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--test-rotate applies only to the spherical data sets (spherical-mnist" in err
    assert "got --data rotmnist" in err


class _StopAt(Callback):
    """Raise at the start of training batch ``batch`` of epoch ``epoch`` (an interrupted run)."""

    def __init__(self, epoch: int, batch: int) -> None:
        self.at = (epoch, batch)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx: int) -> None:  # noqa: ANN001
        if (trainer.current_epoch, batch_idx) == self.at:
            raise RuntimeError("stopped")


def test_checkpoint_progress_counts_epochs_and_batches(tmp_path: Path) -> None:
    """(epochs trained, batches into the next) of the checkpoint a resume would take: after an
    epoch's end, inside an epoch (checkpoint after every batch), none without a file."""
    out, ckpts = tmp_path / "run", tmp_path / "run" / "checkpoints"
    assert checkpoint_progress(ckpts) is None
    # 192 digits in batches of 64: 3 batches per epoch; last.ckpt after every batch
    cfg = TrainConfig(model="z2cnn", epochs=2, out=str(out), resume=True, test=False,
                      checkpoint_minutes=0, **TINY)  # fmt: skip
    with pytest.raises(RuntimeError, match="stopped"):
        train(cfg, callbacks=[_StopAt(1, 2)])
    assert checkpoint_progress(ckpts) == (1, 2)  # epoch 0, then batches 0 and 1 of epoch 1
    train(cfg)  # resumes with batch 2 of epoch 1, the epoch's last
    assert checkpoint_progress(ckpts) == (2, 0)
    (ckpts / "last.ckpt").write_bytes(b"truncated")
    assert checkpoint_progress(ckpts) == (1, 2)  # last.prev.ckpt, the copy before


def test_study_dry_run_says_what_each_run_would_do(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """`gconv study --dry-run` marks runs already in the CSV, runs that resume, and new ones."""
    base = ["study", "rotmnist", "--budget", "smoke", "--models", "z2cnn", "--out", str(tmp_path)]
    assert main([*base, "--seeds", "0", "--no-progress"]) == 0
    runs = tmp_path / "runs" / "rotmnist"
    (seed0,) = runs.iterdir()
    seed1 = runs / seed0.name.replace("seed0", "seed1")
    (seed1 / "checkpoints").mkdir(parents=True)
    last = seed0 / "checkpoints" / "last.ckpt"
    (seed1 / "checkpoints" / "last.ckpt").write_bytes(last.read_bytes())
    capsys.readouterr()
    assert main([*base, "--seeds", "0", "1", "2", "--dry-run"]) == 0
    lines = {ln.split()[1]: ln for ln in capsys.readouterr().out.splitlines()[2:]}
    assert "done (in rotmnist.csv)" in lines[seed0.name]
    assert "resumes after 1 of 1 epochs" in lines[seed1.name]
    assert lines[seed0.name.replace("seed0", "seed2")].endswith("new")


def test_each_epochs_learning_rate_is_logged(tmp_path: Path) -> None:
    """metrics.csv carries the lr of every epoch: lr · lr_decay ^ max(0, epoch − lr_decay_from),
    so a schedule can be read back from a run's logs (scripts/val_curve.py --metrics lr)."""
    import csv

    cfg = TrainConfig(model="z2cnn", epochs=4, out=str(tmp_path / "run"), test=False, lr=0.01,
                      limit_train=32, limit_val=32, batch_size=32, progress=False,
                      optim={"lr_decay": 0.5, "lr_decay_from": 1})  # fmt: skip
    train(cfg)
    (log,) = (tmp_path / "run" / "logs").glob("version_*/metrics.csv")
    with log.open(newline="") as f:
        got = {int(r["epoch"]): float(r["lr"]) for r in csv.DictReader(f) if r["lr"]}
    # Lightning logs float32: rel 1e-6 is its rounding; a wrong epoch is off by 2x
    assert got == pytest.approx({0: 0.01, 1: 0.01, 2: 0.005, 3: 0.0025}, rel=1e-6)


def test_without_a_bar_each_epoch_prints_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """No progress bar (``--no-progress``, or stdout not a terminal): one line per epoch with
    the epoch's own training loss and validation error, as metrics.csv has them."""
    import csv
    import re

    cfg = TrainConfig(model="z2cnn", epochs=2, out=str(tmp_path / "run"), test=False,
                      limit_train=64, limit_val=32, batch_size=32, progress=False)  # fmt: skip
    train(cfg)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("epoch ")]
    (log,) = (tmp_path / "run" / "logs").glob("version_*/metrics.csv")
    with log.open(newline="") as f:
        rows = list(csv.DictReader(f))
    loss = {int(r["epoch"]): float(r["train_loss_epoch"]) for r in rows if r["train_loss_epoch"]}
    val = {int(r["epoch"]): float(r["val_error"]) for r in rows if r["val_error"]}
    assert len(lines) == 2
    for e, line in enumerate(lines):
        m = re.fullmatch(rf"epoch {e + 1}/2  step {2 * (e + 1)}  train_loss_epoch (\S+)  "
                         r"val_error (\S+)  \d+m\d\ds", line)  # fmt: skip
        assert m, line
        assert float(m[1]) == pytest.approx(loss[e], rel=1e-3)  # printed to 4 digits
        assert float(m[2]) == pytest.approx(val[e], rel=1e-3)


def test_moved_run_folder_keeps_its_best_checkpoint(tmp_path: Path) -> None:
    """A run folder moved elsewhere (another machine, a GPU node) resumes with its best score
    and tests its best checkpoint, now in the new folder (Lightning alone forgets the score and
    points at the old folder's file)."""
    cfg = {"model": "z2cnn", "epochs": 1, "resume": True, "seed": 1, **TINY}
    first = train(TrainConfig(out=str(tmp_path / "a" / "run"), test=False, **cfg))
    (tmp_path / "a").rename(tmp_path / "b")
    again = train(TrainConfig(out=str(tmp_path / "b" / "run"), test=True, limit_test=64, **cfg))
    best = Path(again["best_checkpoint"])
    assert best.parent == (tmp_path / "b" / "run" / "checkpoints").resolve() and best.is_file()
    assert Path(first["best_checkpoint"]).name == best.name
    assert again["val_error"] == first["val_error"]  # the saved score, not forgotten
    assert 0.0 <= again["test_error"] <= 1.0


def test_evaluate_uses_the_accelerator_asked_for(trained: Path) -> None:
    best = next((trained / "checkpoints").glob("best-*.ckpt"))
    with pytest.raises(ValueError, match="bogus"):  # reaches Lightning, which names it
        evaluate(best, limit_test=8, progress=False, accelerator="bogus")


def test_model_args_reach_the_builder(tmp_path: Path) -> None:
    """``--model-arg`` values (an int, a float) build the model: Z2CNN with 7 channels has
    another parameter count, kept in the record and in recipe.json."""
    import json

    from gconv.experiments._cli import _model_arg
    from gconv.models import get_model

    assert _model_arg("channels=12,24,36") == ("channels", (12, 24, 36))
    assert _model_arg("dropout=0.5") == ("dropout", 0.5)
    out = tmp_path / "run"
    rc = main(["train", "--model", "z2cnn", "--epochs", "1", "--limit-train", "64",
               "--limit-val", "32", "--no-test", "--batch-size", "32", "--out", str(out),
               "--no-progress", "--model-arg", "channels=7", "dropout=0.5"])  # fmt: skip
    assert rc == 0
    rec = json.loads((out / "record.json").read_text())
    want = sum(p.numel() for p in get_model("z2cnn", channels=7).parameters())
    assert rec["params"] == want != sum(p.numel() for p in get_model("z2cnn").parameters())
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["model_kwargs"] == {"channels": 7, "dropout": 0.5}


def test_a_new_run_refuses_a_folder_with_an_earlier_runs_checkpoints(tmp_path: Path) -> None:
    """Without resume, a run into a folder holding checkpoints would replace them save by
    save: it stops before touching anything, naming the files."""
    ckpts = tmp_path / "run" / "checkpoints"
    ckpts.mkdir(parents=True)
    (ckpts / "last.ckpt").write_bytes(b"an earlier run")
    (ckpts / "best-003.ckpt").write_bytes(b"its best epoch")
    cfg = TrainConfig(model="z2cnn", out=str(tmp_path / "run"), epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"earlier run \(best-003.ckpt, last.ckpt\).*--resume"):
        train(cfg)
    assert (ckpts / "last.ckpt").read_bytes() == b"an earlier run"
    assert sorted(p.name for p in (tmp_path / "run").rglob("*")) == [
        "best-003.ckpt",
        "checkpoints",
        "last.ckpt",
    ]


class _OutputDTypes(Callback):
    """The dtypes of the model's outputs in training steps."""

    def __init__(self) -> None:
        self.seen: set[torch.dtype] = set()

    def on_fit_start(self, trainer: object, pl_module: torch.nn.Module) -> None:
        pl_module.register_forward_hook(lambda m, i, out: self.seen.add(out.dtype))


def test_bf16_mixed_trains_under_autocast_and_is_recorded(tmp_path: Path) -> None:
    """``precision="bf16-mixed"`` reaches Lightning (the model's outputs are bfloat16 in
    training, where 32-true gives float32), the weights stay float32, and the run's record and
    recipe.json name it; a float32 run's recipe.json leaves it out, as runs recorded before."""
    base = {"model": "z2cnn", "epochs": 1, "test": False, "limit_train": 64, "limit_val": 64,
            "batch_size": 32, "progress": False}  # fmt: skip
    for precision, dtype in (("bf16-mixed", torch.bfloat16), ("32-true", torch.float32)):
        probe, out = _OutputDTypes(), tmp_path / precision
        rec = train(TrainConfig(out=str(out), precision=precision, **base), callbacks=[probe])
        assert probe.seen == {dtype} and rec["precision"] == precision
        recipe = json.loads((out / "recipe.json").read_text())
        assert recipe.get("precision") == (None if precision == "32-true" else precision)
        state = torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
        assert {v.dtype for v in state.values() if v.is_floating_point()} == {torch.float32}
