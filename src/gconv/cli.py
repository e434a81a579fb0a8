# SPDX-License-Identifier: MIT
"""The ``gconv`` command. Sub-commands import heavy extras lazily, so ``gconv --help`` and
``gconv check-equivariance`` work with the core (torch, numpy, scipy) alone."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence

import torch
from torch import nn

from .equivariance import check_equivariance
from .groups import PIXEL_GRID_GROUPS, get
from .models import SpatialMax
from .nn import GroupBatchNorm, GroupConv2d, GroupMaxPool2d, GroupPool, LiftConv2d

__all__ = ["main", "demo_stack", "CHECKABLE"]


def demo_stack(group: str = "p4", channels: int = 8, classes: int = 10) -> nn.Sequential:
    """A small P4CNN-like stack, 28×28 image → class scores invariant to the point group."""
    c = channels
    return nn.Sequential(
        LiftConv2d(1, c, 3, group=group),
        GroupBatchNorm(c),
        nn.ReLU(),
        GroupConv2d(c, c, 3, group=group),
        GroupBatchNorm(c),
        nn.ReLU(),
        GroupMaxPool2d(2),
        GroupConv2d(c, c, 3, group=group),
        GroupBatchNorm(c),
        nn.ReLU(),
        GroupConv2d(c, classes, 4, group=group),
        GroupPool("max"),
        SpatialMax(),
    )


#: name -> (builder(group), input kind, output kind, input channels)
CHECKABLE: dict[str, tuple[Callable[[str], nn.Module], str, str, int]] = {
    "lift": (lambda g: LiftConv2d(1, 8, 3, group=g, padding=1), "image", "features", 1),
    "group-conv": (lambda g: GroupConv2d(4, 8, 3, group=g, padding=1), "features", "features", 4),
    "stack": (demo_stack, "image", "invariant", 1),
}


def _checkable() -> dict[str, tuple[Callable[[str], nn.Module], str, str, int]]:
    table = dict(CHECKABLE)
    try:  # the model zoo registers its models when present
        from .models import CHECKABLE_MODELS  # type: ignore[attr-defined]
    except ImportError:
        return table
    table.update(CHECKABLE_MODELS)
    return table


def _s2cnn(b: int) -> nn.Module:
    """The S2CNN of Cohen et al. (2018) for MNIST, without its linear head: S² → (B, 40)."""
    from .nn import S2Conv, SO3Conv, so3_integrate

    class S2CNN(nn.Module):
        equivariance_composite = True  # forward chains its layers and the Haar integral

        def __init__(self) -> None:
            super().__init__()
            self.s2 = S2Conv(1, 20, b, 10)
            self.so3 = SO3Conv(20, 40, 10, 6)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return so3_integrate(torch.relu(self.so3(torch.relu(self.s2(x)))))

    return S2CNN()


def _spherical(name: str) -> Callable[[int], nn.Module]:
    from . import nn as gnn

    return {
        "s2conv": lambda b: gnn.S2Conv(2, 3, b, max(2, b // 2)),
        "so3conv": lambda b: gnn.SO3Conv(2, 3, b, b),
        "so3tos2": lambda b: gnn.SO3ToS2Conv(2, 3, b, b),
        "s2cnn": _s2cnn,
    }[name]


#: spherical name -> (input kind, output kind, input channels); --size is the input bandwidth
SPHERICAL: dict[str, tuple[str, str, int]] = {
    "s2conv": ("s2", "so3", 2),
    "so3conv": ("so3", "so3", 2),
    "so3tos2": ("so3", "s2", 2),
    "s2cnn": ("s2", "invariant", 1),
}


def _cmd_check_sphere(args: argparse.Namespace) -> int:
    kin, kout, cin = SPHERICAL[args.model]
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    b = args.size if args.size != 28 else (30 if args.model == "s2cnn" else 8)
    module = _spherical(args.model)(b).to(dtype)
    n = 2 * b
    x = torch.randn((args.batch, cin) + (n,) * (2 if kin == "s2" else 3), dtype=dtype)
    report = check_equivariance(module, "so3", x, kin, kout)
    print(f"input bandwidth {b}; random (not band-limited) input")
    print(report)
    return report.exit_code


def _cmd_check(args: argparse.Namespace) -> int:
    if args.model in SPHERICAL:
        return _cmd_check_sphere(args)
    table = _checkable()
    if args.model not in table:
        known = sorted(table) + sorted(SPHERICAL)
        print(f"unknown model {args.model!r}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    build, kin, kout, cin = table[args.model]
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    module = build(args.group).to(dtype)
    grp = get(args.group)
    shape = (args.batch, cin, args.size, args.size)
    if kin == "features":
        shape = (args.batch, cin, grp.order, args.size, args.size)
    x = torch.randn(shape, dtype=dtype)
    angles = [math.radians(a) for a in args.angles] if kin == "image" and kout != "features" else []
    report = check_equivariance(module, grp, x, kin, kout, angles=angles)
    print(report)
    return report.exit_code


def _cmd_demo(args: argparse.Namespace) -> int:
    try:  # the training demo needs the experiments extras (lightning, matplotlib, ...)
        from .experiments._demo import training_demo
    except ImportError as e:
        print(f"(training demo skipped: {e}; pip install 'gconv[experiments]')\n")
    else:
        return training_demo(args)
    torch.manual_seed(args.seed)
    model = demo_stack(args.group).double()
    print(
        f"gconv demo: an untrained P4CNN-like stack on {args.group} "
        f"({sum(p.numel() for p in model.parameters())} parameters), one 28×28 image, float64."
    )
    print("Invariance error ‖f(g·x) − f(x)‖ / ‖f(x)‖ per rotation: exact for multiples of 90°,")
    print("a measured interpolation error for the others.\n")
    x = _demo_image().double()
    report = check_equivariance(
        model, args.group, x, "image", "invariant", angles=[math.radians(a) for a in (30.0, 45.0)]
    )
    print(report)
    return report.exit_code


def _demo_image() -> torch.Tensor:
    """A deterministic, asymmetric 28×28 test image (an 'F' with a soft blob)."""
    img = torch.zeros(1, 1, 28, 28)
    img[..., 5:23, 8:11] = 1.0
    img[..., 5:8, 8:20] = 1.0
    img[..., 12:15, 8:17] = 1.0
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    img[0, 0] += 0.5 * torch.exp(-((yy - 20) ** 2 + (xx - 19) ** 2) / 8.0)
    return img


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gconv",
        description="Group-equivariant CNNs: p4/p4m, spherical and gauge convolutions.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    d = sub.add_parser("demo", help="show equivariance (and, with extras, train) in one go")
    d.add_argument("--group", default="p4", choices=["p4", "p4m"])
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(func=_cmd_demo)
    c = sub.add_parser("check-equivariance", help="per-element equivariance table of a layer/model")
    c.add_argument(
        "model",
        nargs="?",
        default="stack",
        help=f"planar: {', '.join(sorted(_checkable()))} (default: stack); spherical (group "
        f"SO(3), --size = input bandwidth): {', '.join(SPHERICAL)}",
    )
    c.add_argument("--group", default="p4", choices=list(PIXEL_GRID_GROUPS))
    c.add_argument(
        "--size",
        type=int,
        default=28,
        help="image height = width (default 28); for spherical models the input bandwidth "
        "(default 8, 30 for s2cnn)",
    )
    c.add_argument("--batch", type=int, default=2)
    c.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    c.add_argument(
        "--angles",
        type=float,
        nargs="*",
        default=[45.0],
        help="extra continuous rotations in degrees (invariant/image outputs)",
    )
    c.add_argument("--seed", type=int, default=0)
    c.set_defaults(func=_cmd_check)
    for register in _extra_commands():
        register(sub)
    return p


def _extra_commands() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Sub-commands contributed by other sub-packages (each module imports its extras lazily)."""
    from .data._cli import register as data_commands
    from .experiments._cli import register as experiment_commands

    return [data_commands, experiment_commands]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
