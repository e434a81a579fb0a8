# SPDX-License-Identifier: MIT
"""A study's markdown report (``gconv.experiments._report``): the table's columns."""

from __future__ import annotations

from gconv.experiments._report import render_report
from gconv.experiments._spec import get_study


def test_report_shows_each_seeds_best_epoch_counted_from_one() -> None:
    base = {"model": "p4cnn", "epochs": "10", "augment": "none", "test_error": "0.02"}
    rows = [dict(base, seed=str(s), best_epoch=e) for s, e in ((0, "9"), (1, "5"), (2, "-1"))]
    md = render_report(get_study("rotmnist"), rows)
    head = next(line for line in md.splitlines() if line.startswith("| model |"))
    row = next(line for line in md.splitlines() if line.startswith("| p4cnn |"))
    col = head.split(" | ").index("best epoch")
    assert row.split(" | ")[col] == "10, 6, —"  # 0-based 9 and 5; -1 (none recorded) is "—"
    assert "Best epoch: per seed" in md
