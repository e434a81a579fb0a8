# SPDX-License-Identifier: MIT
"""Before/after of the spherical models in one process: this tree against a baseline commit.

The baseline's ``src/gconv`` is extracted (``git archive``) into a temporary folder as package
``gconv_base`` and its spherical layers are used to build the same models with the same weights;
both arms run interleaved in every repetition, so load from other jobs on the shared machine
hits them alike and the ratio is the figure to read. Outputs are checked to agree first.

    PYTHONPATH=src python benchmarks/spherical_ab.py --baseline b0dfb2d [--reps 3]
"""

from __future__ import annotations

import argparse
import gc
import importlib
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from _timing import add_record_args, cpu_timed, interleaved, recorded
from gconv.models import get_model
from gconv.models import spherical_deep as deep_mod


def load_baseline(commit: str, where: Path):
    """The baseline's ``gconv.nn`` as module ``gconv_base.nn``."""
    tar = subprocess.run(
        ["git", "archive", commit, "src/gconv"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=tar, check=True)
    pkg = where / "gconv_base"
    (where / "src" / "gconv").rename(pkg)
    for f in pkg.rglob("*.py"):
        f.write_text(re.sub(r"\bgconv\.", "gconv_base.", f.read_text()))
    sys.path.insert(0, str(where))
    return importlib.import_module("gconv_base.nn")


def rebuild(model: nn.Module, base_nn) -> nn.Module:
    """A copy of ``model`` whose spherical layers are the baseline's classes, built on the same
    filter grids with the same weights. A baseline without SO3SumToS2Conv gets an SO3ToS2Conv
    with that layer's (S²-form) filter table swapped in."""
    import copy

    twin = copy.deepcopy(model)
    for name, mod in list(twin.named_modules()):
        kind = type(mod).__name__
        if kind not in ("S2Conv", "SO3Conv", "SO3SumToS2Conv"):
            continue
        args = (mod.in_channels, mod.out_channels, mod.b_in, mod.b_out)
        if hasattr(base_nn, kind):
            grid = tuple(tuple(float(v) for v in p) for p in mod._grid)
            new = getattr(base_nn, kind)(*args, grid=grid)
        else:
            new = base_nn.SO3ToS2Conv(*args, grid=((0.5, 0.0),))
            new.filter_table = mod.filter_table.clone()
        new.weight = nn.Parameter(mod.weight.detach().clone())
        new.bias = nn.Parameter(mod.bias.detach().clone())
        parent = twin.get_submodule(name.rsplit(".", 1)[0]) if "." in name else twin
        setattr(parent, name.rsplit(".", 1)[-1], new)
    return twin


def arms(model: nn.Module, x: torch.Tensor, mode: str):
    if mode == "inference":

        def run() -> None:
            with torch.no_grad():
                model(x)

        return run

    def run_fb() -> None:
        model.zero_grad(set_to_none=True)
        model(x).sum().backward()

    return run_fb


def _cases(args: argparse.Namespace) -> dict[str, tuple]:
    """name → (builder, batch, input shape, mode, repeats or None for ``--reps``)."""
    return {
        "mnist": (lambda: get_model("s2cnn"), 32, (1, 60, 60), "forward+backward", args.mnist_reps),
        "deep": (deep_mod.S2CNNDeep, args.deep_batch, (1, 60, 60), "forward+backward", None),
        "seg": (lambda: deep_mod.S2CNNSeg().eval(), 1, (1, 100, 100), "inference", None),
        "seg-train": (deep_mod.S2CNNSeg, args.seg_batch, (1, 100, 100), "forward+backward", None),
    }


def _time_case(
    name: str,
    build: Callable[[], nn.Module],
    batch: int,
    shape: tuple[int, ...],
    mode: str,
    reps: int | None,
    base_nn: object,
    default: int,
) -> None:
    """This checkout's model against its baseline twin (outputs checked first), interleaved;
    one table row of median wall and CPU ms and their ratios."""
    model = build()
    twin = rebuild(model, base_nn)
    x = torch.randn(batch, *shape)
    with torch.no_grad():
        torch.testing.assert_close(model(x), twin(x), rtol=1e-3, atol=1e-3)
    cpu: dict[str, list[float]] = {"base": [], "this": []}
    fns = {k: cpu_timed(arms(m, x, mode), cpu[k]) for k, m in (("base", twin), ("this", model))}
    t = interleaved(fns, reps or default, warmup=1)
    cb, cn = (1e3 * statistics.median(cpu[k][1:]) for k in ("base", "this"))
    b, n = (1e3 * statistics.median(t[k]) for k in ("base", "this"))
    print(
        f"  {name:<12}{mode:<18}{batch:>6}{b:>11.0f}{n:>11.0f}{n / b:>11.3f}"
        f"{cb:>10.0f}{cn:>10.0f}{cn / cb:>10.3f}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--deep-batch", type=int, default=32)
    ap.add_argument("--mnist-reps", type=int, default=20, help="repeats for the MNIST S2CNN")
    ap.add_argument("--seg-batch", type=int, default=1, help="batch of the seg-train case")
    ap.add_argument(
        "--models",
        default="mnist,deep,seg",
        help="comma-separated subset of mnist,deep,seg,seg-train",
    )
    add_record_args(ap)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with recorded("spherical_ab", args), tempfile.TemporaryDirectory() as tmp:
        print(
            f"# python benchmarks/spherical_ab.py --baseline {args.baseline} --reps {args.reps} "
            f"--threads {args.threads} --deep-batch {args.deep_batch} "
            f"--mnist-reps {args.mnist_reps} --seg-batch {args.seg_batch} --models {args.models}"
        )
        print("# arms interleaved in every repetition; read the ratio (shared machine)")
        print("# wall: median wall-clock ms; cpu: median CPU ms of this process (all threads)")
        print(
            f"  {'model':<12}{'mode':<18}{'batch':>6}{'base ms':>11}{'this ms':>11}{'this/base':>11}"
            f"{'base cpu':>10}{'this cpu':>10}{'cpu ratio':>10}"
        )
        base_nn = load_baseline(args.baseline, Path(tmp))
        for name in args.models.split(","):
            _time_case(name, *_cases(args)[name], base_nn, args.reps)
            gc.collect()  # two seg nets and their tables are several GB


if __name__ == "__main__":
    main()
