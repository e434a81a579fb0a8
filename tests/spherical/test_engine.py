# SPDX-License-Identifier: MIT
"""The real-signal engine (``gconv.spherical.engine``) against the public packed
``gconv.spherical`` FFTs, in both memory layouts they accept (float64, random signals)."""

from __future__ import annotations

import pytest
import torch

from gconv.spherical import engine as hm
from gconv.spherical import s2_fft, s2_ifft, so3_fft, so3_ifft

TOL = 1e-11


def _so3_dense(c: torch.Tensor, L: int) -> torch.Tensor:
    """Packed complex ``(N, L(4L²−1)/3)`` → the engine's ``(L, 2L−1, 2, N, L)`` (m ≥ 0)."""
    N = c.shape[0]
    out = torch.zeros(L, 2 * L - 1, 2, N, L, dtype=torch.float64)
    off = 0
    for l in range(L):
        d = 2 * l + 1
        blk = c[:, off : off + d * d].reshape(N, d, d)[:, l:, :]  # m = 0..l, n = −l..l
        out[: l + 1, L - 1 - l : L + l, 0, :, l] = blk.real.permute(1, 2, 0)
        out[: l + 1, L - 1 - l : L + l, 1, :, l] = blk.imag.permute(1, 2, 0)
        off += d * d
    return out


def _s2_dense(c: torch.Tensor, L: int) -> torch.Tensor:
    """Packed complex ``(N, L²)`` → the engine's ``(L, 2, N, L)`` (m ≥ 0)."""
    out = torch.zeros(L, 2, c.shape[0], L, dtype=torch.float64)
    for l in range(L):
        blk = c[:, l * l + l : l * l + 2 * l + 1]  # m = 0..l
        out[: l + 1, 0, :, l] = blk.real.T
        out[: l + 1, 1, :, l] = blk.imag.T
    return out


def _real_so3(N: int, L: int, b: int, gen: torch.Generator) -> torch.Tensor:
    """A random real SO(3) signal of degrees < L on the grid of bandwidth b."""
    n = L * (4 * L * L - 1) // 3
    c = torch.randn(N, n, dtype=torch.complex128, generator=gen)
    return so3_ifft(c, b_out=b, real=True).contiguous()  # the public output is grid-major


@pytest.mark.parametrize(("b", "L"), [(4, 4), (5, 3), (3, 3)])
def test_so3_analysis_matches_public_fft_in_both_layouts(b: int, L: int) -> None:
    gen = torch.Generator().manual_seed(b * 10 + L)
    x = _real_so3(6, L, b, gen)
    T = hm.so3_tables(b, L)
    want = _so3_dense(so3_fft(x, b_out=L), L)
    grid_major = x.permute(2, 3, 0, 1).contiguous().permute(2, 3, 0, 1)
    assert x.is_contiguous() and not grid_major.is_contiguous()
    for inp in (x, grid_major):
        torch.testing.assert_close(hm.so3_analysis(inp, T), want, atol=TOL, rtol=0)


@pytest.mark.parametrize(("b", "L"), [(4, 4), (5, 3), (3, 2)])
def test_so3_synthesis_matches_public_ifft_and_is_grid_major(b: int, L: int) -> None:
    gen = torch.Generator().manual_seed(b * 10 + L)
    x = _real_so3(5, L, b, gen)  # real signal ⇒ its spectrum has the symmetry the engine assumes
    c = so3_fft(x, b_out=L)
    y = hm.so3_synthesis(_so3_dense(c, L), hm.so3_tables(b, L))
    torch.testing.assert_close(y, x, atol=TOL, rtol=0)
    assert y.permute(2, 3, 0, 1).is_contiguous()  # stored [α, γ, N, β]: no transpose was made


@pytest.mark.parametrize(("b", "L"), [(4, 4), (6, 3)])
def test_s2_transforms_match_public_fft_in_both_layouts(b: int, L: int) -> None:
    gen = torch.Generator().manual_seed(b + L)
    c = torch.randn(7, L * L, dtype=torch.complex128, generator=gen)
    x = s2_ifft(c, b_out=b, real=True)
    T = hm.s2_tables(b, L)
    want = _s2_dense(s2_fft(x, b_out=L), L)
    grid_major = x.permute(2, 0, 1).contiguous().permute(1, 2, 0)
    for inp in (x, grid_major):
        torch.testing.assert_close(hm.s2_analysis(inp, T), want, atol=TOL, rtol=0)
    y = hm.s2_synthesis(want, T)
    torch.testing.assert_close(y, x, atol=TOL, rtol=0)
    assert y.permute(2, 0, 1).is_contiguous()


def test_layer_outputs_feed_the_next_layer_without_a_copy() -> None:
    """S2Conv's output is grid-major; ReLU keeps the layout, and SO3Conv's analysis takes the
    copy-free path (same values as from a contiguous copy)."""
    from gconv.nn import S2Conv, SO3Conv

    torch.manual_seed(0)
    s2 = S2Conv(2, 3, b_in=5, b_out=4).double()
    so3 = SO3Conv(3, 2, b_in=4, b_out=3).double()
    y = s2(torch.randn(2, 2, 10, 10, dtype=torch.float64))
    assert y._base is None  # a base tensor: in-place ops need no view bookkeeping in autograd
    h = torch.relu(y)
    assert h.permute(3, 4, 0, 1, 2).is_contiguous()
    torch.testing.assert_close(so3(h), so3(h.contiguous()), atol=1e-12, rtol=0)


def test_custom_backward_passes_gradcheck_and_gradgradcheck() -> None:
    """The synthesis and the grid-major analysis have hand-written backward passes (their
    temporaries go to scratch buffers): check them, and double backward, numerically."""
    b, L, N = 3, 3, 2
    T = hm.so3_tables(b, L)
    gen = torch.Generator().manual_seed(7)
    G = torch.randn(L, 2 * L - 1, 2, N, L, dtype=torch.float64, generator=gen, requires_grad=True)
    x = torch.randn(2 * b, 2 * b, N, 2 * b, dtype=torch.float64, generator=gen)
    x = x.permute(2, 3, 0, 1).detach().requires_grad_(True)  # grid-major (N, β, α, γ)
    assert not x.is_contiguous() and x.permute(2, 3, 0, 1).is_contiguous()
    for fn, inp in ((lambda t: hm.so3_synthesis(t, T), G), (lambda t: hm.so3_analysis(t, T), x)):
        assert torch.autograd.gradcheck(fn, (inp,))
        assert torch.autograd.gradgradcheck(fn, (inp,))


def test_in_place_ops_on_layer_outputs_keep_gradients_right() -> None:
    """ReLU(inplace=True) after the layers (views of custom-Function outputs) is allowed and
    gives the same values and gradients as the out-of-place ReLU."""
    from gconv.nn import S2Conv, SO3Conv, SO3ToS2Conv, so3_integrate

    def run(inplace: bool) -> list[torch.Tensor]:
        torch.manual_seed(3)
        net = torch.nn.Sequential(
            S2Conv(1, 3, b_in=5, b_out=4),
            torch.nn.ReLU(inplace=inplace),
            SO3Conv(3, 2, b_in=4, b_out=3),
            torch.nn.ReLU(inplace=inplace),
        ).double()
        head = SO3ToS2Conv(2, 1, b_in=3, b_out=3).double()
        h = net(torch.randn(2, 1, 10, 10, dtype=torch.float64))
        (so3_integrate(h).sum() + torch.relu_(head(h)).sum()).backward()
        return [h.detach()] + [p.grad for p in [*net.parameters(), *head.parameters()]]

    for a, b in zip(run(False), run(True), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-13)


def test_scratch_is_bounded_reported_and_freed() -> None:
    hm.clear_scratch()
    assert hm.scratch_bytes() == 0
    T = hm.so3_tables(4, 3)
    with torch.no_grad():
        hm.so3_synthesis(torch.randn(3, 5, 2, 6, 3, dtype=torch.float64), T)
    held = hm.scratch_bytes()
    assert 0 < held <= 2 * hm.SCRATCH_MAX_BYTES
    hm.clear_scratch()
    assert hm.scratch_bytes() == 0


def test_engine_runs_on_the_meta_device() -> None:
    """Nothing in the engine or the layers assumes the CPU: tables and signals on ``meta``."""
    from gconv.nn import S2Conv, SO3Conv, SO3SumToS2Conv, SO3ToS2Conv

    T = {k: v.to("meta") for k, v in hm.so3_tables(4, 3).items()}
    y = hm.so3_synthesis(
        hm.so3_analysis(torch.empty(2, 8, 8, 8, device="meta", dtype=torch.float64), T), T
    )
    assert y.device.type == "meta" and y.shape == (2, 8, 8, 8)
    net = torch.nn.Sequential(S2Conv(1, 2, 4, 3), SO3Conv(2, 2, 3, 3), SO3SumToS2Conv(2, 1, 3, 4))
    net = net.to("meta")
    out = net(torch.empty(2, 1, 8, 8, device="meta"))
    assert out.device.type == "meta" and out.shape == (2, 1, 8, 8)
    side = SO3ToS2Conv(2, 3, 3, 2).to("meta")(torch.empty(1, 2, 6, 6, 6, device="meta"))
    assert side.device.type == "meta" and side.shape == (1, 3, 4, 4)
    out.sum().backward()
    assert all(p.grad is not None and p.grad.device.type == "meta" for p in net.parameters())
