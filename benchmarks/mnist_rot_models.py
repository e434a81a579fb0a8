# SPDX-License-Identifier: MIT
"""Rotated-MNIST models side by side: training step, inference throughput at batch 128, latency
at batch 1, and peak memory of a training step.

One process, the arms interleaved within every repeat, medians of ≥ 20 repeats, 2 threads.
A training step is forward + cross-entropy + backward + Adam step on a (128, 1, 28, 28) batch.
Ratios are printed against gconv's P4CNN. Peak memory comes from
``gconv.benchmark.peak_memory`` (a fresh process per model; ``--no-memory`` skips it). The
output is also written, under the environment record, to
results/bench/mnist_rot_models-<date>-<commit>.txt (``--out DIR``, ``--no-record``). Where escnn is importable (the separate
``.venv-bench``: ``make bench-venv``), the same P4CNN built with escnn (R2Conv on regular
fields of C4, InnerBatchNorm, pointwise max pool, group pooling; same conv shapes) is timed in
the same run; its steerable basis has fewer free parameters. ``--profile`` adds a
torch.profiler table of one P4CNN training step (self CPU time per operator).

    python benchmarks/mnist_rot_models.py [--repeats 25] [--batch 128] [--profile] [--no-memory]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from _timing import add_record_args, interleaved, recorded, train_step
from gconv.benchmark import peak_memory
from gconv.models import SpatialMax, get_model
from gconv.nn import GroupBatchNorm, GroupConv2d, GroupMaxPool2d, GroupPool, LiftConv2d

ARMS = ("p4cnn", "z2cnn", "p4cnn-rp", "p4mcnn")


def inference(model: nn.Module, batch: int, seed: int = 0) -> Callable[[], None]:
    """One forward pass in eval mode under ``torch.inference_mode``."""
    x = torch.randn(batch, 1, 28, 28, generator=torch.Generator().manual_seed(seed))
    model.eval()

    def run() -> None:
        with torch.inference_mode():
            model(x)

    return run


def escnn_p4cnn(channels: int = 10, num_classes: int = 10) -> nn.Module | None:
    """P4CNN in escnn (same layout and conv shapes as gconv's), or None if escnn is absent."""
    try:
        from escnn import gspaces
        from escnn import nn as enn
    except ImportError:
        return None
    space = gspaces.rot2dOnR2(4)
    image = enn.FieldType(space, [space.trivial_repr])
    hidden = enn.FieldType(space, channels * [space.regular_repr])
    out = enn.FieldType(space, num_classes * [space.regular_repr])
    layers: list[enn.EquivariantModule] = []
    for i in range(6):
        layers += [
            enn.R2Conv(image if i == 0 else hidden, hidden, 3),
            enn.InnerBatchNorm(hidden),
            enn.ReLU(hidden),
        ]
        if i == 1:
            layers.append(enn.PointwiseMaxPool2D(hidden, 2))
    layers += [enn.R2Conv(hidden, out, 4), enn.GroupPooling(out)]
    body = enn.SequentialModule(*layers)

    class EscnnP4CNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = body

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(enn.GeometricTensor(x, image)).tensor.amax(dim=(-2, -1))

    return EscnnP4CNN()


def _parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def build_time(name: str, repeats: int = 5) -> float:
    """Median seconds to construct the registered model ``name`` (after a first build)."""
    get_model(name)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        get_model(name)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def build_models() -> dict[str, nn.Module]:
    torch.manual_seed(0)
    models = {name: get_model(name) for name in ARMS}
    escnn = escnn_p4cnn()
    if escnn is not None:
        models["escnn p4cnn"] = escnn
    return models


def report(models: dict[str, nn.Module], batch: int, repeats: int) -> None:
    runs = interleaved({k: train_step(m, (1, 28, 28), batch) for k, m in models.items()}, repeats)
    train = {k: statistics.median(v) for k, v in runs.items()}
    best = {k: v[0] for k, v in runs.items()}
    arms = {(k, b): inference(m, b) for k, m in models.items() for b in (batch, 1)}
    runs = interleaved(arms, repeats)  # type: ignore[arg-type]
    infer = {k: statistics.median(runs[k, batch]) for k in models}
    latency = {k: statistics.median(runs[k, 1]) for k in models}
    print(
        f"batch {batch}, 28×28, {torch.get_num_threads()} threads, median (and fastest) of "
        f"{repeats} interleaved repeats; latency: batch 1, eval mode"
    )
    head = f"  {'model':<12} {'params':>7}  {'train ms/step':>13} {'(fastest)':>9} {'× p4cnn':>8}"
    print(head + f"   {'infer ms':>9} {'images/s':>9} {'× p4cnn':>8}   {'latency ms':>10}")
    base_t, base_i = train["p4cnn"], infer["p4cnn"]
    for name, model in models.items():
        t, i = train[name], infer[name]
        print(
            f"  {name:<12} {_parameters(model):>7}  {t * 1e3:13.1f} {best[name] * 1e3:9.1f} "
            f"{t / base_t:8.2f}   {i * 1e3:9.1f} {batch / i:9.0f} {i / base_i:8.2f}   "
            f"{latency[name] * 1e3:10.2f}"
        )
    if "escnn p4cnn" in train:
        ratio = train["p4cnn"] / train["escnn p4cnn"]
        fastest = best["p4cnn"] / best["escnn p4cnn"]
        print(
            f"  gconv P4CNN / escnn P4CNN per training step: {ratio:.2f}× median, "
            f"{fastest:.2f}× fastest (target ≤ 1.0; escnn's steerable basis has fewer free "
            "parameters, same conv shapes)"
        )
    else:
        print("  escnn not importable (make bench-venv)")
    built = ", ".join(f"{k} {build_time(k) * 1e3:.1f}" for k in models if k in ARMS)
    print(f"  construction, ms (median of 5): {built}")


def memory(batch: int) -> None:
    """Peak memory of one training step of each registered model, each in a fresh process."""
    print(f"\npeak memory of a training step at batch {batch} (gconv.benchmark.peak_memory)")
    print(f"  {'model':<12} {'above baseline':>14} {'peak RSS':>10}")
    for name in ARMS:
        m = peak_memory(name, batch, mode="train", threads=torch.get_num_threads())
        above, peak = m.above_baseline_bytes / 2**20, m.peak_bytes / 2**20
        print(f"  {name:<12} {above:10.1f} MiB {peak:6.0f} MiB")
    print(f"  ({m.method})")


_PARTS: dict[type, str] = {
    LiftConv2d: "conv (F.conv2d on the expanded bank)",
    GroupConv2d: "conv (F.conv2d on the expanded bank)",
    GroupBatchNorm: "GroupBatchNorm (BatchNorm3d) + in-place ReLU",
    GroupMaxPool2d: "GroupMaxPool2d",
    GroupPool: "GroupPool + spatial max",
    SpatialMax: "GroupPool + spatial max",
}


def _input_shapes(model: nn.Module, batch: int) -> list[tuple[nn.Module, tuple[int, ...]]]:
    """(module, input shape) of every part of ``_PARTS``, in forward order."""
    seen: list[tuple[nn.Module, tuple[int, ...]]] = []
    hooks = [
        m.register_forward_pre_hook(lambda mod, args: seen.append((mod, tuple(args[0].shape))))
        for m in model.modules()
        if type(m) in _PARTS
    ]
    with torch.no_grad():
        model.train()(torch.randn(batch, 1, 28, 28))
    for h in hooks:
        h.remove()
    return seen


def _part_arm(module: nn.Module, shape: tuple[int, ...], first: bool) -> list[Callable[[], None]]:
    """fwd+bwd closures of one part on its real input shape (the conv split in two)."""
    x = torch.randn(shape, requires_grad=not first)
    if not isinstance(module, LiftConv2d | GroupConv2d):
        x.requires_grad_()
        fn = module
        if isinstance(module, GroupBatchNorm):  # followed by the block's in-place ReLU
            fn = lambda t: F.relu(module(t), inplace=True)  # noqa: E731
        grad = torch.randn_like(fn(x))
        return [lambda: fn(x).backward(grad)]
    xf = x.flatten(1, 2) if isinstance(module, GroupConv2d) else x
    bank, bias = (t.detach() if t is not None else None for t in module.expanded_weight())
    bank.requires_grad_()
    grad = torch.randn_like(F.conv2d(xf, bank))
    grad_bank = torch.randn_like(bank)

    def conv() -> None:
        F.conv2d(xf, bank, bias).backward(grad)

    def expand() -> None:
        module.expanded_weight()[0].backward(grad_bank)

    return [conv, expand]


def _chain(fns: list[Callable[[], None]]) -> Callable[[], None]:
    def run() -> None:
        for f in fns:
            f()

    return run


def breakdown(model: nn.Module, batch: int, repeats: int) -> None:
    """Time each kind of layer of ``model`` alone (fwd+bwd on its real shapes), interleaved
    with the whole training step, and print what share of the step each kind takes."""
    arms: dict[str, list[Callable[[], None]]] = defaultdict(list)
    for i, (module, shape) in enumerate(_input_shapes(model, batch)):
        fns = _part_arm(module, shape, first=i == 0)
        arms[_PARTS[type(module)]].append(fns[0])
        if len(fns) > 1:
            arms["filter expansion (index_select + its backward)"].append(fns[1])
    step = train_step(model, (1, 28, 28), batch)
    calls = {k: _chain(fns) for k, fns in arms.items()}
    calls["whole training step"] = step
    runs = interleaved(calls, repeats)
    total = statistics.median(runs["whole training step"])
    fastest = runs["whole training step"][0]
    print(f"\nbreakdown of one {type(model).__name__} training step, fwd+bwd per layer kind")
    print(f"  {'part':<48} {'median':>9} {'share':>6}   {'fastest':>9} {'share':>6}")
    for name, sec in runs.items():
        med = statistics.median(sec)
        print(
            f"  {name:<48} {med * 1e3:6.1f} ms {med / total:6.1%}   "
            f"{sec[0] * 1e3:6.1f} ms {sec[0] / fastest:6.1%}"
        )
    print("  (parts timed alone; under load their sum need not match the whole step)")


def profile(model: nn.Module, batch: int, steps: int = 5, rows: int = 15) -> None:
    """Self CPU time per operator over ``steps`` training steps (after warm-up)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    step = train_step(model, (1, 28, 28), batch)
    for _ in range(3):
        step()
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    print(f"\nprofile of {steps} training steps of {type(model).__name__} (self CPU time)")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=25)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--profile", action="store_true", help="profile P4CNN (and escnn's) steps")
    p.add_argument("--breakdown", action="store_true", help="time P4CNN's layer kinds alone")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory probes")
    add_record_args(p)
    args = p.parse_args(argv)
    if args.repeats < 20:
        p.error(f"--repeats must be ≥ 20 for a stable median, got {args.repeats}")
    torch.set_num_threads(args.threads)
    with recorded("mnist_rot_models", args):
        print(f"torch {torch.__version__}; the machine may be shared: compare ratios, not times")
        models = build_models()
        report(models, args.batch, args.repeats)
        if not args.no_memory:
            memory(args.batch)
        if args.breakdown:
            breakdown(models["p4cnn"], args.batch, args.repeats)
        if args.profile:
            for name in ("p4cnn", "escnn p4cnn"):
                if name in models:
                    profile(models[name], args.batch)


if __name__ == "__main__":
    main()
