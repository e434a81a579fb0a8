# SPDX-License-Identifier: MIT
"""Bad inputs for ``gconv.models``."""

from __future__ import annotations

import numpy as np
import torch
from _bad_row import Row, floats

from gconv import models as m

PACKAGE = "gconv.models"

_NET = torch.nn.Identity()

ROWS = [
    Row(
        "MNISTRotCNN",
        lambda: m.MNISTRotCNN("blocks", _NET, 0.0, _NET),
        TypeError,
        r"str is not a Module subclass",
    ),
    Row(
        "ModelSpec",
        lambda: m.ModelSpec("a", lambda: _NET, "sound", "logits", "classification", (1, 28, 28)),
        ValueError,
        r"input_kind must be one of \('image', .*\), got 'sound'",
    ),
    Row(
        "P4CNN", lambda: m.P4CNN(channels=0), ValueError, r"channels must be a positive int, got 0"
    ),
    Row("P4CNN", lambda: m.P4CNN(dropout=1.5), ValueError, r"dropout must be in \[0, 1\), got 1.5"),
    Row(
        "P4CNNRotationPooling",
        lambda: m.P4CNNRotationPooling(num_classes=-1),
        ValueError,
        r"num_classes must be a positive int, got -1",
    ),
    Row(
        "P4MCNN",
        lambda: m.P4MCNN(top_pool="mean"),
        ValueError,
        r"top_pool must be one of \('group', 'rotations'\), got 'mean'",
    ),
    Row(
        "P4MCNNCosetPooling",
        lambda: m.P4MCNNCosetPooling(in_channels=0),
        ValueError,
        r"in_channels must be a positive int, got 0",
    ),
    Row(
        "Z2CNN", lambda: m.Z2CNN(dropout=-0.1), ValueError, r"dropout must be in \[0, 1\), got -0.1"
    ),
    Row("S2CNN", lambda: m.S2CNN(bandwidth=0), ValueError, r"positive int bandwidth, got 0"),
    Row(
        "EncoderDecoderCNN",
        lambda: m.EncoderDecoderCNN([4, 8], [3], [1, 2]),
        ValueError,
        r"non-empty and of equal length, got 2, 1, 2",
    ),
    Row(
        "SphereImageCNN",
        lambda: m.SphereImageCNN(width=0),
        ValueError,
        r"width must be a positive number, got 0",
    ),
    Row(
        "SpatialMax",
        lambda: m.SpatialMax()(np.zeros((2, 3, 3))),
        TypeError,
        r"expected a torch.Tensor, got numpy.ndarray",
    ),
    Row(
        "demo_stack",
        lambda: m.demo_stack("c8"),
        ValueError,
        r"group must be one of p4, p4m, c1, c2, c4, d1, d2, d4 .*got 'c8'",
    ),
    Row(
        "get_model", lambda: m.get_model("nope"), ValueError, r"unknown model 'nope'; known .*p4cnn"
    ),
    Row(
        "list_models",
        lambda: m.list_models("regression"),
        ValueError,
        r"task must be one of \('classification', .*\), got 'regression'",
    ),
    Row("model_spec", lambda: m.model_spec("nope"), ValueError, r"unknown model 'nope'; known"),
    Row(
        "register_model",
        lambda: m.register_model("p4cnn"),
        TypeError,
        r"expects a ModelSpec, got str",
    ),
    Row(
        "register_model",
        lambda: m.register_model(m.model_spec("p4cnn")),
        ValueError,
        r"model 'p4cnn' is already registered",
    ),
    Row(
        "register_models",
        lambda: m.register_models([1]),
        TypeError,
        r"must be a mapping, not int",
    ),
    Row(
        "AllCNNC",
        lambda: m.AllCNNC(channels=(0, 4)),
        ValueError,
        r"channels must be 2 positive ints, got \(0, 4\)",
    ),
    Row(
        "AllCNNC", lambda: m.AllCNNC(group="p8"), ValueError, r"one of \(None, 'p4', 'p4m'\).*'p8'"
    ),
    Row(
        "AvgPool2x2",
        lambda: m.AvgPool2x2()(torch.zeros(3, 8, 8)),
        ValueError,
        r"expected \(B, C, H, W\) or \(B, C, \|G\|, H, W\), got \(3, 8, 8\)",
    ),
    Row(
        "AvgPool2x2",
        lambda: m.AvgPool2x2()(np.zeros((1, 3, 8, 8))),
        TypeError,
        r"expected a floating torch\.Tensor, got numpy\.ndarray",
    ),
    Row("C16CNN", lambda: m.C16CNN(widths=(1, 2)), ValueError, r"6 positive ints, got \(1, 2\)"),
    Row(
        "C8CNN",
        lambda: m.C8CNN(restrict_after=3),
        ValueError,
        r"needs a dihedral group, got restrict_after=3 on C8",
    ),
    Row("D16C16CNN", lambda: m.D16C16CNN(restrict_after=7), ValueError, r"got restrict_after=7"),
    Row(
        "IcoCNN",
        lambda: m.IcoCNN(r=2),
        ValueError,
        r"r=2 is too coarse for 3 strides \(need r >= 4\)",
    ),
    Row("IcoCNN", lambda: m.IcoCNN(num_classes=0), ValueError, r"num_classes.*positive int, got 0"),
    Row("IcoCNNSeg", lambda: m.IcoCNNSeg(r=2), ValueError, r"needs r >= 3.*got r=2"),
    Row(
        "IcoCNNSeg",
        lambda: m.IcoCNNSeg(r=3, channels=(2,)),
        ValueError,
        r"channels must be >= 2 positive ints, got \(2,\)",
    ),
    Row(
        "IcoCNNSeg",
        lambda: m.IcoCNNSeg(r=3, channels=(2, 2, 2, 2)),
        ValueError,
        r"needs r >= 4 \(3 coarsenings to r >= 1\), got r=3",
    ),
    Row(
        "PreActBlock",
        lambda: m.PreActBlock("p4", 4, 4, True, "avg"),
        ValueError,
        r"downsample must be one of \('stride', 'pool'\), got 'avg'",
    ),
    Row("PreActBlock", lambda: m.PreActBlock(None, 0, 4, False), ValueError, r"cin.*got 0"),
    Row("ResNet", lambda: m.ResNet(blocks=0), ValueError, r"blocks must be a positive int, got 0"),
    Row("ResNet", lambda: m.ResNet(head="max"), ValueError, r"\('flatten', 'pool'\), got 'max'"),
    Row(
        "SteerableMNIST",
        lambda: m.SteerableMNIST("so3"),
        ValueError,
        r"needs C_N or D_N, got 'so3'",
    ),
    Row(
        "SteerableMNIST",
        lambda: m.SteerableMNIST("c4", hidden=0),
        ValueError,
        r"hidden must be a positive int, got 0",
    ),
    Row(
        "S2CNNDeep",
        lambda: m.S2CNNDeep(num_classes=0),
        ValueError,
        r"S2CNNDeep: num_classes must be a positive int, got 0",
    ),
    Row(
        "S2CNNSeg",
        lambda: m.S2CNNSeg(num_classes=0),
        ValueError,
        r"out_channels must be a positive int, got 0",
    ),
    Row(
        "SphericalStack",
        lambda: m.SphericalStack([torch.nn.Identity()], checkpoint="yes"),
        TypeError,
        r"checkpoint must be a bool, got 'yes'",
    ),
    Row(
        "GanDiscriminator",
        lambda: m.GanDiscriminator("p4m"),
        ValueError,
        r"group must be one of \('z2', 'p4'\), got 'p4m'",
    ),
    Row(
        "GanDiscriminator",
        lambda: m.GanDiscriminator(width_factor=0.001),
        ValueError,
        r"width_factor must give widths >= 1 .*got 0.001",
    ),
    Row(
        "GanDiscriminator",
        lambda: m.GanDiscriminator("z2")(floats(2, 1, 28, 28), torch.zeros(3, dtype=torch.long)),
        ValueError,
        r"labels y must be int64 \(B,\) = \(2,\), got torch.int64 \(3,\)",
    ),
    Row(
        "ConditionalGenerator",
        lambda: m.ConditionalGenerator(z_dim=4, width=2)(torch.randn(2, 4), torch.tensor([3, 10])),
        ValueError,
        r"ConditionalGenerator: labels must be in 0\.\.9, got 3\.\.10",
    ),
    Row(
        "ConditionalGenerator",
        lambda: m.ConditionalGenerator(z_dim=0),
        ValueError,
        r"z_dim must be a positive int, got 0",
    ),
    Row(
        "ConditionalGenerator",
        lambda: m.ConditionalGenerator()(torch.randn(2, 8), torch.zeros(2, dtype=torch.long)),
        ValueError,
        r"expected z \(B, 64\), got \(2, 8\)",
    ),
]
