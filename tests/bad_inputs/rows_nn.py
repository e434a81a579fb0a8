# SPDX-License-Identifier: MIT
"""Bad inputs for ``gconv.nn``."""

from __future__ import annotations

import numpy as np
import torch
from _bad_row import Row, floats

from gconv import nn as gnn
from gconv.groups import CyclicGroup

PACKAGE = "gconv.nn"

_C8 = CyclicGroup(8)

ROWS = [
    Row(
        "ExportedGroupConv",
        lambda: gnn.ExportedGroupConv("conv", "p4", False),
        TypeError,
        r"expected a torch.nn.Conv2d, got str",
    ),
    Row(
        "ExportedGroupConv",
        lambda: gnn.GroupConv2d(2, 2, 3).export()(floats(1, 1, 8, 9, 9).float()),
        ValueError,
        r"ExportedGroupConv: expected \(B, 2, 4, H, W\), got \(1, 1, 8, 9, 9\)",
    ),
    Row(
        "ExportedGroupConv",
        lambda: gnn.ExportedGroupConv(torch.nn.Conv2d(4, 4, 3), "ico", True),
        ValueError,
        r"ExportedGroupConv: group must be C_N or D_N, got 'ico'",
    ),
    Row("GroupBatchNorm", lambda: gnn.GroupBatchNorm(0), ValueError, r"positive int.*got 0"),
    Row(
        "S2Conv",
        lambda: gnn.S2Conv(2, 3, 4, 3)(floats(1, 2, 8, 8)),
        TypeError,
        r"S2Conv: input is torch.float64, the layer's parameters are torch.float32: cast one",
    ),
    Row(
        "GroupBatchNorm",
        lambda: gnn.GroupBatchNorm(2, momentum=2.0),
        ValueError,
        r"GroupBatchNorm: momentum must be None or in \[0, 1\], got 2.0",
    ),
    Row(
        "batch_norms", lambda: gnn.batch_norms("net"), TypeError, r"expected an nn.Module, got str"
    ),
    Row(
        "recompute_batch_norm",
        lambda: gnn.recompute_batch_norm(torch.nn.Linear(2, 2), [torch.zeros(1, 2)]),
        ValueError,
        r"expected a model with batch norms .*got none in Linear",
    ),
    Row(
        "recompute_batch_norm",
        lambda: gnn.recompute_batch_norm(torch.nn.BatchNorm1d(2), []),
        ValueError,
        r"expected at least one batch, got none",
    ),
    Row(
        "GroupBatchNorm",
        lambda: gnn.GroupBatchNorm(2)(np.zeros((1, 2, 4, 3, 3))),
        TypeError,
        r"expected a floating torch.Tensor, got numpy.ndarray",
    ),
    Row(
        "LiftConv2d",
        lambda: gnn.LiftConv2d(1, 2, -3),
        ValueError,
        r"kernel_size must be an int >= 1, got -3",
    ),
    Row(
        "LiftConv2d",
        lambda: gnn.LiftConv2d(1, 2, 3, stride=0),
        ValueError,
        r"stride must be an int >= 1, got 0",
    ),
    Row(
        "LiftConv2d",
        lambda: gnn.LiftConv2d(1, 2, 3, padding=-1),
        ValueError,
        r"padding must be an int >= 0, got -1",
    ),
    Row(
        "LiftConv2d",
        lambda: gnn.LiftConv2d(1, 2, 3)(np.zeros((1, 1, 9, 9), dtype=np.float32)),
        TypeError,
        r"expected a floating torch.Tensor, got numpy.ndarray",
    ),
    Row(
        "LiftConv2d",
        lambda: gnn.LiftConv2d(1, 2, 3)(torch.zeros(1, 1, 9, 9, dtype=torch.uint8)),
        TypeError,
        r"expected a floating torch.Tensor, got a tensor of dtype torch.uint8",
    ),
    Row(
        "LiftConv2d",
        lambda: gnn.LiftConv2d(1, 2, 5, padding=1)(torch.zeros(1, 1, 2, 2)),
        ValueError,
        r"must be at least 5×5, got \d+×\d+ \(4×4 padded\)",
    ),
    Row(
        "GroupConv2d",
        lambda: gnn.GroupConv2d(2, 2, 0),
        ValueError,
        r"kernel_size must be an int >= 1, got 0",
    ),
    Row(
        "GroupConv2d",
        lambda: gnn.GroupConv2d(2, 2, 3, stride=0),
        ValueError,
        r"stride must be an int >= 1, got 0",
    ),
    Row(
        "GroupConv2d",
        lambda: gnn.GroupConv2d(2, 2, 3, dilation=-1),
        ValueError,
        r"dilation must be an int >= 1, got -1",
    ),
    Row(
        "GroupConv2d",
        lambda: gnn.GroupConv2d(1, 2, 3)(torch.zeros(1, 1, 4, 9, 9, dtype=torch.int32)),
        TypeError,
        r"expected a floating torch.Tensor, got a tensor of dtype torch.int32",
    ),
    Row(
        "GroupConv2d",
        lambda: gnn.GroupConv2d(1, 2, 3, dilation=2)(torch.zeros(1, 1, 4, 4, 4)),
        ValueError,
        r"must be at least 5×5, got \d+×\d+ \(4×4 padded\)",
    ),
    Row(
        "GroupMaxPool2d",
        lambda: gnn.GroupMaxPool2d(0),
        ValueError,
        r"kernel_size must be an int >= 1, got 0",
    ),
    Row(
        "GroupMaxPool2d",
        lambda: gnn.GroupMaxPool2d(2, stride=0),
        ValueError,
        r"stride must be an int >= 1, got 0",
    ),
    Row(
        "GroupMaxPool2d",
        lambda: gnn.GroupMaxPool2d(2)(np.zeros((1, 1, 4, 4, 4))),
        TypeError,
        r"expected a floating torch.Tensor, got numpy.ndarray",
    ),
    Row(
        "GroupMaxPool2d",
        lambda: gnn.GroupMaxPool2d(3)(floats(1, 1, 4, 2, 2)),
        ValueError,
        r"must be at least 3×3, got 2×2 \(2×2 padded\)",
    ),
    Row(
        "GroupMaxPool2d",
        lambda: gnn.GroupMaxPool2d(2, padding=2),
        ValueError,
        r"padding must be at most half the kernel size \(2 // 2 = 1\), got 2",
    ),
    Row("GroupPool", lambda: gnn.GroupPool("median"), ValueError, r"one of.*got 'median'"),
    Row(
        "GroupPool",
        lambda: gnn.GroupPool("max", group="so3"),
        ValueError,
        r"GroupPool: group must be C_N or D_N \(e\.g\. 'p4m'\), got 'so3'",
    ),
    Row(
        "GroupPool",
        lambda: gnn.GroupPool("mean")(torch.zeros(1, 1, 4, 2, 2, dtype=torch.long)),  # max: ok
        TypeError,
        r"GroupPool: input: expected a floating torch.Tensor, got .*int64",
    ),
    Row("S2Conv", lambda: gnn.S2Conv(1, 2, 0, 4), ValueError, r"positive int.*got 0"),
    Row(
        "S2Conv",
        lambda: gnn.S2Conv(1, 2, 4, 4)(floats(1, 1, 6, 6)),
        ValueError,
        r"expected S² signal \(B, 1, 8, 8\) for 1 channels at bandwidth 4.*got \(1, 1, 6, 6\)",
    ),
    Row(
        "S2Conv",
        lambda: gnn.S2Conv(1, 2, 4, 4)(torch.zeros(1, 1, 8, 8, dtype=torch.long)),
        ValueError,
        r"expected a real floating-point signal, got dtype torch.int64",
    ),
    Row("SO3Conv", lambda: gnn.SO3Conv(1, 2, 4, -4), ValueError, r"positive int.*got -4"),
    Row(
        "SO3Conv",
        lambda: gnn.SO3Conv(1, 2, 3, 3)(floats(1, 1, 8, 8, 8)),
        ValueError,
        r"expected SO\(3\) signal \(B, 1, 6, 6, 6\).*got \(1, 1, 8, 8, 8\)",
    ),
    Row("SO3ToS2Conv", lambda: gnn.SO3ToS2Conv(0, 2, 4, 4), ValueError, r"positive int.*got 0"),
    Row(
        "SO3ToS2Conv",
        lambda: gnn.SO3ToS2Conv(1, 2, 3, 3)(np.zeros((1, 1, 6, 6, 6))),
        ValueError,
        r"expected SO\(3\) signal \(B, 1, 6, 6, 6\).*got ndarray",
    ),
    Row("SO3Shortcut", lambda: gnn.SO3Shortcut(1, 0, 4, 4), ValueError, r"positive int.*got 0"),
    Row(
        "SO3Shortcut",
        lambda: gnn.SO3Shortcut(1, 1, 3, 3)(floats(1, 1, 6, 6)),
        ValueError,
        r"expected SO\(3\) signal \(B, 1, 6, 6, 6\).*got \(1, 1, 6, 6\)",
    ),
    Row(
        "S2Integrate",
        lambda: gnn.S2Integrate()(floats(1, 1, 6, 6, 6)),
        ValueError,
        r"expected S² signal \(B, C, 2b, 2b\).*got \(1, 1, 6, 6, 6\)",
    ),
    Row(
        "SO3Integrate",
        lambda: gnn.SO3Integrate()(floats(1, 1, 6, 6)),
        ValueError,
        r"expected SO\(3\) signal \(B, C, 2b, 2b, 2b\).*got \(1, 1, 6, 6\)",
    ),
    Row(
        "s2_integrate",
        lambda: gnn.s2_integrate(floats(1, 1, 5, 5)),
        ValueError,
        r"expected S² signal \(B, C, 2b, 2b\).*got \(1, 1, 5, 5\)",
    ),
    Row(
        "so3_integrate",
        lambda: gnn.so3_integrate(torch.ones(1, 1, 4, 4, 4, dtype=torch.int64)),
        ValueError,
        r"expected a real floating-point signal, got dtype torch.int64",
    ),
    Row(
        "s2_equatorial_grid",
        lambda: gnn.s2_equatorial_grid(n_alpha=0),
        ValueError,
        r"n_alpha.*positive int.*got 0",
    ),
    Row(
        "s2_near_identity_grid",
        lambda: gnn.s2_near_identity_grid(n_beta=-1),
        ValueError,
        r"n_beta.*positive int.*got -1",
    ),
    Row(
        "so3_equatorial_grid",
        lambda: gnn.so3_equatorial_grid(n_gamma=0),
        ValueError,
        r"n_gamma.*positive int.*got 0",
    ),
    Row(
        "so3_near_identity_grid",
        lambda: gnn.so3_near_identity_grid(n_alpha=0),
        ValueError,
        r"n_alpha.*positive int.*got 0",
    ),
    Row(
        "ExportedIcoConv",
        lambda: gnn.ExportedIcoConv(gnn.IcoPad(1), torch.nn.Linear(2, 2)),
        TypeError,
        r"expected an IcoPad and an nn\.Conv2d.*got IcoPad and Linear",
    ),
    Row(
        "ExportedIcoConv",
        lambda: gnn.IcoConv(3, 2, 1).export()(floats(1, 2, 6, 5, 2, 4).float()),
        ValueError,
        r"expected regular features \(B, 3, 6, 5, 2, 4\) at resolution r=1, got \(1, 2, 6",
    ),
    Row(
        "GroupBlurPool2d",
        lambda: gnn.GroupBlurPool2d(sigma=-1.0),
        ValueError,
        r"sigma must be > 0, got -1\.0",
    ),
    Row(
        "GroupBlurPool2d",
        lambda: gnn.GroupBlurPool2d()(np.zeros((1, 2, 4, 8, 8))),
        TypeError,
        r"expected a floating torch\.Tensor, got numpy\.ndarray",
    ),
    Row(
        "RestrictGroup",
        lambda: gnn.RestrictGroup("c8", "c3"),
        ValueError,
        r"C3 is not a subgroup of C8",
    ),
    Row(
        "RestrictGroup",
        lambda: gnn.RestrictGroup("so3", "c4"),
        TypeError,
        r"group must be C_N or D_N, got SO3",
    ),
    Row(
        "planar_exactness",
        lambda: gnn.planar_exactness("conv", _C8, (3, 1, 1, 1), _C8, 8, floats(1, 1, 8, 5, 5)),
        ValueError,
        r"C8 has elements 0\.\.7, got 8",
    ),
    Row(
        "export_model",
        lambda: gnn.export_model("p4cnn"),
        TypeError,
        r"export_model expects a torch.nn.Module, got str",
    ),
    Row(
        "SO3SumToS2Conv",
        lambda: gnn.SO3SumToS2Conv(0, 2, 4, 4),
        ValueError,
        r"SO3SumToS2Conv: in_channels must be a positive int, got 0",
    ),
]
