# SPDX-License-Identifier: MIT
"""``optim ema=d``: a moving average of the weights (``WeightEMA``) is what a run validates,
checkpoints and tests, computed as w̄ ← d_n·w̄ + (1 − d_n)·w after the n-th optimiser step,
d_n = min(d, (1 + n)/(10 + n)); a resumed run continues it bit for bit; real rotated MNIST,
small subsets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from _bn_stats_check import RUN, assert_recomputed_and_used
from lightning.pytorch.callbacks import Callback

from gconv.cli import main
from gconv.experiments import (
    CheckpointError,
    Classifier,
    TrainConfig,
    load_checkpoint,
    load_classifier,
    train,
)

pytestmark = pytest.mark.usefixtures("mnist_root")  # real MNIST: skip, or fail under CI

TINY = {"limit_train": 192, "limit_val": 96, "batch_size": 64, "progress": False}
DECAY = 0.3  # d_n = min(d, (1 + n)/(10 + n)): warm-up for n = 1, 2, then d


def _floats(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in state.items() if v.is_floating_point()}


def _ints(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v for k, v in state.items() if not v.is_floating_point()}


class _Spy(Callback):
    """The module's floating-point state after every optimiser step, at the first validation
    batch of each epoch and at the first test batch."""

    def __init__(self) -> None:
        self.steps: list[dict[str, torch.Tensor]] = []
        self.validated: list[dict[str, torch.Tensor]] = []
        self.tested: dict[str, torch.Tensor] = {}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:  # noqa: ANN001
        self.steps.append(_floats(pl_module.state_dict()))

    def on_validation_batch_start(self, trainer, pl_module, batch, batch_idx, *a) -> None:  # noqa: ANN001
        if batch_idx == 0:
            self.validated.append(_floats(pl_module.state_dict()))

    def on_test_batch_start(self, trainer, pl_module, batch, batch_idx, *a) -> None:  # noqa: ANN001
        if batch_idx == 0 and not self.tested:
            self.tested = _floats(pl_module.state_dict())


def _ema(steps: list[dict[str, torch.Tensor]], decay: float) -> dict[str, torch.Tensor]:
    """The average by hand: the first step's state, then d_n·w̄ + (1 − d_n)·w at the n-th
    step after it, d_n = min(d, (1 + n)/(10 + n))."""
    avg = {k: v.clone() for k, v in steps[0].items()}
    for n, state in enumerate(steps[1:], start=1):
        d = min(decay, (1 + n) / (10 + n))
        avg = {k: d * avg[k] + (1 - d) * state[k] for k in avg}
    return avg


def _close(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)


def _cfg(out: Path, epochs: int, **kw) -> TrainConfig:  # noqa: ANN003
    return TrainConfig(model="z2cnn", epochs=epochs, out=str(out), seed=3,
                       optim={"ema": DECAY}, **{**TINY, **kw})  # fmt: skip


def test_validation_checkpoints_and_test_hold_the_average(tmp_path: Path) -> None:
    spy = _Spy()
    rec = train(_cfg(tmp_path / "run", 2, limit_test=64), callbacks=[spy])
    assert len(spy.steps) == 6 and len(spy.validated) == 2  # 3 steps per epoch
    for epoch, seen in enumerate(spy.validated):
        _close(seen, _ema(spy.steps[: 3 * (epoch + 1)], DECAY))
    last = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt")
    _close(_floats(last["state_dict"]), _ema(spy.steps, DECAY))
    live = _floats(last["current_model_state"])
    _close(live, spy.steps[-1])
    ints = _ints(last["state_dict"])  # batch counters: the live ones, not averaged
    assert ints and ints.keys() == _ints(last["current_model_state"]).keys()
    assert all(torch.equal(v, last["current_model_state"][k]) for k, v in ints.items())
    assert any(not torch.equal(live[k], v) for k, v in _floats(last["state_dict"]).items())
    best = load_checkpoint(rec["best_checkpoint"])
    assert rec["best_epoch"] == best["epoch"]
    _close(spy.tested, _floats(best["state_dict"]))  # the test ran on the stored average

    # evaluate: the average by default, the live weights with live=True (--live)
    path = tmp_path / "run" / "checkpoints" / "last.ckpt"
    _close(_floats(load_classifier(path).state_dict()), _floats(last["state_dict"]))
    _close(_floats(load_classifier(path, live=True).state_dict()), live)
    out = tmp_path / "live.json"
    assert main(["evaluate", str(path), "--limit-test", "64", "--live", "--no-progress",
                 "--json", str(out)]) == 0  # fmt: skip
    assert json.loads(out.read_text())["weights"] == "live"
    plain = {k: v for k, v in last.items() if k != "current_model_state"}
    torch.save(plain, tmp_path / "plain.ckpt")
    with pytest.raises(CheckpointError, match="no live weights"):
        load_classifier(tmp_path / "plain.ckpt", live=True)


def test_resume_continues_the_average_bit_for_bit(tmp_path: Path) -> None:
    train(_cfg(tmp_path / "straight", 2, resume=True, test=False))
    train(_cfg(tmp_path / "stopped", 1, resume=True, test=False))
    train(_cfg(tmp_path / "stopped", 2, resume=True, test=False))
    a = load_checkpoint(tmp_path / "straight" / "checkpoints" / "last.ckpt")
    b = load_checkpoint(tmp_path / "stopped" / "checkpoints" / "last.ckpt")
    assert a["global_step"] == b["global_step"] == 6
    for key in ("state_dict", "current_model_state"):
        assert a[key].keys() == b[key].keys()
        for k, v in a[key].items():
            assert torch.equal(v, b[key][k]), (key, k)  # CPU, deterministic


def test_a_changed_decay_is_refused_on_resume(tmp_path: Path) -> None:
    train(_cfg(tmp_path / "run", 1, resume=True, test=False))
    cfg = _cfg(tmp_path / "run", 2, resume=True, test=False)
    cfg.optim["ema"] = 0.9
    with pytest.raises(ValueError, match="ema"):
        train(cfg)


def test_without_ema_no_callback_is_added() -> None:
    assert Classifier(model="z2cnn").configure_callbacks() == []
    (cb,) = Classifier(model="z2cnn", ema=0.99).configure_callbacks()
    assert type(cb).__name__ == "WeightEMA" and cb.decay == 0.99


def test_outside_fit_a_checkpoint_keeps_its_average() -> None:
    """Lightning's callback, once fitted, loads ``current_model_state`` (the live weights) from
    any checkpoint, a test's included; ``WeightEMA`` does so only when resuming a fit."""
    from types import SimpleNamespace

    from torch.optim.swa_utils import AveragedModel

    from gconv.experiments import WeightEMA

    torch.manual_seed(0)
    module = Classifier(model="z2cnn", ema=0.5)
    avg = {k: v.clone() for k, v in module.state_dict().items()}
    live = {k: v + 1 if v.is_floating_point() else v for k, v in avg.items()}
    ckpt = {"state_dict": avg, "current_model_state": live,
            "averaging_state": {"n_averaged": torch.tensor(3)}}  # fmt: skip
    cb = WeightEMA(0.5)
    cb._average_model = AveragedModel(module)  # as after a fit
    trainer = SimpleNamespace(state=SimpleNamespace(fn="test"))
    cb.on_load_checkpoint(trainer, module, ckpt)  # type: ignore[arg-type]
    assert all(torch.equal(v, avg[k]) for k, v in module.state_dict().items())
    trainer.state.fn = "fit"  # a resumed fit: the live weights in the module
    cb.on_load_checkpoint(trainer, module, ckpt)  # type: ignore[arg-type]
    assert all(torch.equal(v, live[k]) for k, v in module.state_dict().items())


def test_integer_buffers_follow_the_live_module() -> None:
    """An average of integers cast back can truncate (0.9·7 + 0.1·7 < 7 in float32): index
    tables, as the icosahedral layers keep, must stay the live ones."""
    from gconv.experiments import WeightEMA

    decay = 0.9
    module = Classifier(model="ico-cnn", augment="none", ema=decay)
    cb = WeightEMA(decay)
    cb.setup(None, module, "fit")  # type: ignore[arg-type]
    weights = []
    for _ in range(3):
        with torch.no_grad():
            for p in module.parameters():
                p.add_(torch.randn_like(p))
        weights.append({k: v.clone() for k, v in module.named_parameters()})
        cb._average_model.update_parameters(module)
    averaged = cb._average_model.module
    ints = {k: v for k, v in module.named_buffers() if not v.is_floating_point()}
    assert any(v.numel() > 1 for v in ints.values())  # index tables among them
    for k, v in averaged.named_buffers():
        if k in ints:
            assert torch.equal(v, ints[k]), k
    _close(dict(averaged.named_parameters()), _ema(weights, decay))


def test_the_live_weights_are_those_of_a_run_without_ema(tmp_path: Path) -> None:
    """The average is only read: the optimiser steps the same weights, bit for bit, so one run
    with ``ema`` gives both arms of a comparison (``--live`` and the average)."""
    train(_cfg(tmp_path / "ema", 2, test=False))
    plain = _cfg(tmp_path / "plain", 2, test=False)
    plain.optim.clear()
    train(plain)
    a = load_checkpoint(tmp_path / "ema" / "checkpoints" / "last.ckpt")["current_model_state"]
    b = load_checkpoint(tmp_path / "plain" / "checkpoints" / "last.ckpt")["state_dict"]
    assert a.keys() == b.keys()
    for k, v in a.items():
        assert torch.equal(v, b[k]), k


def test_with_bn_recompute_the_average_gets_its_own_statistics(tmp_path: Path) -> None:
    """``bn_recompute`` beside ``ema``: the statistics recomputed before each validation are
    those of the averaged weights (recomputed again here from the selected checkpoint's
    weights over the same first 64 training images), and validation used them."""
    rec = train(TrainConfig(epochs=2, out=str(tmp_path / "run"), bn_recompute=2,
                            optim={"ema": DECAY}, **RUN))  # fmt: skip
    assert_recomputed_and_used(Path(rec["best_checkpoint"]), rec["val_error"])
