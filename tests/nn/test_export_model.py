# SPDX-License-Identifier: MIT
"""export_model: a whole planar model as plain PyTorch modules, the same function."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gconv.models import get_model
from gconv.nn import ExportedGroupConv, GroupConv2d, LiftConv2d, export_model

MODELS = ["z2cnn", "p4cnn", "p4cnn-rp", "p4mcnn", "p4mcnn-coset"]


def _randomise(model: nn.Module) -> nn.Module:
    """Random weights and batch-norm statistics (a fresh model has BN at identity)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2.0)
                m.weight.normal_()
                m.bias.normal_()
    return model


@pytest.mark.parametrize("name", MODELS)
def test_exported_model_equals_model(name: str, tolerance) -> None:
    model = _randomise(get_model(name)).double().eval()
    plain = export_model(model)
    assert not any(isinstance(m, (LiftConv2d, GroupConv2d)) for m in plain.modules())
    convs = sum(isinstance(m, (LiftConv2d, GroupConv2d)) for m in model.modules())
    assert sum(isinstance(m, ExportedGroupConv) for m in plain.modules()) == convs
    assert convs == (0 if name == "z2cnn" else 7)
    assert not plain.training
    x = torch.randn(5, 1, 28, 28, dtype=torch.float64)
    with torch.no_grad():
        y, z = model(x), plain(x)
    # exact: the exported conv holds the very filter bank the layers expand at each call
    assert (z - y).norm() <= tolerance(torch.float64) * y.norm()


def test_export_leaves_the_model_alone_and_copies_weights() -> None:
    model = get_model("p4cnn").train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    plain = export_model(model)
    assert plain.training  # the mode is kept
    assert isinstance(model.features.l1.conv, LiftConv2d)  # the original is untouched
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    with torch.no_grad():  # the copy owns its tensors
        plain.features.l1.bn.weight.add_(1.0)
    assert torch.equal(model.features.l1.bn.weight, before["features.l1.bn.weight"])
    # training mode, batch statistics: still the same function, gradients flow
    x = torch.randn(4, 1, 28, 28)
    plain2 = export_model(model)
    y, z = model(x), plain2(x)
    assert (z - y).abs().max() <= 1e-5 * y.abs().max()
    z.sum().backward()
    assert plain2.features.l2.conv.conv.weight.grad is not None


def test_export_of_a_single_layer_and_bad_input() -> None:
    layer = LiftConv2d(1, 3, 3, group="p4m")
    assert isinstance(export_model(layer), ExportedGroupConv)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        export_model("p4cnn")  # type: ignore[arg-type]
