# SPDX-License-Identifier: MIT
"""The steerable group convolutions on the disc their basis lives on (``disc_conv2d``: one
``conv2d`` per rectangle, channels-last) against one ``conv2d`` of the whole k×k bank (the
previous algorithm; the same layers with ``_pieces = None``), side by side in one process:
every ``GroupConv2d`` of the steerable rotated-MNIST models alone (forward + backward at the
input shape it sees in the model), and the models' training step (forward, cross-entropy,
backward, Adam; ``_timing.train_step``). Both ways give the same outputs to float64 rounding
(checked first; ``tests/nn/test_steerable_disc.py``).

Arms interleaved within every repeat (rotated start); CPU seconds of the thread
(``time.thread_time``, one torch thread) and wall seconds, medians.

    python benchmarks/steerable_disc.py [--repeats 10] [--batch 64] [--models c8cnn d16c16cnn]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from collections.abc import Callable

import torch

from _timing import add_record_args, recorded, train_step
from gconv.models import get_model
from gconv.nn import GroupConv2d


def whole_bank(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of the model whose steerable layers convolve the whole k×k bank in one conv2d."""
    twin = copy.deepcopy(model)
    for m in twin.modules():
        if isinstance(m, GroupConv2d):
            m._pieces = None
    return twin


def layer_inputs(model: torch.nn.Module, batch: int) -> list[tuple[GroupConv2d, torch.Size]]:
    """Each steerable ``GroupConv2d`` of the model with the input shape it sees."""
    seen: list[tuple[GroupConv2d, torch.Size]] = []
    convs = [m for m in model.modules() if isinstance(m, GroupConv2d) and m.basis == "steerable"]
    hooks = [
        m.register_forward_hook(lambda mod, inp, out: seen.append((mod, inp[0].shape)))
        for m in convs
    ]
    with torch.no_grad():
        model.eval()(torch.randn(batch, 1, 28, 28))
    for h in hooks:
        h.remove()
    return seen


def layer_arm(layer: GroupConv2d, shape: torch.Size) -> Callable[[], None]:
    layer = layer.train()
    x = torch.randn(shape, generator=torch.Generator().manual_seed(2), requires_grad=True)

    def run() -> None:
        layer(x).sum().backward()

    return run


def check(model: torch.nn.Module, twin: torch.nn.Module) -> float:
    """Largest difference of the logits, both ways, in float64."""
    x = torch.randn(2, 1, 28, 28, dtype=torch.float64)
    a, b = copy.deepcopy(model).double().eval(), copy.deepcopy(twin).double().eval()
    with torch.no_grad():
        return (a(x) - b(x)).abs().max().item()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--models", nargs="+", default=["c8cnn", "d16c16cnn"])
    add_record_args(ap)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    arms: dict[str, Callable[[], None]] = {}
    notes = []
    for name in args.models:
        model = get_model(name)
        twin = whole_bank(model)
        notes.append(
            f"{name}: logits disc vs whole bank, float64, max |diff| {check(model, twin):.1e}"
        )
        for i, ((ours, shape), (theirs, _)) in enumerate(
            zip(layer_inputs(model, args.batch), layer_inputs(twin, args.batch), strict=True)
        ):
            if ours._pieces is None:
                continue
            tag = f"{name} layer {i} {tuple(shape)} k{ours.kernel_size} p{ours.padding}"
            arms[f"{tag} | disc"] = layer_arm(ours, shape)
            arms[f"{tag} | whole"] = layer_arm(theirs, shape)
        arms[f"{name} train step | disc"] = train_step(model, (1, 28, 28), args.batch)
        arms[f"{name} train step | whole"] = train_step(twin, (1, 28, 28), args.batch)
    with recorded("steerable-disc", args):
        for run in arms.values():
            run()
        cpu: dict[str, list[float]] = {k: [] for k in arms}
        wall: dict[str, list[float]] = {k: [] for k in arms}
        names = list(arms)
        for r in range(args.repeats):
            for k in names[r % len(names) :] + names[: r % len(names)]:
                w0, c0 = time.perf_counter(), time.thread_time()
                arms[k]()
                cpu[k].append(time.thread_time() - c0)
                wall[k].append(time.perf_counter() - w0)
        print(f"one process, 1 torch thread, batch {args.batch}, {args.repeats} repeats, medians")
        print(*notes, sep="\n")
        print(f"{'arm':<58} {'CPU s':>8} {'wall s':>8}  disc/whole CPU, wall")
        for k in names[::2]:
            base = k[: -len("disc")] + "whole"
            c, w = statistics.median(cpu[k]), statistics.median(wall[k])
            cb, wb = statistics.median(cpu[base]), statistics.median(wall[base])
            print(f"{k:<58} {c:>8.4f} {w:>8.4f}  {c / cb:.2f}, {w / wb:.2f}")
            print(f"{base:<58} {cb:>8.4f} {wb:>8.4f}")


if __name__ == "__main__":
    main()
