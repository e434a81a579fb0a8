# SPDX-License-Identifier: MIT
"""`gconv train|evaluate|study|demo --help`, and the study's dry run."""

from __future__ import annotations

import pytest

from gconv.cli import main


@pytest.mark.parametrize(
    ("command", "expect"),
    [
        ("train", "--resume"),
        ("evaluate", "CHECKPOINT"),
        ("study", "--shard"),
        ("demo", "--limit-train"),
    ],
)
def test_help(command: str, expect: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0
    assert expect in capsys.readouterr().out


def test_study_dry_run_lists_the_shard(capsys: pytest.CaptureFixture) -> None:
    assert main(["study", "rotmnist", "--seeds", "0", "1", "--shard", "1/3", "--dry-run"]) == 0
    out = capsys.readouterr().out
    # 10 runs, seed-major: indices 1, 4, 7 fall in shard 1/3
    assert "p4cnn-seed0-e100" in out and "p4cnn-rp-seed1-e100" in out
    assert "z2cnn-seed0" not in out


def test_bad_shard_is_an_error(capsys: pytest.CaptureFixture) -> None:
    assert main(["study", "rotmnist", "--shard", "3/3", "--dry-run"]) == 2  # one line, exit 2
    assert "K/N" in capsys.readouterr().err
