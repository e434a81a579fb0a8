# SPDX-License-Identifier: MIT
"""The ring synthesis of S² → SO(3) correlations (``engine.s2_ring_synthesis``) against the
per-output-channel path (dense filter spectrum, ``s2_so3_product``, ``so3_synthesis``), in both
forms of its last stage; the channel-before-batch layout it returns through the next analysis.
Float64, random signals and weights: both paths are exact sums, so they agree to rounding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gconv.spherical._ring as ring_mod
from gconv.nn import S2Conv, SO3Conv, s2_near_identity_grid
from gconv.nn import _spectral as sp
from gconv.spherical import engine as hm

TOL = 1e-11


def _reference(x, w, bias, pts, b_out, L):
    """The output through the dense filter spectrum of every output channel."""
    B, C = x.shape[:2]
    fh = hm.s2_analysis(x.reshape(B * C, *x.shape[2:]), hm.s2_tables(x.shape[-1] // 2, L))
    psi = sp.filter_spectrum(w, sp.s2_filter_table(pts, L)).reshape(C, -1, 2 * L - 1, L)
    gh = sp.s2_so3_product(fh.view(L, 2, B, C, L), psi).contiguous()
    gh[0, L - 1, 0, :, :, 0] += bias
    lead = (B, psi.shape[1])
    return hm.so3_synthesis(gh.reshape(L, 2 * L - 1, 2, -1, L), hm.so3_tables(b_out, L), lead)


def _ring(x, w, bias, pts, b_out, L):
    B, C = x.shape[:2]
    fh = hm.s2_analysis(x.reshape(B * C, *x.shape[2:]), hm.s2_tables(x.shape[-1] // 2, L))
    rings, index = hm.ring_layout(torch.as_tensor(pts[:, 0]))
    table = sp.s2_ring_filter_table(pts, L, index, len(rings))
    w_hat = sp.filter_spectrum(w, table).view(C, w.shape[1], len(rings), L)
    return hm.s2_ring_synthesis(fh, w_hat, bias, hm.s2_ring_tables(b_out, L, rings), B)


@pytest.mark.parametrize("fuse", [True, False])
@pytest.mark.parametrize(
    ("B", "C", "O", "b_in", "b_out", "grid"),
    [
        (3, 1, 4, 5, 4, s2_near_identity_grid(n_alpha=6, n_beta=1)),
        (2, 2, 5, 4, 6, s2_near_identity_grid()),
        (1, 3, 2, 5, 3, s2_near_identity_grid(max_beta=0.7, n_alpha=5, n_beta=2)),
        (2, 1, 3, 4, 4, ((0.3, 0.1), (0.3, 2.0), (0.9, 1.0), (1.4, 5.5))),  # uneven rings
    ],
)
def test_ring_synthesis_equals_the_per_channel_path(B, C, O, b_in, b_out, grid, fuse, monkeypatch):
    monkeypatch.setattr(ring_mod, "_FUSE_MAX", 10**9 if fuse else -1)
    gen = torch.Generator().manual_seed(B + 10 * C + 100 * O)
    pts = np.asarray(grid, dtype=np.float64)
    L = min(b_in, b_out)
    x = torch.randn(B, C, 2 * b_in, 2 * b_in, dtype=torch.float64, generator=gen)
    w = torch.randn(C, O, len(pts), dtype=torch.float64, generator=gen)
    bias = torch.randn(O, dtype=torch.float64, generator=gen)
    got = _ring(x, w, bias, pts, b_out, L)
    torch.testing.assert_close(got, _reference(x, w, bias, pts, b_out, L), atol=TOL, rtol=0)
    # stored [α, γ, O, B, β], a base tensor
    assert got._base is None and got.permute(3, 4, 1, 0, 2).is_contiguous()


@pytest.mark.parametrize("fuse", [True, False])
def test_ring_synthesis_gradients(fuse, monkeypatch):
    """gradcheck through input, weights and bias (the last stage's backward is hand-written)."""
    monkeypatch.setattr(ring_mod, "_FUSE_MAX", 10**9 if fuse else -1)
    pts = np.asarray(s2_near_identity_grid(max_beta=0.6, n_alpha=3, n_beta=2))
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(2, 1, 6, 6, dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn(1, 3, len(pts), dtype=torch.float64, generator=gen, requires_grad=True)
    bias = torch.randn(3, dtype=torch.float64, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(lambda *a: _ring(*a, pts, 2, 2), (x, w, bias))


def test_ring_layer_output_feeds_the_next_layer_without_a_copy():
    """S2Conv's ring output is stored [α, γ, C, B, β]; ReLU keeps it, and the next SO3Conv's
    analysis takes it as it is (same values and gradients as from a contiguous copy)."""
    torch.manual_seed(0)
    s2 = S2Conv(1, 4, b_in=5, b_out=4).double()
    assert hasattr(s2, "ring_syn_b")
    so3 = SO3Conv(4, 2, b_in=4, b_out=3).double()
    x = torch.randn(3, 1, 10, 10, dtype=torch.float64, requires_grad=True)
    h = torch.relu(s2(x))
    assert h.permute(3, 4, 1, 0, 2).is_contiguous()
    Fh = hm.so3_analysis_channels(h, _ana(so3))
    Fc = hm.so3_analysis_channels(h.contiguous(), _ana(so3))
    torch.testing.assert_close(Fh, Fc, atol=1e-12, rtol=0)
    y = so3(h)
    torch.testing.assert_close(y, so3(h.contiguous()), atol=1e-12, rtol=0)
    (g1,) = torch.autograd.grad(y.square().sum(), x)
    (g2,) = torch.autograd.grad(so3(torch.relu(s2(x)).contiguous()).square().sum(), x)
    torch.testing.assert_close(g1, g2, atol=1e-10, rtol=0)


def _ana(layer):
    return {k[4:]: v for k, v in layer.named_buffers() if k.startswith("ana_")}


def test_ring_path_on_the_meta_device():
    layer = S2Conv(1, 4, 4, 3).to("meta")
    assert hasattr(layer, "ring_syn_b")
    y = layer(torch.empty(2, 1, 8, 8, device="meta"))
    assert y.device.type == "meta" and y.shape == (2, 4, 6, 6, 6)
    y.sum().backward()
    assert all(p.grad is not None and p.grad.device.type == "meta" for p in layer.parameters())


def test_ring_layout_groups_points_by_beta():
    rings, index = hm.ring_layout(torch.tensor([0.5, 0.2, 0.5, 0.9, 0.2], dtype=torch.float64))
    assert rings.tolist() == [0.2, 0.5, 0.9] and index.tolist() == [1, 0, 1, 2, 0]


@pytest.mark.parametrize(
    ("B", "C", "O", "b_in", "b_out", "grid"),
    [
        (2, 1, 4, 5, 6, s2_near_identity_grid(n_alpha=6, n_beta=1)),  # α = 2πj/6: 2j γ-steps
        (2, 2, 7, 4, 3, s2_near_identity_grid(n_alpha=6, n_beta=2)),
        (1, 1, 3, 4, 4, ((0.3, 0.0), (0.3, np.pi / 2), (0.8, 3 * np.pi / 4))),  # uneven
    ],
)
def test_shift_path_equals_the_ring_spectrum_path(B, C, O, b_in, b_out, grid):
    """Every α a whole number of γ steps: the weights are applied as γ-shifts, same output."""
    gen = torch.Generator().manual_seed(O)
    pts = np.asarray(grid, dtype=np.float64)
    L = min(b_in, b_out)
    x = torch.randn(B, C, 2 * b_in, 2 * b_in, dtype=torch.float64, generator=gen)
    w = torch.randn(C, O, len(pts), dtype=torch.float64, generator=gen)
    bias = torch.randn(O, dtype=torch.float64, generator=gen)
    rings, _ = hm.ring_layout(torch.as_tensor(pts[:, 0]))
    T = hm.s2_ring_tables(b_out, L, rings, torch.as_tensor(pts))
    assert "shift" in T
    fh = hm.s2_analysis(x.reshape(B * C, 2 * b_in, 2 * b_in), hm.s2_tables(b_in, L))
    got = hm.s2_ring_synthesis(fh, None, bias, T, B, weight=w)
    torch.testing.assert_close(got, _ring(x, w, bias, pts, b_out, L), atol=TOL, rtol=0)
    assert got._base is None and got.permute(3, 4, 1, 0, 2).is_contiguous()


def test_shift_path_gradients_and_layer_choice():
    pts = np.asarray(s2_near_identity_grid(max_beta=0.6, n_alpha=4, n_beta=2))
    rings, _ = hm.ring_layout(torch.as_tensor(pts[:, 0]))
    T = hm.s2_ring_tables(2, 2, rings, torch.as_tensor(pts))  # α = πj/2: one γ step each
    gen = torch.Generator().manual_seed(9)
    x = torch.randn(2, 1, 4, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn(1, 3, len(pts), dtype=torch.float64, generator=gen, requires_grad=True)
    bias = torch.randn(3, dtype=torch.float64, generator=gen, requires_grad=True)

    def fn(x, w, bias):
        fh = hm.s2_analysis(x.reshape(2, 4, 4), hm.s2_tables(2, 2))
        return hm.s2_ring_synthesis(fh, None, bias, T, 2, weight=w)

    assert torch.autograd.gradcheck(fn, (x, w, bias))
    assert "shift" not in hm.s2_ring_tables(3, 2, rings, torch.as_tensor(pts))  # π/2 ∤ π/3
    assert hasattr(S2Conv(1, 4, 4, 2, grid=tuple(map(tuple, pts))), "ring_shift")
    assert not hasattr(S2Conv(1, 4, 4, 3, grid=tuple(map(tuple, pts))), "ring_shift")
