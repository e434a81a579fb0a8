# SPDX-License-Identifier: MIT
"""Bad arguments: one line ``gconv: error: ...`` on stderr, exit status 2, no traceback; a
ValueError from deep inside the work (a forward pass) still propagates with its traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import gconv
import gconv.cli
from gconv.cli import _argument_error, main


def _one_line_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("gconv: error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["train", "--model", "resnet9000"], "invalid choice: 'resnet9000'"),
        (["check-equivariance", "stack", "--group", "c5"], "invalid choice: 'c5'"),
        (["demo", "--group", "p5"], "invalid choice: 'p5'"),
        (["train", "--epochs", "two"], "invalid int value: 'two'"),
        (["train", "--checkpoint-minutes", "-1"], "expected minutes >= 0 or 'off', got '-1'"),
        (["train", "--checkpoint-minutes", "soon"], "expected minutes >= 0 or 'off', got 'soon'"),
        (["train", "--model-arg", "channels"], "expected KEY=VALUE, got 'channels'"),
    ],
)
def test_argparse_errors_are_one_line(argv: list[str], says: str, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    line = _one_line_error(capsys.readouterr().err)
    assert says in line and "--help" in line


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["train", "--epochs", "-3", "--out", "{tmp}/run"], "epochs must be an int >= 1, got -3"),
        (["train", "--batch-size", "0", "--out", "{tmp}/run"], "batch_size must be an int >= 1"),
        (["train", "--limit-train", "-5", "--out", "{tmp}/run"], "limit_train must be None or"),
        (["train", "--lr", "-0.1", "--out", "{tmp}/run"], "lr must be a positive number"),
        (
            ["train", "--model", "z2cnn", "--model-arg", "width=2", "--out", "{tmp}/run"],
            "--model-arg: model 'z2cnn' takes ['channels', 'dropout', 'in_channels', "
            "'num_classes'], got ['width']",
        ),
        (["study", "rotmnist", "--shard", "4/2", "--dry-run"], "shard K/N needs 0 <= K < N"),
        (
            ["study", "rotmnist", "--epochs-scale", "0", "--dry-run"],
            "epochs_scale must be positive",
        ),
        (
            ["study", "rotmnist", "--budget", "cpu", "--epochs-scale", "2", "--dry-run"],
            "budget 'cpu' fixes the epochs (and lr schedule) of c16cnn, c8cnn, d16c16cnn",
        ),
        (
            ["study", "spherical-cls", "--budget", "cpu", "--limit-test", "100", "--dry-run"],
            "--limit-test 100: budget 'cpu' or the study's arms fix it for s2cnn-deep",
        ),
        (["evaluate", "{tmp}/missing.ckpt"], None),  # the command's own message (exit 2)
    ],
)
def test_validation_errors_are_one_line(argv: list[str], says: str | None, tmp_path: Path,
                                        capsys) -> None:  # fmt: skip
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    if says is None:
        assert len(err.strip().splitlines()) == 1 and "not found" in err and "Traceback" not in err
        return
    assert says in _one_line_error(err)
    assert not (tmp_path / "run").exists()  # refused before any work


def test_missing_data_file_is_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    pytest.importorskip("lightning")
    monkeypatch.setenv("GCONV_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("GCONV_CACHE", "")  # no cache: no download either
    monkeypatch.setattr("gconv.data._files.SYSTEM_ROOTS", ())
    argv = ["train", "--model", "z2cnn", "--epochs", "1", "--out", str(tmp_path / "run"),
            "--no-progress"]  # fmt: skip
    assert main(argv) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "mnist/train-images-idx3-ubyte.gz not found" in line and "GCONV_DATA" in line


class _Broken(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise ValueError("a bug deep inside")


def test_errors_from_the_work_keep_their_traceback(monkeypatch) -> None:
    try:
        raise ValueError("bad argument")
    except ValueError as e:
        assert _argument_error(e)
    try:
        _Broken()(torch.zeros(1))
    except ValueError as e:
        assert not _argument_error(e)  # raised inside a forward pass: a crash, not an argument

    def broken_command(args) -> int:  # noqa: ANN001
        return _Broken()(torch.zeros(1))

    monkeypatch.setattr(gconv.cli, "_cmd_check", broken_command)
    with pytest.raises(ValueError, match="a bug deep inside"):
        main(["check-equivariance", "stack"])


def test_installed_entry_point_prints_one_line(tmp_path: Path) -> None:
    """The real process: stderr is the one line, exit status 2."""
    env = {**os.environ, "PYTHONPATH": str(Path(gconv.__file__).parents[1])}
    argv = ["train", "--epochs", "-1", "--out", str(tmp_path / "r")]
    p = subprocess.run([sys.executable, "-m", "gconv.cli", *argv], env=env,
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert p.returncode == 2, p.stderr
    assert "epochs must be an int >= 1, got -1" in _one_line_error(p.stderr)
