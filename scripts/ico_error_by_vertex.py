"""Does an icosahedral model's error on rotated digits depend on where the digit lands?

On the icosahedral grid, regular features vanish at the 12 five-neighbour vertices (the
icosahedron's own corners; ``gconv.nn.icosahedral``). A rotated test digit's centre lands at
``R_n · (0, 0, −1)`` (digits are projected around the south pole, ``gconv.data.project``); this
prints the error rate of a run's best checkpoint on its R test digits, binned by the angle from
that centre to the nearest of the 12 vertices (at most 37.4°, the circumradius of a face).

    python scripts/ico_error_by_vertex.py --root results/pilot-r --runs fresh-r --n 10000
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from confusions import best_checkpoint, run_data

from gconv.experiments import get_datamodule, load_classifier
from gconv.groups import IcoGrid

EDGES = (0, 5, 10, 15, 20, 25, 30, 38)


def centre_angles(rotations: np.ndarray) -> np.ndarray:
    """Degrees from each rotated south pole to the nearest five-neighbour vertex, as
    atan2(|c × v|, c · v): exact to rounding near 0°, where arccos of a dot product loses half
    the digits (1e-6° off for a dot product one ulp below 1)."""
    centre = rotations @ np.array([0.0, 0.0, -1.0])
    V = IcoGrid(0).vertices
    sin = np.linalg.norm(np.cross(centre[:, None, :], V[None, :, :]), axis=-1)
    return np.degrees(np.arctan2(sin, centre @ V.T).min(axis=1))


def errors(run_dir: Path, ckpt: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(wrong, angle) per R test digit of the run's data (the first n)."""
    model = load_classifier(ckpt).eval()
    data, kwargs, _ = run_data(run_dir)
    hp = dict(model.hparams)
    dm = get_datamodule(data, model=hp["model"], model_kwargs=hp.get("model_kwargs"),
                        limit_test=n, **kwargs)  # fmt: skip
    x, y = dm.split("test", "R").tensors[:2]
    with torch.no_grad():
        pred = torch.cat([model(x[i : i + 250]).argmax(1) for i in range(0, len(x), 250)])
    rotations = np.asarray(dm.dataset("test", "R").rotations[: len(y)])
    return (pred != y).numpy(), centre_angles(rotations)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", nargs="+", required=True, help="run names or prefixes")
    p.add_argument("--n", type=int, default=10000, help="first N R test digits")
    p.add_argument("--root", type=Path, required=True, help="folder holding the run folders")
    args = p.parse_args(argv)
    for run in args.runs:
        ckpt = best_checkpoint(args.root, run)
        wrong, ang = errors(ckpt.parent.parent, ckpt, args.n)
        print(f"{run} ({ckpt}): {len(wrong)} R test digits, error {100 * wrong.mean():.2f} %")
        print("  centre to nearest 5-neighbour vertex | digits | error")
        for lo, hi in zip(EDGES[:-1], EDGES[1:], strict=True):
            s = (ang >= lo) & (ang < hi)
            if s.any():
                print(f"  {lo:2d}–{hi:2d}° | {int(s.sum()):5d} | {100 * wrong[s].mean():5.2f} %")


if __name__ == "__main__":
    main()
