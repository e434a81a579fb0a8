# SPDX-License-Identifier: MIT
"""The spherical MNIST net: layout and parameter counts of ``s2cnn`` and ``s2cnn-72``, and its
invariance to the rotations that map the SOFT grids onto themselves."""

from __future__ import annotations

import pytest
import torch

from gconv.equivariance import check_equivariance
from gconv.models import S2CNN, get_model, model_spec


@pytest.mark.parametrize(
    ("name", "params", "points"), [("s2cnn", 154_550, 192), ("s2cnn-72", 58_550, 72)]
)
def test_layout_and_parameter_count(name, params, points):
    model = get_model(name)
    assert isinstance(model, S2CNN)
    # 1·20·24 + 20 (S2Conv), 20·40·points + 40 (SO3Conv), 40·10 + 10 (head)
    assert 1 * 20 * 24 + 20 + 20 * 40 * points + 40 + 40 * 10 + 10 == params
    assert model.num_parameters() == params
    assert [n for n, _ in model.named_children()] == ["s2", "so3", "head"]
    spec = model_spec(name)
    assert (spec.input_kind, spec.output_kind, spec.group) == ("s2", "logits", "so3")
    assert spec.input_shape == (1, 60, 60) and spec.defaults == {"bandwidth": 30}


def test_logits_invariant_on_grid_symmetries(tolerance):
    # small bandwidths keep it quick; Ry(π) and the α-rolls permute the grid samples, so the
    # Haar integral sums the same values in another order: rounding only ("exact" policy)
    torch.manual_seed(0)
    model = S2CNN(bandwidth=6, bandwidths=(4, 3)).double().eval()
    x = torch.randn(2, 1, 12, 12, dtype=torch.float64)
    report = check_equivariance(model, "so3", x, "s2", "invariant", rotations=0)
    assert report.passed
    assert max(r.error for r in report.rows if r.exact) < tolerance(torch.float64)


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_classes must be a positive int"):
        S2CNN(num_classes=0)
    with pytest.raises(ValueError, match="pairs"):
        S2CNN(channels=(20, 40, 80))
