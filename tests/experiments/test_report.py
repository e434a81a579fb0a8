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


def test_a_precision_column_appears_only_where_a_run_names_one() -> None:
    """Rows of a budget with ``precision`` get a column saying it (float32 for empty cells);
    CSVs without the column render as before, without it."""
    base = {"model": "p4cnn", "epochs": "10", "augment": "none", "test_error": "0.02"}
    plain = [dict(base, seed=str(s)) for s in (0, 1)]
    assert "precision" not in render_report(get_study("rotmnist"), plain)
    mixed = [dict(r, precision="bf16-mixed") for r in plain]
    md = render_report(get_study("rotmnist"), mixed)
    head = next(line for line in md.splitlines() if line.startswith("| model |"))
    row = next(line for line in md.splitlines() if line.startswith("| p4cnn |"))
    col = head.split(" | ").index("precision |")
    assert row.split(" | ")[col] == "bf16-mixed |"
