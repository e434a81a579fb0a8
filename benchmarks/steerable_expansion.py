# SPDX-License-Identifier: MIT
"""The basis expansion of the steerable rotated-MNIST models, forward + backward, two ways side
by side in one process: the gather of the coefficients by advanced indexing (backward: an
accumulating ``index_put``) against ``index_select`` (backward: ``index_add``), the one
``steerable_bank`` uses. Both give the same bank (checked in float64 first).

Each call is every steerable layer's ``expanded_weight()`` summed and back-propagated, as in a
training step. Arms interleaved within every repeat; CPU seconds (``time.process_time``, one
torch thread) and wall seconds, medians.

    python benchmarks/steerable_expansion.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

import gconv.nn.planar as planar
from _timing import add_record_args, recorded
from gconv.models import get_model
from gconv.nn.steerable import cached_basis, steerable_bank

MODELS = ("c8cnn", "c16cnn", "d16c16cnn")


def indexed_bank(
    weight: torch.Tensor, basis: torch.Tensor, index: torch.Tensor | None
) -> torch.Tensor:
    """The previous expansion: the same bank, the gather by advanced indexing."""
    if index is None:
        return steerable_bank(weight, basis, index)
    n, nb, k, _ = basis.shape
    cout, cin, gin, _ = weight.shape
    moved = weight.permute(2, 0, 1, 3)[index].view(n, gin * cout * cin, nb)
    bank = torch.bmm(moved, basis.reshape(n, nb, k * k)).view(n, gin, cout, cin, k, k)
    return bank.permute(2, 0, 3, 1, 4, 5).reshape(cout * n, cin * gin, k, k)


def arm(model: torch.nn.Module, bank: Callable) -> Callable[[], None]:
    convs = [m for m in model.modules() if getattr(m, "basis", None) == "steerable"]

    def run() -> None:
        planar.steerable_bank = bank  # the layers call it through the planar module
        try:
            sum(m.expanded_weight()[0].sum() for m in convs).backward()
        finally:
            planar.steerable_bank = steerable_bank

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    add_record_args(ap)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    models = {name: get_model(name) for name in MODELS}
    for model in models.values():  # same bank both ways, to rounding, in float64
        for m in model.modules():
            if getattr(m, "basis", None) == "steerable" and m._index is not None:
                w = m.weight.detach().double()
                b = cached_basis(m, w)
                assert torch.allclose(indexed_bank(w, b, m._index), steerable_bank(w, b, m._index),
                                      rtol=0, atol=1e-12)  # fmt: skip
    arms = {}
    for name, model in models.items():
        arms[f"{name} advanced indexing"] = arm(model, indexed_bank)
        arms[f"{name} index_select"] = arm(model, steerable_bank)
    with recorded("steerable-expansion", args):
        for run in arms.values():
            run()
        cpu: dict[str, list[float]] = {k: [] for k in arms}
        wall: dict[str, list[float]] = {k: [] for k in arms}
        for _ in range(args.repeats):
            for k, run in arms.items():
                w0, c0 = time.perf_counter(), time.process_time()
                run()
                cpu[k].append(time.process_time() - c0)
                wall[k].append(time.perf_counter() - w0)
        print(f"one process, 1 torch thread, {args.repeats} repeats, medians (ms)")
        print(f"{'arm':<32} {'CPU':>8} {'wall':>8}")
        for k in arms:
            print(f"{k:<32} {1e3 * statistics.median(cpu[k]):>8.3f} "
                  f"{1e3 * statistics.median(wall[k]):>8.3f}")  # fmt: skip
        for name in models:
            a, b = (
                statistics.median(cpu[f"{name} {v}"]) for v in ("advanced indexing", "index_select")
            )
            print(f"{name}: index_select / advanced indexing, CPU: {b / a:.2f}")


if __name__ == "__main__":
    main()
