# SPDX-License-Identifier: MIT
"""Every registered model, first run under ``torch.inference_mode`` (as a server would), then
under ``no_grad`` and then trained: nothing a layer caches in the first call (tables, index
tensors, filter spectra, scratch buffers) may be an inference tensor that autograd later
refuses to save. Spherical CNNs (group SO(3)) are built at bandwidth 8 to keep this quick."""

from __future__ import annotations

import pytest
import torch

from gconv.models import get_model, list_models, model_spec

SMALL_B = 8


def _build(name: str) -> tuple[torch.nn.Module, tuple[int, ...]]:
    spec = model_spec(name)
    shape = spec.input_shape
    if spec.group == "so3" and spec.defaults.get("bandwidth", SMALL_B) != SMALL_B:
        shape = (shape[0], *(2 * SMALL_B,) * (len(shape) - 1))
        return get_model(name, bandwidth=SMALL_B), shape
    return get_model(name), shape


@pytest.mark.parametrize("name", list_models())
def test_inference_mode_first_then_eval_then_training(name: str) -> None:
    torch.manual_seed(0)
    model, shape = _build(name)
    model.eval()
    x = torch.randn(2, *shape)
    with torch.inference_mode():
        first = model(x)
    with torch.no_grad():
        again = model(x)
    torch.testing.assert_close(again, first, rtol=1e-5, atol=1e-5)
    model.train()
    model(x).float().square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"{name}: no gradient for {missing[:5]}"
