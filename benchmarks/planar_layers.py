# SPDX-License-Identifier: MIT
"""p4/p4m GroupConv2d against F.conv2d with the same expanded channel count, side by side.

Prints forward+backward times (median and fastest of interleaved repeats, 2 threads), their
ratios to F.conv2d (the exported layer's too) and the filter-expansion time. Where escnn is
importable (it lives in a separate ``.venv-bench``), its R2Conv with regular fields is timed in
the same run. The output is also written, under the environment record, to
results/bench/planar_layers-<date>-<commit>.txt.

    python benchmarks/planar_layers.py [--repeats 30] [--batch 64] [--out DIR | --no-record]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from _timing import add_record_args, interleaved, recorded
from gconv.groups import get
from gconv.nn import GroupConv2d


def _fwd_bwd(fn: Callable[[], torch.Tensor]) -> Callable[[], None]:
    def step() -> None:
        fn().sum().backward()

    return step


def expansion_time(layer: GroupConv2d, calls: int = 2000) -> float:
    """Median (over 15 rounds) time of one filter expansion in training mode."""
    rounds = []
    for _ in range(15):
        t0 = time.perf_counter()
        for _ in range(calls // 15):
            layer.expanded_weight()
        rounds.append((time.perf_counter() - t0) / (calls // 15))
    return statistics.median(rounds)


def _escnn_arm(group: str, channels: int, x: torch.Tensor) -> Callable[[], None] | None:
    try:
        from escnn import gspaces
        from escnn import nn as enn
    except ImportError:
        return None
    space = gspaces.rot2dOnR2(4) if group == "p4" else gspaces.flipRot2dOnR2(4)
    ftype = enn.FieldType(space, channels * [space.regular_repr])
    conv = enn.R2Conv(ftype, ftype, 3, padding=1)
    xin = x.detach().flatten(1, 2).requires_grad_()
    return _fwd_bwd(lambda: conv(enn.GeometricTensor(xin, ftype)).tensor)


def bench_group(group: str, channels: int, batch: int, size: int, repeats: int) -> None:
    order = get(group).order
    layer = GroupConv2d(channels, channels, 3, group=group, padding=1)
    x = torch.randn(batch, channels, order, size, size, requires_grad=True)
    xf = x.detach().flatten(1, 2).requires_grad_()
    w = torch.randn(channels * order, channels * order, 3, 3, requires_grad=True)
    b = torch.zeros(channels * order, requires_grad=True)
    exported = layer.export()
    arms = {
        "F.conv2d": _fwd_bwd(lambda: F.conv2d(xf, w, b, padding=1)),
        "GroupConv2d": _fwd_bwd(lambda: layer(x)),
        "exported": _fwd_bwd(lambda: exported(x)),
    }
    escnn = _escnn_arm(group, channels, x)
    if escnn is not None:
        arms["escnn R2Conv"] = escnn
    runs = interleaved(arms, repeats, warmup=2)
    exp = expansion_time(layer)
    cin = channels * order
    print(
        f"\n{group}: GroupConv2d {channels}→{channels} (×{order}), 3×3, batch {batch}, "
        f"{size}×{size}; baseline F.conv2d {cin}→{cin}; fwd+bwd, median and fastest of {repeats}"
    )
    med = {k: statistics.median(v) for k, v in runs.items()}
    base, base_best = med["F.conv2d"], runs["F.conv2d"][0]
    for name, sec in med.items():
        note = ""
        if name.startswith("escnn"):
            note = "  (escnn's steerable basis has fewer free parameters; same conv shapes)"
        best = runs[name][0]
        print(
            f"  {name:<14} {sec * 1e3:8.2f} ms {sec / base:6.3f}×   fastest {best * 1e3:8.2f} ms "
            f"{best / base_best:6.3f}× F.conv2d{note}"
        )
    if escnn is None:
        print("  escnn          not importable here (it lives in .venv-bench: make bench-venv)")
    limit = 0.1 if order == 4 else 0.15
    print(f"  filter expansion {exp * 1e3:.4f} ms (target < {limit} ms)")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--size", type=int, default=28)
    p.add_argument("--threads", type=int, default=2)
    add_record_args(p)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    with recorded("planar_layers", args):
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
        print("the machine may be shared (see the load average): compare ratios, not times")
        for group in ("p4", "p4m"):
            bench_group(group, 10, args.batch, args.size, args.repeats)


if __name__ == "__main__":
    main()
