# SPDX-License-Identifier: MIT
"""Batch-1 inference latency of Gerken et al.'s segmentation S2CNN at b = 50 (issue 12's
≤ 600 ms target on this project's 2 cores), wall-clock and CPU time, at 1 and 2 threads.

``s2cnn-seg`` (204,073 parameters) in eval mode under ``torch.inference_mode`` on one random
``(1, 1, 100, 100)`` float32 image; the first calls build the tables and cache the filter
spectra (not timed), then ``--reps`` calls per thread count, interleaved, medians. Run it on a
quiet machine: the record prints the load before and after.

    PYTHONPATH=src python benchmarks/seg_latency.py --reps 10
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from _timing import add_record_args, recorded
from gconv.models import get_model


def _time(model: torch.nn.Module, x: torch.Tensor, threads: int) -> tuple[float, float]:
    torch.set_num_threads(threads)
    w, c = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        model(x)
    return time.perf_counter() - w, time.process_time() - c


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    add_record_args(p)
    args = p.parse_args()
    torch.manual_seed(0)
    model = get_model("s2cnn-seg").eval()
    x = torch.randn(1, 1, 100, 100)
    with recorded("seg_latency", args):
        print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        for t in args.threads:  # warm-up: tables, filter spectra, scratch
            _time(model, x, t)
            _time(model, x, t)
        runs: dict[int, list[tuple[float, float]]] = {t: [] for t in args.threads}
        for _ in range(args.reps):
            for t in args.threads:
                runs[t].append(_time(model, x, t))
        print(f"s2cnn-seg (b = 50, 204,073 parameters), batch 1, inference, {args.reps} "
              "interleaved repeats after 2 warm-up calls per thread count")  # fmt: skip
        for t, r in runs.items():
            wall = statistics.median(v[0] for v in r) * 1e3
            cpu = statistics.median(v[1] for v in r) * 1e3
            best = min(v[0] for v in r) * 1e3
            print(f"  {t} thread(s): wall median {wall:7.1f} ms (fastest {best:7.1f}), "
                  f"CPU median {cpu:7.1f} ms")  # fmt: skip
        print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
