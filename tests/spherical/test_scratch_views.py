# SPDX-License-Identifier: MIT
"""``engine._scratch`` hands out the same view for a repeated shape (no slicing ops per call)
and never a view of a buffer it has replaced or freed."""

from __future__ import annotations

import torch

from gconv.spherical import engine


def test_views_are_reused_and_dropped_with_their_buffer() -> None:
    engine.clear_scratch()
    x = torch.zeros(1)
    v1 = engine._scratch("a", (4, 5), x)
    assert engine._scratch("a", (4, 5), x) is v1  # reused: the same view object
    v2 = engine._scratch("a", (2, 3), x)
    assert v2.data_ptr() == v1.data_ptr() and v2.shape == (2, 3)
    big = engine._scratch("a", (100, 100), x)  # growth: a new buffer
    assert engine.scratch_bytes() == 100 * 100 * 4
    again = engine._scratch("a", (4, 5), x)
    assert again is not v1 and again.data_ptr() == big.data_ptr()
    engine.clear_scratch()
    fresh = engine._scratch("a", (4, 5), x)
    assert fresh is not again and engine.scratch_bytes() == 20 * 4
    w = torch.zeros(1, requires_grad=True)  # a graph needs its own tensors
    assert engine._scratch("a", (4, 5), w) is None
    with torch.no_grad():
        assert engine._scratch("a", (4, 5), w) is fresh
    engine.clear_scratch()
