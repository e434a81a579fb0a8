# SPDX-License-Identifier: MIT
"""Training-step and evaluation times of every model of the spherical study (issue 15).

For each case (model, bandwidth b, batch B) on random inputs ``(B, 1, 2b, 2b)``: a training step
(zero_grad, forward, cross-entropy against fixed random labels — per pixel for segmentation —,
backward, Adam step, lr 1e-3) and an evaluation forward (eval mode, no grad), the two arms
interleaved (:func:`gconv.benchmark.time_interleaved`) after one warm-up call each. Repeats are
chosen per case from a first timed step so that each case takes about ``--seconds``.

Models: the planar baselines of :mod:`gconv.models.spherical_cnn`, and the S2CNNs built here
from ``gconv.nn`` — ``s2cnn`` (S2Conv 1→20 b30→10, ReLU, SO3Conv 20→40 b10→6, ReLU,
so3_integrate, Linear 40→10), ``s2cnn-72`` (the same with the 72-point SO(3) grid,
``n_gamma=3``), ``s2cnn-deep`` (s2cnn's ``S2ConvNet_deep`` layout, ../shared/REFERENCES.md §2c)
and ``s2cnn-seg`` (Gerken et al.'s 204k net, §2d, but with today's ``SO3ToS2Conv``, whose kernel
lives on S²: 183,745 parameters instead of 204,073). Where the model registry already offers a
name (``gconv.models.get_model``), the registered model is timed instead; the table says which.
At ``b`` other than the paper's, S2CNN bandwidths are scaled by ``b / b_paper`` (rounded) and
CNN layouts are unchanged (their counts do not depend on the input size).

The s2cnn-seg step at b = 50 is measured at a small batch (memory; ``--seg-batch``) and the
table also gives ``× 32 / B``: an extrapolation, marked as such.

Reported: wall time (median, fastest) and the CPU time of the process (median); with one
thread the latter is what a free core would take, which is what a shared machine can still
measure. ``--plan RAW`` reads the ``json:`` line of a raw record and prints, for the budgets
``paper`` and ``cpu`` of :data:`BUDGETS`, the projected core-hours of every run of
:data:`RUNS` (3 seeds) — the tables of results/spherical-study-plan.md.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/spherical_study_steps.py --threads 1
    PYTHONPATH=src python benchmarks/spherical_study_steps.py --plan results/bench/<record>.txt
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
from collections.abc import Callable, Sequence

import torch
from torch import nn

from _timing import add_record_args, cpu_timed, interleaved, recorded, step_and_eval
from gconv.models.spherical_cnn import specs as cnn_specs

CLASSIFICATION_B, SEGMENTATION_B = 30, 50


# --------------------------------------------------------------------------- S2CNNs


def _spherical():
    """gconv.nn's spherical layers, or None where this tree has none."""
    try:
        from gconv import nn as gnn

        return gnn if hasattr(gnn, "S2Conv") and hasattr(gnn, "SO3Conv") else None
    except ImportError:
        return None


class _Integrate(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from gconv.nn import so3_integrate

        return so3_integrate(x)


def _scale(b: int, b_paper: int, values: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(max(1, round(v * b / b_paper)) for v in values)


def s2cnn(b: int = 30, n_gamma: int | None = None) -> nn.Module:
    g = _spherical()
    b1, b2 = _scale(b, 30, (10, 6))
    grid = g.so3_near_identity_grid(n_gamma=n_gamma) if n_gamma else None
    return nn.Sequential(
        g.S2Conv(1, 20, b, b1), nn.ReLU(), g.SO3Conv(20, 40, b1, b2, grid=grid), nn.ReLU(),
        _Integrate(), nn.Linear(40, 10),
    )  # fmt: skip


def s2cnn_deep(b: int = 30) -> nn.Module:
    g = _spherical()
    bs = _scale(b, 30, (30, 15, 7, 3))
    beta = (math.pi / 16, math.pi / 8, math.pi / 4, math.pi / 2)
    grids = [g.so3_near_identity_grid(n_alpha=6, max_beta=mb, n_beta=1, n_gamma=6) for mb in beta]
    layers: list[nn.Module] = [
        g.S2Conv(1, 8, b, bs[0], grid=g.s2_near_identity_grid(n_alpha=6, max_beta=beta[0], n_beta=1)),
        nn.ReLU(),
    ]  # fmt: skip
    plan = [(8, 16, 0, 1, 0), (16, 16, 1, 1, 1), (16, 24, 1, 2, 1), (24, 24, 2, 2, 2),
            (24, 32, 2, 3, 2), (32, 64, 3, 3, 3)]  # fmt: skip
    for c_in, c_out, i, o, k in plan:
        layers += [g.SO3Conv(c_in, c_out, bs[i], bs[o], grid=grids[k]), nn.ReLU()]
    head = [nn.BatchNorm1d(64), nn.Linear(64, 64), nn.ReLU(), nn.BatchNorm1d(64),
            nn.Linear(64, 32), nn.ReLU(), nn.BatchNorm1d(32), nn.Linear(32, 10)]  # fmt: skip
    return nn.Sequential(*layers, _Integrate(), *head)


def s2cnn_seg(b: int = 50) -> nn.Module:
    g = _spherical()
    chans = (11, 12, 13, 14, 13, 12, 11)
    bands = _scale(b, 50, (42, 35, 27, 20, 27, 35, 42))
    beta = [math.pi * v for v in (0.1238, 0.1474, 0.1768, 0.2292, 0.3095, 0.2292, 0.1768, 0.1474)]
    layers: list[nn.Module] = [
        g.S2Conv(1, chans[0], b, bands[0], grid=g.s2_near_identity_grid(max_beta=beta[0])),
        nn.ReLU(),
    ]
    for i in range(len(chans) - 1):
        grid = g.so3_near_identity_grid(max_beta=beta[i + 1])
        layers += [g.SO3Conv(chans[i], chans[i + 1], bands[i], bands[i + 1], grid=grid), nn.ReLU()]
    out_grid = g.s2_near_identity_grid(max_beta=beta[-1])  # today's SO3ToS2Conv: S² kernel
    layers.append(g.SO3ToS2Conv(chans[-1], 11, bands[-1], b, grid=out_grid))
    return nn.Sequential(*layers)


LOCAL: dict[str, Callable[[int], nn.Module]] = {
    "s2cnn": s2cnn,
    "s2cnn-72": lambda b: s2cnn(b, n_gamma=3),
    "s2cnn-deep": s2cnn_deep,
    "s2cnn-seg": s2cnn_seg,
}
SEGMENTATION = {"s2cnn-seg"} | {s["name"] for s in cnn_specs() if s["task"] == "segmentation"}


def build(name: str, b: int) -> tuple[nn.Module, str]:
    """The model and where it came from ("registry", "spherical_cnn" or "this script")."""
    b_paper = SEGMENTATION_B if name in SEGMENTATION else CLASSIFICATION_B
    spec = next((s for s in cnn_specs() if s["name"] == name), None)
    if spec is not None:
        return spec["builder"](**(spec["defaults"] | {"bandwidth": b})), "spherical_cnn"
    try:
        from gconv.models import get_model, model_spec

        if b == b_paper:
            return get_model(name), "registry"
        if "bandwidth" in model_spec(name).defaults:  # the registered model at a reduced b
            return get_model(name, bandwidth=b), "registry"
    except (ImportError, ValueError, KeyError):
        pass
    if _spherical() is None:
        raise ImportError("this tree's gconv.nn has no spherical layers")
    return LOCAL[name](b), "this script"


# --------------------------------------------------------------------------- timing


def step_arms(model: nn.Module, b: int, batch: int, segmentation: bool, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 1, 2 * b, 2 * b, generator=gen)
    shape = (batch, 2 * b, 2 * b) if segmentation else (batch,)
    labels = torch.randint(0, 11 if segmentation else 10, shape, generator=gen)
    return step_and_eval(model, x, labels)


def measure(name: str, b: int, batch: int, seconds: float) -> dict:
    torch.manual_seed(0)
    model, source = build(name, b)
    arms = step_arms(model, b, batch, name in SEGMENTATION)
    cpu: dict[str, list[float]] = {k: [] for k in arms}
    arms = {k: cpu_timed(fn, cpu[k]) for k, fn in arms.items()}
    load0 = os.getloadavg()[0]
    first = interleaved(arms, 1, warmup=1)  # warm-up + one timed call per arm
    per_rep = sum(v[0] for v in first.values())
    reps = max(1, min(10, int(seconds / per_rep)))
    if reps > 1:
        for v in cpu.values():  # the closures append here: drop warm-up and first call
            v.clear()
        times = interleaved(arms, reps, warmup=0)
    else:
        times, cpu = first, {k: v[1:] for k, v in cpu.items()}
    return {
        "model": name, "b": b, "batch": batch, "source": source, "reps": reps,
        "params": sum(p.numel() for p in model.parameters()),
        "train_median": statistics.median(times["train"]), "train_min": times["train"][0],
        "eval_median": statistics.median(times["eval"]), "eval_min": times["eval"][0],
        "train_cpu": statistics.median(cpu["train"]), "eval_cpu": statistics.median(cpu["eval"]),
        "load": (load0, os.getloadavg()[0]),
    }  # fmt: skip


def cases(args: argparse.Namespace) -> list[tuple[str, int, int]]:
    """(model, b, batch) to time: the paper's bandwidths, then the cpu budget's."""
    cls = ["cnn", "cnn-200k", "cnn-1m", "cnn-5m", "s2cnn", "s2cnn-72", "s2cnn-deep"]
    seg = ["cnn-seg-218k", "cnn-seg-1m", "cnn-seg-5.5m"]
    out = [(m, CLASSIFICATION_B, args.batch) for m in cls]
    out += [(m, SEGMENTATION_B, args.batch) for m in seg]
    out.append(("s2cnn-seg", SEGMENTATION_B, args.seg_batch))
    for b in args.cpu_seg_b:
        out += [(m, b, args.batch) for m in [*seg, "s2cnn-seg"]]
    for b in args.cpu_deep_b:
        out.append(("s2cnn-deep", b, args.batch))
    wanted = set(args.models or [c[0] for c in out])
    return [c for c in out if c[0] in wanted and c[1] not in args.skip_b]


# --------------------------------------------------------------------------- projection

STUDIES = ("spherical-cls", "spherical-seg", "spherical-fashion")
#: split sizes where a budget leaves them open (the whole split): 60,000 training digits less
#: the validation split, 10,000 test digits
FULL = {"train": 55_000, "val": 5_000, "test": 10_000}


def run_seconds(times: dict, run) -> tuple[float | None, int, int]:  # noqa: ANN001
    """CPU seconds of one planned run (``gconv.experiments.RunSpec``; None where its (model, b)
    was not timed), its training steps and its bandwidth: steps × t_train + epochs ×
    validation batches × t_eval + 2 test sets (NR, R) × test batches × t_eval."""
    data = dict(run.data_kwargs)
    b = data.get("bandwidth", CLASSIFICATION_B)
    copies = int(run.augment.split("-")[1]) if run.augment.startswith("copies-") else 1
    batches = lambda n: math.ceil(n / run.batch_size)  # noqa: E731
    steps = run.epochs * batches((run.limit_train or FULL["train"]) * copies)
    if (run.model, b) not in times:
        return None, steps, b
    t_train, t_eval = times[(run.model, b)]
    evals = run.epochs * batches(data.get("limit_val") or FULL["val"])
    evals += 2 * batches(run.limit_test or FULL["test"])
    return steps * t_train + evals * t_eval, steps, b


def plan(raw: str, cores: int, budgets: Sequence[str] = ("paper", "cpu")) -> str:
    """Markdown tables of projected core-hours per run, study and budget from a raw record,
    for the runs the registered studies plan (``gconv study <name> --budget <b> --dry-run``);
    a study without one of ``budgets`` is left out of that budget's table."""
    from gconv.experiments import get_study
    from gconv.experiments import plan as plan_runs

    line = next(x for x in open(raw, encoding="utf-8") if x.startswith("json: "))
    times = {(r["model"], r["b"]): (r["train_cpu"] * 32 / r["batch"], r["eval_cpu"] * 32 / r["batch"])
             for r in json.loads(line[6:])}  # fmt: skip
    out = []
    for budget in budgets:
        total, missing = 0.0, 0
        out += [f"### Budget `{budget}`", "",
                "| study | model | augment | b | train samples × epochs | steps | "
                "core-hours / seed | seeds | core-hours |", "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for study in STUDIES:
            spec = get_study(study)
            if budget not in spec.budgets:
                continue
            bud = spec.budget(budget)
            runs = plan_runs(
                spec, None, bud.epochs_scale, bud.limit_train, bud.limit_test, None, bud
            )
            groups: dict[tuple, list] = {}
            for run in runs:
                groups.setdefault((run.model, run.augment), []).append(run)
            sub = 0.0
            for (model, aug), rs in groups.items():
                sec, steps, b = run_seconds(times, rs[0])
                k = int(aug.split("-")[1]) if aug.startswith("copies-") else 1
                n = (rs[0].limit_train or FULL["train"]) * k
                cells = f"| {study} | {model} | {aug} | {b} | {n:,} × {rs[0].epochs} | {steps:,} "
                if sec is None:
                    missing += 1
                    out.append(cells + f"| not timed | {len(rs)} | — |")
                    continue
                sub += len(rs) * sec
                out.append(
                    cells + f"| {sec / 3600:,.2f} | {len(rs)} | {len(rs) * sec / 3600:,.2f} |"
                )
            total += sub
            out.append(f"| **{study}** | | | | | | | | **{sub / 3600:,.1f}** |")
        gap = f" ({missing} configurations not timed, not counted)" if missing else ""
        out += ["", f"Total `{budget}`: {total / 3600:,.1f} core-hours{gap} = "
                f"{total / 3600 / cores:,.1f} hours on {cores} free cores (one run per core).", ""]  # fmt: skip
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seg-batch", type=int, default=4, help="batch of s2cnn-seg at b = 50")
    p.add_argument("--cpu-seg-b", type=int, nargs="*", default=[25], help="cpu-budget seg b")
    p.add_argument("--cpu-deep-b", type=int, nargs="*", default=[], help="cpu-budget deep b")
    p.add_argument("--skip-b", type=int, nargs="*", default=[], help="skip cases at these b")
    p.add_argument("--seconds", type=float, default=20.0, help="target time per case")
    p.add_argument("--models", nargs="*", help="only these models")
    p.add_argument("--plan", metavar="RAW", help="print the projected hours from a raw record")
    p.add_argument("--cores", type=int, default=2, help="free cores assumed by --plan")
    p.add_argument("--budgets", nargs="+", default=["paper", "cpu"], help="budgets of --plan")
    add_record_args(p)
    args = p.parse_args()
    if args.plan:
        print(plan(args.plan, args.cores, args.budgets))
        return
    torch.set_num_threads(args.threads)
    with recorded("spherical_study_steps", args):
        print(f"batch {args.batch} (s2cnn-seg at b = 50: {args.seg_batch}); Adam lr 1e-3; "
              f"{args.threads} threads; shared machine: load average in the last column")  # fmt: skip
        print(
            "wall: median and fastest seconds per call; cpu: median CPU seconds of this "
            "process (with 1 thread, the time a free core would take); ×32/B: cpu × 32/B"
        )
        head = (f"{'model':<14} {'b':>3} {'B':>3} {'params':>10}  {'source':<13} {'reps':>4}  "
                f"{'train wall':>10} {'fastest':>8} {'cpu':>8}  {'eval wall':>9} {'cpu':>8}  "
                f"{'×32/B':>7}  load 1-min")  # fmt: skip
        print(head)
        rows = []
        for name, b, batch in cases(args):
            r = measure(name, b, batch, args.seconds)
            rows.append(r)
            extrap = f"{r['train_cpu'] * 32 / batch:7.2f}" if batch != 32 else f"{'':>7}"
            print(f"{name:<14} {b:>3} {batch:>3} {r['params']:>10,}  {r['source']:<13} "
                  f"{r['reps']:>4}  {r['train_median']:10.4f} {r['train_min']:8.4f} "
                  f"{r['train_cpu']:8.4f}  {r['eval_median']:9.4f} {r['eval_cpu']:8.4f}  "
                  f"{extrap}  {r['load'][0]:.1f} → {r['load'][1]:.1f}", flush=True)  # fmt: skip
        print("json: " + json.dumps(rows))


if __name__ == "__main__":
    main()
