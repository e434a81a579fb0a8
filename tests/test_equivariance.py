# SPDX-License-Identifier: MIT
"""The equivariance checker itself: it must catch a non-equivariant module, explain inexact
elements, and report every element."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gconv.equivariance import check_equivariance
from gconv.groups import C4, D4
from gconv.nn import GroupPool, LiftConv2d


def test_detects_non_equivariant_module():
    conv = nn.Conv2d(1, 3, 3).double()  # a generic filter is not rotation-equivariant
    rep = check_equivariance(
        conv, C4, torch.randn(2, 1, 9, 9, dtype=torch.float64), "image", "image"
    )
    assert not rep.passed
    assert rep.rows[0].error == 0.0 and min(r.error for r in rep.rows[1:]) > 1e-2
    assert "NOT equivariant" in str(rep)


def test_report_table_lists_every_element():
    layer = LiftConv2d(1, 2, 3, group="p4m").double()
    rep = check_equivariance(layer, D4, torch.randn(1, 1, 7, 7, dtype=torch.float64))
    text = str(rep)
    for g in D4.elements():
        assert D4.element_name(g) in text
    assert rep.passed and "verdict: equivariant" in text


def test_continuous_angles_are_reported_inexact():
    net = nn.Sequential(LiftConv2d(1, 2, 3).double(), GroupPool(), nn.AdaptiveMaxPool2d(1))
    x = torch.randn(1, 1, 15, 15, dtype=torch.float64)
    rep = check_equivariance(net, C4, x, "image", "invariant", angles=[math.pi / 4])
    row = rep.rows[-1]
    assert row.name.startswith("rot 45°") and not row.exact and "bilinear" in row.reason
    assert rep.passed  # the grid-exact elements still pass
    with pytest.raises(ValueError, match="continuous angles need image input"):
        check_equivariance(LiftConv2d(1, 2, 3), C4, torch.randn(1, 1, 5, 5), angles=[0.1])


def test_unknown_kind_and_tolerance_override():
    with pytest.raises(ValueError, match="unknown input_kind 'sphere'"):
        check_equivariance(nn.Identity(), C4, torch.randn(1, 1, 4, 4), "sphere")
    rep = check_equivariance(
        nn.Identity(), C4, torch.randn(1, 1, 4, 4), "image", "image", tolerance=0.0
    )
    assert rep.passed and rep.tolerance == 0.0


def test_restores_training_mode():
    layer = LiftConv2d(1, 1, 3).train()
    check_equivariance(layer, C4, torch.randn(1, 1, 5, 5))
    assert layer.training
