# SPDX-License-Identifier: MIT
"""Icosahedral group convolution (gather with gauge change + one conv2d) against ``F.conv2d``
of the same expanded width on the same charts, side by side in one process.

Arms (interleaved, median of repeats; forward and forward+backward):

- ``F.conv2d``: a plain 3×3 conv, 6·C → 6·C' channels, on the 5 charts stacked along the
  height ``(B, 6C, 5n, 2n)`` with zero padding 1 — the same output size and filter shape,
  no padding between charts, no gauge, no filter expansion.
- ``IcoConv``: the layer (expansion of the 7-tap hexagon + padding gather + conv2d + corner
  mask); ``exported``: its ``export()`` (gather + fixed ``nn.Conv2d``); ``padding only``: ``IcoPad``
  alone (interior copy + border gather).

Writes the printed table to ``results/bench/gauge-<date>-<commit>.txt``.

    PYTHONPATH=src python benchmarks/gauge.py [--repeats 30] [--batch 32] [--threads 2] [--tag x]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from _timing import interleaved
from gconv.nn import IcoConv, IcoPad

CONFIGS = ((16, 16, 4), (32, 32, 3), (64, 64, 2))  # (C_in, C_out, r): ico-cnn-like layers


def _step(fn: Callable[[], torch.Tensor], backward: bool) -> Callable[[], None]:
    def run() -> None:
        y = fn()
        if backward:
            y.sum().backward()

    return run


def bench(cin: int, cout: int, r: int, batch: int, repeats: int) -> list[str]:
    n = 2**r
    layer = IcoConv(cin, cout, r)
    x = torch.randn(batch, cin, 6, 5, n, 2 * n, requires_grad=True)
    xs = x.detach().reshape(batch, cin * 6, 5 * n, 2 * n).requires_grad_()
    w = torch.randn(cout * 6, cin * 6, 3, 3, requires_grad=True)
    b = torch.zeros(cout * 6, requires_grad=True)
    exported = layer.export()
    pad = IcoPad(r)
    lines = [f"IcoConv {cin}→{cout} (×6), r={r} ({5 * n}×{2 * n} chart pixels), batch {batch}"]
    lines.append(f"  {'arm':<12} {'fwd ms':>9} {'ratio':>7} {'fwd+bwd ms':>11} {'ratio':>7}")
    medians: dict[str, list[float]] = {}
    for backward in (False, True):
        arms = {
            "F.conv2d": _step(lambda: F.conv2d(xs, w, b, padding=1), backward),
            "IcoConv": _step(lambda: layer(x), backward),
            "exported": _step(lambda: exported(x), backward),
        }
        if not backward:
            arms["padding only"] = _step(lambda: pad(x.detach()), False)
        with torch.set_grad_enabled(backward):
            times = interleaved(arms, repeats, warmup=3)
        for name, t in times.items():
            medians.setdefault(name, []).append(statistics.median(t))
    base = medians["F.conv2d"]
    for name, vals in medians.items():
        cells = [f"{vals[0] * 1e3:9.3f}", f"{vals[0] / base[0]:6.2f}×"]
        cells += [f"{vals[1] * 1e3:11.3f}", f"{vals[1] / base[1]:6.2f}×"] if len(vals) > 1 else []
        lines.append(f"  {name:<12} " + " ".join(cells))
    return lines


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default="results/bench")
    p.add_argument("--tag", default="", help="appended to the output file name")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    commit, day = _commit(), datetime.date.today().isoformat()
    head = [
        f"# PYTHONPATH=src python benchmarks/gauge.py {' '.join(argv or sys.argv[1:])}".rstrip(),
        f"# {day}, code at {commit}, torch {torch.__version__}, {torch.get_num_threads()} "
        f"threads, {platform.processor() or platform.machine()}, float32, CPU",
        "# machine shared with other sessions: numbers as measured, medians of interleaved runs",
        "# malloc: MALLOC_TRIM_THRESHOLD_={} MALLOC_MMAP_THRESHOLD_={}".format(
            os.environ.get("MALLOC_TRIM_THRESHOLD_", "default"),
            os.environ.get("MALLOC_MMAP_THRESHOLD_", "default"),
        ),
    ]
    lines = list(head)
    for cin, cout, r in CONFIGS:
        lines += [""] + bench(cin, cout, r, args.batch, args.repeats)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tag = f"-{args.tag}" if args.tag else ""
    path = out / f"gauge-{day}-{commit}{tag}.txt"
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
