# SPDX-License-Identifier: MIT
"""Where the time of the C8 and D16 layers of ``benchmarks/steerable.py`` goes (gconv against
escnn's ``R2Conv``, same group, fields, 5×5 filters, padding 2, batch 16, 28×28), forward +
backward with the input requiring grad, in parts measured side by side in one process:

- the whole layer: gconv (``disc_conv2d``), gconv with one ``conv2d`` of the whole bank, escnn;
- the expansion alone (coefficients → bank, and its backward): gconv's ``expanded_weight``,
  escnn's ``expand_parameters``;
- the convolution alone on a fixed bank: one ``conv2d`` (NCHW, as escnn), ``disc_conv2d``.

Arms interleaved within every repeat (rotated start); CPU seconds of the thread
(``time.thread_time``, one torch thread), medians. Then ``torch.profiler``'s self-CPU table of
the gconv layer (top operators), which splits the rest into copies, additions and autograd.

    .venv-bench/bin/python benchmarks/steerable_profile.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch.profiler import profile

from _timing import add_record_args, recorded
from gconv.nn import GroupConv2d
from gconv.nn.steerable import disc_conv2d

LAYERS = (("c8", 8, False, 8), ("d16", 16, True, 4))
BATCH, SIZE, K = 16, 28, 5


def arms_for(name: str, n: int, flip: bool, fields: int) -> dict[str, Callable[[], None]]:
    from escnn import gspaces
    from escnn import nn as enn

    order = 2 * n if flip else n
    x = torch.randn(BATCH, fields * order, SIZE, SIZE, requires_grad=True)
    xs = x.view(BATCH, fields, order, SIZE, SIZE)
    ours = GroupConv2d(fields, fields, K, group=name, padding=K // 2)
    whole = GroupConv2d(fields, fields, K, group=name, padding=K // 2)
    whole.load_state_dict(ours.state_dict())
    whole._pieces = None
    gs = gspaces.flipRot2dOnR2(N=n) if flip else gspaces.rot2dOnR2(N=n)
    ft = enn.FieldType(gs, fields * [gs.regular_repr])
    theirs = enn.R2Conv(ft, ft, kernel_size=K, padding=K // 2)
    bank = ours.expanded_weight()[0].detach().requires_grad_()
    pieces = ours._pieces

    def expand_ours() -> None:
        w, b = ours.expanded_weight()
        (w.sum() + b.sum()).backward()

    def expand_theirs() -> None:
        w, b = theirs.expand_parameters()
        (w.sum() + b.sum()).backward()

    return {
        f"{name} layer gconv (disc)": lambda: ours(xs).sum().backward(),
        f"{name} layer gconv (whole bank)": lambda: whole(xs).sum().backward(),
        f"{name} layer escnn": lambda: theirs(enn.GeometricTensor(x, ft)).tensor.sum().backward(),
        f"{name} expansion gconv": expand_ours,
        f"{name} expansion escnn": expand_theirs,
        f"{name} conv2d whole bank": lambda: F.conv2d(x, bank, None, 1, 2).sum().backward(),
        f"{name} disc_conv2d": lambda: disc_conv2d(x, bank, None, 1, 2, 1, pieces).sum().backward(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    add_record_args(ap)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    arms: dict[str, Callable[[], None]] = {}
    for spec in LAYERS:
        arms.update(arms_for(*spec))
    with recorded("steerable-profile", args):
        for run in arms.values():
            run()
        cpu: dict[str, list[float]] = {k: [] for k in arms}
        names = list(arms)
        for r in range(args.repeats):
            for k in names[r % len(names) :] + names[: r % len(names)]:
                c0 = time.thread_time()
                arms[k]()
                cpu[k].append(time.thread_time() - c0)
        med = {k: statistics.median(v) for k, v in cpu.items()}
        print(f"one process, 1 torch thread, batch {BATCH}, {SIZE}×{SIZE}, {K}×{K}, padding 2, "
              f"{args.repeats} repeats; forward+backward, median CPU ms")  # fmt: skip
        for name, *_ in LAYERS:
            ref = med[f"{name} layer escnn"]
            for k in names:
                if k.startswith(name + " "):
                    print(f"{k:<34} {1e3 * med[k]:>9.2f}   {med[k] / ref:>5.2f} of escnn's layer")
        for name, *_ in LAYERS:
            run = arms[f"{name} layer gconv (disc)"]
            with profile() as prof:
                for _ in range(3):
                    run()
            print(f"\n{name} gconv layer (disc), 3 calls, torch.profiler self CPU:")
            print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=8))


if __name__ == "__main__":
    main()
