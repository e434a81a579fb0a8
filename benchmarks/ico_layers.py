# SPDX-License-Identifier: MIT
"""Per layer of ``ico-cnn`` (r = 4): the two ways an ``IcoConv`` / ``IcoLift`` can correlate,
side by side in one process: oneDNN's 3×3 ``F.conv2d`` on the channels-last padded input, and
the 7-tap GEMM of ``gconv.nn._ico_gemm`` (the layer's private ``_gemm`` switch). Timed per
layer: forward + backward (a fixed random output gradient; the input gradient too, except
for the lift) and the forward alone without grad, the four arms interleaved in every repeat.
The layers' choice (``_gemm = n' <= 4``) is read from this table.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/ico_layers.py --reps 9
"""

from __future__ import annotations

import argparse
import os
import statistics

import torch

from _timing import add_record_args, interleaved, recorded
from gconv.nn import IcoConv, IcoLift

#: (C_in, C_out, r, stride) of ico-cnn's seven convolutions; the first is the lift
LAYERS = ((1, 8, 4, 1), (8, 16, 4, 2), (16, 16, 3, 1), (16, 24, 3, 2), (24, 24, 2, 1),
          (24, 32, 2, 2), (32, 64, 1, 1))  # fmt: skip


def arms(cin: int, cout: int, r: int, stride: int, batch: int, lift: bool) -> dict:
    torch.manual_seed(0)
    conv = IcoLift(cin, cout, r, stride) if lift else IcoConv(cin, cout, r, stride)
    n = 2**r
    shape = (batch, cin, 10 * n * n + 2) if lift else (batch, cin, 6, 5, n, 2 * n)
    x = torch.randn(shape).requires_grad_(not lift)
    g = torch.randn_like(conv(x))

    def arm(gemm: bool, train: bool):
        def run() -> None:
            conv._gemm = gemm
            if train:
                conv(x).backward(g)
            else:
                with torch.no_grad():
                    conv(x)

        return run

    return {
        "gemm fwd+bwd": arm(True, True), "conv fwd+bwd": arm(False, True),
        "gemm fwd": arm(True, False), "conv fwd": arm(False, False),
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--reps", type=int, default=9)
    add_record_args(p)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    with recorded("ico_layers", args):
        print(f"batch {args.batch}; {args.threads} thread(s); {args.reps} interleaved repeats; "
              "median ms per call (fastest in brackets)")  # fmt: skip
        names = ("gemm fwd+bwd", "conv fwd+bwd", "gemm fwd", "conv fwd")
        print(f"{'layer':<22}" + "".join(f"{k:>20}" + " " for k in names) + "  load 1-min")
        for i, (cin, cout, r, s) in enumerate(LAYERS):
            load0 = os.getloadavg()[0]
            t = interleaved(arms(cin, cout, r, s, args.batch, i == 0), args.reps, warmup=2)
            row = f"{cin}->{cout} r={r} s={s} n'={2**r // s}"
            cells = "".join(
                f"{statistics.median(t[k]) * 1e3:12.1f} ({t[k][0] * 1e3:5.1f})" + " " for k in names
            )
            print(f"{row:<22}{cells}  {load0:.1f} → {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
