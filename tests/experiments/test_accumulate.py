# SPDX-License-Identifier: MIT
"""Gradient accumulation (``--optim accumulate=K``): an optimiser step over K batches of B
equals one step over a batch of K·B for a network without batch norms (float64, Adam); the
mid-epoch checkpoint waits for an optimiser step, and a run killed anywhere and resumed ends
as the uninterrupted one; refused values."""

from __future__ import annotations

import signal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from test_crash import ARGS, _assert_same_run, _gconv
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from gconv.cli import main
from gconv.experiments import Classifier, Segmenter, TrainConfig, WeightEMA, load_checkpoint
from gconv.experiments._checkpoint import MidEpochCheckpoint
from gconv.experiments._spec import check_recipe
from gconv.experiments._train import build_trainer


def _fit(tmp: Path, batch: int, accumulate: int, **options: float) -> tuple[nn.Module, Any]:
    """One epoch over 24 fixed samples (in order) in float64: the net and the trainer."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(24, 1, 8, 8, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 10, (24,), generator=gen)
    torch.manual_seed(1)  # the same initial weights in every call
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 10))
    module = Classifier(net=net, augment="none", lr=1e-2, accumulate=accumulate, **options)
    cfg = TrainConfig(out=str(tmp), epochs=1, precision="64-true", checkpoint_minutes=None,
                      progress=False)  # fmt: skip
    trainer = build_trainer(cfg)
    data = TensorDataset(x, y)
    trainer.fit(module, DataLoader(data, batch_size=batch), DataLoader(data, batch_size=24))
    return module.net, trainer


def test_accumulated_steps_equal_one_larger_batch(tmp_path: Path) -> None:
    """3 batches of 4, accumulated, step as one batch of 12 (two steps in the epoch); the mean
    of the three batch losses' gradients is the batch of 12's up to rounding (float64)."""
    big, big_trainer = _fit(tmp_path / "big", 12, 1)
    acc, acc_trainer = _fit(tmp_path / "acc", 4, 3)
    plain, plain_trainer = _fit(tmp_path / "plain", 4, 1)
    steps = [t.global_step for t in (big_trainer, acc_trainer, plain_trainer)]
    assert steps == [2, 2, 6]
    for (name, a), b, c in zip(acc.state_dict().items(), big.state_dict().values(),
                               plain.state_dict().values(), strict=True):  # fmt: skip
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12, msg=name)
        assert (c - b).abs().max() > 1e-4, name  # six steps of 4 are another training


def test_the_weight_average_counts_optimiser_steps(tmp_path: Path) -> None:
    """``ema`` with K = 3: the moving average is updated after each of the 2 optimiser steps,
    not after each of the 6 batches."""
    _, trainer = _fit(tmp_path, 4, 3, ema=0.5)
    ema = next(c for c in trainer.callbacks if isinstance(c, WeightEMA))
    assert trainer.global_step == 2 and int(ema._average_model.n_averaged) == 2


def test_mid_epoch_checkpoint_waits_for_an_optimiser_step() -> None:
    """With K = 3 and checkpoints due after every batch, only batches 3, 6 (index + 1 a
    multiple of K) are followed by one, never the epoch's last (index 7 of 8)."""
    saved: list[int] = []
    cb = MidEpochCheckpoint("last.ckpt", 0)
    trainer = SimpleNamespace(num_training_batches=8, sanity_checking=False, world_size=1,
                              accumulate_grad_batches=3)  # fmt: skip
    for i in range(8):
        trainer.save_checkpoint = lambda path, i=i: saved.append(i)
        cb.on_train_batch_end(trainer, None, None, None, i)  # type: ignore[arg-type]
    assert saved == [2, 5]


@pytest.mark.slow  # three fresh processes: ~30 s of CPU
@pytest.mark.usefixtures("mnist_root")
def test_killed_during_accumulation_then_resumed_equals_uninterrupted(tmp_path: Path) -> None:
    """K = 2 over 3 batches per epoch (steps after batches 2 and 3): killed before batch 2 of
    epoch 1 (no mid-epoch checkpoint yet: the epoch replays), then before batch 3 of epoch 2
    (resumes after its first step, accumulation on again), it ends as the straight run."""
    extra = ["--optim", "accumulate=2", "--checkpoint-minutes", "0"]
    straight = tmp_path / "straight"
    assert main([*ARGS, *extra, "--out", str(straight)]) == 0
    assert load_checkpoint(straight / "checkpoints" / "last.ckpt")["global_step"] == 6
    run, ckpts = tmp_path / "killed", tmp_path / "killed" / "checkpoints"
    p = _gconv(run, "batch:1:1", resume=False, extra=extra)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    ckpt = load_checkpoint(ckpts / "last.ckpt")
    assert (ckpt["epoch"], ckpt["global_step"]) == (0, 2)  # epoch 0's end, not after batch 1
    p = _gconv(run, "batch:2:2", resume=True, extra=extra)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    ckpt = load_checkpoint(ckpts / "last.ckpt")
    assert (ckpt["epoch"], ckpt["global_step"]) == (2, 5)  # after epoch 2's first step
    p = _gconv(run, None, resume=True, extra=extra)
    assert p.returncode == 0, p.stderr[-2000:]
    _assert_same_run(straight, run)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_refused_values(bad: object) -> None:
    with pytest.raises(ValueError, match=rf"accumulate must be an int >= 1, got {bad!r}"):
        check_recipe("budget", {"accumulate": bad})
    with pytest.raises(ValueError, match=r"accumulate must be an int >= 1"):
        Classifier("z2cnn", accumulate=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"accumulate must be an int >= 1"):
        Segmenter("cnn-seg-218k", accumulate=bad)  # type: ignore[arg-type]
