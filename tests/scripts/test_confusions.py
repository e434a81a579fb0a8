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


def test_confusion_and_largest_match_counts(script) -> None:
    m = script("confusions")
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 10, (1234,), generator=g)
    pred = torch.randint(0, 10, (1234,), generator=g)
    x = torch.nn.functional.one_hot(pred, 10).double()  # the "model" is the identity on x
    cm = m.confusion(torch.nn.Identity(), x, y)
    want = torch.zeros(10, 10, dtype=torch.long)
    want.index_put_((y, pred), torch.ones_like(y), accumulate=True)
    assert torch.equal(cm, want)
    off = want.clone().fill_diagonal_(-1)
    pair, count = m.largest(cm, 1).split()
    i, j = (int(v) for v in pair.split("→"))
    assert i != j and int(count) == off.max().item() == off[i, j].item()  # ties: any largest
