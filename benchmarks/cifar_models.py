# SPDX-License-Identifier: MIT
"""CIFAR-10 models side by side: one training step at batch 128 and the epoch time it implies.

A training step is forward + cross-entropy + backward + Adam step (lr 1e-3) on a fixed random
(128, 3, 32, 32) batch, in train mode (dropout and batch norm active). All models run in one
process, interleaved within every repeat (``_timing.interleaved``), after ``--warmup`` steps
each. The epoch estimate is 50,000 / batch × the median step: training steps only (no data
loading, augmentation or evaluation). The output is printed and written to
``results/bench/cifar_models-<date>-<commit>.txt`` (or ``--out``).

    PYTHONPATH=src python benchmarks/cifar_models.py [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from _timing import interleaved
from gconv.models.cifar import specs

TRAIN_IMAGES = 50_000


def train_step(model: nn.Module, batch: int, seed: int = 0) -> Callable[[], None]:
    """One Adam step (lr 1e-3) on a fixed random batch of CIFAR-sized images."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (batch,), generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run(names: list[str], batch: int, repeats: int, warmup: int) -> list[str]:
    """The report lines (each model's params, median and fastest step, epoch estimate)."""
    entries = {s["name"]: s for s in specs() if s["name"] in names}
    torch.manual_seed(0)
    models = {n: entries[n]["builder"]() for n in names}
    load0 = os.getloadavg()
    times = interleaved({n: train_step(m, batch) for n, m in models.items()}, repeats, warmup)
    load1 = os.getloadavg()
    lines = [
        f"batch {batch}, 3×32×32, {torch.get_num_threads()} thread(s), median and fastest of "
        f"{repeats} interleaved steps after {warmup} warm-up step(s) per model",
        f"load average before {load0[0]:.1f}, after {load1[0]:.1f} (1 min; the machine is "
        "shared with other sessions: slow steps are inflated by their load)",
        f"  {'model':<20} {'params':>10} {'s/step':>8} {'fastest':>8} {'img/s':>7} "
        f"{'epoch (min)':>11} {'× allcnnc-z2':>12}",
    ]
    base = statistics.median(times[names[0]])
    for n in names:
        med, fast = statistics.median(times[n]), times[n][0]
        params = sum(p.numel() for p in models[n].parameters())
        epoch = TRAIN_IMAGES / batch * med / 60
        lines.append(
            f"  {n:<20} {params:>10,} {med:8.2f} {fast:8.2f} {batch / med:7.1f} "
            f"{epoch:11.1f} {med / base:12.2f}"
        )
    lines.append(f"  epoch = {TRAIN_IMAGES:,} / {batch} × median step (training steps only)")
    return lines


def main(argv: list[str] | None = None) -> None:
    names = [s["name"] for s in specs()]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--models", nargs="+", default=names, choices=names, metavar="NAME")
    p.add_argument("--out", type=Path, default=None, help="raw output file")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    date, commit = datetime.date.today().isoformat(), _commit()
    head = [
        f"# PYTHONPATH=src python benchmarks/cifar_models.py --repeats {args.repeats} "
        f"--warmup {args.warmup} --batch {args.batch} --threads {args.threads}, {date}, "
        f"code at {commit}, torch {torch.__version__}, {os.cpu_count()}-core CPU"
    ]
    lines = head + run(args.models, args.batch, args.repeats, args.warmup)
    print("\n".join(lines))
    out = args.out or Path("results/bench") / f"cifar_models-{date}-{commit}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, out)  # written whole or not at all
    print(f"written to {out}")


if __name__ == "__main__":
    main()
