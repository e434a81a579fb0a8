"""Pilot 7's table from its readouts: python results/pilot-ls/table.py [seeds...] (default 0 1 2 3).

Each ``<arm>-s<seed>-bn80.json`` is ``gconv evaluate``'s record of that run's last checkpoint
(statistics recomputed over 80 training batches; 5,000 NR and 5,000 R test digits)."""

import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
seeds = [int(s) for s in sys.argv[1:]] or [0, 1, 2, 3]
err = {}
for arm in ("plain", "ls"):
    for s in seeds:
        rec = json.loads((HERE / f"{arm}-s{s}-bn80.json").read_text())
        err[arm, s] = {"NR": 100 * rec["test_error"], "R": 100 * rec["test_r_error"]}
head = " | ".join(f"seed {s}" for s in seeds)
print(f"| test | arm | {head} | mean | sd |")
print("|---|---|" + "---|" * (len(seeds) + 2))
for test in ("R", "NR"):
    rows = {a: [err[a, s][test] for s in seeds] for a in ("plain", "ls")}
    rows["ls − plain"] = [b - a for a, b in zip(rows["plain"], rows["ls"], strict=True)]
    for arm, v in rows.items():
        fmt = "+.2f" if arm == "ls − plain" else ".2f"  # differences carry their sign
        sd = statistics.stdev(v) if len(v) > 1 else float("nan")
        cells = " | ".join(f"{x:{fmt}}" for x in v)
        print(f"| {test} | {arm} | {cells} | {statistics.mean(v):{fmt}} | {sd:.2f} |")
