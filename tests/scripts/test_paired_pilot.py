# SPDX-License-Identifier: MIT
"""scripts/paired_pilot.py: reads what rotation_consistency.py writes; paired differences."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest
import torch


def _record(tmp_path: Path, name: str, nr: float, r: float) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"test_error": nr, "test_r_error": r, "test_n": 5000}))
    return path


def test_rotation_record_round_trip(tmp_path: Path, script) -> None:
    gen = torch.Generator().manual_seed(3)
    labels = torch.randint(0, 10, (300,), generator=gen)
    preds = torch.where(torch.rand(8, 300, generator=gen) < 0.2, 9 - labels, labels)
    preds[:, :7] = (labels[:7] + 1) % 10  # wrong in every copy
    path = tmp_path / "rot.txt"
    path.write_text("\n".join(script("rotation_consistency").summary(preds, labels)) + "\n")
    wrong = preds != labels
    some = wrong.any(0) & ~wrong.all(0)
    got = script("paired_pilot").rotations(path)
    assert got["wrong in all copies"] == int(wrong.all(0).sum()) >= 7
    assert got["rotation-dependent"] == int(wrong[:, some].sum()) > 0
    assert got["error per copy (%)"] == pytest.approx(100 * wrong.double().mean().item(), abs=5e-3)


def test_paired_differences(tmp_path: Path, capsys: pytest.CaptureFixture[str], script) -> None:
    base = [(0.0446, 0.0504), (0.0458, 0.0454), (0.0430, 0.0456)]
    arm = [(0.0416, 0.0436), (0.0428, 0.0438), (0.0412, 0.0470)]
    args = ["--base", *(str(_record(tmp_path, f"b{i}", *v)) for i, v in enumerate(base))]
    args += ["--arm", *(str(_record(tmp_path, f"a{i}", *v)) for i, v in enumerate(arm))]
    assert script("paired_pilot").main(args) == 0
    rows = {line.split(" | ")[0][2:]: line for line in capsys.readouterr().out.splitlines()}
    d = [100 * (a[1] - b[1]) for a, b in zip(arm, base, strict=True)]
    mean, se = statistics.fmean(d), statistics.stdev(d) / math.sqrt(3)
    assert rows["R test (%)"] == (
        "| R test (%) | 5.04, 4.54, 4.56 | 4.36, 4.38, 4.70 | -0.68, -0.16, +0.14 | "
        f"{mean:+.2f} ± {se:.2f} |"
    )
    assert "NR test (%)" in rows


def test_bad_inputs_say_what(tmp_path: Path, script) -> None:
    mod = script("paired_pilot")
    ok = str(_record(tmp_path, "ok", 0.04, 0.05))
    with pytest.raises(SystemExit, match="--arm needs 2 files"):
        mod.main(["--base", ok, ok, "--arm", ok])
    bad = tmp_path / "bad.json"
    bad.write_text('{"test_error": 0.1}')
    with pytest.raises(SystemExit, match="test_r_error"):
        mod.main(["--base", str(bad), "--arm", ok])
    with pytest.raises(SystemExit, match="no line matching"):
        mod.rotations(bad)
    with pytest.raises(SystemExit, match="give --base-rot and --arm-rot together"):
        mod.main(["--base", ok, "--arm", ok, "--base-rot", str(bad)])
