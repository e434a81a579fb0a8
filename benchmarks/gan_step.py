# SPDX-License-Identifier: MIT
"""One training step of the GAN of issue 19 with each discriminator (``gan-d-z2``, ``gan-d-p4``),
and the evaluation cost per 1,000 generated digits, side by side in one process.

A step is what :class:`gconv.experiments.GAN` does per batch (B = each ``--batch``, real
digits from a fixed random batch in [0, 1]): G forward, D on real and fake, hinge loss, D
backward + Adam step; G forward, D on fake, G backward + Adam step (β = (0, 0.9)), the update
of G's moving average. The arms (and the evaluation arm: G forward on 500 latents and the Z2CNN
scorer on them, in eval mode without grad, ×2 per 1,000; the real digits' features are cached
per run) run interleaved,
and the process CPU time per call is measured in the same loop. With ``--threads 1`` the CPU time
is what one free core would take — what a shared machine can still measure.

``--plan`` prints the projected hours per run of study ``gan`` at its budgets from the medians
(CPU time per step × steps + evaluation), the table of results/gan-plan.md.

    PYTHONPATH=src:benchmarks OMP_NUM_THREADS=1 python benchmarks/gan_step.py --threads 1 --plan
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from _timing import add_record_args, recorded
from gconv.models import Z2CNN, ConditionalGenerator, get_model


def gan_step(disc: str, batch: int, seed: int = 0, cond: str = "concat") -> Callable[[], None]:
    """One D step and one G step of the hinge GAN on a fixed batch (generator conditioning
    ``cond``; the study's EMA update of G's weights included)."""
    from gconv.experiments import GeneratorEMA

    torch.manual_seed(seed)
    d, g = get_model(disc).train(), ConditionalGenerator(cond=cond).train()
    ema = GeneratorEMA(g, 0.999)
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (batch,), generator=gen)
    opt_d = torch.optim.Adam(d.parameters(), lr=4e-4, betas=(0.0, 0.9))
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.0, 0.9))

    def step() -> None:
        fake = g(torch.randn(batch, 64, generator=gen), y)
        loss_d = F.relu(1 - d(x, y)).mean() + F.relu(1 + d(fake.detach(), y)).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        loss_g = -d(g(torch.randn(batch, 64, generator=gen), y), y).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        ema.update(g)

    return step


def eval_500(cond: str = "concat") -> Callable[[], None]:
    """Generate 500 digits and run the scorer on them (the real digits' features are computed
    once per run and cached, so they are not counted here)."""
    g, scorer = ConditionalGenerator(cond=cond).eval(), Z2CNN().eval()
    y = torch.arange(500) % 10

    def run() -> None:
        with torch.no_grad():
            scorer.features(g(torch.randn(500, 64), y))

    return run


def measure(arms: dict[str, Callable[[], None]], repeats: int) -> dict[str, tuple[list, list]]:
    """(wall seconds, CPU seconds) per call of each arm, interleaved, after one warm-up."""
    for fn in arms.values():
        fn()
    out: dict[str, tuple[list, list]] = {k: ([], []) for k in arms}
    for _ in range(repeats):
        for name, fn in arms.items():
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            out[name][0].append(time.perf_counter() - w0)
            out[name][1].append(time.process_time() - c0)
    return out


#: study gan (studies/gan.py): training digits per fraction and steps per run at each budget
FRACTIONS = {"10%": 1_000, "33%": 3_300, "100%": 10_000}


def plan(cpu: dict[tuple[str, int], float], cond: str) -> None:
    """Projected CPU hours per run and per study at the budgets of study ``gan`` whose
    generator conditioning is ``cond`` (steps at each run's batch size)."""
    from gconv.experiments import get_study
    from gconv.experiments import plan as plan_runs

    spec = get_study("gan")
    print(f"\nprojection for g_cond={cond!r} (CPU time of one core; evaluation: the budget's "
          "validation digits per epoch, its test digits once (real and generated); the "
          "scorer's training not included):")  # fmt: skip
    print(f"{'budget':<7} {'arm':<22} {'batch':>5} {'epochs':>6} {'steps':>6} {'h / run':>8}")
    for name in spec.budgets:
        budget = spec.budget(name)
        runs = plan_runs(spec, epochs_scale=budget.epochs_scale, limit_test=budget.limit_test,
                         budget=budget)  # fmt: skip
        if dict(runs[0].model_kwargs).get("g_cond", "concat") != cond:
            continue
        total = 0.0
        for run in runs:
            n = run.limit_train or 10_000
            steps = run.epochs * math.ceil(n / run.batch_size)
            test = run.limit_test or 50_000
            val = dict(run.model_kwargs).get("val_digits") or 2_000
            evals = (run.epochs * val + 2 * test) / 1_000 * cpu[("eval", 1000)]
            hours = (steps * cpu[(run.model, run.batch_size)] + evals) / 3600
            total += hours
            if run.seed == runs[0].seed:
                arm = f"{run.model} n={n}"
                print(f"{name:<7} {arm:<22} {run.batch_size:>5} {run.epochs:>6} {steps:>6} "
                      f"{hours:>8.3f}")  # fmt: skip
        print(f"{name:<7} {'all ' + str(len(runs)) + ' runs':<22} {'':>5} {'':>6} {'':>6} "
              f"{total:>8.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 32])
    parser.add_argument("--cond", choices=("concat", "cbn"), default="cbn")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--plan", action="store_true", help="print the study's projection")
    add_record_args(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with recorded("gan_step", args):
        arms: dict[tuple[str, int], Callable[[], None]] = {
            (d, b): gan_step(d, b, cond=args.cond)
            for b in args.batch
            for d in ("gan-d-z2", "gan-d-p4")
        }
        arms[("eval", 500)] = eval_500(args.cond)
        res = measure(arms, args.repeats)
        print(f"generator cond {args.cond!r}, {args.repeats} interleaved repeats, threads "
              f"{torch.get_num_threads()}; a step is one D and one G step at that batch")  # fmt: skip
        print(f"{'arm':<10} {'batch':>5} {'wall median (s)':>16} {'wall min (s)':>13} "
              f"{'CPU median (s)':>15}")  # fmt: skip
        cpu = {}
        for (name, b), (wall, cpus) in res.items():
            cpu[(name, b)] = statistics.median(cpus)
            print(f"{name:<10} {b:>5} {statistics.median(wall):>16.4f} {min(wall):>13.4f} "
                  f"{cpu[(name, b)]:>15.4f}")  # fmt: skip
        for b in args.batch:
            print(
                f"ratio p4 / z2 at batch {b} (CPU median): "
                f"{cpu[('gan-d-p4', b)] / cpu[('gan-d-z2', b)]:.2f}"
            )
        cpu[("eval", 1000)] = 2 * cpu.pop(("eval", 500))
        if args.plan:
            plan(cpu, args.cond)


if __name__ == "__main__":
    main()
