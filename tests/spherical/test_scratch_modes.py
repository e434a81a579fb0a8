# SPDX-License-Identifier: MIT
"""The engine's scratch buffers across grad modes: a model first run under
``torch.inference_mode`` still evaluates under ``no_grad`` and trains afterwards (a buffer made
in inference mode is an inference tensor and may not be written outside it)."""

from __future__ import annotations

import torch

from gconv.models import get_model
from gconv.spherical import engine


def test_inference_mode_then_no_grad_then_training() -> None:
    torch.manual_seed(0)
    engine.clear_scratch()
    model = get_model("s2cnn", bandwidth=8).eval()
    x = torch.randn(2, 1, 16, 16)
    with torch.inference_mode():
        want = model(x)
    with torch.no_grad():
        got = model(x)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    model.train()
    loss = model(x).square().sum()
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    assert engine.scratch_bytes() > 0
    engine.clear_scratch()
    assert engine.scratch_bytes() == 0
