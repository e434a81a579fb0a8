# SPDX-License-Identifier: MIT
"""The task modules' ``label_smoothing`` ε (``--optim label_smoothing=ε``): the training step's
loss is the cross-entropy against (1 − ε)·one-hot(y) + ε/K, written out here in float64 for a
classifier and a per-pixel segmenter; ε = 0 is the plain cross-entropy; a run records it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gconv.experiments import Classifier, Segmenter, TrainConfig, load_checkpoint, train


def _smoothed(logits: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """mean over samples (and pixels) of −Σ_k q_k log p_k, q = (1 − ε)·one-hot(y) + ε/K."""
    logp = logits.double().log_softmax(dim=1)
    k = logits.shape[1]
    q = (1 - eps) * torch.nn.functional.one_hot(y, k).movedim(-1, 1).double() + eps / k
    return -(q * logp).sum(dim=1).mean()


def _step_loss(module: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The loss ``training_step`` returns, outside a Trainer (its logging captured)."""
    module.log = lambda *args, **kwargs: None  # type: ignore[method-assign]
    return module.training_step((x, y), 0)


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.4])
def test_classifier_step_loss_is_the_smoothed_cross_entropy(eps: float) -> None:
    torch.manual_seed(0)
    m = Classifier("z2cnn", augment="none", label_smoothing=eps).double().eval()
    x, y = torch.randn(6, 1, 28, 28, dtype=torch.float64), torch.randint(0, 10, (6,))
    loss = _step_loss(m, x, y)
    with torch.no_grad():
        want = _smoothed(m(x), y, eps)
    torch.testing.assert_close(loss.detach(), want, rtol=1e-12, atol=1e-12)


def test_segmenter_step_loss_is_the_smoothed_cross_entropy_per_pixel() -> None:
    torch.manual_seed(0)
    m = Segmenter("cnn-seg-218k", label_smoothing=0.2).double().eval()
    x, y = torch.randn(2, 1, 100, 100, dtype=torch.float64), torch.randint(0, 11, (2, 100, 100))
    loss = _step_loss(m, x, y)
    with torch.no_grad():
        want = _smoothed(m(x), y, 0.2)
    torch.testing.assert_close(loss.detach(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.usefixtures("mnist_root")
def test_a_run_records_it_and_trains_on_it(tmp_path: Path) -> None:
    """``optim={"label_smoothing": ε}`` reaches the module (its checkpoint's hyper-parameters)
    and changes the training (the weights differ from the same run without it)."""
    base = {"model": "z2cnn", "augment": "none", "limit_train": 64, "limit_val": 32,
            "batch_size": 32, "progress": False, "test": False, "seed": 3, "epochs": 1}  # fmt: skip
    train(TrainConfig(out=str(tmp_path / "ls"), optim={"label_smoothing": 0.3}, **base))
    train(TrainConfig(out=str(tmp_path / "plain"), **base))
    a = load_checkpoint(tmp_path / "ls" / "checkpoints" / "last.ckpt")
    b = load_checkpoint(tmp_path / "plain" / "checkpoints" / "last.ckpt")
    assert a["hyper_parameters"]["label_smoothing"] == 0.3
    weights = [k for k, v in a["state_dict"].items() if v.is_floating_point()]
    assert any(not torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in weights)
