# SPDX-License-Identifier: MIT
"""The reference models compute exactly what they computed before the refactors (see
``_frozen.py``): same state_dict keys, same float64 logits to 1e-12 of the largest logit.
Bit for bit holds only on the CPU that wrote the fixture: the BLAS/oneDNN kernels, and so the
order of floating-point sums, depend on the processor (the fixture was written on an Intel
Xeon; on an AMD EPYC the planar models' logits differ from it by up to 2.6e-13). The S2CNN's
engine may also reorder its sums. Both are changes of arithmetic (~1e-16 per operation), not of
the function; a refactor that changes the function moves the logits by far more."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

_spec = importlib.util.spec_from_file_location("_frozen", Path(__file__).with_name("_frozen.py"))
frozen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(frozen)

FIXTURE = frozen.load()


@pytest.mark.parametrize("name", sorted(FIXTURE))
def test_frozen_logits_and_keys(name):
    keys, y = frozen.logits(name)
    entry = FIXTURE[name]
    assert keys == entry["keys"]
    expected = frozen.decode(entry)
    assert y.shape == expected.shape
    torch.testing.assert_close(y, expected, rtol=1e-12, atol=1e-12 * expected.abs().max().item())


def test_fixture_distinguishes_models():
    """The fixture would catch a swapped model or a dropped layer: all logits differ."""
    seen = [tuple(v["logits"]) for v in FIXTURE.values()]
    assert len(set(seen)) == len(seen)
    assert set(FIXTURE) == set(frozen.PLANAR) | {"s2cnn"}
