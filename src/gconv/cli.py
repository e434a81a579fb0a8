# SPDX-License-Identifier: MIT
"""The ``gconv`` command. Model choices come from the registry (``gconv.models``); sub-packages
contribute their own commands through a public ``add_commands(subparsers)``. Sub-commands
import heavy extras lazily, so ``gconv --help`` and ``gconv check-equivariance`` work with the
core (torch, numpy, scipy) alone."""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, cast

import torch

from .equivariance import check_equivariance
from .groups import PIXEL_GRID_GROUPS, FiniteGroup, get
from .models import ModelSpec, list_models, model_spec

__all__ = ["build_parser", "main"]

#: the claim the checker tests for each registered output kind
_CLAIM = {
    "logits": "invariant",
    "pixel-logits": None,  # per-point scores on the input's grid: the input's kind
    "image": None,
    "features": "features",
    "s2": "s2",
    "so3": "so3",
}
_PLANAR_GROUPS = PIXEL_GRID_GROUPS
_SPHERE_KINDS = ("s2", "so3")
#: sub-packages that add commands (``add_commands(subparsers)``); gconv.benchmark adds
#: ``gconv bench`` once it exists
_COMMAND_PACKAGES = ("gconv.data", "gconv.experiments", "gconv.benchmark")


def _claim(spec: ModelSpec) -> str:
    return _CLAIM[spec.output_kind] or spec.input_kind


def _cmd_check_sphere(spec: ModelSpec, args: argparse.Namespace, dtype: torch.dtype) -> int:
    b = spec.input_shape[-1] // 2
    if args.size and "bandwidth" in spec.defaults:
        b = args.size
    elif args.size and args.size != b:
        print(f"note: {spec.name} has a fixed input bandwidth {b}; --size {args.size} ignored")
    module = spec.build(**({"bandwidth": b} if "bandwidth" in spec.defaults else {})).to(dtype)
    ndim = 2 if spec.input_kind == "s2" else 3
    x = torch.randn((args.batch, spec.input_shape[0]) + (2 * b,) * ndim, dtype=dtype)
    report = check_equivariance(module, "so3", x, spec.input_kind, _claim(spec))
    print(f"input bandwidth {b}; random (not band-limited) input")
    print(report)
    return report.exit_code


def _cmd_check_ico(spec: ModelSpec, args: argparse.Namespace, dtype: torch.dtype) -> int:
    """The 60 icosahedral rotations on vertex signals ``(B, C, V)``."""
    module = spec.build().to(dtype)
    x = torch.randn((args.batch, *spec.input_shape), dtype=dtype)
    kout = "invariant" if spec.output_kind == "logits" else "vertices"
    report = check_equivariance(module, "ico", x, "vertices", kout)
    print(report)
    return report.exit_code


def _cmd_check(args: argparse.Namespace) -> int:
    try:
        spec = model_spec(args.model)
    except ValueError:
        print(f"unknown model {args.model!r}; known: {', '.join(list_models())}", file=sys.stderr)
        return 2
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    if spec.input_kind in _SPHERE_KINDS:
        return _cmd_check_sphere(spec, args, dtype)
    if spec.input_kind == "ico":
        return _cmd_check_ico(spec, args, dtype)
    group = args.group or (spec.group if spec.group in _PLANAR_GROUPS else "p4")
    module = spec.build(**({"group": group} if "group" in spec.defaults else {})).to(dtype)
    grp = cast(FiniteGroup, get(group))  # a planar group: C_N or D_N
    shape = list(spec.input_shape)
    if args.size:
        shape[-2:] = [args.size, args.size]
    if spec.input_kind == "features":
        shape[1] = grp.order
    x = torch.randn((args.batch, *shape), dtype=dtype)
    kout = _claim(spec)
    angles = []
    if spec.input_kind == "image" and kout != "features":
        angles = [math.radians(a) for a in args.angles]
    report = check_equivariance(module, grp, x, spec.input_kind, kout, angles=angles)
    print(report)
    return report.exit_code


def _cmd_demo(args: argparse.Namespace) -> int:
    try:  # the training demo needs the experiments extras (lightning, matplotlib, ...)
        from .experiments import training_demo
    except ImportError as e:
        print(f"(training demo skipped: {e}; pip install 'gconv[experiments]')\n")
    else:
        return training_demo(args)
    torch.manual_seed(args.seed)
    model = model_spec("stack").build(group=args.group).double()
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


def _check_help() -> str:
    by_kind: dict[str, list[str]] = {"planar": [], "spherical": [], "ico": []}
    for name in list_models():
        kind = model_spec(name).input_kind
        kind = "spherical" if kind in _SPHERE_KINDS else "ico" if kind == "ico" else "planar"
        by_kind[kind].append(name)
    return (
        f"a registered model or layer. planar (--group, --size = image size): "
        f"{', '.join(by_kind['planar'])} (default: stack); spherical (group SO(3), --size = "
        f"input bandwidth): {', '.join(by_kind['spherical'])}; icosahedral (the 60 rotations "
        f"of the icosahedron, on the registered grid): {', '.join(by_kind['ico'])}"
    )


def _version() -> str:
    """``gconv X (torch Y, Python Z)``: what a bug report needs first."""
    import platform

    from . import __version__

    return f"gconv {__version__} (torch {torch.__version__}, Python {platform.python_version()})"


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="gconv",
        description="Group-equivariant CNNs: p4/p4m, spherical and gauge convolutions.",
    )
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    d = sub.add_parser("demo", help="show equivariance (and, with extras, train) in one go")
    d.add_argument("--group", default="p4", choices=_PLANAR_GROUPS)
    d.add_argument("--seed", type=int, default=0)
    d.set_defaults(func=_cmd_demo)
    c = sub.add_parser("check-equivariance", help="per-element equivariance table of a layer/model")
    c.add_argument("model", nargs="?", default="stack", help=_check_help())
    c.add_argument(
        "--group",
        choices=_PLANAR_GROUPS,
        help="planar group whose elements are tested (default: the model's, else p4)",
    )
    c.add_argument(
        "--size",
        type=int,
        help="image height = width, or for spherical models the input bandwidth (default: the "
        "model's registered input shape)",
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
    for add in _extra_commands():
        add(sub)
    return p


def _extra_commands() -> list[Callable[[argparse._SubParsersAction], None]]:
    """``add_commands`` of each package in ``_COMMAND_PACKAGES`` that exists."""
    found = []
    for name in _COMMAND_PACKAGES:
        try:
            package = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:  # a missing dependency of an existing package is an error
                raise
            continue
        found.append(package.add_commands)
    return found


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``gconv: error: ...`` on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"gconv: error: {message} (see `{self.prog} --help`)\n")


#: modules whose frames in a traceback mean the error came from running the work (a forward
#: pass, autograd, Lightning's loops), not from checking the arguments
_WORK_MODULES = ("torch.nn.modules.module", "torch.autograd", "torch._dynamo",
                 "lightning.pytorch.loops")  # fmt: skip


def _argument_error(err: BaseException) -> bool:
    """A ValueError/TypeError raised while the command checks its arguments and builds its
    objects (constructors, validators, registries), or a missing file: not a crash deep inside
    the work, whose traceback passes through a module in ``_WORK_MODULES``."""
    if isinstance(err, FileNotFoundError):
        return True
    if not isinstance(err, (ValueError, TypeError)):
        return False
    tb = err.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_globals.get("__name__", "")
        if name.startswith(_WORK_MODULES):
            return False
        tb = tb.tb_next
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``gconv``. Bad arguments (argparse's checks, a ValueError/TypeError from the
    arguments' validation, a missing input file) print one line ``gconv: error: ...`` and
    return 2, no traceback; other errors propagate."""
    args = build_parser().parse_args(argv)
    args.command_line = ["gconv", *(sys.argv[1:] if argv is None else argv)]  # for the records
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError) as err:
        if not _argument_error(err):
            raise
        text = " ".join(str(err).split()) or type(err).__name__
        print(f"gconv: error: {text}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
