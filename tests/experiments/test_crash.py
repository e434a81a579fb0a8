# SPDX-License-Identifier: MIT
"""A real crash: `gconv train` in a subprocess, SIGKILLed at fixed points (the test-only hook
GCONV_TEST_KILL_AT), resumed with --resume, ends bit for bit as an uninterrupted run: final
weights, the chosen best checkpoint and the test error. A truncated last.ckpt falls back to
last.prev.ckpt with a warning. Plus the checkpoint file logic in-process."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint

import gconv
from gconv.cli import main
from gconv.experiments import CheckpointError, load_checkpoint
from gconv.experiments._checkpoint import (
    AtomicCheckpointIO,
    MovableCheckpoint,
    kill_point,
    resume_path,
)

#: Z2CNN (dropout and BN: every random draw must replay); 3 batches of 64 per epoch, 3 epochs
ARGS = ["train", "--model", "z2cnn", "--epochs", "3", "--limit-train", "192", "--limit-val",
        "96", "--limit-test", "128", "--batch-size", "64", "--seed", "3", "--no-progress"]  # fmt: skip


def _gconv(
    out: Path, kill: str | None, resume: bool, extra: tuple[str, ...] | list[str] = ()
) -> subprocess.CompletedProcess:
    """`python -m gconv.cli train ...` in a fresh process (this checkout's gconv first)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(gconv.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    env.pop("GCONV_TEST_KILL_AT", None)
    if kill:
        env["GCONV_TEST_KILL_AT"] = kill
    cmd = [sys.executable, "-m", "gconv.cli", *ARGS, *extra, "--out", str(out)]
    cmd += ["--resume"] if resume else []
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def _epoch(path: Path) -> int:
    return int(load_checkpoint(path)["epoch"])


def _assert_same_run(a: Path, b: Path) -> None:
    """Same final weights, same best checkpoint (name and weights), same test results."""
    ra = json.loads((a / "record.json").read_text())
    rb = json.loads((b / "record.json").read_text())
    assert Path(ra["best_checkpoint"]).name == Path(rb["best_checkpoint"]).name
    assert ra["best_epoch"] == rb["best_epoch"] and ra["epochs_done"] == rb["epochs_done"] == 3
    for k in ("val_error", "test_error", "test_n", "angle_error"):
        assert json.dumps(ra[k]) == json.dumps(rb[k]), k  # the same floats, digit for digit
    for name in ("last.ckpt", Path(ra["best_checkpoint"]).name):
        sa = load_checkpoint(a / "checkpoints" / name)["state_dict"]
        sb = load_checkpoint(b / "checkpoints" / name)["state_dict"]
        assert sa.keys() == sb.keys()
        for k, v in sa.items():
            assert torch.equal(v, sb[k]), (name, k)  # CPU, deterministic: bit-identical
    assert sorted(p.name for p in (b / "checkpoints").iterdir()) == sorted(
        p.name for p in (a / "checkpoints").iterdir()
    )  # no leftover temporary files, no "-v1" duplicates of a replayed best checkpoint


@pytest.mark.slow  # four fresh processes (torch + Lightning imports): ~40 s of CPU
@pytest.mark.usefixtures("mnist_root")
def test_killed_three_times_then_resumed_equals_uninterrupted(tmp_path: Path) -> None:
    straight = tmp_path / "straight"
    assert main([*ARGS, "--out", str(straight)]) == 0  # uninterrupted (in this process)
    run, ckpts = tmp_path / "killed", tmp_path / "killed" / "checkpoints"

    p = _gconv(run, "batch:1:1", resume=False)  # inside epoch 1, at batch 1
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    assert _epoch(ckpts / "last.ckpt") == 0

    p = _gconv(run, "ckpt-rename:last:1", resume=True)  # epoch 1's last.ckpt written, not renamed
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    assert _epoch(ckpts / "last.ckpt") == 0  # still the old one, complete
    assert list(ckpts.glob(".last.ckpt.*.part"))  # the killed write's temporary file

    p = _gconv(run, "batch:2:0", resume=True)  # epoch 1 done again; killed in epoch 2
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    assert not list(ckpts.glob(".*.part"))  # the resume removed the leftover
    assert (_epoch(ckpts / "last.ckpt"), _epoch(ckpts / "last.prev.ckpt")) == (1, 0)

    data = (ckpts / "last.ckpt").read_bytes()  # damaged outside gconv (full disk, bad copy)
    (ckpts / "last.ckpt").write_bytes(data[: len(data) // 3])
    p = _gconv(run, None, resume=True)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "previous good copy" in p.stderr and "last.prev.ckpt" in p.stderr
    assert (ckpts / "last.ckpt.unreadable").read_bytes() == data[: len(data) // 3]  # set aside
    (ckpts / "last.ckpt.unreadable").unlink()  # the one file an uninterrupted run lacks
    _assert_same_run(straight, run)


@pytest.mark.slow  # two fresh processes: ~20 s of CPU
@pytest.mark.usefixtures("mnist_root")
def test_killed_inside_an_epoch_resumes_from_the_mid_epoch_checkpoint(tmp_path: Path) -> None:
    straight = tmp_path / "straight"
    assert main([*ARGS, "--out", str(straight)]) == 0
    run, ckpts = tmp_path / "killed", tmp_path / "killed" / "checkpoints"
    every = ["--checkpoint-minutes", "0"]  # last.ckpt after every batch but an epoch's last
    p = _gconv(run, "batch:1:2", resume=False, extra=every)  # at batch 2 (of 3) of epoch 1
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    ckpt = load_checkpoint(ckpts / "last.ckpt")
    assert ckpt["epoch"] == 1 and ckpt["global_step"] == 5  # epoch 0's 3 batches + 2 of epoch 1
    loop = ckpt["loops"]["fit_loop"]
    assert loop["state_dict"]["combined_loader"] == [{"epoch": 1, "batches": 2, "replicas": 1}]
    p = _gconv(run, None, resume=True, extra=every)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "resuming from a checkpoint that ended before the epoch ended" not in p.stderr
    _assert_same_run(straight, run)  # the rest of epoch 1 replayed batch for batch
    assert _logged_lrs(run) == _logged_lrs(straight)  # the resumed epoch's lr is logged too


def _logged_lrs(run: Path) -> dict[int, str]:
    """Epoch → the ``lr`` of its row in the run's CSV logs (every session's version)."""
    out: dict[int, str] = {}
    for path in sorted((run / "logs").glob("version_*/metrics.csv")):
        for row in csv.DictReader(path.open(newline="")):
            if row.get("train_loss_epoch"):  # the epoch's row
                out[int(row["epoch"])] = row.get("lr", "")
    assert sorted(out) == [0, 1, 2] and all(out.values()), out
    return out


def _ckpt(epoch: int) -> dict:
    return {"epoch": epoch, "state_dict": {"w": torch.full((3,), float(epoch))},
            "hyper_parameters": {"model": "z2cnn"}}  # fmt: skip


def test_atomic_io_keeps_previous_copy(tmp_path: Path) -> None:
    io = AtomicCheckpointIO()
    for e in range(3):
        io.save_checkpoint(_ckpt(e), tmp_path / "last.ckpt")
        io.save_checkpoint(_ckpt(e), tmp_path / f"best-{e:03d}.ckpt")
    assert _epoch(tmp_path / "last.ckpt") == 2 and _epoch(tmp_path / "last.prev.ckpt") == 1
    assert not (tmp_path / "best-002.prev.ckpt").exists()  # only last.ckpt keeps a copy
    assert not list(tmp_path.glob(".*"))
    assert resume_path(tmp_path) == tmp_path / "last.ckpt"


def test_resume_path_choices(tmp_path: Path) -> None:
    assert resume_path(tmp_path) is None  # fresh start
    io = AtomicCheckpointIO()
    io.save_checkpoint(_ckpt(0), tmp_path / "last.ckpt")
    io.save_checkpoint(_ckpt(1), tmp_path / "last.ckpt")
    (tmp_path / ".last.ckpt.abc.part").write_bytes(b"half")
    data = (tmp_path / "last.ckpt").read_bytes()
    (tmp_path / "last.ckpt").write_bytes(data[:100])
    with pytest.warns(UserWarning, match="truncated.*last.ckpt.unreadable.*previous good copy"):
        assert resume_path(tmp_path) == tmp_path / "last.prev.ckpt"
    assert not (tmp_path / ".last.ckpt.abc.part").exists()
    assert (tmp_path / "last.ckpt.unreadable").read_bytes() == data[:100]  # set aside, so ...
    io.save_checkpoint(_ckpt(2), tmp_path / "last.ckpt")
    assert _epoch(tmp_path / "last.prev.ckpt") == 0  # ... the next save keeps the good copy
    (tmp_path / "last.ckpt").unlink()
    with pytest.warns(UserWarning, match="missing"):
        assert resume_path(tmp_path) == tmp_path / "last.prev.ckpt"
    (tmp_path / "last.prev.ckpt").write_bytes(data[:50])
    with pytest.raises(CheckpointError, match="no checkpoint to resume from"):
        resume_path(tmp_path)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", None),
        ("batch:1:2", ("batch", "1", "2")),
        ("ckpt-rename:last:0", ("ckpt-rename", "last", "0")),
    ],
)
def test_kill_point_parsing(
    monkeypatch: pytest.MonkeyPatch, text: str, parsed: tuple | None
) -> None:
    monkeypatch.setenv("GCONV_TEST_KILL_AT", text)
    assert kill_point() == parsed


@pytest.mark.parametrize("text", ["batch:1", "batch:a:2", "rename:last:1", "ckpt-rename:last"])
def test_kill_point_malformed(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("GCONV_TEST_KILL_AT", text)
    with pytest.raises(ValueError, match="GCONV_TEST_KILL_AT"):
        kill_point()


@pytest.mark.parametrize("minutes", [-1, True, "10", float("nan")])
def test_checkpoint_minutes_must_be_a_number(minutes: object) -> None:
    from gconv.experiments import TrainConfig
    from gconv.experiments._checkpoint import MidEpochCheckpoint

    with pytest.raises(ValueError, match=r"checkpoint_minutes must be None or a number >= 0"):
        TrainConfig(checkpoint_minutes=minutes)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"minutes must be >= 0, got"):
        MidEpochCheckpoint("last.ckpt", minutes)  # type: ignore[arg-type]


def test_mid_epoch_checkpoints_need_a_resumable_loader() -> None:
    """A loader that cannot resume inside an epoch (a user's plain DataLoader) turns them off,
    with a warning: a resume from them would replay the epoch from its start."""
    from types import SimpleNamespace

    from torch.utils.data import DataLoader

    from gconv.experiments import ResumableLoader, SeededSampler
    from gconv.experiments._checkpoint import MidEpochCheckpoint

    cb = MidEpochCheckpoint("last.ckpt", 0)
    good = ResumableLoader(list(range(4)), batch_size=2, sampler=SeededSampler(4))
    cb.on_train_start(SimpleNamespace(train_dataloader=good), None)  # type: ignore[arg-type]
    assert cb.enabled
    with pytest.warns(UserWarning, match="mid-epoch checkpoints are off"):
        plain = {"a": good, "b": DataLoader(list(range(4)), batch_size=2)}
        cb.on_train_start(SimpleNamespace(train_dataloader=plain), None)  # type: ignore[arg-type]
    assert not cb.enabled


def _saved_state(old: Path) -> dict:
    score = torch.tensor(0.25)
    return {"monitor": "val_error", "best_model_score": score, "current_score": score,
            "best_model_path": str(old / "best-003.ckpt"), "dirpath": str(old),
            "best_k_models": {str(old / "best-003.ckpt"): score},
            "kth_best_model_path": str(old / "best-003.ckpt"), "kth_value": score,
            "last_model_path": "/elsewhere/last.ckpt"}  # fmt: skip


def test_movable_checkpoint_maps_saved_paths_to_the_new_folder(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    new.mkdir()
    (new / "best-003.ckpt").write_bytes(b"")
    cb = MovableCheckpoint(dirpath=new, monitor="val_error", mode="min", save_top_k=1)
    plain = ModelCheckpoint(dirpath=new, monitor="val_error", mode="min", save_top_k=1)
    assert cb.state_key == plain.state_key  # checkpoints of either resume alike
    cb.load_state_dict(_saved_state(old))
    moved = str(Path(cb.dirpath) / "best-003.ckpt")
    assert cb.best_model_score == 0.25 and cb.kth_value == 0.25
    assert cb.best_model_path == cb.kth_best_model_path == moved
    assert cb.best_k_models == {moved: 0.25}
    assert cb.last_model_path == "/elsewhere/last.ckpt"  # not under the old folder: kept


def test_movable_checkpoint_without_the_best_file_falls_back(tmp_path: Path) -> None:
    new = tmp_path / "new"
    cb = MovableCheckpoint(dirpath=new, monitor="val_error", mode="min", save_top_k=1)
    with pytest.warns(UserWarning, match="dirpath has changed"):
        cb.load_state_dict(_saved_state(tmp_path / "old"))
    assert cb.best_model_score is None  # Lightning's behaviour: the score is not trusted
    assert cb.best_model_path == str(tmp_path / "old" / "best-003.ckpt")
