# SPDX-License-Identifier: MIT
"""The training demo: its rotation curve is 90°-periodic for P4CNN only; a tiny end-to-end run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gconv.cli import main
from gconv.experiments import RotMNISTDataModule
from gconv.experiments._demo import _period_gap, rotation_curve
from gconv.models import get_model

pytestmark = pytest.mark.usefixtures("mnist_root")  # real MNIST: skip, or fail under CI


@pytest.fixture(scope="module")
def digit() -> tuple[torch.Tensor, int]:
    ds = RotMNISTDataModule(limit_test=1).split("test")
    return ds.tensors[0][0].double(), int(ds.tensors[1][0])


def test_rotation_curve_is_90_degree_periodic_for_p4cnn_only(digit) -> None:  # noqa: ANN001
    image, label = digit
    torch.manual_seed(0)
    p4 = rotation_curve(get_model("p4cnn").double().eval(), image, label, 72)
    z2 = rotation_curve(get_model("z2cnn").double().eval(), image, label, 72)
    assert len(p4) == 72
    # θ and θ + 90° differ by an exact quarter turn of the pixel grid, under which P4CNN's
    # logits are invariant: only float64 rounding of the sampling coordinates remains
    assert _period_gap(p4) < 1e-9
    assert _period_gap(z2) > 1e-6  # an ordinary CNN is not invariant, even untrained


def test_demo_end_to_end_tiny(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["demo", "--epochs", "1", "--limit-train", "128", "--limit-test", "64",
            "--out", str(tmp_path), "--no-progress"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "z2cnn" in out and "p4cnn" in out and "C4 inv. error" in out
    png = tmp_path / "demo-rotation.png"
    assert png.stat().st_size > 10_000 and str(png.resolve()) in out
