# SPDX-License-Identifier: MIT
"""CIFAR-10 models side by side: one training step at batch 128, one validation forward pass
at batch 500, and the epoch time they imply.

A training step is forward + cross-entropy + backward + Adam step (lr 1e-3) on a fixed random
(128, 3, 32, 32) batch, in train mode (dropout and batch norm active); a validation pass is a
forward pass at ``--eval-batch`` (500, the harness's) in eval mode under
``torch.inference_mode``. All models run in one process, interleaved within every repeat, after
``--warmup`` calls each. Each call is timed twice: wall clock, and the CPU time of this
process (``time.process_time``), which on a machine shared with other jobs is much less
inflated by their load than the wall clock (the load average is printed). One epoch of the
``cifar10`` study is ``--train-images / batch`` median steps plus ``--val-images /
eval-batch`` median validation passes (45,000 and 5,000: the 5,000 held-out images); data
loading and augmentation are not included (flip-translate of a batch costs milliseconds). The
output is printed and written to ``results/bench/cifar_models-<date>-<commit>.txt`` (or
``--out``).

    PYTHONPATH=src python benchmarks/cifar_models.py [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import torch

from _timing import train_step
from gconv.models.cifar import specs

TRAIN_IMAGES, VAL_IMAGES = 45_000, 5_000


def eval_pass(model: torch.nn.Module, batch: int, seed: int = 1) -> Callable[[], None]:
    """One forward pass at ``batch`` in eval mode under ``torch.inference_mode``."""
    x = torch.randn(batch, 3, 32, 32, generator=torch.Generator().manual_seed(seed))

    def run() -> None:
        model.eval()
        with torch.inference_mode():
            model(x)
        model.train()

    return run


def measure(
    arms: dict[str, Callable[[], None]], repeats: int, warmup: int
) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds of every call, arms in turn within each repeat, after warm-up."""
    for fn in arms.values():
        for _ in range(warmup):
            fn()
    out: dict[str, list[tuple[float, float]]] = {k: [] for k in arms}
    for _ in range(repeats):
        for name, fn in arms.items():
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            out[name].append((time.perf_counter() - w0, time.process_time() - c0))
    return out


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run(
    names: list[str], batch: int, repeats: int, warmup: int, eval_batch: int = 500
) -> list[str]:
    """The report lines (each model's params, median and fastest step, validation pass and
    epoch estimate)."""
    entries = {s["name"]: s for s in specs() if s["name"] in names}
    torch.manual_seed(0)
    models = {n: entries[n]["builder"]() for n in names}
    load0 = os.getloadavg()
    arms = {}
    for n, m in models.items():
        arms[n] = train_step(m, (3, 32, 32), batch)
        arms[f"{n} eval"] = eval_pass(m, eval_batch)
    times = measure(arms, repeats, warmup)
    load1 = os.getloadavg()
    lines = [
        f"train step: batch {batch}; validation pass: batch {eval_batch}, eval mode; 3×32×32, "
        f"{torch.get_num_threads()} thread(s), median (and fastest) of {repeats} interleaved "
        f"calls after {warmup} warm-up call(s) each",
        f"load average (1 min) before {load0[0]:.1f}, after {load1[0]:.1f} on "
        f"{os.cpu_count()} cores: the machine is shared with other sessions, so wall times are "
        "inflated by their load; CPU time much less so",
        f"  {'model':<20} {'params':>10} {'CPU s/step':>10} {'(fastest)':>9} {'wall s/step':>11} "
        f"{'(fastest)':>9} {'CPU s/val':>9} {'epoch CPU min':>13} {'× allcnnc-z2':>12}",
    ]
    epochs = {}
    for n in names:
        wall, cpu = sorted(w for w, _ in times[n]), sorted(c for _, c in times[n])
        med_w, med_c = statistics.median(wall), statistics.median(cpu)
        med_v = statistics.median(c for _, c in times[f"{n} eval"])
        params = sum(p.numel() for p in models[n].parameters())
        epochs[n] = (TRAIN_IMAGES / batch * med_c + VAL_IMAGES / eval_batch * med_v) / 60
        lines.append(
            f"  {n:<20} {params:>10,} {med_c:10.2f} {cpu[0]:9.2f} {med_w:11.2f} {wall[0]:9.2f} "
            f"{med_v:9.2f} {epochs[n]:13.1f} {epochs[n] / epochs[names[0]]:12.2f}"
        )
    lines.append(
        f"  epoch = {TRAIN_IMAGES:,} / {batch} × median CPU s/step + {VAL_IMAGES:,} / "
        f"{eval_batch} × median CPU s/val ({torch.get_num_threads()} thread(s); no data "
        "loading)"
    )
    return lines


def main(argv: list[str] | None = None) -> None:
    names = [s["name"] for s in specs()]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--eval-batch", type=int, default=500)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--models", nargs="+", default=names, choices=names, metavar="NAME")
    p.add_argument("--out", type=Path, default=None, help="raw output file")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    date, commit = datetime.date.today().isoformat(), _commit()
    head = [
        f"# PYTHONPATH=src python benchmarks/cifar_models.py --repeats {args.repeats} "
        f"--warmup {args.warmup} --batch {args.batch} --eval-batch {args.eval_batch} "
        f"--threads {args.threads} --models {' '.join(args.models)}, {date}, "
        f"code at {commit}, torch {torch.__version__}, {os.cpu_count()}-core CPU"
    ]
    lines = head + run(args.models, args.batch, args.repeats, args.warmup, args.eval_batch)
    print("\n".join(lines))
    out = args.out or Path("results/bench") / f"cifar_models-{date}-{commit}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, out)  # written whole or not at all
    print(f"written to {out}")


if __name__ == "__main__":
    main()
