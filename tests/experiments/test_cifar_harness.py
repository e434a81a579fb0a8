# SPDX-License-Identifier: MIT
"""CIFAR-10 in the harness: the data module (held-out validation, per-channel normalisation),
``gconv train --data cifar10`` with flip-translate and SGD, and ``gconv study cifar10 --budget
smoke`` — all on small files in the exact binary format (``tests/data/_cifar_files.py``)."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from gconv.cli import main
from gconv.experiments import CIFAR10DataModule, get_datamodule, get_study

_spec = importlib.util.spec_from_file_location(
    "_cifar_files", Path(__file__).parents[1] / "data" / "_cifar_files.py"
)
_files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_files)

N = 4  # records per file: 20 training images, 4 test images


@pytest.fixture
def cifar(tmp_path, monkeypatch):
    """The six tiny files, extracted into ``$GCONV_DATA/cifar10/cifar-10-batches-bin/``."""
    tiny = _files.tiny_cifar(tmp_path, monkeypatch, n=N, seed=7)
    folder = tiny["places"]["data"] / "cifar10" / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    for role, spec in tiny["specs"].items():
        (folder / spec.name).write_bytes(tiny["raws"][role])
    return tiny


def test_registered_for_cifar10():
    assert isinstance(get_datamodule("cifar10"), CIFAR10DataModule)


def test_splits_hold_out_the_last_training_images_and_normalise(cifar):
    dm = get_datamodule("cifar10", val_size=6, augment="flip-translate")
    train, valid, test = (dm.split(s).tensors for s in ("train", "valid", "test"))
    images = cifar["images"].reshape(6 * N, 3, 32, 32).astype(np.float64) / 255
    labels = cifar["labels"].reshape(-1)
    held_in = images[: 5 * N - 6]  # the first 14 of the 20 training images, in file order
    mean = held_in.mean(axis=(0, 2, 3))
    std = held_in.std(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(dm.mean, mean, rtol=1e-12)  # float64 on both sides
    np.testing.assert_allclose(dm.std, std, rtol=1e-12)
    norm = (images - mean[:, None, None]) / std[:, None, None]
    for (x, y, angle), lo, hi in ((train, 0, 14), (valid, 14, 20), (test, 20, 24)):
        assert x.dtype == torch.float32 and x.shape == (hi - lo, 3, 32, 32)
        np.testing.assert_allclose(x.numpy(), norm[lo:hi], rtol=0, atol=1e-5)  # float32 cast
        np.testing.assert_array_equal(y.numpy(), labels[lo:hi])
        assert torch.equal(angle, torch.zeros(hi - lo, dtype=torch.float64))
    # the held-in images are standardised per channel (to float32 rounding)
    flat = train[0].double().transpose(0, 1).reshape(3, -1)
    torch.testing.assert_close(flat.mean(1), torch.zeros(3, dtype=torch.float64), atol=1e-6, rtol=0)
    torch.testing.assert_close(flat.std(1), torch.ones(3, dtype=torch.float64), atol=1e-6, rtol=0)
    assert dm.state() == {"n_train": 14, "n_valid": 6, "n_test": 4, "normalize": "channel",
                          "mean": dm.mean, "std": dm.std}  # fmt: skip


def test_limits_and_no_normalisation(cifar):
    dm = CIFAR10DataModule(val_size=5, limit_train=3, limit_val=2, limit_test=1, normalize="none")
    x, y, _ = dm.split("train").tensors
    assert len(y) == 3 and len(dm.split("valid")) == 2 and len(dm.split("test")) == 1
    expected = torch.from_numpy(cifar["images"][0, :3]).double() / 255
    torch.testing.assert_close(x.double(), expected, atol=1e-7, rtol=0)  # float32 of k/255
    assert dm.mean == (0.0, 0.0, 0.0) and dm.std == (1.0, 1.0, 1.0)


def test_bad_arguments(cifar):
    with pytest.raises(ValueError, match=r"val_size must be an int >= 1, got 0"):
        CIFAR10DataModule(val_size=0)
    with pytest.raises(ValueError, match=r"normalize must be one of \('channel', 'none'\)"):
        CIFAR10DataModule(normalize="zca")
    with pytest.raises(ValueError, match=r"val_size must be below the 20 training images, got 20"):
        CIFAR10DataModule(val_size=20).split("train")
    with pytest.raises(ValueError, match=r"name must be one of \('train', 'valid', 'test'\)"):
        CIFAR10DataModule().split("validation")


def test_train_cli_with_flip_translate_and_sgd_schedule(cifar, tmp_path, capsys):
    out = tmp_path / "run"
    code = main([
        "train", "--model", "allcnnc-p4", "--data", "cifar10", "--epochs", "2",
        "--batch-size", "8", "--val-size", "6", "--augment", "flip-translate", "--lr", "0.01",
        "--optim", "optimizer=sgd", "momentum=0.9", "weight_decay=1e-3", "lr_decay=0.5",
        "lr_decay_from=1",
        "--out", str(out), "--no-progress",
    ])  # fmt: skip
    assert code == 0
    rec = json.loads((out / "record.json").read_text())
    assert rec["data"] == "cifar10" and rec["augment"] == "flip-translate"
    assert rec["test_n"] == N and rec["epochs_done"] == 2
    assert rec["optim"] == {"optimizer": "sgd", "momentum": 0.9, "weight_decay": 1e-3,
                            "lr_decay": 0.5, "lr_decay_from": 1}  # fmt: skip
    ckpt = torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)
    group = ckpt["optimizer_states"][0]["param_groups"][0]
    assert (group["momentum"], group["weight_decay"]) == (0.9, 1e-3)
    assert "momentum_buffer" in ckpt["optimizer_states"][0]["state"][0]  # SGD's, not Adam's
    # after 2 epochs the scheduler stands at epoch 2: lr · 0.5^(2 − 1)
    assert group["lr"] == pytest.approx(0.005, rel=1e-12)
    assert "gconv train: allcnnc-p4 on cifar10" in capsys.readouterr().out


def test_study_smoke_writes_rows_and_the_papers_column(cifar, tmp_path):
    spec = get_study("cifar10")
    assert len(spec.arms) == 5 and spec.augments == ("none", "flip-translate")
    assert spec.seeds == (0, 1, 2) and list(spec.budgets) == ["paper", "short", "smoke"]
    out = tmp_path / "study"
    models = ["allcnnc-p4m", "resnet44-z2"]
    code = main(["study", "cifar10", "--budget", "smoke", "--seeds", "0", "--models", *models,
                 "--out", str(out), "--no-progress"])  # fmt: skip
    assert code == 0
    with (out / "cifar10.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["model"], r["augment"]) for r in rows] == [
        (m, a) for a in ("none", "flip-translate") for m in models
    ]
    for r in rows:
        assert r["test_n"] == str(N) and r["epochs"] == "1" and r["lr"] == "0.01"
        assert 0.0 <= float(r["test_error"]) <= 1.0 and "('optimizer', 'sgd')" in r["optim"]
    report = (out / "cifar10.md").read_text()
    assert "paper (%)" in report
    cells = [line.strip("| ").split(" | ") for line in report.splitlines() if line[:2] == "| "]
    paper = {(c[0], c[3]): c[cells[0].index("paper (%)")] for c in cells[1:]}
    assert paper == {  # Table 2 of the paper, per augmentation
        ("allcnnc-p4m", "none"): "7.59", ("allcnnc-p4m", "flip-translate"): "7.04",
        ("resnet44-z2", "none"): "9.45", ("resnet44-z2", "flip-translate"): "5.61",
    }  # fmt: skip


def test_study_runner_passes_the_accelerator(monkeypatch, tmp_path):
    """``gconv study … --accelerator gpu`` must reach the runs (it used to be dropped)."""
    import gconv.experiments._train as train_module
    from gconv.experiments._study import default_runner, plan

    seen = []

    def fake_train(cfg):
        seen.append(cfg)
        return {"task": "classification", "test_error": 0.5, "params": 1}

    monkeypatch.setattr(train_module, "train", fake_train)
    spec = get_study("cifar10")
    run = plan(spec, seeds=[0], budget=spec.budget("paper"))[0]
    row = default_runner("cifar10", False, accelerator="gpu")(run, tmp_path)
    cfg = seen[0]
    assert (cfg.accelerator, cfg.lr, cfg.batch_size, cfg.epochs) == ("gpu", 0.01, 128, 100)
    assert cfg.optim == {"momentum": 0.9, "optimizer": "sgd", "weight_decay": 1e-3}
    assert cfg.data_kwargs == {"val_size": 5_000} and row["test_error"] == 0.5


def test_train_default_augmentation_is_none_for_colour_images():
    from gconv.experiments._cli import _default_augment, _optim, _optim_item

    assert _default_augment("allcnnc-p4", "cifar10") == "none"
    assert _default_augment("p4cnn", "rotmnist") == "batch-angle"  # unchanged for MNIST-rot
    items = [_optim_item(t) for t in ("optimizer=sgd", "lr_decay_from=15", "momentum=0.9")]
    assert items == [("optimizer", "sgd"), ("lr_decay_from", 15), ("momentum", 0.9)]
    assert _optim(items) == {"optimizer": "sgd", "lr_decay_from": 15, "momentum": 0.9}
    with pytest.raises(Exception, match="expected KEY=VALUE, got 'sgd'"):
        _optim_item("sgd")
    with pytest.raises(ValueError, match=r"--optim: set \['lr'\] with their own flags"):
        _optim([("lr", 0.1)])
    with pytest.raises(ValueError, match=r"--optim: keys must be in .*got \['nesterov'\]"):
        _optim([("nesterov", 1)])
    with pytest.raises(
        ValueError, match=r"recipe optimizer must be one of \('adam', 'adamw', 'sgd'\)"
    ):
        _optim([("optimizer", "lbfgs")])
