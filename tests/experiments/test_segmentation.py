# SPDX-License-Identifier: MIT
"""The segmentation task: epoch-summed metrics equal the one-batch metrics, a short training of
``cnn-seg-218k`` on spherical MNIST writes its record, the loss falls on a fixed batch, and a
resumed run is the uninterrupted one."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from gconv.experiments import TrainConfig, get_task, segmentation_metrics, train
from gconv.experiments._seg_module import Segmenter, _Confusion

B = 12  # the smallest bandwidth at which cnn-seg-218k keeps pixels (24×24 → … → 24×24)
TINY = {"limit_train": 32, "limit_val": 16, "limit_test": 16, "batch_size": 8, "progress": False}


def test_epoch_confusion_equals_one_batch_metrics() -> None:
    g = torch.Generator().manual_seed(int(torch.randint(0, 2**31, ())))
    logits = torch.randn(6, 11, 8, 8, generator=g)
    target = torch.randint(0, 11, (6, 8, 8), generator=g)
    conf = _Confusion(11)
    conf.update(logits[:2], target[:2])  # two batches summed ...
    conf.update(logits[2:], target[2:])
    got, n = conf.compute(Segmenter(net=torch.nn.Identity()))
    want = segmentation_metrics(logits, target)  # ... equal the whole set at once
    assert n == 6 and set(got) == set(want)
    for k, v in want.items():
        assert math.isclose(got[k], v, rel_tol=1e-12) or (math.isnan(v) and math.isnan(got[k]))


def test_task_registered_with_row_and_report() -> None:
    task = get_task("segmentation")
    assert task.monitor == "val_error" and task.module_class() is Segmenter
    rec = {"params": 5, "val_error": 0.5, "test_miou": 0.25, "test_r_miou_area": 0.1, "x": 1}
    row = task.row(rec)
    assert row == {"params": 5, "val_error": 0.5, "test_miou": 0.25, "test_r_miou_area": 0.1}
    assert ("test_r_miou", "R test mIoU (%)") in task.report


@pytest.mark.usefixtures("mnist_root")
def test_loss_decreases_on_a_fixed_batch() -> None:
    from gconv.data import SphericalMNIST

    ds = SphericalMNIST("valid", B, "NR", "segmentation")
    x = ds.signals[:8].unsqueeze(1).float() / 255
    y = ds.masks_of(range(8)).long()
    torch.manual_seed(0)
    module = Segmenter("cnn-seg-218k", {"bandwidth": B}, lr=1e-3)
    opt = module.configure_optimizers()
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = F.cross_entropy(module(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.7 * losses[0], losses


@pytest.mark.usefixtures("mnist_root")
def test_two_epochs_write_the_record_and_resume_exactly(tmp_path: Path) -> None:
    common = dict(
        model="cnn-seg-218k", data="spherical-mnist", task="segmentation", augment="rotate-50",
        data_kwargs={"bandwidth": B, "test_rotate": ["NR", "R"]}, **TINY,
    )  # fmt: skip
    rec = train(TrainConfig(epochs=2, out=str(tmp_path / "full"), **common))
    stored = json.loads((tmp_path / "full" / "record.json").read_text())
    assert stored["params"] == rec["params"] == 218_144 and rec["epochs_done"] == 2
    assert rec["test_n"] == rec["test_r_n"] == 16
    for k in ("test_miou", "test_miou_digits", "test_pixel_accuracy_area", "test_r_miou"):
        assert 0.0 <= rec[k] <= 1.0, k
    # resume: 1 epoch, then continue to 2 → the same validation score as the straight run
    part = TrainConfig(epochs=1, out=str(tmp_path / "part"), test=False, **common)
    train(part)
    resumed = train(TrainConfig(epochs=2, out=str(tmp_path / "part"), resume=True, **common))
    assert resumed["val_error"] == rec["val_error"]
    assert resumed["test_r_miou"] == rec["test_r_miou"]
