# SPDX-License-Identifier: MIT
"""Projected hours of the steerable arms of ``gconv study rotmnist``, from one training step of
each model measured in CPU seconds (one thread) side by side in one process; and the share of
the basis expansion in a training step.

Arms, interleaved within every repeat (the order rotates, so load changes hit every arm alike):
per model a training step (forward + cross-entropy + backward + Adam on a fixed random
``(batch, 1, 28, 28)`` batch: ``_timing.train_step``), inference of the same batch, and for the
steerable models the basis expansion (every steerable layer's ``expanded_weight()`` and its
backward, as in one training step); plus the per-digit rotation of a batch ("sample-angle").
Each call is timed twice: wall clock and the process's CPU time (``time.process_time``; with
one torch thread that is the work itself, whatever else the machine runs). Medians.

Projection per run of a budget (epochs E and batch b from the registered study's plan):
E × (⌈10,000/b⌉ × (step + rotation) + 2,000/b × inference) + 50,000/b × inference, in CPU
seconds; "wall here" multiplies by this process's measured wall/CPU ratio (the contention at
the printed load). Lightning's own overhead per step is not in it: the P4CNN line compares the
same estimate with P4CNN's measured study wall-clock per epoch (``results/rotmnist.csv``).

    python benchmarks/steerable_plan.py [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from _timing import add_record_args, recorded, train_step
from gconv.experiments import get_augmentation, get_study, plan
from gconv.models import get_model

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("p4cnn", "c8cnn", "c16cnn", "d16c16cnn")
TRAIN, VALID, TEST = 10_000, 2_000, 50_000


def inference(model: nn.Module, batch: int) -> Callable[[], None]:
    x = torch.randn(batch, 1, 28, 28, generator=torch.Generator().manual_seed(1))

    def run() -> None:
        model.eval()
        with torch.inference_mode():
            model(x)
        model.train()

    return run


def expansion(model: nn.Module) -> Callable[[], None] | None:
    convs = [m for m in model.modules() if getattr(m, "basis", None) == "steerable"]
    if not convs:
        return None

    def run() -> None:
        sum(m.expanded_weight()[0].sum() for m in convs).backward()

    return run


def rotation(batch: int) -> Callable[[], None]:
    aug = get_augmentation("sample-angle", "image")
    x = torch.randn(batch, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    g = torch.Generator().manual_seed(3)
    return lambda: aug(x, g)


def timed(arms: dict[str, Callable[[], None]], repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall s, CPU s) per call of each arm; one warm-up call each; the arms' order
    rotates by one every repeat."""
    names = list(arms)
    for name in names:
        arms[name]()
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            w0, c0 = time.perf_counter(), time.process_time()
            arms[name]()
            cpu[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - w0)
    return {n: (statistics.median(wall[n]), statistics.median(cpu[n])) for n in names}


def p4cnn_epoch_seconds() -> float | None:
    """Mean wall-clock per epoch of P4CNN's runs in ``results/rotmnist.csv`` (batch 128)."""
    path = ROOT / "results" / "rotmnist.csv"
    rows = (
        [r for r in csv.DictReader(path.open()) if r["model"] == "p4cnn"] if path.is_file() else []
    )
    return statistics.mean(float(r["wall_s"]) / int(r["epochs"]) for r in rows) if rows else None


def run_seconds(epochs: int, batch: int, step: float, rot: float, infer: float) -> float:
    """CPU seconds of one run (see the module docstring); ``infer`` is per ``batch`` digits."""
    per_epoch = math.ceil(TRAIN / batch) * (step + rot) + VALID / batch * infer
    return epochs * per_epoch + TEST / batch * infer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    add_record_args(ap)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    spec = get_study("rotmnist")
    # the budgets over the whole data set (smoke keeps 256 digits and width-2 models: minutes)
    budgets = {
        name: {r.model: r for r in plan(spec, [0], b.epochs_scale, budget=b)}
        for name, b in spec.budgets.items()
        if b.limit_train is None and b.limit_test is None and not b.model_kwargs
    }
    batches = {
        m: sorted({runs[m].batch_size for runs in budgets.values() if m in runs}) for m in MODELS
    }
    torch.manual_seed(0)
    models = {name: get_model(name) for name in MODELS}
    arms: dict[str, Callable[[], None]] = {}
    for b in sorted({b for bs in batches.values() for b in bs}):
        arms[f"rotation b{b}"] = rotation(b)
    for name, model in models.items():
        for b in batches[name]:
            arms[f"{name} step b{b}"] = train_step(model, (1, 28, 28), b)
            arms[f"{name} infer b{b}"] = inference(model, b)
    for name, model in models.items():
        if (fn := expansion(model)) is not None:
            arms[f"{name} expand"] = fn
    with recorded("steerable-plan", args):
        res = timed(arms, args.repeats)
        print(f"# benchmarks/steerable_plan.py {' '.join(sys.argv[1:])}")
        print(f"one process, {args.threads} torch thread(s), {args.repeats} repeats, medians\n")
        print(f"{'arm':<22} {'wall (s)':>9} {'CPU (s)':>9} {'wall/CPU':>9}")
        for name, (w, c) in sorted(res.items()):
            print(f"{name:<22} {w:>9.4f} {c:>9.4f} {w / c:>9.2f}")
        steps = [n for n in res if " step " in n]
        contention = statistics.median(res[n][0] / res[n][1] for n in steps)
        print(f"\ncontention (median wall/CPU of the training steps): {contention:.2f}")
        print("\nbasis expansion (forward + backward) against a training step, CPU time:")
        for name in models:
            if f"{name} expand" in res:
                b0 = batches[name][0]
                share = res[f"{name} expand"][1] / res[f"{name} step b{b0}"][1]
                print(f"  {name:<10} batch {b0}: {100 * share:.2f} %")
        projection(budgets, res, contention, models)


def projection(budgets: dict, res: dict, contention: float, models: dict) -> None:
    """Hours per run and per budget (3 seeds) of every arm the budgets plan."""
    print("\nprojection (10,000 train, 2,000 valid, 50,000 test digits; 1 thread):")
    print(f"{'budget':<7} {'model':<10} {'params':>7} {'epochs':>6} {'batch':>5} "
          f"{'CPU h/run':>9} {'wall h/run here':>15} {'3 seeds wall h':>14}")  # fmt: skip
    for budget, runs in budgets.items():
        total = 0.0
        for name, run in runs.items():
            if name not in models or name == "p4cnn":  # p4cnn: the check below
                continue
            b = run.batch_size
            cpu_s = run_seconds(
                run.epochs, b, res[f"{name} step b{b}"][1], res[f"rotation b{b}"][1],
                res[f"{name} infer b{b}"][1],
            )  # fmt: skip
            params = sum(p.numel() for p in models[name].parameters())
            wall_h = cpu_s * contention / 3600
            total += 3 * wall_h
            print(f"{budget:<7} {name:<10} {params:>7} {run.epochs:>6} {b:>5} "
                  f"{cpu_s / 3600:>9.2f} {wall_h:>15.2f} {3 * wall_h:>14.2f}")  # fmt: skip
        print(f"{budget:<7} total of the arms above, 3 seeds: {total:.1f} h wall here")
    per_epoch = p4cnn_epoch_seconds()
    if per_epoch is not None and "p4cnn step b128" in res:
        arms = ("p4cnn step", "rotation", "p4cnn infer")
        est = [
            run_seconds(1, 128, *(res[f"{a} b128"][i] for a in arms))
            - TEST / 128 * res["p4cnn infer b128"][i]
            for i in (0, 1)
        ]
        print(
            f"\ncheck: P4CNN's study ran {per_epoch:.1f} s wall per epoch (results/rotmnist.csv, "
            f"batch 128); estimated here: {est[1]:.1f} CPU s, {est[0]:.1f} s wall at this load"
        )


if __name__ == "__main__":
    main()
