# SPDX-License-Identifier: MIT
"""A run's per-epoch validation metrics as a CSV on stdout, from the Lightning logs of its run
folder (``<run>/logs/version_*/metrics.csv``; a run resumed in several sessions has several
versions, read in order, a later value of an epoch replacing an earlier one). Run folders are
git-ignored; this is how a curve quoted in prose becomes a committed record.

    python scripts/val_curve.py results/full/runs/spherical-cls/s2cnn-seed0-e20-none-b30-lr0.005 \
        --metrics val_error > results/full/s2cnn-seed0-val-curve.csv
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path


def _versions(run: Path) -> list[Path]:
    files = list((run / "logs").glob("version_*/metrics.csv"))
    if not files:
        raise SystemExit(f"val_curve: no logs/version_*/metrics.csv under {run}")
    return sorted(files, key=lambda p: int(p.parent.name.split("_")[1]))


def curve(runs: list[Path], metrics: list[str]) -> dict[int, dict[str, str]]:
    """Epoch → {metric: value} over the runs' logs in the given order (later replaces earlier)."""
    out: dict[int, dict[str, str]] = {}
    for run in runs:
        for path in _versions(run):
            with path.open(newline="") as f:
                for row in csv.DictReader(f):
                    vals = {m: row[m] for m in metrics if row.get(m)}
                    if vals and row.get("epoch"):
                        out.setdefault(int(row["epoch"]), {}).update(vals)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="run folders, oldest first")
    p.add_argument("--metrics", nargs="+", default=["val_error"], help="metrics.csv columns")
    args = p.parse_args(argv)
    rows = curve(args.runs, args.metrics)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["epoch", *args.metrics])
    for epoch in sorted(rows):
        w.writerow([epoch, *(rows[epoch].get(m, "") for m in args.metrics)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
