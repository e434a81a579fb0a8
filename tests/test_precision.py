# SPDX-License-Identifier: MIT
"""``gconv._precision``: what ``full_precision`` casts and where it leaves autocast alone."""

from __future__ import annotations

import torch

from gconv._precision import autocasting, full_precision


@full_precision
def _probe(x, y=None, scale=1.0):  # noqa: ANN001, ANN202
    """What the wrapped function sees: the dtypes of its tensors and whether autocast is on."""
    dtypes = tuple(t.dtype for t in (x, y) if isinstance(t, torch.Tensor))
    return dtypes, autocasting(x.device.type), scale


def test_half_tensors_go_up_to_float32_and_autocast_is_off_inside():
    x = torch.ones(2, dtype=torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert autocasting("cpu")
        got = _probe(x, y=torch.ones(2, dtype=torch.float16), scale=2.0)
        assert autocasting("cpu")  # on again after the call
    assert got == ((torch.float32, torch.float32), False, 2.0)


def test_float64_stays_and_nothing_changes_outside_autocast():
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert _probe(torch.ones(2, dtype=torch.float64))[0] == (torch.float64,)
    x = torch.ones(2, dtype=torch.bfloat16)  # outside autocast a half input is the caller's
    assert _probe(x) == ((torch.bfloat16,), False, 1.0)


def test_devices_autocast_does_not_know_run_as_they_are():
    assert not autocasting("meta")
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert _probe(torch.ones(2, device="meta", dtype=torch.bfloat16))[0] == (torch.bfloat16,)
