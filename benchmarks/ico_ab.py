# SPDX-License-Identifier: MIT
"""Before/after of the icosahedral models' training step in one process: this tree against
one or more baseline commits (issue 16's ``ico-cnn`` speed work).

Each baseline's ``src/gconv`` is extracted (``git archive``) into a temporary folder as
package ``gconv_base<i>``; every tree builds the same model and the baselines' copies get this
tree's weights. First the agreement is printed: float64 copies, one training-mode forward and
backward on 4 samples, the largest differences of the logits and of the parameter gradients.
Then the training steps (zero_grad, forward, cross-entropy against fixed random labels,
backward, Adam lr 1e-3, each model with its own optimizer; the memory autograd saves for
backward in one training forward is printed first) and the eval-mode forwards without
grad run interleaved in every repeat, so load from other jobs on the shared machine hits all
arms alike; the ratio of the medians to the first baseline's is the figure to read.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/ico_ab.py --baseline 89e54f3 --reps 25
    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/ico_ab.py --baseline f043c31 --model-arg downsample=blur
    PYTHONPATH=src OMP_NUM_THREADS=2 python benchmarks/ico_ab.py --threads 2 --precision bf16-mixed

``--precision bf16-mixed`` times both arms under bfloat16 autocast (the agreement check stays
float64). The raw output goes to
``results/bench/ico_ab_<model>[-<key>-<value>…][-bf16-mixed]-<date>-<commit>.txt``.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from torch import nn

from _timing import (
    AUTOCAST,
    add_record_args,
    builder_args,
    cpu_timed,
    interleaved,
    recorded,
    step_and_eval,
)
from gconv.models import get_model


def load_baseline(commit: str, where: Path, name: str):
    """The baseline's ``gconv.models`` as module ``<name>.models``."""
    tar = subprocess.run(
        ["git", "archive", commit, "src/gconv"], capture_output=True, check=True
    ).stdout
    (where / name).mkdir()
    subprocess.run(["tar", "-x", "-C", str(where / name)], input=tar, check=True)
    pkg = where / name / name
    (where / name / "src" / "gconv").rename(pkg)
    for f in pkg.rglob("*.py"):
        f.write_text(re.sub(r"\bgconv\.", f"{name}.", f.read_text()))
    sys.path.insert(0, str(where / name))
    return importlib.import_module(f"{name}.models")


def agreement(new: nn.Module, old: nn.Module, x: torch.Tensor, y: torch.Tensor) -> str:
    """Float64 copies of both on the first 4 samples, training mode: the largest |difference|
    of the logits and of the parameter gradients (with the largest gradient entry for scale;
    per-tensor ratios mislead: a bias followed by batch norm has a gradient of rounding size)."""
    grads, outs = [], []
    for model in (new, old):
        twin = copy.deepcopy(model).double().train()
        out = twin(x[:4].double())
        torch.nn.functional.cross_entropy(out, y[:4]).backward()
        outs.append(out.detach())
        grads.append({k: q.grad for k, q in twin.named_parameters()})
    diff = max((a - grads[1][k]).abs().max().item() for k, a in grads[0].items())
    scale = max(g.abs().max().item() for g in grads[1].values())
    return (f"max |logit diff| {(outs[0] - outs[1]).abs().max().item():.2e}; max |grad diff| "
            f"{diff:.2e} (largest |grad| entry {scale:.2e})")  # fmt: skip


def saved_mib(model: nn.Module, x: torch.Tensor) -> float:
    """MiB of the distinct storages autograd saves for backward in one training forward."""
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model.train()(x)
    return sum(seen.values()) / 2**20


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", nargs="+", default=["main"],
                   help="git commits or branches to compare with (the first is the reference)")  # fmt: skip
    p.add_argument("--model", default="ico-cnn")
    p.add_argument("--r", type=int, default=4)
    p.add_argument("--model-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="builder argument for every tree (repeatable), e.g. downsample=blur")  # fmt: skip
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--precision", choices=list(AUTOCAST), default="32-true",
                   help="bf16-mixed: forward and loss under bfloat16 autocast (as `gconv train`)")  # fmt: skip
    add_record_args(p)
    return p.parse_args()


def _models(args: argparse.Namespace, kw: dict, commits: list[str], tmp: Path) -> dict:
    """This tree's model and each baseline's, all with this tree's initial weights."""
    torch.manual_seed(0)
    models = {"tree": get_model(args.model, r=args.r, **kw)}
    for i, (ref, commit) in enumerate(zip(args.baseline, commits, strict=True)):
        base = load_baseline(ref, tmp, f"gconv_base{i}")
        models[commit] = base.get_model(args.model, r=args.r, **kw)
        models[commit].load_state_dict(models["tree"].state_dict())
    return models


def _timings(
    models: dict, x: torch.Tensor, y: torch.Tensor, autocast: torch.dtype | None, reps: int,
    ref: str,
) -> None:  # fmt: skip
    """Interleaved training steps and evaluations of every model; medians and ratios to ``ref``."""
    cpu: dict[str, list[float]] = {}
    arms = {}
    for name, model in models.items():
        for kind, fn in step_and_eval(model, x, y, autocast).items():
            cpu[f"{kind} {name}"] = []
            arms[f"{kind} {name}"] = cpu_timed(fn, cpu[f"{kind} {name}"])
    load0 = os.getloadavg()
    times = interleaved(arms, reps, warmup=2)
    load1 = os.getloadavg()
    print(f"load average before {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, "
          f"after {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")  # fmt: skip
    print(f"{'arm':<14} {'median s':>9} {'fastest':>8} {'cpu med':>8}   all (sorted)")
    for k in sorted(arms):
        c = cpu[k][2:]  # drop the warm-up calls
        print(f"{k:<14} {statistics.median(times[k]):9.4f} {times[k][0]:8.4f} "
              f"{statistics.median(c):8.4f}   " + " ".join(f"{t:.3f}" for t in times[k]))  # fmt: skip
    for kind in ("train", "eval"):
        for name in [m for m in models if m != ref]:
            n, o = (statistics.median(times[f"{kind} {a}"]) for a in (name, ref))
            nc, oc = (statistics.median(cpu[f"{kind} {a}"][2:]) for a in (name, ref))
            print(f"{kind}: {name}/{ref} median wall {n / o:.3f}, median cpu {nc / oc:.3f}")


def main() -> None:
    args = _args()
    kw = builder_args(args.model_arg, "--model-arg")
    torch.set_num_threads(args.threads)
    commits = [
        subprocess.run(["git", "rev-parse", "--short", c], capture_output=True, text=True,
                       check=True).stdout.strip()
        for c in args.baseline
    ]  # fmt: skip
    name = "-".join([args.model, *(f"{k}-{v}" for k, v in kw.items())])
    autocast = AUTOCAST[args.precision]
    name += f"-{args.precision}" if autocast else ""
    with tempfile.TemporaryDirectory() as tmp, recorded(f"ico_ab_{name}", args):
        models = _models(args, kw, commits, Path(tmp))
        gen = torch.Generator().manual_seed(0)
        v = 10 * 4**args.r + 2
        x = torch.randn(args.batch, 1, v, generator=gen)
        seg = "seg" in args.model
        y = torch.randint(0, 11 if seg else 10, (args.batch, v) if seg else (args.batch,),
                          generator=gen)  # fmt: skip
        print(f"{args.model} r={args.r}{f' {kw}' if kw else ''}, batch {args.batch}, {args.threads} thread(s), "
              f"{args.reps} interleaved repeats, precision {args.precision}; this tree vs "
              + ", ".join(f"{r} ({c})" for r, c in zip(args.baseline, commits, strict=True)))  # fmt: skip
        for commit in commits:
            print(f"agreement with {commit} (float64, one training forward/backward):",
                  agreement(models["tree"], models[commit], x, y))  # fmt: skip
        print(f"saved for backward (one training forward, batch {args.batch}):",
              ", ".join(f"{k} {saved_mib(m, x):.1f} MiB" for k, m in models.items()))  # fmt: skip
        _timings(models, x, y, autocast, args.reps, commits[0])


if __name__ == "__main__":
    main()
