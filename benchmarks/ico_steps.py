# SPDX-License-Identifier: MIT
"""Training-step and evaluation times of the icosahedral models (issue 16) and the hours they
project for the spherical studies' protocol.

For each case (registered model, resolution r, batch B; optionally a width w that scales the
model's ``channels`` argument, ``MODEL:R:W``, and builder arguments, ``MODEL:R:W:KEY=VALUE,…``)
on random inputs ``(B, 1, 10·4^r + 2)`` (``precision=bf16-mixed`` among a case's arguments:
forward and loss under ``torch.autocast`` in bfloat16, as ``gconv train --precision bf16-mixed``;
``accumulate=K``: forward and backward on K parts of the batch, one Adam step, as ``gconv train
--optim accumulate=K`` at batch B/K):
a training step (zero_grad, forward, cross-entropy against fixed random labels — per vertex for
segmentation —, backward, Adam step, lr 1e-3) and an evaluation forward (eval mode, no grad),
the two interleaved (:func:`gconv.benchmark.time_interleaved`) after one warm-up call each,
``--reps`` times. Reported: wall time (median, fastest) and the process's CPU time (median;
with one thread, what a free core would take: what a shared machine can still measure).

``--plan RAW`` reads the ``json:`` line of a raw record and prints the projected core-hours of
the protocol (trained NR, tested NR and R, 3 seeds) at a budget of the registered spherical
study that has the model as an arm (``--budget``, default ``cpu``): ``epochs × ⌈train / B⌉``
steps plus ``epochs × ⌈val / B⌉ + 2 × ⌈test / B⌉`` evaluation batches at the budget's batch
size B, each step's time scaled from the record's batch by B / batch (see :func:`protocol`).
Data generation, loading and checkpoints are not counted.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/ico_steps.py --threads 1
    PYTHONPATH=src python benchmarks/ico_steps.py --threads 2 --batch 256 --cases ico-cnn:4
    PYTHONPATH=src python benchmarks/ico_steps.py --threads 2 --batch 256 --cases ico-cnn:4 ico-cnn:4:2
    PYTHONPATH=src python benchmarks/ico_steps.py --threads 1 --cases ico-cnn:4 ico-cnn:4:1:downsample=blur
    PYTHONPATH=src python benchmarks/ico_steps.py --threads 2 --cases ico-cnn:4 ico-cnn:4:1:precision=bf16-mixed
    PYTHONPATH=src python benchmarks/ico_steps.py --threads 2 --batch 256 --cases ico-cnn:4:1:precision=bf16-mixed ico-cnn:4:1:precision=bf16-mixed,accumulate=8
    PYTHONPATH=src python benchmarks/ico_steps.py --plan results/bench/ico_steps-<…>.txt
    PYTHONPATH=src python benchmarks/ico_steps.py --plan results/bench/ico_steps-<…>.txt --budget cpu-10k
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import statistics
from collections.abc import Callable

import torch
from torch import nn

from _timing import (
    AUTOCAST,
    add_record_args,
    builder_args,
    cpu_timed,
    interleaved,
    recorded,
    step_and_eval,
)
from gconv.data.spherical import SPHERICAL_SPLITS as SPLITS
from gconv.experiments import get_study
from gconv.experiments import plan as study_plan  # beside ico_steps.plan
from gconv.models import get_model, model_spec

#: (model, r) cases timed by default
CASES = (("ico-cnn", 4), ("ico-cnn-seg", 4), ("ico-cnn-seg", 3))
SEEDS = 3


def _arms(
    model: nn.Module,
    r: int,
    batch: int,
    seg: bool,
    precision: str = "32-true",
    accumulate: int = 1,
) -> dict[str, Callable[[], None]]:
    gen = torch.Generator().manual_seed(0)
    v = 10 * 4**r + 2
    x = torch.randn(batch, 1, v, generator=gen)
    y = torch.randint(0, 11 if seg else 10, (batch, v) if seg else (batch,), generator=gen)
    if precision not in AUTOCAST:
        raise SystemExit(f"--cases: precision must be one of {list(AUTOCAST)}, got {precision!r}")
    return step_and_eval(model, x, y, AUTOCAST[precision], accumulate)


def _channels(name: str, width: float) -> dict:
    """The registered model's default ``channels`` scaled by ``width`` (rounded, at least 1);
    {} at width 1."""
    if width == 1:
        return {}
    base = (model_spec(name).arguments() or {}).get("channels")
    if base is None or base is inspect.Parameter.empty:
        raise SystemExit(f"--cases: a width needs a model with a channels argument, got {name!r}")
    return {"channels": tuple(max(1, round(c * width)) for c in base)}


def measure(
    name: str, r: int, batch: int, reps: int, width: float = 1.0, kwargs: dict | None = None
) -> dict:
    torch.manual_seed(0)
    build = dict(kwargs or {})
    precision = str(build.pop("precision", "32-true"))  # the step's, not the builder's
    accumulate = int(build.pop("accumulate", 1))  # likewise
    model = get_model(name, r=r, **_channels(name, width), **build)
    cpu: dict[str, list[float]] = {"train": [], "eval": []}

    steps = _arms(model, r, batch, "seg" in name, precision, accumulate)
    arms = {k: cpu_timed(fn, cpu[k]) for k, fn in steps.items()}
    load0 = os.getloadavg()[0]
    times = interleaved(arms, reps, warmup=1)
    cpu = {k: v[1:] for k, v in cpu.items()}  # drop the warm-up call
    return {
        "model": name, "r": r, "width": width, "kwargs": kwargs or {}, "batch": batch, "reps": reps,
        "params": sum(p.numel() for p in model.parameters()),
        "train_median": statistics.median(times["train"]), "train_min": times["train"][0],
        "eval_median": statistics.median(times["eval"]), "eval_min": times["eval"][0],
        "train_cpu": statistics.median(cpu["train"]), "eval_cpu": statistics.median(cpu["eval"]),
        "load": (load0, os.getloadavg()[0]),
    }  # fmt: skip


def protocol(model: str, budget: str) -> dict:
    """Samples, epochs and batch size of ``model``'s first run at ``budget`` in the spherical
    study that has it as an arm (as ``gconv study`` plans it); a clear error otherwise."""
    for study in ("spherical-cls", "spherical-seg"):
        spec = get_study(study)
        if model not in spec.models:
            continue
        if budget not in spec.budgets:
            raise SystemExit(f"--budget: {study} has {list(spec.budgets)}, got {budget!r}")
        b = spec.budgets[budget]
        runs = study_plan(spec, None, b.epochs_scale, b.limit_train, b.limit_test, [model], b)
        if not runs:
            raise SystemExit(f"--plan: budget {budget!r} of {study} has no run of {model!r}")
        run, data = runs[0], dict(runs[0].data_kwargs)
        train = run.limit_train or SPLITS["train"]
        return {"study": study, "train": train, "val": data.get("limit_val") or SPLITS["valid"],
                "test": run.limit_test or SPLITS["test"], "epochs": run.epochs,
                "batch": run.batch_size}  # fmt: skip
    raise SystemExit(f"--plan: no spherical study has the model {model!r} as an arm")


def plan(raw: str, cores: int, budget: str = "cpu") -> str:
    """Markdown table of the projected core-hours per model and r from a raw record."""
    line = next(x for x in open(raw, encoding="utf-8") if x.startswith("json: "))
    rows = json.loads(line[6:])
    out = [f"budget {budget}; every figure scaled from the record's batch to the budget's",
           "| study | model | r | width | batch | train × epochs | steps | eval batches | core-hours / seed "
           f"| × {SEEDS} seeds | hours on {cores} free cores |", "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in rows:
        cfg = protocol(row["model"], budget)
        bs = cfg["batch"]
        scale = bs / row["batch"]
        steps = cfg["epochs"] * math.ceil(cfg["train"] / bs)
        evals = cfg["epochs"] * math.ceil(cfg["val"] / bs) + 2 * math.ceil(cfg["test"] / bs)
        sec = steps * row["train_cpu"] * scale + evals * row["eval_cpu"] * scale
        out.append(f"| {cfg['study']} | {row['model']} | {row['r']} | {row.get('width', 1):g} | {bs} | {cfg['train']:,} × "
                   f"{cfg['epochs']} | {steps:,} | {evals:,} | {sec / 3600:.2f} | "
                   f"{SEEDS * sec / 3600:.2f} | {SEEDS * sec / 3600 / cores:.2f} |")  # fmt: skip
    return "\n".join(out)


def _kwargs(text: str, case: str) -> dict:
    """``KEY=VALUE,…`` as builder arguments (:func:`_timing.builder_args`)."""
    return builder_args(list(filter(None, text.split(","))), f"--cases {case!r}")


def _cases(given: list[str] | None) -> list[tuple[str, int, float, dict]]:
    """``MODEL:R``, ``MODEL:R:W`` or ``MODEL:R:W:KEY=VALUE,…`` strings as (model, r, width,
    builder arguments); CASES where none are given."""
    if not given:
        return [(name, r, 1.0, {}) for name, r in CASES]
    out = []
    for case in given:
        name, _, rest = case.partition(":")
        r, _, rest = rest.partition(":")
        w, _, extra = rest.partition(":")
        try:
            width = float(w) if w else 1.0
        except ValueError:
            width = 0.0
        if not r.isdigit() or not width > 0:
            raise SystemExit(
                f"--cases: expected MODEL:R or MODEL:R:W such as ico-cnn:4 or ico-cnn:4:1.5, got {case!r}"
            )
        out.append((name, int(r), width, _kwargs(extra, case)))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument(
        "--cases",
        nargs="*",
        metavar="MODEL:R",
        help="only these (model, r[, width]) cases, e.g. ico-cnn:4 ico-cnn:4:2 (default: CASES)",
    )
    p.add_argument("--plan", metavar="RAW", help="print the projected hours from a raw record")
    p.add_argument("--cores", type=int, default=2, help="free cores assumed by --plan")
    p.add_argument("--budget", default="cpu", help="the study budget --plan projects (cpu)")
    add_record_args(p)
    args = p.parse_args()
    if args.plan:
        print(plan(args.plan, args.cores, args.budget))
        return
    torch.set_num_threads(args.threads)
    with recorded("ico_steps", args):
        print(f"batch {args.batch}; Adam lr 1e-3; {args.threads} thread(s); {args.reps} interleaved "
              "repeats; wall: median and fastest s per call; cpu: median CPU s of this process")  # fmt: skip
        print(f"{'model':<12} {'r':>2} {'width':>5} {'params':>9}  {'train wall':>10} {'fastest':>8} "
              f"{'cpu':>8}  {'eval wall':>9} {'cpu':>8}  load 1-min")  # fmt: skip
        rows = []
        for name, r, width, kwargs in _cases(args.cases):
            row = measure(name, r, args.batch, args.reps, width, kwargs)
            rows.append(row)
            extra = " ".join(f"{k}={v}" for k, v in kwargs.items())
            print(f"{name:<12} {r:>2} {width:>5g} {row['params']:>9,}  {row['train_median']:10.4f} "
                  f"{row['train_min']:8.4f} {row['train_cpu']:8.4f}  {row['eval_median']:9.4f} "
                  f"{row['eval_cpu']:8.4f}  {row['load'][0]:.1f} → {row['load'][1]:.1f}  {extra}", flush=True)  # fmt: skip
        print("json: " + json.dumps(rows))


if __name__ == "__main__":
    main()
