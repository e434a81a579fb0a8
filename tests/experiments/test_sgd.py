# SPDX-License-Identifier: MIT
"""The task module's ``optimizer="sgd"`` option: heavy-ball momentum with coupled weight decay,
checked against the formula, and refused values."""

from __future__ import annotations

import pytest
import torch

from gconv.experiments import Classifier


def test_sgd_steps_follow_the_formula():
    """Two steps against b ← μ·b + (g + λ·w) (b₀ = g + λ·w), w ← w − η·b, in float64."""
    lr, mu, wd = 0.05, 0.8, 1e-3
    m = Classifier("z2cnn", augment="none", lr=lr, optimizer="sgd", momentum=mu, weight_decay=wd)
    m.double()
    opt = m.configure_optimizers()
    assert isinstance(opt, torch.optim.SGD)
    params = [p for p in m.parameters() if p.requires_grad]
    g = torch.Generator().manual_seed(0)
    targets = [torch.randn(p.shape, generator=g, dtype=torch.float64) for p in params]
    ref = [p.detach().clone() for p in params]
    bufs: list[torch.Tensor | None] = [None] * len(params)
    for _ in range(2):
        for i, (w, t) in enumerate(zip(ref, targets, strict=True)):
            d = 2 * (w - t) + wd * w  # gradient of ‖w − t‖² plus weight decay
            bufs[i] = d if bufs[i] is None else mu * bufs[i] + d
            ref[i] = w - lr * bufs[i]
        opt.zero_grad()
        sum(((p - t) ** 2).sum() for p, t in zip(params, targets, strict=True)).backward()
        opt.step()
    for p, r in zip(params, ref, strict=True):
        torch.testing.assert_close(p.detach(), r, rtol=1e-12, atol=1e-15)  # same sums


def test_adam_stays_the_default_and_bad_values_are_refused():
    assert isinstance(Classifier("z2cnn", augment="none").configure_optimizers(), torch.optim.Adam)
    with pytest.raises(ValueError, match=r"recipe optimizer must be one of \('adam', 'sgd'\)"):
        Classifier("z2cnn", augment="none", optimizer="rmsprop")
    with pytest.raises(ValueError, match=r"recipe momentum must be in \[0, 1\), got 1.0"):
        Classifier("z2cnn", augment="none", optimizer="sgd", momentum=1.0)


def test_segmenter_takes_the_same_optimiser_options():
    """The segmentation task accepts the classifier's recipe: SGD with momentum and weight
    decay, and the per-epoch lr decay lr·decay^max(0, e − from); bad values are refused."""
    from gconv.experiments import Segmenter

    m = Segmenter("cnn-seg-218k", lr=0.1, optimizer="sgd", momentum=0.5, weight_decay=1e-4,
                  lr_decay=0.5, lr_decay_from=2)  # fmt: skip
    cfg = m.configure_optimizers()
    opt, sched = cfg["optimizer"], cfg["lr_scheduler"]["scheduler"]
    assert isinstance(opt, torch.optim.SGD)
    group = opt.param_groups[0]
    assert (group["momentum"], group["weight_decay"]) == (0.5, 1e-4)
    lrs = []
    for _ in range(5):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.025], rel=1e-12)
    assert isinstance(Segmenter("cnn-seg-218k").configure_optimizers(), torch.optim.Adam)
    with pytest.raises(ValueError, match=r"recipe optimizer must be one of"):
        Segmenter("cnn-seg-218k", optimizer="rmsprop")
