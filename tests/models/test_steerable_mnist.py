# SPDX-License-Identifier: MIT
"""The steerable rotated-MNIST family: shapes, registry specs, invariance of the logits (exact
for quarter turns — and mirrors before a restriction — in float64; other rotations reported)."""

from __future__ import annotations

import pytest
import torch

from gconv.equivariance import check_equivariance
from gconv.groups import PlaneAction
from gconv.models.steerable_mnist import C8CNN, C16CNN, D16C16CNN, SteerableMNIST, specs

SMALL = {"widths": (2, 2, 3, 3, 3, 4), "hidden": 8}


@pytest.mark.parametrize(("build", "group"), [(C8CNN, "c8"), (C16CNN, "c16"), (D16C16CNN, "d16")])
def test_logits_invariant_exactly_for_grid_elements(build, group):
    torch.manual_seed(0)
    model = build(**SMALL).double()
    x = torch.randn(3, 1, 28, 28, dtype=torch.float64)
    rep = check_equivariance(model, group, x, "image", "invariant")
    act = PlaneAction(group)
    restricted = model.invariant_group.order < model.group.order
    for g, row in zip(act.group.elements(), rep.rows, strict=True):
        mirror = act.group.split(g)[0] == 1
        assert row.exact == (act.is_grid_element(g) and not (mirror and restricted)), row
        if row.exact:
            assert row.error < 1e-12, row
    assert rep.verdict == "equivariant"
    if restricted:  # mirrors are not an invariance of D16|5 C16: the checker says why
        assert any("lacks mirror" in r.reason for r in rep.rows if not r.exact)


def test_specs_describe_buildable_models():
    rows = specs()
    assert [r["name"] for r in rows] == ["c8cnn", "c16cnn", "d16c16cnn"]
    for r in rows:
        assert r["input_shape"] == (1, 28, 28) and r["output_kind"] == "logits"
        model = r["builder"](**SMALL)
        assert model(torch.randn(2, *r["input_shape"])).shape == (2, 10)
        assert model.group.name.lower() == r["group"]


def test_bad_arguments():
    with pytest.raises(ValueError, match="6 positive ints"):
        SteerableMNIST("c8", widths=(1, 2))
    with pytest.raises(ValueError, match="needs a dihedral group"):
        SteerableMNIST("c8", restrict_after=3)
