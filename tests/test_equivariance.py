# SPDX-License-Identifier: MIT
"""The equivariance checker itself: it must catch a non-equivariant module, explain inexact
elements, and report every element."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gconv.equivariance import assert_equivariant, check_equivariance
from gconv.groups import C4, D4
from gconv.nn import GroupPool, LiftConv2d


def test_plain_conv_is_nothing_checkable_not_a_failure():
    """A generic 3×3 filter claims nothing: its large errors are measurements (exit 3)."""
    conv = nn.Conv2d(1, 3, 3).double()
    rep = check_equivariance(
        conv, C4, torch.randn(2, 1, 9, 9, dtype=torch.float64), "image", "image"
    )
    assert [r.status for r in rep.rows] == ["exact", "inexact", "inexact", "inexact"]
    assert rep.rows[0].error == 0.0 and min(r.error for r in rep.rows[1:]) > 1e-2
    assert rep.verdict == "nothing checkable exactly" and rep.exit_code == 3
    assert "unconstrained 3×3 filter" in str(rep)


class _Liar(nn.Conv2d):
    """A layer that declares exactness it does not have (a bug the checker must catch)."""

    def equivariance_exactness(self, group, g, x):
        return None


def test_detects_a_false_claim_of_exactness():
    rep = check_equivariance(
        _Liar(1, 3, 3).double(), C4, torch.randn(2, 1, 9, 9, dtype=torch.float64), "image", "image"
    )
    assert all(r.exact for r in rep.rows) and not rep.passed
    assert rep.verdict == "not equivariant" and rep.exit_code == 1
    assert "NOT EQUIVARIANT" in str(rep) and "FAIL" in str(rep)
    with pytest.raises(AssertionError, match="rot 90°"):
        assert_equivariant(
            _Liar(1, 3, 3).double(), C4, torch.randn(1, 1, 9, 9).double(), "image", "image"
        )


def test_strided_layer_is_not_overclaimed():
    """LiftConv2d(1, 2, 3, stride=2) on 8×8: (8 − 3) mod 2 = 1, so no rotation is exact; only
    the identity row is. The old checker said "equivariant" here."""
    layer = LiftConv2d(1, 2, 3, stride=2).double()
    rep = check_equivariance(layer, C4, torch.randn(1, 1, 8, 8, dtype=torch.float64))
    assert [r.status for r in rep.rows] == ["exact", "inexact", "inexact", "inexact"]
    assert rep.verdict == "nothing checkable exactly" and rep.exit_code == 3 and rep.passed
    assert "not divisible by stride 2" in rep.rows[1].reason
    with pytest.raises(AssertionError, match="nothing checkable exactly"):
        assert_equivariant(layer, C4, torch.randn(1, 1, 8, 8, dtype=torch.float64))
    # on 9×9 the same layer is exact for every rotation
    assert_equivariant(layer, C4, torch.randn(1, 1, 9, 9, dtype=torch.float64))


class _Opaque(nn.Module):
    def forward(self, x):
        return x


def test_undeclared_module_makes_rows_unknown_never_exact():
    net = nn.Sequential(LiftConv2d(1, 2, 3).double(), _Opaque())
    rep = check_equivariance(net, C4, torch.randn(1, 1, 7, 7, dtype=torch.float64))
    assert [r.status for r in rep.rows] == ["exact", "unknown", "unknown", "unknown"]
    assert "1 (_Opaque) declares no exactness" in rep.rows[1].reason
    assert rep.verdict == "nothing checkable exactly"
    # an inexact module wins over an unknown one: one known break suffices
    net = nn.Sequential(LiftConv2d(1, 2, 3, stride=2).double(), _Opaque())
    rep = check_equivariance(net, C4, torch.randn(1, 1, 8, 8, dtype=torch.float64))
    assert rep.rows[1].status == "inexact"


def test_flatten_and_linear_declarations():
    """Flattening size-1 spatial axes then a Linear keeps invariance exact; flattening the
    group axis into channels does not (a rotation permutes those inputs of the Linear)."""
    lift = LiftConv2d(1, 2, 3).double()
    good = nn.Sequential(lift, GroupPool(), nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(2, 3))
    rep = check_equivariance(
        good.double(), C4, torch.randn(2, 1, 9, 9).double(), "image", "invariant"
    )
    assert rep.verdict == "equivariant", str(rep)
    bad = nn.Sequential(lift, nn.AdaptiveMaxPool3d((None, 1, 1)), nn.Flatten(), nn.Linear(8, 3))
    rep = check_equivariance(
        bad.double(), C4, torch.randn(2, 1, 9, 9).double(), "image", "invariant"
    )
    assert rep.verdict == "nothing checkable exactly", str(rep)
    assert min(r.error for r in rep.rows[1:]) > 1e-3  # and it really is not invariant


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


@pytest.mark.parametrize("size", [(8, 8), (9, 9), (8, 9), (9, 8)])
def test_strided_exactness_claims_are_exact_and_tight(size):
    """Stride 2, kernel 3: the rule holds on an axis of 9 samples, fails on 8. Every element
    the checker calls exact must show rounding only, and every one it calls inexact must really
    break (the rule is not merely conservative): 90° needs W, 270° H, the transpose nothing."""
    layer = LiftConv2d(1, 3, 3, group="p4m", stride=2).double()
    rep = check_equivariance(layer, D4, torch.randn(2, 1, *size, dtype=torch.float64))
    for row in rep.rows:
        if row.exact:
            assert row.error < 1e-12, str(rep)
        else:
            assert row.status == "inexact" and row.error > 1e-3, str(rep)
    assert rep.rows[5].exact  # the transpose keeps any strided grid on square inputs


def test_relative_error_keeps_imaginary_parts():
    from gconv.equivariance import relative_error

    a, b = torch.tensor([3j, 0j]), torch.tensor([0j, 0j])
    ref = torch.tensor([0j, 4 + 0j])
    assert relative_error(a, b, ref) == pytest.approx(0.75, rel=1e-15)
    assert relative_error(a, a.clone(), ref) == 0.0


def test_an_empty_or_zero_input_cannot_pass_a_broken_layer():
    """A layer whose output is shifted fails on a random input; on an input with nothing in
    it the check refuses instead of passing it."""

    class Shifted(LiftConv2d):
        equivariance_exactness = LiftConv2d.equivariance_exactness  # claimed again, wrongly

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(x).roll(1, -1)

    layer = Shifted(1, 2, 3).double()
    with pytest.raises(AssertionError, match="not equivariant"):
        assert_equivariant(layer, "p4", torch.randn(1, 1, 9, 9, dtype=torch.float64))
    for x in (torch.zeros(1, 1, 9, 9, dtype=torch.float64), torch.randn(0, 1, 9, 9)):
        with pytest.raises(ValueError, match="so no error could show"):
            check_equivariance(layer, "p4", x, "image", "features")
