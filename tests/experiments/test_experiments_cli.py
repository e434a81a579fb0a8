# SPDX-License-Identifier: MIT
"""`gconv train|evaluate|study|demo --help`, the study's dry run and its --report."""

from __future__ import annotations

from pathlib import Path

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


def test_study_report_rewrites_a_committed_report(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """``--report`` writes the report from the CSV alone; the committed seg-10k report is such a
    rendering, so the two must agree (this fails when a report format change was not re-run)."""
    results = Path(__file__).resolve().parents[2] / "results" / "seg-10k"
    (tmp_path / "spherical-seg.csv").write_bytes((results / "spherical-seg.csv").read_bytes())
    assert main(["study", "spherical-seg", "--report", "--out", str(tmp_path)]) == 0
    md = (tmp_path / "spherical-seg.md").read_text(encoding="utf-8")
    assert md == (results / "spherical-seg.md").read_text(encoding="utf-8")
    assert "the claim **holds**" in md and (tmp_path / "spherical-seg-nr-r.png").stat().st_size
    assert "report: " in capsys.readouterr().out


def test_study_report_needs_the_csv(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["study", "rotmnist", "--report", "--out", str(tmp_path)]) == 2
    assert "no study CSV" in capsys.readouterr().err
    (tmp_path / "rotmnist.shard-0-of-2.csv").write_text("model,seed\n")
    assert main(["study", "rotmnist", "--report", "--out", str(tmp_path)]) == 2
    assert "join them with --merge" in capsys.readouterr().err
    assert main(["study", "rotmnist", "--report", "--merge", "--out", str(tmp_path)]) == 2
    assert "not both" in capsys.readouterr().err
