# SPDX-License-Identifier: MIT
"""Steerable rotated-MNIST models against P4CNN: training step, inference, basis expansion share,
layer construction, and the projected hours of a 3-seed study at a proposed budget.

One process, the arms interleaved within every repeat (``timed``), medians of wall time and
of the thread's CPU time.
A training step is forward + cross-entropy + backward + Adam step on a (batch, 1, 28, 28) batch
(``_timing.train_step``).
The basis expansion is every steerable layer's ``expanded_weight()`` plus its backward, as in
one training step. Projection per run: epochs × (10,000/batch training steps + 2,000/batch
validation batches) + 50,000/batch test batches, from the medians measured here (on a shared,
loaded machine: an upper bound), and also scaled from P4CNN's measured study wall-clock
(``results/rotmnist.csv``) by the step-time ratio to P4CNN measured here. Where escnn is
importable (``make bench-venv``), one C8 and one D16 layer (regular fields) run forward +
backward against escnn's ``R2Conv`` in the same interleaved loop, with construction times;
a third arm is the same gconv layer with its whole k×k bank in one ``conv2d`` (``_pieces``
None: the algorithm before ``disc_conv2d``), so before and after share the load.

    python benchmarks/steerable.py [--repeats 5] [--batch 64] [--epochs 30] [--threads 1]

One thread by default: on the loaded 2-core machine every multi-threaded small op waits for a
descheduled thread, which inflated the expansion's time about 20× in a 2-thread run.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from _timing import train_step
from gconv.groups import DihedralGroup
from gconv.models import P4CNN
from gconv.models.steerable_mnist import C8CNN, C16CNN, D16C16CNN
from gconv.nn import GroupConv2d, LiftConv2d

ROOT = Path(__file__).resolve().parents[1]
ARMS: dict[str, Callable[[], nn.Module]] = {
    "p4cnn": P4CNN,
    "c8cnn": C8CNN,
    "c16cnn": C16CNN,
    "d16c16cnn": D16C16CNN,
}
TRAIN, VALID, TEST = 10_000, 2_000, 50_000


def inference(model: nn.Module, batch: int) -> Callable[[], None]:
    x = torch.randn(batch, 1, 28, 28, generator=torch.Generator().manual_seed(1))

    def run() -> None:
        model.eval()
        with torch.inference_mode():
            model(x)

    return run


def expansion(model: nn.Module) -> Callable[[], None]:
    convs = [m for m in model.modules() if getattr(m, "basis", None) == "steerable"]

    def run() -> None:
        total = sum(m.expanded_weight()[0].sum() for m in convs)
        total.backward()

    return run


def construction() -> tuple[float, float]:
    """Seconds to build a D16 GroupConv2d(16, 16, 5): first in this process, then median of 5."""
    t0 = time.perf_counter()
    GroupConv2d(16, 16, 5, group=DihedralGroup(16))
    first = time.perf_counter() - t0
    later = []
    for _ in range(5):
        t0 = time.perf_counter()
        GroupConv2d(16, 16, 5, group=DihedralGroup(16))
        later.append(time.perf_counter() - t0)
    return first, statistics.median(later)


#: layer arms against escnn: (group, gspace, fields in = out, kernel, batch, size)
LAYERS = (("c8", 8, False, 8), ("d16", 16, True, 4))


def _build_times(build: Callable[[], nn.Module], later: int = 3) -> tuple[nn.Module, float, float]:
    """The module, seconds of its first build in this process and the median of ``later``."""
    t0 = time.perf_counter()
    module = build()
    first = time.perf_counter() - t0
    times = []
    for _ in range(later):
        t0 = time.perf_counter()
        build()
        times.append(time.perf_counter() - t0)
    return module, first, statistics.median(times)


def layer_arms(batch: int = 16, size: int = 28, k: int = 5) -> tuple[dict, list[str]]:
    """Forward + backward of one C8 and one D16 regular → regular layer, gconv against escnn's
    ``R2Conv`` (same fields, kernel, padding) when escnn is importable; construction times
    (first build in this process, then the median of 3 more: both libraries cache bases)."""
    try:
        from escnn import gspaces
        from escnn import nn as enn
    except ImportError:
        return {}, ["escnn not importable here: layer comparison skipped (make bench-venv)"]
    arms, notes = {}, []
    for name, n, flip, fields in LAYERS:
        order = 2 * n if flip else n
        x = torch.randn(batch, fields * order, size, size, requires_grad=True)
        ours, first_o, later_o = _build_times(
            lambda name=name, c=fields: GroupConv2d(c, c, k, group=name, padding=k // 2)
        )
        gs = gspaces.flipRot2dOnR2(N=n) if flip else gspaces.rot2dOnR2(N=n)
        ft = enn.FieldType(gs, fields * [gs.regular_repr])
        theirs, first_t, later_t = _build_times(
            lambda ft=ft: enn.R2Conv(ft, ft, kernel_size=k, padding=k // 2)
        )
        notes.append(
            f"{name}: {fields} regular fields, {k}×{k}: construction first gconv {first_o:.4f} s, "
            f"escnn {first_t:.3f} s; then (median of 3) gconv {later_o:.4f} s, escnn "
            f"{later_t:.4f} s; free parameters gconv {ours.weight.numel()}, "
            f"escnn {theirs.weights.numel()}"
        )
        xs = x.view(batch, fields, order, size, size)
        # the same layer and weights convolving the whole k×k bank in one conv2d (the
        # algorithm before disc_conv2d): the before/after comparison under the same load
        whole = GroupConv2d(fields, fields, k, group=name, padding=k // 2)
        whole.load_state_dict(ours.state_dict())
        whole._pieces = None

        def run_ours(layer=ours, xs=xs) -> None:
            layer(xs).sum().backward()

        def run_whole(layer=whole, xs=xs) -> None:
            layer(xs).sum().backward()

        def run_theirs(layer=theirs, x=x, ft=ft) -> None:
            layer(enn.GeometricTensor(x, ft)).tensor.sum().backward()

        arms[f"layer {name} gconv"], arms[f"layer {name} escnn"] = run_ours, run_theirs
        arms[f"layer {name} gconv-1conv"] = run_whole
    return arms, notes


def timed(
    arms: dict[str, Callable[[], None]], repeats: int, warmup: int = 1
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall seconds and CPU seconds of this thread (``time.thread_time``) per call of each arm,
    the arms in turn within every repeat (rotated start, as ``_timing.interleaved``). On the
    loaded machine wall time includes waiting for a core; CPU time is the work itself."""
    for fn in arms.values():
        for _ in range(warmup):
            fn()
    names = list(arms)
    wall: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    for r in range(repeats):
        for k in names[r % len(names) :] + names[: r % len(names)]:
            c0, w0 = time.thread_time(), time.perf_counter()
            arms[k]()
            wall[k].append(time.perf_counter() - w0)
            cpu[k].append(time.thread_time() - c0)
    return wall, cpu


def p4cnn_epoch_seconds() -> float | None:
    """Mean study wall-clock per epoch of P4CNN in ``results/rotmnist.csv`` (if present)."""
    path = ROOT / "results" / "rotmnist.csv"
    if not path.is_file():
        return None
    rows = [r for r in csv.DictReader(path.open()) if r["model"] == "p4cnn"]
    return statistics.mean(float(r["wall_s"]) / int(r["epochs"]) for r in rows) if rows else None


def table(
    models: dict[str, nn.Module], med: dict[str, float], args: argparse.Namespace
) -> list[str]:
    """Per-model medians and the projected hours of a study (see the module docstring)."""
    lines = []
    base = med["p4cnn train"]
    per_epoch = p4cnn_epoch_seconds()
    projection = []
    for name, model in models.items():
        tr, inf = med[f"{name} train"], med[f"{name} infer"]
        ex = med.get(f"{name} expand")
        params = sum(p.numel() for p in model.parameters())
        lines.append(
            f"{name:<10} {params:>7}   {tr:>12.3f}   {tr / base:>10.2f}   {inf:>8.3f}   "
            + (
                f"{ex:>9.4f}   {100 * ex / tr:>9.2f} %"
                if ex is not None
                else f"{'-':>9}   {'-':>11}"
            )
        )
        run_s = args.epochs * (TRAIN / args.batch * tr + VALID / args.batch * inf)
        run_s += TEST / args.batch * inf
        scaled = None if per_epoch is None else args.epochs * per_epoch * tr / base
        projection.append((name, run_s, scaled))
    lines += [
        "",
        f"projection: {args.epochs} epochs × {TRAIN} train + {VALID} valid, "
        f"{TEST} test, batch {args.batch}, {args.seeds} seeds",
    ]
    lines.append(
        "model       run here (h)  study here (h)  run scaled from p4cnn study (h)  study scaled (h)"
    )
    for name, run_s, scaled in projection:
        sc = "-" if scaled is None else f"{scaled / 3600:.2f}"
        sc_study = "-" if scaled is None else f"{args.seeds * scaled / 3600:.2f}"
        lines.append(
            f"{name:<10} {run_s / 3600:>12.2f}  {args.seeds * run_s / 3600:>14.2f}  {sc:>31}  {sc_study:>16}"
        )
    if per_epoch is not None:
        lines.append(
            f"(p4cnn study: {per_epoch:.1f} s per epoch at batch 128, results/rotmnist.csv)"
        )
    return lines


def _header(commit: str, args: argparse.Namespace, load_before: tuple[float, ...]) -> list[str]:
    """The record's first lines: command, date, commit, versions, settings, load."""
    return [
        f"# benchmarks/steerable.py {' '.join(sys.argv[1:])}",
        f"date {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}, commit {commit}, "
        f"torch {torch.__version__}, threads {args.threads}, batch {args.batch}, "
        f"repeats {args.repeats}",
        f"load average before/after: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs (shared machine: absolute times are upper bounds)",
    ]


def _layer_lines(med: dict[str, float], cpu: dict[str, float]) -> list[str]:
    """One line per timed layer and clock (wall, CPU): gconv, gconv as one conv2d, escnn."""
    lines = []
    for name, *_ in LAYERS:
        if f"layer {name} gconv" in med:
            for what, m in (("wall", med), ("cpu", cpu)):
                ours, theirs = m[f"layer {name} gconv"], m[f"layer {name} escnn"]
                whole = m[f"layer {name} gconv-1conv"]
                lines.append(
                    f"layer {name} forward+backward (batch 16, 28×28), median {what} s: gconv "
                    f"{ours:.4f}, gconv one conv2d {whole:.4f}, escnn {theirs:.4f}; ratio "
                    f"gconv/escnn {ours / theirs:.2f}, one-conv2d/escnn {whole / theirs:.2f}"
                )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--layers-only", action="store_true", help="only the C8/D16 layers against escnn"
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()

    arms, notes = layer_arms()  # first: construction times in a fresh process
    models: dict[str, nn.Module] = {}
    if not args.layers_only:
        first, later = construction()
        LiftConv2d(1, 1, 7, group="c8")  # build the models' bases before timing
        models = {name: build() for name, build in ARMS.items()}
    for name, model in models.items():
        arms[f"{name} train"] = train_step(model, (1, 28, 28), args.batch)
        arms[f"{name} infer"] = inference(model, args.batch)
        if name != "p4cnn":
            arms[f"{name} expand"] = expansion(model)
    if not arms:
        print("\n".join(notes))
        return
    load_before = os.getloadavg()
    times, cpu_times = timed(arms, args.repeats, warmup=1)
    med = {k: statistics.median(v) for k, v in times.items()}
    cpu = {k: statistics.median(v) for k, v in cpu_times.items()}
    lines = _header(commit, args, load_before)
    if models:
        lines += [
            f"D16 GroupConv2d(16, 16, 5) construction: first {first:.4f} s, then median "
            f"{later:.4f} s",
            "",
            "model       params   train step (s)  ratio p4cnn  infer (s)  expand (s)  expand/step",
            *table(models, med, args),
        ]
    lines += ["", *notes, *_layer_lines(med, cpu)]
    text = "\n".join(lines)
    print(text)
    name = "steerable-layers" if args.layers_only else "steerable"
    out = ROOT / "results" / "bench" / f"{name}-{datetime.date.today()}-{commit}.txt"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text + "\n")
    tmp.replace(out)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
