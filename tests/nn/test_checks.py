# SPDX-License-Identifier: MIT
"""The shared input checks of ``gconv.nn._checks``: a dtype mismatch between input and
parameters is named, except under autocast (where it is how mixed precision works)."""

from __future__ import annotations

import pytest
import torch

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


def test_autocast_inputs_of_another_dtype_go_through():
    conv = GroupConv2d(1, 2, 3)
    x = torch.randn(1, 1, 4, 9, 9)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = conv(x.bfloat16())
    assert y.dtype == torch.bfloat16
    torch.testing.assert_close(y.float(), conv(x), rtol=0.05, atol=0.05)
