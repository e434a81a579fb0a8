"""Which digit pairs a study run confuses: the confusion counts of each run's best checkpoint
on its data's test split (the first N digits; each of the run's test rotations), summed both
ways (i mistaken for j plus j for i), and the run's largest single confusions.

A run's data, data options and test rotations come from its ``recipe.json`` (runs from before
that file: rotated MNIST). Used to check why full mirror invariance (P4MCNN) costs accuracy on
digits (a mirror-invariant network cannot tell a digit from its mirror image, and 2 and 5 are
close to mirror images up to rotation) and how much of a rotation-invariant spherical model's
error on rotated digits is 6 ↔ 9 (one is close to the other turned by 180°).

    python scripts/confusions.py --runs p4mcnn-seed0 p4mcnn-coset-seed0 --n 10000
    python scripts/confusions.py --root results/full-f/runs/spherical-cls \\
        --runs ico-cnn-seed0-e10-rotate-100-b30-lr0.005
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from gconv.experiments import evaluate, top_confusions

PAIRS = ((2, 5), (4, 7), (2, 4), (2, 7), (6, 9))
_DEFAULT_DATA = "rotmnist"


def best_checkpoint(root: Path, run: str) -> Path:
    """The ``best-*.ckpt`` of the one run folder under ``root`` named ``run`` or starting with
    ``run-e`` (a study run's name without its epochs and recipe, e.g. ``p4cnn-seed0``)."""
    found = sorted({*root.glob(f"{run}-e*/checkpoints/best-*.ckpt"),
                    *root.glob(f"{run}/checkpoints/best-*.ckpt")})  # fmt: skip
    if len(found) != 1:
        raise FileNotFoundError(
            f"expected one best checkpoint for {run!r} in {root}, found {found}"
        )
    return found[0]


def run_data(run_dir: Path) -> tuple[str, dict, list[str | None]]:
    """(data set, its options, test rotations) from ``run_dir/recipe.json``; rotated MNIST
    with its one test split when the file is absent."""
    path = run_dir / "recipe.json"
    if not path.is_file():
        return _DEFAULT_DATA, {}, [None]
    recipe = json.loads(path.read_text())
    kwargs = dict(recipe.get("data_kwargs") or {})
    rotations = kwargs.pop("test_rotate", None)
    return recipe["data"], kwargs, list(rotations) if rotations else [None]


def largest(cm: torch.Tensor, k: int = 3) -> str:
    """The k largest off-diagonal counts as ``true→predicted count`` (``gconv evaluate
    --confusion``'s ranking: ties in class order, zero cells left out)."""
    return " ".join(f"{t}→{p} {c}" for t, p, c, _ in top_confusions(cm.tolist(), k))


def matrices(checkpoint: Path, n: int) -> dict[str, torch.Tensor]:
    """``{test rotation or "": counts (10, 10)}`` of a run's checkpoint on the first
    n digits of each of its test sets (``gconv.experiments.evaluate``: row = true class,
    column = predicted)."""
    data, kwargs, rotations = run_data(checkpoint.parent.parent)
    if rotations != [None]:
        kwargs["test_rotate"] = tuple(rotations)
    rec = evaluate(checkpoint, data, limit_test=n, progress=False, data_kwargs=kwargs)
    names = rec["test_names"] or ["test"]
    return {
        rot or "": torch.tensor(rec["confusion"][name])
        for rot, name in zip(rotations, names, strict=True)
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", nargs="+", required=True, help="run names or prefixes (p4cnn-seed0)")
    p.add_argument("--n", type=int, default=10000, help="first N test digits")
    p.add_argument("--root", type=Path, default=Path("results/runs/rotmnist"))
    args = p.parse_args(argv)
    print(f"first {args.n} test digits (fewer where the split is smaller); pair counts are "
          "errors both ways")  # fmt: skip
    width = max(20, *(len(r) for r in args.runs))
    head = ["run".ljust(width), "test".ljust(4), "error".rjust(7)]
    print(*head, *(f"{i}<->{j}".rjust(6) for i, j in PAIRS), "  largest (true→predicted)")
    for run in args.runs:
        for rot, cm in matrices(best_checkpoint(args.root, run), args.n).items():
            err = 1.0 - (cm.trace() / cm.sum()).item()
            cells = (str(int(cm[i, j] + cm[j, i])).rjust(6) for i, j in PAIRS)
            row = [run.ljust(width), rot.ljust(4), f"{100 * err:6.2f}%"]
            print(*row, *cells, "  " + largest(cm))


if __name__ == "__main__":
    main()
