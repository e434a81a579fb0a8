# SPDX-License-Identifier: MIT
"""``gconv demo``: train Z2CNN and P4CNN on rotated MNIST for a few minutes, compare them.

Prints one table (test error on a stated test subset, parameters, training images/s, invariance
error under the 90° rotations of C4, and how far the rotation curve is from 90°-periodic) and
writes a PNG of the predicted probability of the true class as one test digit is rotated
through 360°: for P4CNN the curve repeats every 90° (its logits are exactly invariant under
C4), for Z2CNN it does not.
"""

from __future__ import annotations

import argparse
import copy
import math
import shutil
import time
from pathlib import Path
from typing import TypedDict, cast

import lightning  # noqa: F401 - the demo needs the experiments extras; ImportError → fallback
import matplotlib  # noqa: F401
import torch

from .._util import print_table
from ..equivariance import check_equivariance
from ..groups import rotate_image
from ._datamodule import DataModule, get_datamodule
from ._evaluate import load_classifier
from ._plots import plot_rotation_curve
from ._train import TrainConfig, train

__all__ = ["DEMO_BUDGET", "pick_digit", "rotation_curve", "training_demo"]


class _Budget(TypedDict):
    epochs: int
    limit_train: int | None
    limit_test: int
    angles: int


#: the demo's budget (the demo prints its own wall time; a run's raw output with the machine
#: and load is in results/bench/demo-*.txt)
DEMO_BUDGET: _Budget = {"epochs": 12, "limit_train": None, "limit_test": 10_000, "angles": 72}
_MODELS = ("z2cnn", "p4cnn")


def rotation_curve(net: torch.nn.Module, image: torch.Tensor, label: int, steps: int) -> list:
    """Probability of class ``label`` for ``image`` ``(1, H, W)`` rotated by 360°·k/steps."""
    angles = torch.arange(steps, dtype=torch.float64) * (2 * math.pi / steps)
    batch = rotate_image(image.unsqueeze(0).expand(steps, -1, -1, -1).contiguous(), angles)
    with torch.no_grad():
        return torch.softmax(net(batch), dim=1)[:, label].tolist()


def pick_digit(
    nets: dict[str, torch.nn.Module],
    images: torch.Tensor,
    labels: torch.Tensor,
    steps: int,
    candidates: int = 32,
) -> tuple[int, dict[str, list[float]]]:
    """Among the first ``candidates`` test digits that every model classifies correctly as
    stored, the one whose rotation curves vary most (sum over models of max − min): a digit
    where the models' responses to rotation are visible. Returns its index and curves."""
    with torch.no_grad():
        ok = torch.stack([net(images[:500]).argmax(1) == labels[:500] for net in nets.values()])
    pool = ok.all(0).nonzero().flatten()[:candidates].tolist() or [0]
    best, best_spread, best_curves = pool[0], -1.0, {}
    for i in pool:
        curves = {
            n: rotation_curve(net, images[i], int(labels[i]), steps) for n, net in nets.items()
        }
        spread = sum(max(c) - min(c) for c in curves.values())
        if spread > best_spread:
            best, best_spread, best_curves = i, spread, curves
    return best, best_curves


def _invariance_error(net: torch.nn.Module, x: torch.Tensor) -> float:
    """Max over the three non-trivial quarter turns of ‖f(g·x) − f(x)‖ / ‖f(x)‖, float64."""
    net64 = copy.deepcopy(net).double().eval()
    report = check_equivariance(net64, "p4", x.double(), "image", "invariant")
    return max(r.error for r in report.rows[1:])


def _period_gap(probs: list[float]) -> float:
    """max_θ |p(θ + 90°) − p(θ)| over the sampled angles (0 for a 90°-periodic curve)."""
    q = len(probs) // 4
    return max(abs(probs[(i + q) % len(probs)] - probs[i]) for i in range(len(probs)))


def _summary_row(name: str, record: dict, net: torch.nn.Module, images, curve) -> list[str]:
    """One row of the demo's table: the run's record, the C4 invariance error on ``images``
    and the plotted curve's 90° gap."""
    return [name, f"{record['params']:,}", f"{100 * record['test_error']:.2f} %",
            f"{100 * record['val_error']:.2f} %", f"{record['images_per_s']:.0f}",
            f"{_invariance_error(net, images):.1e}", f"{_period_gap(curve):.1e}"]  # fmt: skip


def training_demo(args: argparse.Namespace) -> int:
    """Run the demo (``gconv demo``); options from ``args``: seed, out, epochs, limit_train,
    limit_test, no_progress."""
    if not isinstance(args, argparse.Namespace):
        raise TypeError(f"training_demo: expected an argparse.Namespace, got {type(args).__name__}")
    budget = DEMO_BUDGET.copy()
    for key in ("epochs", "limit_train", "limit_test"):
        if getattr(args, key, None):
            budget[key] = getattr(args, key)
    out = Path(getattr(args, "out", None) or "demo-out")
    seed = int(getattr(args, "seed", 0))
    progress = not getattr(args, "no_progress", False)
    ntrain = budget["limit_train"] or 10_000
    print(
        f"gconv demo: Z2CNN vs P4CNN on rotated MNIST — {budget['epochs']} epochs each on "
        f"{ntrain:,} training digits (Adam lr 1e-3, batch 128, each batch rotated by a random "
        f"angle), model selected on the 2,000 validation digits, tested on the first "
        f"{budget['limit_test']:,} of the 50,000 test digits. The table at the end gives the wall "
        f"time.\n"
    )
    t0 = time.perf_counter()
    records, nets = {}, {}
    for name in _MODELS:
        run_dir = out / "runs" / name
        shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)  # a fresh run each time
        cfg = TrainConfig(
            model=name, epochs=budget["epochs"], seed=seed, limit_train=budget["limit_train"],
            limit_test=budget["limit_test"], out=str(run_dir), progress=progress,
        )  # fmt: skip
        records[name] = train(cfg)
        nets[name] = load_classifier(records[name]["best_checkpoint"]).net.eval()
    dm = cast(DataModule, get_datamodule("rotmnist", limit_test=budget["limit_test"]))  # planar
    test = dm.split("test")
    images, labels = test.tensors[0], test.tensors[1]
    steps = budget["angles"]
    idx, curves = pick_digit(nets, images, labels, steps)
    png = plot_rotation_curve(
        [360.0 * k / steps for k in range(steps)],
        curves,
        out / "demo-rotation.png",
        title=f"Test digit #{idx} (label {int(labels[idx])}) rotated through 360°",
        image=images[idx, 0].numpy(),
    )
    rows = [_summary_row(n, records[n], nets[n], images[:16], curves[n]) for n in _MODELS]
    total = time.perf_counter() - t0
    print()
    print_table(
        ["model", "params", "test error", "val error", "train img/s", "C4 inv. error",
         "curve 90° gap"],
        rows,
        title=f"gconv demo ({total / 60:.1f} min): test error on {records['p4cnn']['test_n']:,} "
        "test digits",
    )  # fmt: skip
    print(
        "C4 inv. error: max over 90°/180°/270° of ‖f(g·x) − f(x)‖/‖f(x)‖ (float64, eval mode, "
        "16 test digits). curve 90° gap: max over θ of |p(θ+90°) − p(θ)| on the plotted curve."
    )
    print(f"rotation plot: {png.resolve()}")
    return 0
