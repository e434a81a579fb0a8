# SPDX-License-Identifier: MIT
"""Every registered model in the modes users run it in. Spherical CNNs (group SO(3)) are built
at bandwidth 8 to keep this quick.

- First under ``torch.inference_mode`` (as a server would), then under ``no_grad`` and then
  trained: nothing a layer caches in the first call (tables, index tensors, filter spectra,
  scratch buffers) may be an inference tensor that autograd later refuses to save.
- Under ``torch.autocast("cpu", torch.bfloat16)`` (Lightning's ``precision="bf16-mixed"``):
  forward and backward run, every parameter gets a gradient of its dtype, and the logits are
  what float32 gives to bfloat16 rounding through the depth of the model. Planar models larger
  than 28×28 run at half their side here (``_build(small=True)``): on a CPU without bfloat16
  matrix units (AVX2) autocast's convolutions are much slower than float32's (with
  ``ONEDNN_MAX_CPU_ISA=AVX2`` on an AMX Xeon these 39 cases took 195 s in one process at full
  size, 29 s at half: ``results/bench/test_modes_bf16-avx2-2026-12-07-5883d6d.txt``), and the
  rounding under test does not depend on the image's size."""

from __future__ import annotations

import pytest
import torch

from gconv.models import get_model, list_models, model_spec

SMALL_B = 8


def _build(name: str, small: bool = False) -> tuple[torch.nn.Module, tuple[int, ...]]:
    spec = model_spec(name)
    shape = spec.input_shape
    if spec.group == "so3" and spec.defaults.get("bandwidth", SMALL_B) != SMALL_B:
        shape = (shape[0], *(2 * SMALL_B,) * (len(shape) - 1))
        return get_model(name, bandwidth=SMALL_B), shape
    if small and spec.group != "so3" and len(shape) == 3 and shape[-1] > 28:
        side = shape[-1] // 2
        if "bandwidth" in spec.defaults:  # spherical baselines: the side is 2b
            return get_model(name, bandwidth=side // 2), (shape[0], side, side)
        return get_model(name), (shape[0], side, side)
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


#: bfloat16 keeps 8 significant bits (u = 2⁻⁸); each layer's norm-relative error is a few u
#: (``tests/nn/test_contract.py``) and they add up over a model's depth (5–30 layers here):
#: 12u ≈ 0.047. Measured at most 1.03e-2 (p4mcnn) when this was written; a broken layer
#: (a lost gauge shift, bfloat16 spectra) is off by O(1).
MODEL_BF16_TOL = 12 * 2.0**-8


@pytest.mark.parametrize("name", list_models())
def test_autocast_bfloat16_trains_and_keeps_the_logits(name: str) -> None:
    torch.manual_seed(0)
    model, shape = _build(name, small=True)
    x = torch.randn(2, *shape)
    model.eval()
    with torch.no_grad():
        want = model(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            got = model(x)
    err = float((got.double() - want.double()).norm() / want.double().norm())
    assert err <= MODEL_BF16_TOL, f"{name}: logits off by {err:.2e} (relative)"
    model.train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = model(x)
    y.float().square().mean().backward()
    bad = [
        n for n, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or p.grad.dtype != p.dtype)
    ]  # fmt: skip
    assert not bad, f"{name}: no gradient, or one of another dtype, for {bad[:5]}"
