# SPDX-License-Identifier: MIT
"""CIFAR-10 group models against escnn: one training step of gconv's ``allcnnc-p4``,
``allcnnc-p4m`` and ``resnet44-p4m`` (paper layouts) and of the same networks built with escnn,
side by side in one process.

The escnn twins (escnn 1.0.11, ``make bench-venv``) have the same convolution shapes, layer by
layer: ``R2Conv`` between fields of the regular representation of C4 (``rot2dOnR2(4)``) or D4
(``flipRot2dOnR2(4)``) with the same numbers of fields, kernels, strides and paddings (the input
is 3 trivial fields), ``InnerBatchNorm`` where gconv has ``GroupBatchNorm``, pointwise ReLU and
dropout (All-CNN-C: 0.2 on the input, 0.5 after the stride-2 layers), and the same read-outs
(All-CNN-C: mean over group and plane; ResNet44: BN → ReLU → mean over the plane → linear map of
all C·|G| channels). The script checks the shapes (every convolution's (out, in, k, k, stride,
padding) after expansion, and the logits) before timing. escnn's filters are band-limited
combinations of a steerable basis, so its parameter counts are lower; both print.

A step is forward + cross-entropy + backward + Adam (lr 1e-3) on a fixed random batch in train
mode (``_timing.train_step``); the arms run interleaved within each repeat after a warm-up
step each, timed by wall clock and by this process's CPU time (the load average is recorded).
The ratio is gconv's median over escnn's (< 1: gconv faster). Raw output goes to
``results/bench/escnn_cifar-<date>-<commit>.txt`` under the environment record.

    .venv-bench/bin/python benchmarks/escnn_cifar.py [--batch 32] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import torch
from torch import nn

from _timing import add_record_args, recorded, train_step
from gconv.models import get_model
from gconv.nn import GroupConv2d, LiftConv2d

MODELS = {"allcnnc-p4": ("p4", (48, 96)), "allcnnc-p4m": ("p4m", (32, 64)),
          "resnet44-p4m": ("p4m", (11, 23, 45))}  # fmt: skip


def _space(group: str):  # noqa: ANN202 - an escnn gspace
    from escnn import gspaces

    return gspaces.rot2dOnR2(4) if group == "p4" else gspaces.flipRot2dOnR2(4)


class _Escnn(nn.Module):
    """Tensor in, tensor out: wraps an escnn body and a read-out ``head(tensor)``."""

    def __init__(self, body: nn.Module, in_type, head: Callable, fc: nn.Module | None = None):  # noqa: ANN001
        super().__init__()
        self.body, self.in_type, self.head, self.fc = body, in_type, head, fc

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from escnn import nn as enn

        h = self.head(self.body(enn.GeometricTensor(x, self.in_type)).tensor)
        return h if self.fc is None else self.fc(h)


def escnn_allcnnc(group: str, channels: tuple[int, int], num_classes: int = 10) -> nn.Module:
    """All-CNN-C in escnn with gconv's layout (``gconv.models.AllCNNC``, downsample "stride")."""
    from escnn import nn as enn

    space = _space(group)
    order = space.fibergroup.order()
    c1, c2 = channels

    def reg(n: int):  # noqa: ANN202
        return enn.FieldType(space, n * [space.regular_repr])

    image = enn.FieldType(space, 3 * [space.trivial_repr])
    plan = [(image, reg(c1), 3, 1), (reg(c1), reg(c1), 3, 1), (reg(c1), reg(c1), 3, 2),
            (reg(c1), reg(c2), 3, 1), (reg(c2), reg(c2), 3, 1), (reg(c2), reg(c2), 3, 2),
            (reg(c2), reg(c2), 3, 1), (reg(c2), reg(c2), 1, 1),
            (reg(c2), reg(num_classes), 1, 1)]  # fmt: skip
    layers: list[nn.Module] = [enn.PointwiseDropout(image, 0.2)]
    for fin, fout, k, s in plan:
        layers += [enn.R2Conv(fin, fout, k, padding=(k - 1) // 2, stride=s),
                   enn.InnerBatchNorm(fout), enn.ReLU(fout, inplace=True)]  # fmt: skip
        if s == 2:
            layers.append(enn.PointwiseDropout(fout, 0.5))

    def head(t: torch.Tensor) -> torch.Tensor:  # mean over group and plane, as gconv
        return t.view(t.shape[0], num_classes, order, *t.shape[-2:]).mean(dim=(2, 3, 4))

    return _Escnn(enn.SequentialModule(*layers), image, head)


class _PreAct(nn.Module):
    """escnn twin of ``gconv.models.PreActBlock`` (stride-2 downsampling)."""

    def __init__(self, fin, fout, halve: bool) -> None:  # noqa: ANN001
        from escnn import nn as enn

        super().__init__()
        s = 2 if halve else 1
        self.bn1, self.relu1 = enn.InnerBatchNorm(fin), enn.ReLU(fin, inplace=True)
        self.conv1 = enn.R2Conv(fin, fout, 3, padding=1, stride=s)
        self.bn2, self.relu2 = enn.InnerBatchNorm(fout), enn.ReLU(fout, inplace=True)
        self.conv2 = enn.R2Conv(fout, fout, 3, padding=1)
        self.shortcut = enn.R2Conv(fin, fout, 1, stride=s) if halve or fin != fout else None

    def forward(self, x):  # noqa: ANN001, ANN201 - GeometricTensor in and out
        h = self.conv1(self.relu1(self.bn1(x)))
        h = self.conv2(self.relu2(self.bn2(h)))
        return h + (x if self.shortcut is None else self.shortcut(x))


def escnn_resnet(group: str, channels: tuple[int, ...], blocks: int = 7) -> nn.Module:
    """Pre-activation ResNet in escnn with gconv's layout (``gconv.models.ResNet``, downsample
    "stride", head "flatten")."""
    from escnn import nn as enn

    space = _space(group)
    widths = [enn.FieldType(space, c * [space.regular_repr]) for c in channels]
    image = enn.FieldType(space, 3 * [space.trivial_repr])
    layers: list[nn.Module] = [enn.R2Conv(image, widths[0], 3, padding=1)]
    fin = widths[0]
    for s, fout in enumerate(widths):
        for b in range(blocks):
            layers.append(_PreAct(fin if b == 0 else fout, fout, s > 0 and b == 0))
        fin = fout
    layers += [enn.InnerBatchNorm(fin), enn.ReLU(fin, inplace=True)]
    fc = nn.Linear(fin.size, 10)
    body = nn.Sequential(
        *layers
    )  # GeometricTensors through plain modules (blocks are not escnn modules)
    return _Escnn(body, image, lambda t: t.mean(dim=(-2, -1)), fc)


def conv_shapes(model: nn.Module, kind: str) -> list[tuple[int, ...]]:
    """(out, in, k, k, stride, padding) of every convolution after expansion, in module order."""
    shapes = []
    for m in model.modules():
        if kind == "gconv" and isinstance(m, LiftConv2d | GroupConv2d):
            order = m.group.order
            cin = m.in_channels * (order if isinstance(m, GroupConv2d) else 1)
            k = m.kernel_size
            shapes.append((m.out_channels * order, cin, k, k, m.stride, m.padding))
        elif kind == "escnn" and type(m).__name__ == "R2Conv":
            shapes.append((m.out_type.size, m.in_type.size, m.kernel_size, m.kernel_size,
                           m.stride, m.padding))  # fmt: skip
    return shapes


def build(name: str) -> tuple[nn.Module, nn.Module]:
    """gconv's registered model and its escnn twin, shapes checked."""
    group, ch = MODELS[name]
    ours = get_model(name)
    twin = escnn_allcnnc(group, ch) if name.startswith("allcnnc") else escnn_resnet(group, ch)
    a, b = conv_shapes(ours, "gconv"), conv_shapes(twin, "escnn")
    if a != b:  # in module order: a block's conv1, conv2, shortcut in both
        raise RuntimeError(f"{name}: convolution shapes differ:\n gconv {a}\n escnn {b}")
    x = torch.randn(2, 3, 32, 32)
    if ours(x).shape != twin(x).shape:
        raise RuntimeError(f"{name}: logits shapes differ")
    return ours, twin


def measure(arms: dict[str, Callable[[], None]], repeats: int, warmup: int) -> dict:
    """(wall, CPU) seconds per call, arms in turn within every repeat (first arm rotating)."""
    for fn in arms.values():
        for _ in range(warmup):
            fn()
    out: dict[str, list[tuple[float, float]]] = {k: [] for k in arms}
    names = list(arms)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            w0, c0 = time.perf_counter(), time.process_time()
            arms[name]()
            out[name].append((time.perf_counter() - w0, time.process_time() - c0))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    add_record_args(p)
    args = p.parse_args(argv)
    try:
        import escnn  # noqa: F401
    except ImportError as e:
        print(f"escnn is not importable here ({e}): build .venv-bench with `make bench-venv` "
              "and run this script with .venv-bench/bin/python", file=sys.stderr)  # fmt: skip
        return 2
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with recorded("escnn_cifar", args):
        models = {}
        for name in args.models:
            ours, twin = build(name)
            models[f"gconv {name}"], models[f"escnn {name}"] = ours, twin
        arms = {k: train_step(m, (3, 32, 32), args.batch) for k, m in models.items()}
        times = measure(arms, args.repeats, args.warmup)
        print(f"training step, batch {args.batch}, 3×32×32, {torch.get_num_threads()} thread(s), "
              f"median (fastest) of {args.repeats} interleaved repeats after {args.warmup} "
              "warm-up step(s); convolution shapes checked equal")  # fmt: skip
        print(f"  {'model':<20} {'params':>10} {'CPU s':>7} {'(fastest)':>9} {'wall s':>7} "
              f"{'(fastest)':>9}")  # fmt: skip
        med = {}
        for k, m in models.items():
            wall, cpu = sorted(w for w, _ in times[k]), sorted(c for _, c in times[k])
            med[k] = (statistics.median(wall), statistics.median(cpu), wall[0], cpu[0])
            params = sum(q.numel() for q in m.parameters() if q.requires_grad)
            print(f"  {k:<20} {params:>10,} {med[k][1]:7.3f} {cpu[0]:9.3f} {med[k][0]:7.3f} "
                  f"{wall[0]:9.3f}")  # fmt: skip
        print("  gconv / escnn per training step (< 1: gconv faster):")
        for name in args.models:
            g, e = med[f"gconv {name}"], med[f"escnn {name}"]
            print(f"    {name:<14} CPU {g[1] / e[1]:.2f}× median ({g[3] / e[3]:.2f}× fastest), "
                  f"wall {g[0] / e[0]:.2f}× median ({g[2] / e[2]:.2f}× fastest)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
