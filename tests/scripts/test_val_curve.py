# SPDX-License-Identifier: MIT
"""scripts/val_curve.py: versions read in numeric order, later values replace earlier ones."""

from __future__ import annotations

import random
from pathlib import Path

import pytest


def _write(run: Path, version: int, rows: list[tuple[int, float]]) -> None:
    d = run / "logs" / f"version_{version}"
    d.mkdir(parents=True)
    lines = ["epoch,step,train_loss_step,val_error"]
    for epoch, v in rows:
        lines += [f"{epoch},{10 * epoch},0.5,", f"{epoch},{10 * epoch + 9},,{v!r}"]
    (d / "metrics.csv").write_text("\n".join(lines) + "\n")


def test_resumed_run_curve(tmp_path: Path, capsys: pytest.CaptureFixture[str], script) -> None:
    rng = random.Random(0)
    vals = [rng.random() for _ in range(12)]
    run = tmp_path / "run"
    _write(run, 2, [(e, vals[e]) for e in range(0, 4)])
    _write(run, 10, [(e, vals[e]) for e in range(3, 12)])  # resumed: epoch 3 logged again
    _write(run, 0, [(e, -1.0) for e in range(0, 6)])  # oldest: replaced by versions 2 and 10
    assert script("val_curve").main([str(run)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "epoch,val_error"
    assert lines[1:] == [f"{e},{vals[e]!r}" for e in range(12)]


def test_missing_logs_say_where(tmp_path: Path, script) -> None:
    with pytest.raises(SystemExit, match="no logs/version_"):
        script("val_curve").main([str(tmp_path)])
