# SPDX-License-Identifier: MIT
"""The shared input checks of ``gconv.nn._checks``: a dtype mismatch between input and
parameters is named, except under autocast (where it is how mixed precision works); an empty
batch goes through every layer family, as through torch's."""

from __future__ import annotations

import pytest
import torch

from gconv import nn as gnn
from gconv._util import DTypeError
from gconv.nn import GroupBatchNorm, GroupConv2d, IcoConv, LiftConv2d, S2Conv

LAYERS = [
    (lambda: LiftConv2d(1, 2, 3), (1, 1, 9, 9)),
    (lambda: GroupConv2d(1, 2, 3), (1, 1, 4, 9, 9)),
    (lambda: GroupBatchNorm(2), (2, 2, 4, 3, 3)),
    (lambda: S2Conv(2, 3, 4, 3), (1, 2, 8, 8)),
    (lambda: IcoConv(2, 3, 1), (1, 2, 6, 5, 2, 4)),
]


@pytest.mark.parametrize(("make", "shape"), LAYERS)
def test_a_dtype_mismatch_is_named_and_matching_dtypes_pass(make, shape):
    layer = make()
    with pytest.raises(DTypeError, match=r"input is torch.float64, the layer's parameters are"):
        layer(torch.randn(shape, dtype=torch.float64))
    assert layer.double()(torch.randn(shape, dtype=torch.float64)).dtype == torch.float64


def test_a_dtype_mismatch_on_the_meta_device_is_named_too():
    """Autocast knows no ``meta`` device: the check asks ``gconv._precision.autocasting``, which
    says no there, instead of torch's lookup, which raised a RuntimeError about autocast."""
    conv = GroupConv2d(1, 2, 3).to("meta")
    with pytest.raises(DTypeError, match=r"input is torch.float64, the layer's parameters are"):
        conv(torch.randn(1, 1, 4, 9, 9, dtype=torch.float64, device="meta"))


def test_autocast_inputs_of_another_dtype_go_through():
    conv = GroupConv2d(1, 2, 3)
    x = torch.randn(1, 1, 4, 9, 9)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = conv(x.bfloat16())
    assert y.dtype == torch.bfloat16
    torch.testing.assert_close(y.float(), conv(x), rtol=0.05, atol=0.05)


EMPTY = [
    (lambda: S2Conv(2, 3, 4, 3), (2, 8, 8), (3, 6, 6, 6)),
    (lambda: gnn.SO3Conv(2, 3, 4, 3), (2, 8, 8, 8), (3, 6, 6, 6)),
    (lambda: gnn.SO3ToS2Conv(2, 3, 4, 3), (2, 8, 8, 8), (3, 6, 6)),
    (lambda: gnn.SO3SumToS2Conv(2, 3, 4, 3), (2, 8, 8, 8), (3, 6, 6)),
    (lambda: gnn.SO3Shortcut(2, 3, 4, 3), (2, 8, 8, 8), (3, 6, 6, 6)),
    (lambda: gnn.IcoLift(2, 3, 1), (2, 42), (3, 6, 5, 2, 4)),
    (lambda: IcoConv(2, 3, 1, stride=2), (2, 6, 5, 2, 4), (3, 6, 5, 1, 2)),
    (lambda: gnn.IcoPool(), (2, 6, 5, 2, 4), (2, 6, 5, 1, 2)),
    (lambda: gnn.IcoUnpool(), (2, 6, 5, 2, 4), (2, 6, 5, 4, 8)),
    (lambda: gnn.IcoBatchNorm(2), (2, 6, 5, 2, 4), (2, 6, 5, 2, 4)),
    (lambda: GroupConv2d(2, 3, 3), (2, 4, 9, 9), (3, 4, 7, 7)),
]


@pytest.mark.parametrize(("make", "shape", "out"), EMPTY)
def test_an_empty_batch_gives_an_empty_output_of_the_right_shape(make, shape, out):
    """As torch's layers do: a batch of 0 samples goes through (and batch norm statistics are
    left alone), while a wrong shape still fails."""
    layer = make()
    state = {k: v.clone() for k, v in layer.state_dict().items()}
    y = layer(torch.randn(0, *shape))
    assert y.shape == (0, *out) and y.dtype == torch.float32
    assert all(torch.equal(v, layer.state_dict()[k]) for k, v in state.items())
    with pytest.raises(ValueError, match=r"expected .*got \(0, "):
        layer(torch.randn(0, *shape[1:]))  # the channel axis missing
