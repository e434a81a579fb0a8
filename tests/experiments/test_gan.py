# SPDX-License-Identifier: MIT
"""The generative task on real rotated MNIST (tiny subsets): a run gives every score, resumes
exactly, and ``gconv study gan --budget smoke`` writes its CSV, report and plots."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

from gconv.cli import main
from gconv.experiments import GAN, TrainConfig, get_task, load_checkpoint, train
from gconv.experiments._checkpoint import CheckpointError

pytestmark = pytest.mark.usefixtures("mnist_root")  # real MNIST: skip, or fail under CI

#: the smoke scorer recipe (one epoch on 256 digits): cheap, enough to exercise the scores
SMALL = {"scorer_epochs": 1, "scorer_limit": 256}


def _cfg(out: Path, epochs: int, model: str = "gan-d-p4", **kw) -> TrainConfig:
    kw.setdefault("model_kwargs", dict(SMALL))
    return TrainConfig(model=model, task="generative", epochs=epochs, batch_size=32,
                       augment="none", limit_train=64, limit_val=64, limit_test=64,
                       out=str(out), progress=False, seed=5, lr=4e-4, **kw)  # fmt: skip


def test_resuming_another_recipe_is_refused(tmp_path: Path) -> None:
    train(_cfg(tmp_path / "run", 1, "gan-d-z2", resume=True, test=False))
    with pytest.raises(CheckpointError, match="other settings.*g_ema"):
        train(_cfg(tmp_path / "run", 2, "gan-d-z2", resume=True, test=False,
                   model_kwargs={**SMALL, "g_ema": 0.999}))  # fmt: skip


def test_run_reports_every_score(tmp_path: Path) -> None:
    rec = train(_cfg(tmp_path / "run", 1, "gan-d-z2"))
    assert rec["task"] == "generative" and rec["params"] == 75185
    assert rec["params_g"] == 295553 and rec["test_n"] == 64
    assert rec["test_fd"] >= 0 and 0 <= rec["test_gen_acc"] <= 1
    assert {f"test_gen_acc_{k}" for k in range(10)} <= set(rec)
    assert (rec["lr_d"], rec["lr_g"], rec["beta1"], rec["beta2"]) == (4e-4, 1e-4, 0.0, 0.9)
    assert Path(rec["samples_png"]).read_bytes()[:4] == b"\x89PNG"
    row = get_task("generative").row(rec)
    assert row["lr"] == 4e-4 and "test_fd" in row and "samples_png" not in row


def test_resume_equals_uninterrupted(tmp_path: Path) -> None:
    """Both networks, D's spectral-norm vectors, G's batch-norm statistics, the averaged
    generator and its update count, and both Adam states after 2 epochs equal those of 1 epoch
    + a resumed epoch, bit for bit (CPU)."""
    kw = {**SMALL, "g_ema": 0.999, "g_out_mean": 0.131}
    train(_cfg(tmp_path / "straight", 2, resume=True, test=False, model_kwargs=kw))
    train(_cfg(tmp_path / "stopped", 1, resume=True, test=False, model_kwargs=kw))
    once = load_checkpoint(tmp_path / "stopped" / "checkpoints" / "last.ckpt")
    train(_cfg(tmp_path / "stopped", 2, resume=True, test=False, model_kwargs=kw))
    a = load_checkpoint(tmp_path / "straight" / "checkpoints" / "last.ckpt")
    b = load_checkpoint(tmp_path / "stopped" / "checkpoints" / "last.ckpt")
    assert a["state_dict"].keys() == b["state_dict"].keys()
    assert any(".parametrizations.weight.0._u" in k for k in a["state_dict"])
    assert any(k.startswith("generator.") and "running_mean" in k for k in a["state_dict"])
    assert int(a["state_dict"]["generator_ema.updates"]) == 2 * 2  # 64 digits / 32 × 2 epochs
    ema_w, g_w = (
        a["state_dict"]["generator_ema.net.project.weight"],
        a["state_dict"]["generator.project.weight"],
    )
    assert not torch.equal(ema_w, g_w)
    changed = False
    for k, v in a["state_dict"].items():
        assert torch.equal(v, b["state_dict"][k]), k
        changed |= not torch.equal(v, once["state_dict"][k])
    assert changed
    for sa, sb in zip(a["optimizer_states"], b["optimizer_states"], strict=True):
        for (ka, va), (kb, vb) in zip(sa["state"].items(), sb["state"].items(), strict=True):
            assert ka == kb and all(torch.equal(va[n], vb[n]) for n in va), ka


def test_module_settings_and_bad_values() -> None:
    gan = GAN(model="gan-d-p4", model_kwargs={"lr_g": 2e-4, "z_dim": 8}, lr=3e-4)
    opt_d, opt_g = gan.configure_optimizers()
    assert opt_d.param_groups[0]["lr"] == 3e-4 and opt_g.param_groups[0]["lr"] == 2e-4
    assert opt_d.param_groups[0]["betas"] == (0.0, 0.9)
    assert gan.generator.z_dim == 8 and gan.num_params == 74585
    with pytest.raises(ValueError, match=r"beta2 must be in \[0, 1\), got 1.0"):
        GAN(model_kwargs={"beta2": 1.0})


def test_smoke_study_writes_csv_report_and_plots(tmp_path: Path, capsys) -> None:
    rc = main(["study", "gan", "--budget", "smoke", "--seeds", "0", "1", "--out", str(tmp_path),
               "--no-progress"])  # fmt: skip
    assert rc == 0
    with (tmp_path / "gan.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert sorted((r["model"], r["seed"]) for r in rows) == [
        ("gan-d-p4", "0"),
        ("gan-d-p4", "1"),
        ("gan-d-z2", "0"),
        ("gan-d-z2", "1"),
    ]
    assert all(float(r["test_fd"]) >= 0 and r["lr"] == "0.0008" for r in rows)
    report = (tmp_path / "gan.md").read_text()
    assert "NOT the Inception FID" in report and "2 × pooled std" in report
    assert (tmp_path / "gan-fd.png").read_bytes()[:4] == b"\x89PNG"
    assert len(list((tmp_path / "runs" / "gan").glob("*/samples.png"))) == 4
