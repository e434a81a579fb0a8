# SPDX-License-Identifier: MIT
"""Where one training step of an icosahedral model spends its time: ``torch.profiler`` over
``--steps`` Adam steps (batch 32, fixed random input and labels) after two warm-up steps, with
every layer's forward wrapped in a ``record_function`` (``FWD <class> <name>``). Printed: the
ops by self CPU time, and the layers' forwards and the autograd nodes by total CPU time, all
per step. Profiler times include its own overhead and, on a shared machine, other jobs' load:
read them as shares, and time changes with ``benchmarks/ico_ab.py``.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/ico_profile.py --steps 3
    PYTHONPATH=src OMP_NUM_THREADS=2 python benchmarks/ico_profile.py --threads 2 --precision bf16-mixed

``--precision bf16-mixed`` profiles the step under bfloat16 autocast (forward and loss, as
``gconv train --precision bf16-mixed``); the record's name then ends in ``-bf16-mixed``.
"""

from __future__ import annotations

import argparse
import os

import torch
from torch.profiler import ProfilerActivity, profile, record_function

from _timing import AUTOCAST, add_record_args, recorded, step_and_eval
from gconv.models import get_model


def _named(fn, tag: str):
    def forward(*a, **k):
        with record_function(tag):
            return fn(*a, **k)

    return forward


def wrap_layers(model: torch.nn.Module) -> None:
    """Run each block member's (and the read-out's) forward inside a named profiler range."""
    for name, mod in model.named_modules():
        if name.count(".") == 2 or name in ("pool", "head"):
            mod.forward = _named(mod.forward, f"FWD {type(mod).__name__} {name}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="ico-cnn")
    p.add_argument("--r", type=int, default=4)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--rows", type=int, default=25)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--precision", choices=list(AUTOCAST), default="32-true")
    add_record_args(p)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    autocast = AUTOCAST[args.precision]
    with recorded("ico_profile" + (f"-{args.precision}" if autocast else ""), args):
        torch.manual_seed(0)
        model = get_model(args.model, r=args.r)
        wrap_layers(model)
        g = torch.Generator().manual_seed(0)  # a fixed batch, as train_step's
        x = torch.randn(args.batch, 1, 10 * 4**args.r + 2, generator=g)
        y = torch.randint(0, 10, (args.batch,), generator=g)
        step = step_and_eval(model, x, y, autocast)["train"]
        step()
        step()
        load0 = os.getloadavg()[0]
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(args.steps):
                step()
        print(f"{args.model} r={args.r}, batch {args.batch}, {args.threads} thread(s), "
              f"{args.precision}, {args.steps} steps; "
              f"load 1-min {load0:.1f} → {os.getloadavg()[0]:.1f}; ms per step")  # fmt: skip
        events = prof.key_averages()
        total = sum(e.self_cpu_time_total for e in events) / args.steps / 1e3
        print(f"profiled CPU per step: {total:.1f} ms\n\nops by self CPU time:")
        for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[: args.rows]:
            print(f"{e.self_cpu_time_total / args.steps / 1e3:9.1f}  {e.count / args.steps:6.1f}"
                  f" calls  {e.key}")  # fmt: skip
        print("\nlayer forwards and autograd nodes by total CPU time:")
        rows = [e for e in events if e.key.startswith(("FWD", "autograd::engine"))]
        for e in sorted(rows, key=lambda e: -e.cpu_time_total)[: args.rows]:
            key = e.key.replace("autograd::engine::evaluate_function: ", "BWD ")
            print(f"{e.cpu_time_total / args.steps / 1e3:9.1f}  {e.count / args.steps:6.1f}"
                  f" calls  {key}")  # fmt: skip


if __name__ == "__main__":
    main()
