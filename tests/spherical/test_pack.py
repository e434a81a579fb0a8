# SPDX-License-Identifier: MIT
"""The packed ↔ half-spectrum conversions of ``gconv.spherical._pack``: both to_half
strategies (row gathers or one sparse product, cell gathers), with NumPy's transposing copies
or torch's, and both
from_half gathers (flat, transposed) agree exactly, with and without autograd (scratch
buffers), and the fast S² path writes over the engine's output only; the public transforms'
gradients with ``real=True``."""

from __future__ import annotations

import pytest
import torch

from gconv.spherical import _fft, _pack, engine, s2_fft, s2_ifft, so3_fft, so3_ifft, so3_size

C128 = torch.complex128


@pytest.fixture(autouse=True)
def _engine_path(monkeypatch):
    """These tests are about the engine path's conversions: no dense S² shortcut."""
    monkeypatch.setattr(_fft, "DENSE_MAX", 0)


def _size(kind: str, L: int) -> int:
    return L * L if kind == "s2" else so3_size(L)


@pytest.mark.parametrize("kind", ["s2", "so3"])
@pytest.mark.parametrize("real", [True, False])
@pytest.mark.parametrize("numpy", [True, False])
@pytest.mark.parametrize("N", [3, 70])  # S² on the CPU: CSR after a transpose / COO on cᵀ
def test_row_and_cell_gathers_agree(
    kind: str, real: bool, numpy: bool, N: int, monkeypatch
) -> None:
    if not numpy:  # the paths of devices other than the CPU: no NumPy, sparse product, scratch
        monkeypatch.setattr(_pack, "_numpy_ok", lambda t: False)
        monkeypatch.setattr(_pack, "_sparse_ok", lambda t: False)
        monkeypatch.setattr(engine, "_scratch", lambda *args: None)
    torch.manual_seed(0)
    L = 4
    c = torch.randn(N, _size(kind, L), dtype=C128)
    rows = _pack._engine_view(kind, _pack._to_half_rows(kind, c, real, L), L).clone()
    cells = _pack._to_half_cells(kind, c, real, L).clone()
    # the dispatch: on the CPU without a graph one sparse product (S²; SO(3) from 64 signals)
    torch.testing.assert_close(_pack.to_half(kind, c, real).clone(), cells, rtol=0, atol=0)
    # every weight is ±1: all orders of operations agree exactly
    torch.testing.assert_close(rows, cells, rtol=0, atol=0)
    cg = c.clone().requires_grad_(True)  # the autograd paths (no scratch) give the same values
    rows_g = _pack._engine_view(kind, _pack._to_half_rows(kind, cg, real, L), L)
    torch.testing.assert_close(rows_g.detach(), rows, rtol=0, atol=0)
    torch.testing.assert_close(
        _pack._to_half_cells(kind, cg, real, L).detach(), rows, rtol=0, atol=0
    )


def _packed_by_definition(kind: str, F: torch.Tensor) -> torch.Tensor:
    """Engine half spectrum → packed, entry by entry from the symmetry of real signals."""
    L = F.shape[0]
    Fc = torch.complex(F.select(-3, 0), F.select(-3, 1))  # (L, [2L−1,] N, L)
    out = []
    for l in range(L):
        for m in range(-l, l + 1):
            if kind == "s2":
                v = Fc[abs(m), :, l]
                out.append(v if m >= 0 else (-1) ** m * v.conj())
                continue
            for k in range(-l, l + 1):
                v = Fc[abs(m), (k if m >= 0 else -k) + L - 1, :, l]
                out.append(v if m >= 0 else (-1) ** (m - k) * v.conj())
    return torch.stack(out, dim=1)


@pytest.mark.parametrize("kind", ["s2", "so3"])
def test_from_half_flat_and_transposed_gathers_agree(kind: str, monkeypatch) -> None:
    torch.manual_seed(1)
    b, N = 4, 5
    shape = (N, 2 * b, 2 * b) if kind == "s2" else (N, 2 * b, 2 * b, 2 * b)
    x = torch.randn(shape, dtype=torch.float64)
    T = engine.s2_tables(b, b) if kind == "s2" else engine.so3_tables(b, b)
    ana = engine.s2_analysis if kind == "s2" else engine.so3_analysis
    F = ana(x, T)
    want = _pack.from_half(kind, F.clone().requires_grad_(True)).detach()  # fresh output
    torch.testing.assert_close(want, _packed_by_definition(kind, F), rtol=0, atol=0)
    got = _pack.from_half(kind, F.clone())  # SO(3) flat; S² written over its argument
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    monkeypatch.setattr(_pack, "FLAT_MAX", 0)  # the transposed gather
    torch.testing.assert_close(_pack.from_half(kind, F.clone()), want, rtol=0, atol=0)
    monkeypatch.setattr(engine, "_scratch", lambda *args: None)  # other devices: no scratch
    torch.testing.assert_close(_pack.from_half(kind, F.clone()), want, rtol=0, atol=0)
    monkeypatch.setattr(_pack, "FLAT_MAX", 2**21)
    torch.testing.assert_close(_pack.from_half(kind, F.clone()), want, rtol=0, atol=0)


def test_s2_fast_path_writes_over_the_engine_output_only() -> None:
    torch.manual_seed(2)
    b, N = 3, 2
    x = torch.randn(N, 2 * b, 2 * b, dtype=torch.float64)
    F = engine.s2_analysis(x, engine.s2_tables(b, b))
    y = _pack.from_half("s2", F)
    assert y.data_ptr() == F.data_ptr()  # no allocation: the packed spectrum is in F's storage
    view = F.transpose(0, 1)  # not contiguous: a fresh result, F untouched
    before = view.clone()
    _pack.from_half("s2", view)
    torch.testing.assert_close(view, before, rtol=0, atol=0)


def test_gradients_of_real_syntheses() -> None:
    c = torch.randn(2, 9, dtype=C128, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: s2_ifft(t, real=True), (c,))
    c3 = torch.randn(1, so3_size(2), dtype=C128, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: so3_ifft(t, b_out=3, real=True), (c3,))


def test_repeated_calls_without_grad_reuse_scratch_safely() -> None:
    # the fast paths reuse scratch buffers: results of earlier calls must not change
    torch.manual_seed(3)
    b = 4
    x = torch.randn(3, 2 * b, 2 * b, dtype=torch.float64)
    c1 = s2_fft(x)
    keep = c1.clone()
    y1 = s2_ifft(c1, real=True)
    c2 = s2_fft(torch.randn_like(x))
    s2_ifft(c2, real=True)
    torch.testing.assert_close(c1, keep, rtol=0, atol=0)
    torch.testing.assert_close(y1, s2_ifft(keep, real=True), rtol=0, atol=0)
    xs = torch.randn(2, 2 * b, 2 * b, 2 * b, dtype=torch.float64)
    cs = so3_fft(xs)
    ys = so3_ifft(cs, real=True)
    torch.testing.assert_close(so3_fft(ys), cs, rtol=0, atol=1e-12)  # band-limited round trip


def test_so3_unused_rows_stay_zero_across_other_users_of_the_buffer() -> None:
    # _to_half_cells zeroes its scratch spectrum only when another layout or writer used the
    # buffer last: every order of calls must give what the scratch-free autograd path gives
    torch.manual_seed(4)

    def ref(fn, c: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        return fn(c.clone().requires_grad_(True), real=True).detach()

    a = torch.randn(3, so3_size(4), dtype=C128)
    b = torch.randn(2, so3_size(3), dtype=C128)
    s = torch.randn(5, 16, dtype=C128)
    want_a, want_b, want_s = ref(so3_ifft, a), ref(so3_ifft, b), ref(s2_ifft, s)
    calls = [(so3_ifft, a, want_a), (so3_ifft, b, want_b), (so3_ifft, a, want_a)]
    calls += [(s2_ifft, s, want_s), (so3_ifft, a, want_a), (so3_ifft, a, want_a)]
    for fn, c, want in calls:
        torch.testing.assert_close(fn(c, real=True), want, rtol=0, atol=0)
    engine.clear_scratch()
    torch.testing.assert_close(so3_ifft(a, real=True), want_a, rtol=0, atol=0)
    with torch.inference_mode():  # another set of buffers
        torch.testing.assert_close(so3_ifft(a, real=True), want_a, rtol=0, atol=0)


def test_so3_scratch_spectrum_is_zeroed_unless_this_layout_wrote_it_last() -> None:
    # uninitialised or foreign values (here NaN) in the unused rows would reach the output
    # through the engine's zero table entries (NaN·0): they must be cleared
    import weakref

    torch.manual_seed(5)
    a = torch.randn(3, so3_size(4), dtype=C128)
    want = so3_ifft(a.clone().requires_grad_(True), real=True).detach()
    torch.testing.assert_close(so3_ifft(a, real=True), want, rtol=0, atol=0)
    base = engine._scratch("pack_p", (1,), a.real)._base
    base.fill_(float("nan"))
    _pack._overwritten(base)  # what every other writer of the slot does
    torch.testing.assert_close(so3_ifft(a, real=True), want, rtol=0, atol=0)
    base.fill_(float("nan"))
    _pack._ZEROED[id(base)] = (weakref.ref(base), ("so3", 3, 2))  # zero for another layout
    torch.testing.assert_close(so3_ifft(a, real=True), want, rtol=0, atol=0)
