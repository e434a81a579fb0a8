# SPDX-License-Identifier: MIT
"""The speed table of the spherical studies (issue 15), from :func:`gconv.benchmark.bench_model`.

For every model of ``spherical-cls`` and ``spherical-seg`` at the bandwidth its runs use in the
chosen budget (default ``cpu``): latency (forward at batch 1, eval, inference mode), throughput
at batch 32 (images/s), a training step at batch 32 (forward, loss, backward, Adam), the three
interleaved; then the training time of one epoch of that budget (steps × step time, without
validation or data generation) and, where the study's CSV has runs, the time to the reported
metric (mean over seeds of (best epoch + 1) × epoch time), for the runs trained NR and those
trained with every sample rotated. Times are medians of wall-clock
seconds on this machine; the record prints the load.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/spherical_speed.py --threads 1
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
from pathlib import Path

import torch

from _timing import add_record_args, recorded
from gconv.benchmark import bench_model
from gconv.experiments import get_study, plan
from gconv.models import model_spec

STUDIES = ("spherical-cls", "spherical-seg")
#: the training arms whose time to the reported metric is shown: NR-trained, 100 % rotated
ARMS = ("none", "rotate-100")


def cases(budget: str) -> list[tuple[str, str, int, int]]:
    """(study, model, bandwidth, training samples per epoch) of every model, once (studies
    without this budget are left out; none having it is an error)."""
    out, seen = [], set()
    specs = [get_study(s) for s in STUDIES]
    if not any(budget in spec.budgets for spec in specs):
        specs[0].budget(budget)  # raises: names the budgets there are
    for spec in specs:
        if budget not in spec.budgets:
            continue
        study, bud = spec.name, spec.budget(budget)
        for run in plan(spec, None, bud.epochs_scale, bud.limit_train, bud.limit_test, None, bud):
            b = dict(run.data_kwargs).get("bandwidth", 30)
            if (run.model, b) not in seen and run.augment in ("none", "rotate-100"):
                seen.add((run.model, b))
                out.append((study, run.model, b, run.limit_train or 55_000))
    return out


def best_epochs(results: Path, study: str, model: str, augment: str = "none") -> float:
    """Mean (best epoch + 1) over the study CSV's runs of ``model`` with ``augment``."""
    path = results / f"{study}.csv"
    if not path.is_file():
        return math.nan
    with path.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["model"] == model and r["augment"] == augment]
    vals = [int(r["best_epoch"]) + 1 for r in rows if r.get("best_epoch", "").isdigit()]
    return statistics.fmean(vals) if vals else math.nan


def _minutes(m: float) -> str:
    return "—" if math.isnan(m) else f"{m:.1f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--budget", default="cpu")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--models", nargs="*", help="only these models")
    p.add_argument("--results", type=Path, default=Path("results"))
    add_record_args(p)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    with recorded("spherical_speed", args):
        print(f"budget {args.budget}; {args.threads} torch threads; medians of {args.reps} "
              "interleaved repeats, wall-clock; epoch = training steps only (batch 32)")  # fmt: skip
        head = ("| model | b | params | latency b=1 (ms) | throughput b=32 (img/s) | "
                "train step b=32 (s) | epoch (min) | to reported metric, NR-trained (min) | "
                "to reported metric, 100 % rotated (min) |")  # fmt: skip
        print(head + "\n|---|---|---|---|---|---|---|---|---|")
        for study, model, b, n in cases(args.budget):
            if args.models and model not in args.models:
                continue
            if model_spec(model).input_kind == "ico":  # vertex data of its registered IcoGrid
                r = bench_model(model, 32, reps=args.reps, warmup=1, memory=False)
                b = f"r = {model_spec(model).defaults.get('r', 4)}"
            else:
                r = bench_model(model, 32, reps=args.reps, warmup=1, memory=False, bandwidth=b,
                                input_shape=(1, 2 * b, 2 * b))  # fmt: skip
            step = statistics.median(r.train)
            epoch = math.ceil(n / 32) * step / 60
            shown = [_minutes(best_epochs(args.results, study, model, a) * epoch) for a in ARMS]
            print(f"| {model} | {b} | {r.parameters:,} | {statistics.median(r.latency) * 1e3:.1f} "
                  f"| {r.throughput:.0f} | {step:.3f} | {epoch:.1f} | {' | '.join(shown)} |",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
