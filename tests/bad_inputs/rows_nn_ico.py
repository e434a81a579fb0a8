# SPDX-License-Identifier: MIT
"""Bad inputs for the icosahedral layers of ``gconv.nn`` (the rest: ``rows_nn.py``)."""

from __future__ import annotations

import numpy as np
import torch
from _bad_row import Row, floats

from gconv import nn as gnn

PACKAGE = "gconv.nn"

ROWS = [
    Row(
        "IcoBatchNorm",
        lambda: gnn.IcoBatchNorm(2, eps=-1.0),
        ValueError,
        r"IcoBatchNorm: eps must be a positive finite number, got -1.0",
    ),
    Row(
        "IcoBatchNorm",
        lambda: gnn.IcoBatchNorm(2)(floats(2, 2, 6, 5, 1, 2).float()),
        ValueError,
        r"more than one value per channel.*got 0 in \(2, 2, 6, 5, 1, 2\) \(at r = 0 every",
    ),
    Row(
        "IcoBatchNorm",
        lambda: gnn.IcoBatchNorm(0),
        ValueError,
        r"num_channels must be a positive int, got 0",
    ),
    Row(
        "IcoBatchNorm",
        lambda: gnn.IcoBatchNorm(3)(floats(2, 3, 6, 5, 2, 3)),
        ValueError,
        r"expected \(B, C, 6, 5, n, 2n\) with n = 2\^r, got \(2, 3, 6, 5, 2, 3\)",
    ),
    Row("IcoConv", lambda: gnn.IcoConv(0, 4, 2), ValueError, r"in_channels.*positive int, got 0"),
    Row(
        "IcoConv",
        lambda: gnn.IcoConv(3, 4, 1)(np.zeros((1, 3, 6, 5, 2, 4))),
        TypeError,
        r"expected a floating torch\.Tensor, got numpy\.ndarray",
    ),
    Row(
        "IcoConv",
        lambda: gnn.IcoConv(3, 4, 1)(floats(1, 2, 6, 5, 2, 4)),
        ValueError,
        r"expected regular features \(B, 3, 6, 5, 2, 4\).*got \(1, 2, 6, 5, 2, 4\)",
    ),
    Row(
        "IcoGlobalPool",
        lambda: gnn.IcoGlobalPool("median"),
        ValueError,
        r"mode must be one of \('max', 'mean'\), got 'median'",
    ),
    Row(
        "IcoLift",
        lambda: gnn.IcoLift(1, 2, 1)(floats(1, 1, 40)),
        ValueError,
        r"expected a scalar signal \(B, 1, 42\).*got \(1, 1, 40\)",
    ),
    Row(
        "IcoOrientationPool",
        lambda: gnn.IcoOrientationPool("sum"),
        ValueError,
        r"mode must be one of \('max', 'mean'\), got 'sum'",
    ),
    Row("IcoPad", lambda: gnn.IcoPad(11), ValueError, r"r must be an int in 0\.\.10.*got 11"),
    Row(
        "IcoPad",
        lambda: gnn.IcoPad(1)(floats(1, 3, 5, 2, 4)),
        ValueError,
        r"expected regular features with trailing shape \(6, 5, 2, 4\), got \(1, 3, 5, 2, 4\)",
    ),
    Row("IcoPool", lambda: gnn.IcoPool("x"), ValueError, r"one of \('max', 'mean'\), got 'x'"),
    Row(
        "IcoPool",
        lambda: gnn.IcoPool("mean")(torch.zeros(1, 1, 6, 5, 2, 4, dtype=torch.long)),
        TypeError,
        r"IcoPool: input: expected a floating torch.Tensor, got .*int64",
    ),
    Row(
        "IcoOrientationPool",
        lambda: gnn.IcoOrientationPool("mean")(torch.zeros(1, 1, 6, 5, 2, 4, dtype=torch.long)),
        TypeError,
        r"IcoOrientationPool: input: expected a floating torch.Tensor, got .*int64",
    ),
    Row(
        "IcoGlobalPool",
        lambda: gnn.IcoGlobalPool("mean")(torch.zeros(1, 1, 6, 5, 2, 4, dtype=torch.long)),
        TypeError,
        r"IcoGlobalPool: input: expected a floating torch.Tensor, got .*int64",
    ),
    Row("IcoToVertices", lambda: gnn.IcoToVertices(0), ValueError, r"int in 1\.\.10, got 0"),
    Row(
        "IcoToVertices",
        lambda: gnn.IcoToVertices(1)(np.zeros((1, 3, 5, 2, 4))),
        TypeError,
        r"expected a torch\.Tensor, got numpy\.ndarray",
    ),
    Row(
        "IcoUnpool",
        lambda: gnn.IcoUnpool()(np.zeros((1, 3, 6, 5, 2, 4))),
        TypeError,
        r"expected a torch\.Tensor, got numpy\.ndarray",
    ),
    Row(
        "IcoUnpool",
        lambda: gnn.IcoUnpool()(floats(1, 3, 5, 5, 2, 4)),
        ValueError,
        r"expected 6 orientations on axis 2, got \(1, 3, 5, 5, 2, 4\)",
    ),
]
