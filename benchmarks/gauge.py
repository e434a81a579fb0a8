# SPDX-License-Identifier: MIT
"""Icosahedral group convolution (gather with gauge change + one conv2d) against ``F.conv2d``
of the same expanded width on the same charts, side by side in one process.

Arms (interleaved, median of repeats; forward and forward+backward):

- ``F.conv2d``: a plain 3×3 conv, 6·C → 6·C' channels, on the 5 charts stacked along the
  height ``(B, 6C, 5n, 2n)`` with zero padding 1 — the same output size and filter shape,
  no padding between charts, no gauge, no filter expansion (its weight is given).
- ``IcoConv``: the layer (padding gather + conv2d + unstack with the corner mask). Forward:
  inference (eval mode, no grad: the expanded filter bank is cached, as ``F.conv2d``'s weight
  is given); forward+backward: training (train mode, the 7-tap hexagon expanded every call
  and its gradient folded back). ``exported``: its ``export()`` (gather + fixed
  ``nn.Conv2d``); ``padding only``: ``IcoPad`` alone. These three read a contiguous input.
- ``… chart-major``: the same on the same values stored chart-major, ``(B, 5, n, 2n, C, 6)``
  in memory: the layout in which ``IcoConv`` / ``IcoLift`` (and batch norm, ReLU after them)
  hand features to the next layer, so the one a layer inside a network reads.

Prints the table under the environment record (commit, threads, load average before and after)
and writes it to ``results/bench/gauge-<date>-<commit>.txt`` (``--no-record``: print only).

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/gauge.py [--repeats 30] [--batch 8] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

import torch
import torch.nn.functional as F

from _timing import add_record_args, interleaved, recorded
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
    xc = x.detach().permute(0, 3, 4, 5, 1, 2).contiguous().permute(0, 4, 5, 1, 2, 3)
    xc.requires_grad_()  # chart-major: as the previous layer returns it
    w = torch.randn(cout * 6, cin * 6, 3, 3, requires_grad=True)
    b = torch.zeros(cout * 6, requires_grad=True)
    exported = layer.export()
    pad = IcoPad(r)
    lines = [f"IcoConv {cin}→{cout} (×6), r={r} ({5 * n}×{2 * n} chart pixels), batch {batch}"]
    lines.append(f"  {'arm':<21} {'fwd ms':>9} {'ratio':>7} {'fwd+bwd ms':>11} {'ratio':>7}")
    medians: dict[str, list[float]] = {}
    for backward in (False, True):
        layer.train(backward)
        arms = {
            "F.conv2d": _step(lambda: F.conv2d(xs, w, b, padding=1), backward),
            "IcoConv": _step(lambda: layer(x), backward),
            "exported": _step(lambda: exported(x), backward),
            "IcoConv, chart-major": _step(lambda: layer(xc), backward),
        }
        if not backward:
            arms["padding only"] = _step(lambda: pad(x.detach()), False)
            arms["padding, chart-major"] = _step(lambda: pad(xc.detach()), False)
        with torch.set_grad_enabled(backward):
            times = interleaved(arms, repeats, warmup=3)
        for name, t in times.items():
            medians.setdefault(name, []).append(statistics.median(t))
    base = medians["F.conv2d"]
    for name, vals in medians.items():
        cells = [f"{vals[0] * 1e3:9.3f}", f"{vals[0] / base[0]:6.2f}×"]
        cells += [f"{vals[1] * 1e3:11.3f}", f"{vals[1] / base[1]:6.2f}×"] if len(vals) > 1 else []
        lines.append(f"  {name:<21} " + " ".join(cells))
    return lines


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--threads", type=int, default=1)
    add_record_args(p)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with recorded("gauge", args):
        print(f"float32, CPU, {args.threads} thread(s), batch {args.batch}, "
              f"median of {args.repeats} interleaved repeats; ratio = arm / F.conv2d")  # fmt: skip
        for cin, cout, r in CONFIGS:
            print("\n".join(["", *bench(cin, cout, r, args.batch, args.repeats)]), flush=True)


if __name__ == "__main__":
    main()
