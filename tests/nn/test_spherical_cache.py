# SPDX-License-Identifier: MIT
"""The filter-spectrum cache of the spherical layers: reused for inference, recomputed after
every kind of weight change (in-place edit, ``.data`` edit, ``optimizer.step()``,
``load_state_dict``, ``.to()`` and dtype changes), never used where autograd needs the graph.

Each check compares the cached layer's output with a fresh layer holding the same weights
(exact: same float64 arithmetic), so a stale spectrum shows up as a mismatch.
"""

from __future__ import annotations

import pytest
import torch

from gconv.nn import S2Conv, SO3Conv, SO3SumToS2Conv, SO3ToS2Conv

CASES = [
    (S2Conv, (2, 1, 8, 8)),
    (SO3Conv, (2, 2, 8, 8, 8)),
    (SO3ToS2Conv, (2, 2, 8, 8, 8)),
    (SO3SumToS2Conv, (2, 2, 8, 8, 8)),
]


def _make(cls, shape, seed=0):
    torch.manual_seed(seed)
    return cls(shape[1], 3, 4, 3).double()


def _fresh_output(layer, cls, shape, x, via=None):
    ref = _make(cls, shape, seed=99)
    ref = (ref if via is None else ref.to(via)).to(dtype=layer.weight.dtype)  # same table casts
    ref.load_state_dict(layer.state_dict())
    with torch.no_grad():
        return ref(x)


def _flat(spectrum):
    """The filter operand as one tensor (SO3Conv keeps a list, one matrix per run of degrees)."""
    if isinstance(spectrum, list):
        return torch.cat([t.flatten() for t in spectrum])
    return spectrum


def _cached_output(layer, x):
    with torch.no_grad():
        return layer(x)


@pytest.mark.parametrize(("cls", "shape"), CASES)
def test_cache_is_used_for_inference(cls, shape):
    layer = _make(cls, shape)
    x = torch.randn(shape, dtype=torch.float64)
    with torch.no_grad():
        a = layer._filter_spectrum()
        assert layer._filter_spectrum() is a  # second call: the cached tensor
    with torch.enable_grad():
        b = layer._filter_spectrum()
    assert b is not a and _flat(b).requires_grad  # training forward: a graph, not the cache
    torch.testing.assert_close(_flat(b).detach(), _flat(a), rtol=0, atol=0)
    torch.testing.assert_close(_cached_output(layer, x), _fresh_output(layer, cls, shape, x))
    layer.clear_filter_cache()
    assert "_filter_cache" not in layer.__dict__


def _in_place(layer):
    with torch.no_grad():
        layer.weight.mul_(-2.0)


def _data_edit(layer):
    layer.weight.data[0, 0, 0] += 1.0


def _optimizer_step(layer):
    opt = torch.optim.SGD(layer.parameters(), lr=0.5)
    layer(
        torch.randn(1, *layer._test_shape[1:], dtype=layer.weight.dtype)
    ).square().sum().backward()
    opt.step()


def _load_state_dict(layer):
    other = {k: torch.randn_like(v) for k, v in layer.state_dict().items()}
    layer.load_state_dict(other)


@pytest.mark.parametrize(("cls", "shape"), CASES)
@pytest.mark.parametrize("change", [_in_place, _data_edit, _optimizer_step, _load_state_dict])
def test_weight_changes_invalidate(cls, shape, change):
    layer = _make(cls, shape)
    layer._test_shape = shape
    x = torch.randn(shape, dtype=torch.float64)
    before = _cached_output(layer, x)
    change(layer)
    after = _cached_output(layer, x)
    assert not torch.equal(before, after)
    torch.testing.assert_close(after, _fresh_output(layer, cls, shape, x), rtol=0, atol=0)


@pytest.mark.parametrize(("cls", "shape"), CASES)
def test_dtype_and_to_invalidate(cls, shape):
    layer = _make(cls, shape)
    x = torch.randn(shape, dtype=torch.float64)
    _cached_output(layer, x)
    layer.float()
    y32 = _cached_output(layer, x.float())
    assert _flat(layer._filter_spectrum()).dtype == torch.complex64
    torch.testing.assert_close(y32, _fresh_output(layer, cls, shape, x.float()), rtol=0, atol=0)
    layer.to(torch.float64)
    want = _fresh_output(layer, cls, shape, x, via=torch.float32)
    torch.testing.assert_close(_cached_output(layer, x), want, rtol=0, atol=0)
    layer.to("meta")  # another device: no stale CPU spectrum, and no data needed to run
    y = _cached_output(layer, x.to("meta"))
    assert y.device.type == "meta" and y.shape[:2] == (shape[0], 3)
