# SPDX-License-Identifier: MIT
"""Spherical data in the harness: the data module's splits and augmentation (keyed by seed,
epoch and index), ``gconv train`` on spherical MNIST, and the smoke budget of a study."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from gconv.cli import main
from gconv.experiments import get_datamodule, get_study, list_augmentations, list_studies, plan
from gconv.experiments._spherical_dm import SphericalDataModule

pytestmark = pytest.mark.usefixtures("mnist_root")  # real MNIST: skip, or fail under CI

B = 12


def _dm(**kw) -> SphericalDataModule:
    base = {"batch_size": 8, "limit_train": 24, "limit_val": 8, "limit_test": 8}
    return get_datamodule("spherical-mnist", **{**base, "bandwidth": B, **kw})


def test_s2_augmentations_registered_and_checked() -> None:
    assert {"none", "rotate-25", "rotate-50", "rotate-100", "copies-4"} <= set(
        list_augmentations("s2")
    )
    with pytest.raises(ValueError, match="spherical augmentation must be one of"):
        _dm(augment="batch-angle")
    with pytest.raises(ValueError, match="'NR' or 'R'"):
        _dm(test_rotate=("NR", "X"))


def test_splits_per_rotation_and_targets() -> None:
    dm = _dm(task="segmentation", test_rotate=("NR", "R"))
    assert dm.test_names == ("nr", "r")
    x, y, _ = dm.split("valid").tensors
    assert x.shape == (8, 1, 2 * B, 2 * B) and y.shape == (8, 2 * B, 2 * B) and y.max() <= 10
    nr, r = (dm.split("test", rot).tensors[0] for rot in ("NR", "R"))
    assert not torch.equal(nr, r)  # the R test set is rotated
    assert len(dm.test_dataloader()) == 2


def test_rotate_fraction_follows_seed_epoch_index() -> None:
    from gconv.data._spherical_augment import augment_rotations

    dm = _dm(augment="rotate-50", seed=3)
    loader = dm.train_dataloader()
    plain = dm.split("train").tensors[0]
    for epoch in (0, 1):
        loader.sampler.set_epoch(epoch)
        order = list(loader.sampler)
        x = torch.cat([b[0] for b in loader])
        hit, _ = augment_rotations(3, epoch, np.asarray(order), 0.5)
        same = [torch.equal(x[j], plain[i]) for j, i in enumerate(order)]
        assert same == list(~hit)  # exactly the drawn samples were re-generated


def test_copies_give_k_times_the_steps() -> None:
    dm = _dm(augment="copies-4")
    assert len(dm.train_set()) == 4 * 24 and len(dm.train_dataloader()) == 12


def test_cli_train_s2cnn_on_spherical_mnist(tmp_path: Path, capsys) -> None:
    rc = main(["train", "--model", "s2cnn", "--data", "spherical-mnist", "--bandwidth", str(B),
               "--epochs", "1", "--limit-train", "16", "--limit-val", "8", "--limit-test", "8",
               "--batch-size", "8", "--test-rotate", "NR", "R", "--augment", "rotate-25",
               "--out", str(tmp_path / "run"), "--no-progress"])  # fmt: skip
    assert rc == 0
    assert "s2cnn" in capsys.readouterr().out and (tmp_path / "run" / "record.json").exists()


def test_study_smoke_budget_end_to_end(tmp_path: Path) -> None:
    spec = get_study("spherical-seg")
    runs = plan(spec, [0], 1e-3, 32, 16, ["cnn-seg-218k"], spec.budget("smoke"))
    assert [r.augment for r in runs] == ["none", "rotate-100", "copies-4"]
    rc = main(["study", "spherical-seg", "--budget", "smoke", "--seeds", "0", "--models",
               "cnn-seg-218k", "--out", str(tmp_path), "--no-progress"])  # fmt: skip
    assert rc == 0
    rows = list(csv.DictReader((tmp_path / "spherical-seg.csv").open()))
    assert len(rows) == 3 and all(0 <= float(r["test_r_miou"]) <= 1 for r in rows)
    assert "R test mIoU" in (tmp_path / "spherical-seg.md").read_text()
    assert {"spherical-cls", "spherical-seg"} <= set(list_studies())


@pytest.mark.parametrize(
    ("study", "col"),
    [("spherical-cls", "test_r_error"), ("spherical-seg", "test_r_miou"),
     ("spherical-fashion", "test_r_error")],
)  # fmt: skip
def test_every_study_model_trains_once_at_the_smoke_budget(
    tmp_path: Path, request: pytest.FixtureRequest, study: str, col: str
) -> None:
    """One short training of every model of each spherical study (smoke budget, no
    augmentation): a row per run with both test sets, the report and its figures."""
    if study == "spherical-fashion":
        request.getfixturevalue("fashion_installed")  # skip, or fail under CI
    spec = get_study(study)
    rc = main(["study", study, "--budget", "smoke", "--seeds", "0", "--augments", "none",
               "--models", *spec.models, "--out", str(tmp_path), "--no-progress"])  # fmt: skip
    assert rc == 0
    rows = list(csv.DictReader((tmp_path / f"{study}.csv").open()))
    assert {r["model"] for r in rows} == set(spec.models)
    assert all(0 <= float(r[col]) <= 1 and int(r["params"]) > 0 for r in rows)
    assert (tmp_path / f"{study}-nr-r.png").stat().st_size > 0
    assert "R test" in (tmp_path / f"{study}.md").read_text()


def test_cpu_10k_budget_is_cpu_with_five_times_the_training_images() -> None:
    """``cpu-10k`` changes one thing against ``cpu``: 10,000 training images instead of 2,000
    (same bandwidth, epochs, validation and test sets), so its runs live in their own folders."""
    spec = get_study("spherical-seg")
    cpu, big = (spec.budget(b) for b in ("cpu", "cpu-10k"))
    assert (cpu.limit_train, big.limit_train) == (2_000, 10_000)
    assert dict(big.data_kwargs) == dict(cpu.data_kwargs)
    same = ("epochs_scale", "limit_test", "batch_size")
    assert [getattr(big, f) for f in same] == [getattr(cpu, f) for f in same]
    runs = plan(spec, [0], big.epochs_scale, big.limit_train, big.limit_test, ["s2cnn-seg"], big)
    assert [r.name for r in runs] == ["s2cnn-seg-seed0-e10-none-n10000-t1000-b20"]


def test_cpu_multi_budget_trains_on_multi_digit_canvases() -> None:
    """``cpu-multi`` is ``cpu`` with canvases of 1-4 digits: its runs carry ``digits`` to the
    data module (whose masks then hold several digit classes per image), live in their own
    folders and are described as such in the report."""
    from gconv.experiments._report import render_report

    spec = get_study("spherical-seg")
    cpu, multi = (spec.budget(b) for b in ("cpu", "cpu-multi"))
    assert dict(multi.data_kwargs) == {**cpu.data_kwargs, "digits": (1, 4)}
    runs = plan(spec, [0], 0.1, 2_000, 1_000, ["s2cnn-seg"], multi)
    assert [r.name for r in runs] == ["s2cnn-seg-seed0-e10-none-n2000-t1000-b20-c1to4"]
    single = plan(spec, [0], 0.1, 2_000, 1_000, ["s2cnn-seg"], cpu)[0]
    assert single.name == "s2cnn-seg-seed0-e10-none-n2000-t1000-b20"  # older names kept
    data = {**dict(runs[0].data_kwargs), "bandwidth": B, "limit_val": 8}
    masks = _dm(task="segmentation", **data).split("valid").tensors[1]
    classes = [m.unique()[m.unique() > 0].numel() for m in masks]
    assert max(classes) >= 2, classes  # several digits on one canvas
    rows = [{"model": "s2cnn-seg", "epochs": "10", "seed": "0", "test_n": "16",
             "data_kwargs": str(r.data_kwargs)} for r in (single, runs[0])]  # fmt: skip
    text = render_report(spec, rows)
    assert "One digit per image (the public commands' data); a 64×64 canvas of 1 to 4" in text
    assert "seeds. One digit per image (the public commands' data). Gerken" in render_report(
        spec, rows[:1]
    )
