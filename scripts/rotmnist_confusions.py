"""Which digit pairs a study run confuses: the confusion counts of each run's best checkpoint
on the first N rotated-MNIST test digits, summed both ways (i mistaken for j plus j for i).

Used to check why full mirror invariance (P4MCNN) costs accuracy on digits: a mirror-invariant
network cannot tell a digit from its mirror image, and some digits are close to mirror images
of others up to rotation (2 and 5).

    python scripts/rotmnist_confusions.py --runs p4mcnn-seed0 p4mcnn-coset-seed0 --n 10000
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torchmetrics.functional.classification import multiclass_confusion_matrix

from gconv.experiments import get_datamodule, load_classifier

PAIRS = ((2, 5), (4, 7), (2, 4), (2, 7), (6, 9))


def best_checkpoint(root: Path, run: str) -> Path:
    """The ``best-*.ckpt`` of the one run directory under ``root`` whose name starts with run."""
    found = sorted(root.glob(f"{run}-e*/checkpoints/best-*.ckpt"))
    if len(found) != 1:
        raise FileNotFoundError(
            f"expected one best checkpoint for {run!r} in {root}, found {found}"
        )
    return found[0]


def confusion(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(10, 10) counts: row = true class, column = predicted."""
    with torch.no_grad():
        pred = torch.cat([model(x[i : i + 500]).argmax(1) for i in range(0, len(x), 500)])
    return multiclass_confusion_matrix(pred, y, num_classes=10)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", nargs="+", required=True, help="run name prefixes, e.g. p4mcnn-seed0")
    p.add_argument("--n", type=int, default=10000, help="first N test digits")
    p.add_argument("--root", type=Path, default=Path("results/runs/rotmnist"))
    args = p.parse_args()
    x, y, _ = get_datamodule("rotmnist", limit_test=args.n).split("test").tensors
    n = len(y)
    print(f"first {n} test digits; pair counts are errors both ways")
    print("run".ljust(20), "error".rjust(7), *(f"{i}<->{j}".rjust(6) for i, j in PAIRS))
    for run in args.runs:
        cm = confusion(load_classifier(best_checkpoint(args.root, run)).eval(), x, y)
        err = (cm.sum() - cm.trace()).item() / n
        cells = (int(cm[i, j] + cm[j, i]) for i, j in PAIRS)
        print(run.ljust(20), f"{100 * err:6.2f}%", *(str(c).rjust(6) for c in cells))


if __name__ == "__main__":
    main()
