# SPDX-License-Identifier: MIT
"""Paired comparison of two arms of a pilot, seed by seed: test errors from ``gconv evaluate
--json`` records and, where given, rotation records of ``scripts/rotation_consistency.py``.

Each arm lists one file per seed, in the same seed order (``--base`` the reference recipe,
``--arm`` the lever). Printed: per-seed values of both arms, the differences arm − base, and
their mean ± standard error (sample standard deviation / √n; n ≥ 2). Errors are in percent of
the test digits; ``rotation-dependent`` counts the wrong predictions of digits classified right
in other rotated copies.

    python scripts/paired_pilot.py \
        --base results/pilot-r2/r4-seed0-final-bn80.json results/pilot-r2/r4-seed1-final-bn80.json \
        --arm results/pilot-blur/blur-s0-final-bn80.json results/pilot-blur/blur-s1-final-bn80.json \
        --base-rot results/pilot-r2/r4-seed0-final-bn80-rotations-test.txt … \
        --arm-rot results/pilot-blur/blur-s0-final-bn80-rotations-test.txt …
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
from pathlib import Path

#: rotation-record lines read: (name, pattern with one number group)
_ROT = (
    ("error per copy (%)", r"mean error per copy: ([\d.]+) %"),
    ("wrong in all copies", r"wrong in all \d+ copies: (\d+) digits"),
    ("rotation-dependent", r"right in others: \d+ digits \([\d.]+ %\), (\d+) of"),
)


def errors(path: Path) -> dict[str, float]:
    """NR and R test errors (%) of a ``gconv evaluate --json`` record."""
    try:
        rec = json.loads(path.read_text())
        return {"NR test (%)": 100 * rec["test_error"], "R test (%)": 100 * rec["test_r_error"]}
    except (OSError, ValueError, KeyError) as e:
        raise SystemExit(f"paired_pilot: {path}: expected an evaluate record with test_error "
                         f"and test_r_error ({type(e).__name__}: {e})") from e  # fmt: skip


def rotations(path: Path) -> dict[str, float]:
    """The three counts of a rotation record (see :data:`_ROT`)."""
    try:
        text = path.read_text()
    except OSError as e:
        raise SystemExit(f"paired_pilot: cannot read {path}: {e}") from e
    out = {}
    for name, pattern in _ROT:
        m = re.search(pattern, text)
        if m is None:
            raise SystemExit(f"paired_pilot: {path}: no line matching {pattern!r}")
        out[name] = float(m.group(1))
    return out


def paired(base: list[dict[str, float]], arm: list[dict[str, float]]) -> list[str]:
    """Table rows: metric | base per seed | arm per seed | differences | mean ± s.e."""
    rows = []
    for key in base[0]:
        b, a = [r[key] for r in base], [r[key] for r in arm]
        d = [y - x for x, y in zip(b, a, strict=True)]
        se = statistics.stdev(d) / math.sqrt(len(d)) if len(d) > 1 else float("nan")
        f = ".2f" if "%" in key else ".0f"  # percentages, or counts of predictions

        def cells(vals: list[float], spec: str = f) -> str:
            return ", ".join(format(v, spec) for v in vals)

        rows.append(f"| {key} | {cells(b)} | {cells(a)} | {cells(d, '+' + f)} | "
                    f"{statistics.fmean(d):+.2f} ± {se:.2f} |")  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", nargs="+", type=Path, required=True, help="evaluate records")
    p.add_argument("--arm", nargs="+", type=Path, required=True, help="evaluate records")
    p.add_argument("--base-rot", nargs="*", type=Path, default=[], help="rotation records")
    p.add_argument("--arm-rot", nargs="*", type=Path, default=[], help="rotation records")
    args = p.parse_args(argv)
    n = len(args.base)
    for option, files, optional in (("--arm", args.arm, False), ("--base-rot", args.base_rot, True),
                                    ("--arm-rot", args.arm_rot, True)):  # fmt: skip
        if len(files) != n and not (optional and not files):
            raise SystemExit(f"paired_pilot: {option} needs {n} files "
                             f"(one per seed, as --base), got {len(files)}")  # fmt: skip
    base = [errors(f) for f in args.base]
    arm = [errors(f) for f in args.arm]
    if args.base_rot or args.arm_rot:
        if not (args.base_rot and args.arm_rot):
            raise SystemExit("paired_pilot: give --base-rot and --arm-rot together")
        for rows, files in ((base, args.base_rot), (arm, args.arm_rot)):
            for r, f in zip(rows, files, strict=True):
                r.update(rotations(f))
    print(f"{n} seeds, paired in the order given")
    print("| metric | base | arm | arm − base | mean ± s.e. |")
    print("|---|---|---|---|---|")
    print("\n".join(paired(base, arm)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
