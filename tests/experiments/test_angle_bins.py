# SPDX-License-Identifier: MIT
"""``AngleBinnedError``: errors and counts per bin of input angle, summed without bincount
(deterministic on CUDA too), against a direct count."""

from __future__ import annotations

import math

import torch

from gconv.experiments import AngleBinnedError


def test_bins_match_a_direct_count():
    g = torch.Generator().manual_seed(3)
    angles = (torch.rand(500, generator=g, dtype=torch.float64) - 0.5) * 6 * math.pi  # any turn
    wrong = torch.rand(500, generator=g) < 0.3
    metric = AngleBinnedError(bins=12)
    metric.update(wrong[:200], angles[:200])
    metric.update(wrong[200:], angles[200:])
    errors, counts = metric.compute()
    k = ((angles % (2 * math.pi)) / (2 * math.pi / 12)).floor().long().clamp(0, 11)
    for b in range(12):
        sel = k == b
        assert counts[b] == int(sel.sum())
        expected = wrong[sel].double().mean() if sel.any() else torch.tensor(float("nan"))
        torch.testing.assert_close(errors[b], expected.double(), equal_nan=True)
    assert int(counts.sum()) == 500
