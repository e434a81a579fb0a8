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
import datetime
import importlib
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from torch import nn

from _timing import interleaved
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
    """A copy of ``model`` whose spherical layers are the baseline's classes (same weights).
    The baseline has no SO3SumToS2Conv: its SO3ToS2Conv takes the same (S²-form) filter
    table, so the layer is rebuilt as that with the table swapped in."""
    import copy

    twin = copy.deepcopy(model)
    for name, mod in list(twin.named_modules()):
        kind = type(mod).__name__
        if kind not in ("S2Conv", "SO3Conv", "SO3SumToS2Conv"):
            continue
        cls = getattr(base_nn, "SO3ToS2Conv" if kind == "SO3SumToS2Conv" else kind)
        if kind == "SO3SumToS2Conv":
            new = cls(mod.in_channels, mod.out_channels, mod.b_in, mod.b_out, grid=((0.5, 0.0),))
            new.weight = nn.Parameter(mod.weight.detach().clone())
            new.filter_table = mod.filter_table.clone()
        else:
            new = cls(mod.in_channels, mod.out_channels, mod.b_in, mod.b_out)
            new.weight = nn.Parameter(mod.weight.detach().clone())
            new.filter_table = mod.filter_table.clone()
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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--deep-batch", type=int, default=32)
    ap.add_argument("--mnist-reps", type=int, default=20, help="repeats for the MNIST S2CNN")
    ap.add_argument("--out", default="results/bench")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    lines = [
        f"# PYTHONPATH=src python benchmarks/spherical_ab.py --baseline {args.baseline} "
        f"--reps {args.reps} --deep-batch {args.deep_batch} --mnist-reps {args.mnist_reps}; this tree at {commit} (+ working tree); "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        "# 2-core CPU shared with other sessions: absolute times are inflated and noisy, "
        "read the ratio (arms interleaved in every repetition)",
        f"  {'model':<12}{'mode':<18}{'batch':>6}{'base ms':>11}{'this ms':>11}{'this/base':>11}",
    ]
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        base_nn = load_baseline(args.baseline, Path(tmp))
        cases = [
            ("mnist", get_model("s2cnn"), 32, (1, 60, 60), "forward+backward", args.mnist_reps),
            ("deep", deep_mod.S2CNNDeep(), args.deep_batch, (1, 60, 60), "forward+backward", None),
            ("seg", deep_mod.S2CNNSeg().eval(), 1, (1, 100, 100), "inference", None),
        ]
        for name, model, batch, shape, mode, reps in cases:
            twin = rebuild(model, base_nn)
            x = torch.randn(batch, *shape)
            with torch.no_grad():
                torch.testing.assert_close(model(x), twin(x), rtol=1e-3, atol=1e-3)
            fns = {"base": arms(twin, x, mode), "this": arms(model, x, mode)}
            t = interleaved(fns, reps or args.reps, warmup=1)
            b, n = (1e3 * statistics.median(t[k]) for k in ("base", "this"))
            row = f"  {name:<12}{mode:<18}{batch:>6}{b:>11.0f}{n:>11.0f}{n / b:>11.3f}"
            print(row, flush=True)
            lines.append(row)
    day = datetime.date.today().isoformat()
    path = Path(args.out) / f"spherical_ab-{day}-{commit}.txt"
    tmp_path = path.with_suffix(".tmp")
    tmp_path.write_text("\n".join(lines) + "\n")
    tmp_path.replace(path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
