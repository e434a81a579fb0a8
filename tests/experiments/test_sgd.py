# SPDX-License-Identifier: MIT
"""The task module's ``optimizer="sgd"`` option (heavy-ball momentum, coupled weight decay) and
``optimizer="adamw"`` (decoupled weight decay), checked against their formulas, and refused
values."""

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


def _quadratic_steps(m: torch.nn.Module, opt: torch.optim.Optimizer, steps: int) -> tuple:
    """``steps`` optimiser steps on ‖w − t‖² summed over m's parameters (float64, seeded
    targets t); the parameters before, the targets and the parameters after."""
    params = [p for p in m.parameters() if p.requires_grad]
    g = torch.Generator().manual_seed(0)
    targets = [torch.randn(p.shape, generator=g, dtype=torch.float64) for p in params]
    before = [p.detach().clone() for p in params]
    for _ in range(steps):
        opt.zero_grad()
        sum(((p - t) ** 2).sum() for p, t in zip(params, targets, strict=True)).backward()
        opt.step()
    return before, targets, [p.detach() for p in params]


def test_adamw_steps_follow_the_formula():
    """Three steps against decoupled decay w ← w(1 − ηλ), then Adam's w ← w − η m̂/(√v̂ + ε)
    (β = 0.9, 0.999, ε = 1e-8, bias-corrected moments of the plain gradient), in float64; and
    the decay is not the coupled one (Adam with the same weight_decay ends elsewhere)."""
    lr, wd, (b1, b2), eps = 0.01, 0.3, (0.9, 0.999), 1e-8
    m = Classifier("z2cnn", augment="none", lr=lr, optimizer="adamw", weight_decay=wd).double()
    opt = m.configure_optimizers()
    assert isinstance(opt, torch.optim.AdamW)
    before, targets, after = _quadratic_steps(m, opt, 3)
    for w, t, got in zip(before, targets, after, strict=True):
        mom, var = torch.zeros_like(w), torch.zeros_like(w)
        for k in range(1, 4):
            grad = 2 * (w - t)
            w = w * (1 - lr * wd)
            mom, var = b1 * mom + (1 - b1) * grad, b2 * var + (1 - b2) * grad**2
            mh, vh = mom / (1 - b1**k), var / (1 - b2**k)
            w = w - lr * mh / (vh.sqrt() + eps)
        torch.testing.assert_close(got, w, rtol=1e-10, atol=1e-12)
    ends = []
    for opt_name in ("adamw", "adam"):  # the same start and weight_decay, the other rule
        torch.manual_seed(0)
        m = Classifier("z2cnn", augment="none", lr=lr, optimizer=opt_name, weight_decay=wd)
        ends.append(_quadratic_steps(m.double(), m.configure_optimizers(), 3)[2])
    assert max((a - b).abs().max().item() for a, b in zip(*ends, strict=True)) > 1e-4


def test_adam_stays_the_default_and_bad_values_are_refused():
    assert isinstance(Classifier("z2cnn", augment="none").configure_optimizers(), torch.optim.Adam)
    with pytest.raises(
        ValueError, match=r"recipe optimizer must be one of \('adam', 'adamw', 'sgd'\)"
    ):
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
