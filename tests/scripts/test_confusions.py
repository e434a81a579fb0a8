# SPDX-License-Identifier: MIT
"""scripts/confusions.py: which checkpoint a run name picks, what a run's recipe says about its
test data, and the counts it prints, on a random matrix and a model with known predictions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch


def _ckpt(root: Path, run: str, epoch: int) -> Path:
    path = root / run / "checkpoints" / f"best-{epoch:03d}.ckpt"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    return path


def test_best_checkpoint_by_prefix_or_full_name(tmp_path: Path, script) -> None:
    m = script("confusions")
    a = _ckpt(tmp_path, "p4cnn-seed0-e20-none", 7)
    b = _ckpt(tmp_path, "p4cnn-seed1-e20-none", 3)
    assert m.best_checkpoint(tmp_path, "p4cnn-seed0") == a
    assert m.best_checkpoint(tmp_path, "p4cnn-seed1-e20-none") == b
    with pytest.raises(FileNotFoundError, match="expected one best checkpoint"):
        m.best_checkpoint(tmp_path, "p4mcnn-seed0")  # none
    _ckpt(tmp_path, "p4cnn-seed0-e40-none", 9)
    with pytest.raises(FileNotFoundError, match="found"):
        m.best_checkpoint(tmp_path, "p4cnn-seed0")  # two: ambiguous


def test_run_data_from_recipe(tmp_path: Path, script) -> None:
    m = script("confusions")
    assert m.run_data(tmp_path) == ("rotmnist", {}, [None])  # a run from before recipe.json
    recipe = {
        "data": "spherical-mnist",
        "data_kwargs": {"bandwidth": 30, "test_rotate": ["NR", "R"]},
    }
    (tmp_path / "recipe.json").write_text(json.dumps(recipe))
    assert m.run_data(tmp_path) == ("spherical-mnist", {"bandwidth": 30}, ["NR", "R"])


def test_largest_ranks_off_diagonal_counts(script) -> None:
    m = script("confusions")
    g = torch.Generator().manual_seed(0)
    cm = torch.randint(0, 50, (10, 10), generator=g)
    cm[6, 9], cm[3, 3] = 400, 900  # the largest error, and a larger diagonal cell
    off = cm.clone().fill_diagonal_(-1)
    pairs = m.largest(cm, 2).split()
    assert pairs[:2] == ["6→9", "400"]
    i, j = (int(v) for v in pairs[2].split("→"))
    assert i != j and int(pairs[3]) == off.view(-1).topk(2).values[1].item() == off[i, j].item()


@pytest.mark.usefixtures("mnist_root")
def test_matrices_count_the_checkpoints_predictions(tmp_path: Path, script) -> None:
    """The script's matrices (from ``evaluate``) against the checkpoint's own predictions."""
    from gconv.experiments import RotMNISTDataModule, TrainConfig, load_classifier, train

    m = script("confusions")
    rec = train(TrainConfig(model="z2cnn", epochs=1, limit_train=64, limit_val=32,
                            batch_size=32, out=str(tmp_path / "run"), progress=False,
                            test=False))  # fmt: skip
    ckpt = Path(rec["best_checkpoint"])
    (cm,) = m.matrices(ckpt, 100).values()
    x, y = RotMNISTDataModule(limit_test=100).split("test").tensors[:2]
    with torch.no_grad():
        pred = load_classifier(ckpt).eval()(x).argmax(1)
    want = torch.zeros(10, 10, dtype=torch.long)
    want.index_put_((y, pred), torch.ones_like(y), accumulate=True)
    assert torch.equal(cm, want) and cm.sum() == 100
