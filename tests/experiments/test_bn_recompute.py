# SPDX-License-Identifier: MIT
"""``TrainConfig.bn_recompute`` (the :class:`RecomputeBatchNorm` callback): the weights are
those of the same run without it (it draws from none of the training's streams), the selected
checkpoint holds the batch norms' statistics recomputed over the first training batches at its
weights, validation used them, and a resumed run may switch it on (``gconv train
--bn-recompute N``); on the spherical data module (digits rotated per epoch) with the
icosahedral batch norms too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from _bn_stats_check import RUN, STATS, assert_recomputed_and_used

from gconv.cli import main
from gconv.experiments import (
    RecomputeBatchNorm,
    TrainConfig,
    load_checkpoint,
    load_classifier,
    train,
)
from gconv.nn import batch_norms, recompute_batch_norm

pytestmark = pytest.mark.usefixtures("mnist_root")  # real MNIST: skip, or fail under CI

# Z2CNN has dropout and batch norms; no augmentation, so the recomputation's inputs are the
# first training images as stored
BASE = {**RUN, "limit_test": 64}


def _state(run: Path, name: str = "last.ckpt") -> dict[str, torch.Tensor]:
    return load_checkpoint(run / "checkpoints" / name)["state_dict"]


def test_weights_unchanged_and_statistics_recomputed(tmp_path: Path) -> None:
    train(TrainConfig(epochs=2, out=str(tmp_path / "plain"), **BASE))
    bn = train(TrainConfig(epochs=2, out=str(tmp_path / "bn"), bn_recompute=2, **BASE))
    a, b = _state(tmp_path / "plain"), _state(tmp_path / "bn")
    weights = [k for k in a if not k.endswith(STATS + ("num_batches_tracked",))]
    assert weights and all(torch.equal(a[k], b[k]) for k in weights)  # bit for bit
    stats = [k for k in a if k.endswith(STATS)]
    assert stats and not all(torch.equal(a[k], b[k]) for k in stats)
    # the selected checkpoint: the statistics of images 0..63 at its weights, used by validation
    assert_recomputed_and_used(Path(bn["best_checkpoint"]), bn["val_error"])


def test_resume_may_switch_it_on(tmp_path: Path) -> None:
    out = str(tmp_path / "run")
    train(TrainConfig(epochs=1, out=out, **BASE))
    argv = ["train", "--model", "z2cnn", "--augment", "none", "--seed", "5", "--epochs", "2",
            "--limit-train", "96", "--limit-val", "64", "--batch-size", "32", "--out", out,
            "--resume", "--no-test", "--no-progress", "--bn-recompute", "1"]  # fmt: skip
    assert main(argv) == 0
    rec = json.loads((tmp_path / "run" / "record.json").read_text())
    assert rec["epochs_done"] == 2 and rec["bn_recompute"] == 1
    module = load_classifier(tmp_path / "run" / "checkpoints" / "last.ckpt")
    assert int(batch_norms(module)[0].num_batches_tracked) == 1  # one batch, then no training


def test_ico_cnn_on_rotated_spherical_digits(tmp_path: Path) -> None:
    cfg = TrainConfig(model="ico-cnn", data="spherical-mnist", epochs=1, batch_size=8,
                      augment="rotate-100", limit_train=16, limit_val=8, test=False,
                      out=str(tmp_path / "run"), progress=False, bn_recompute=2)  # fmt: skip
    train(cfg)
    module = load_classifier(tmp_path / "run" / "checkpoints" / "last.ckpt")
    norms = batch_norms(module)
    assert len(norms) == 10 and {int(m.num_batches_tracked) for m in norms} == {2}


def test_bad_counts_are_refused() -> None:
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="bn_recompute must be an int >= 0"):
            TrainConfig(bn_recompute=bad)
    with pytest.raises(ValueError, match="batches"):
        RecomputeBatchNorm(0)


@pytest.mark.parametrize(
    ("model", "data", "augment"),
    [("z2cnn", "rotmnist", "batch-angle"), ("ico-cnn", "spherical-mnist", "rotate-100")],
)
def test_evaluate_recomputes_as_the_run_did(
    tmp_path: Path, capsys: pytest.CaptureFixture, model: str, data: str, augment: str
) -> None:
    """``evaluate(bn_recompute=…)`` / ``gconv evaluate --bn-recompute`` on a checkpoint whose
    statistics were scrambled gives back the statistics its run recomputed before validating
    (same samples, rotations and augmentation), and so the same test error."""
    from gconv.experiments import evaluate
    from gconv.experiments._callbacks import batches_as_in_run

    cfg = TrainConfig(model=model, data=data, epochs=1, batch_size=8, augment=augment,
                      limit_train=24, limit_val=8, test=False, seed=3, out=str(tmp_path / "run"),
                      progress=False, bn_recompute=2)  # fmt: skip
    train(cfg)
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    ckpt = load_checkpoint(last)
    for k, v in ckpt["state_dict"].items():
        if k.endswith(STATS):
            v.mul_(3.0).add_(0.5)
    scrambled = tmp_path / "scrambled.ckpt"
    torch.save(ckpt, scrambled)
    module = load_classifier(scrambled)
    assert (
        recompute_batch_norm(module, batches_as_in_run(module, data, 2, 8, int(ckpt["epoch"]), 24))
        == 2
    )
    saved = _state(tmp_path / "run")
    for k, v in module.state_dict().items():
        if k.endswith(STATS):
            torch.testing.assert_close(v, saved[k], rtol=1e-5, atol=1e-6)
    want = evaluate(last, data, limit_test=16, progress=False)
    got = evaluate(scrambled, data, limit_test=16, progress=False, bn_recompute=(2, 8, 24))
    assert got["test_error"] == want["test_error"]
    assert got["bn_recompute"] == {"batches": 2, "batch_size": 8, "limit_train": 24, "epoch": 0}
    argv = ["evaluate", str(scrambled), "--data", data, "--limit-test", "16", "--no-progress"]
    assert main([*argv, "--bn-recompute", "2", "--bn-batch-size", "8", "--limit-train", "24"]) == 0
    assert "recomputed over 2 training batches of 8 (epoch 0" in capsys.readouterr().out
    for extra, msg in ((["--limit-train", "24"], "apply only with --bn-recompute"),
                       (["--bn-recompute", "0"], "--bn-recompute must be a positive integer")):  # fmt: skip
        assert main([*argv, *extra]) == 2
        assert msg in capsys.readouterr().err
