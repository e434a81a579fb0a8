# SPDX-License-Identifier: MIT
"""Spherical CNN layers (Cohen et al. 2018; SO(3) → S² after Gerken et al. 2022).

Signals live on SOFT grids (DESIGN.md): S² ``(B, C, 2b, 2b)`` indexed ``[β, α]``, SO(3)
``(B, C, 2b, 2b, 2b)`` indexed ``[β, α, γ]``. Filters are learned values on a small grid
(``gconv.nn.s2_near_identity_grid`` …), i.e. Dirac combs ``ψ = Σ_i w_i δ_{x_i}``, so that

- ``S2Conv``:      ``[ψ ⋆ f](R) = ∫_{S²} ψ(R⁻¹x) f(x) dx = Σ_i w_i f(R x_i)``        S² → SO(3)
- ``SO3Conv``:     ``[ψ ⋆ F](R) = ∫ ψ(R⁻¹Q) F(Q) dQ = Σ_i w_i F(R Q_i)``            SO(3) → SO(3)
- ``SO3ToS2Conv``: ``[ψ ⋆ F](x) = ∫ ψ(Q⁻¹x) F(Q) dQ`` = Σ_i w_i · mean of F over {Q: Q y_i = x}

with f, F replaced by their band-limited parts (degrees < min(b_in, b_out)). Each is computed
in spectral space (analysis → per-degree product over channels → synthesis at b_out; the
real-signal transforms of ``gconv.spherical.engine``, same conventions as ``gconv.spherical``),
so each is exactly equivariant for band-limited inputs: ``layer(R·f) = R·layer(f)``, ``[R·f](p) = f(R⁻¹p)``,
and exactly equivariant for any input under the grid symmetries (α-rolls, Ry(π)). Inputs are
real. One bias per output channel, added on the grid. Weights ``(C_in, C_out, |grid|)``.

>>> import torch
>>> layer = S2Conv(1, 4, b_in=6, b_out=4)
>>> layer(torch.randn(2, 1, 12, 12)).shape
torch.Size([2, 4, 8, 8, 8])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .._precision import full_precision
from ..groups import Group
from ..spherical import engine as hm
from . import _spectral as sp
from ._checks import ShapeError, check_like, empty_output
from ._sphere_exact import spherical_exactness
from ._spherical_grids import (
    check_s2_grid,
    check_so3_grid,
    s2_near_identity_grid,
    so3_near_identity_grid,
)

__all__ = ["S2Conv", "SO3Conv", "SO3ToS2Conv"]


def _bandwidth(layer: str, name: str, b: int) -> int:
    if isinstance(b, bool) or not isinstance(b, int) or b < 1:
        raise ValueError(f"{layer}: {name} must be a positive int bandwidth, got {b!r}")
    return b


def _channels(layer: str, name: str, c: int) -> int:
    if isinstance(c, bool) or not isinstance(c, int) or c < 1:
        raise ValueError(f"{layer}: {name} must be a positive int, got {c!r}")
    return c


def check_signal(
    layer: str, x: torch.Tensor, channels: int | None, b: int | None, ndim: int
) -> None:
    """ShapeError unless x is ``(B, channels, 2b, …)`` with ``ndim`` grid axes (2: S², 3: SO(3))."""
    space = "S²" if ndim == 2 else "SO(3)"
    if torch.is_tensor(x) and not x.is_floating_point():
        raise ShapeError(f"{layer}: expected a real floating-point signal, got dtype {x.dtype}")
    ok = (
        torch.is_tensor(x)
        and x.dim() == 2 + ndim
        and (channels is None or x.shape[1] == channels)
        and len(set(x.shape[2:])) == 1
        and x.shape[2] % 2 == 0
        and (b is None or x.shape[2] == 2 * b)
    )
    if ok:
        return
    c = "C" if channels is None else str(channels)
    side = "2b" if b is None else str(2 * b)
    want = f"(B, {c}, " + ", ".join([side] * ndim) + ")"
    at = f" for {channels} channels at bandwidth {b}" if channels is not None else ""
    got = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
    hint = ""
    if torch.is_tensor(x) and x.dim() == 4 and ndim == 3:
        hint = " (this looks like an S² signal; start with S2Conv)"
    elif torch.is_tensor(x) and x.dim() == 5 and ndim == 2:
        hint = " (this looks like an SO(3) signal; use SO3Conv or SO3ToS2Conv)"
    raise ShapeError(f"{layer}: expected {space} signal {want}{at}, got {got}{hint}")


class _SphericalLinear(nn.Module):
    """Shared parts: weight ``(C_in, C_out, |grid|)``, bias ``(C_out,)``, a constant table."""

    def __init__(
        self, in_channels: int, out_channels: int, b_in: int, b_out: int, grid, gain: float
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_channels = _channels(name, "in_channels", in_channels)
        self.out_channels = _channels(name, "out_channels", out_channels)
        self.b_in = _bandwidth(name, "b_in", b_in)
        self.b_out = _bandwidth(name, "b_out", b_out)
        self.degrees = min(b_in, b_out)  # L: output degrees l < L are nonzero
        #: largest β of the filter grid (the kernel's reach from the north pole / identity)
        self.grid_max_beta = float(grid[:, 0].max())
        self._grid = grid  # the filter grid as given (float64 array)
        self.weight = nn.Parameter(torch.empty(in_channels, out_channels, len(grid)))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.gain = gain
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """U(−a, a), a = gain·√(3 / (C_in·|grid|)).

        The layer evaluates the input at |grid| points per channel and sums with independent
        weights, so ``E[out²] = a²/3 · C_in·|grid| · E[f²]`` (f band-limited): a = √(3/fan_in)
        keeps the second moment; gain √2 (default) makes up for a ReLU halving it.
        """
        fan_in = self.in_channels * self.weight.shape[-1]
        bound = self.gain * math.sqrt(3.0 / fan_in)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            self.bias.zero_()

    def _filter_spectrum(self) -> torch.Tensor:
        """Filter spectra ``Σ_i w[c, o, i] T[i, :]``: complex ``(C_in, C_out, N)``.

        Where no autograd graph needs them (grad off, or a frozen weight) they are cached on
        the module and reused while the weight holds the same values, dtype and device: the
        cache keeps a copy of the weight (``C_in·C_out·|grid|`` numbers, cheap to compare next
        to the product that makes the spectrum), so any change to the weight (in-place edits,
        ``.data`` included, ``optimizer.step()``, ``load_state_dict``, ``.to()``) recomputes
        them. :meth:`clear_filter_cache` frees the cached spectrum.
        """
        w = self.weight
        table = _tables(self, "filter", w.dtype)["table"]
        if (torch.is_grad_enabled() and w.requires_grad) or w.device.type == "meta":
            return self._operand(w, table)
        hit = self.__dict__.get("_filter_cache")
        if (
            hit is not None
            and _usable(hit[2])
            and hit[0] is table
            and hit[1].dtype == w.dtype
            and hit[1].device == w.device
            and torch.equal(hit[1], w)
        ):
            return hit[2]
        with torch.no_grad():
            psi = self._operand(w, table)
            self.__dict__["_filter_cache"] = (table, w.detach().clone(), psi)
        return psi

    def _operand(self, w: torch.Tensor, table: torch.Tensor):  # noqa: ANN202
        """The filter spectra in the form the layer's product takes (here ``Σ_i w_i T[i]``)."""
        return sp.filter_spectrum(w, table)

    def clear_filter_cache(self) -> None:
        """Drop the cached filter spectrum (it is rebuilt on the next call without grad)."""
        self.__dict__.pop("_filter_cache", None)

    def equivariance_exactness(self, group: Group, g: object, x: torch.Tensor) -> str | None:
        """Exact for grid symmetries of both grids, and any rotation of a band-limited input."""
        kind = "s2" if x.dim() == 4 else "so3"
        return spherical_exactness(type(self).__name__, self.b_in, self.b_out, kind, group, g, x)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, b_in={self.b_in}, b_out={self.b_out}, "
            f"grid={self.weight.shape[-1]} points"
        )


def _usable(t: torch.Tensor | Sequence[torch.Tensor]) -> bool:
    """Whether a cached tensor (or list/tuple of them) may be used now: one made under
    ``torch.inference_mode`` is an inference tensor, which autograd may not save, so outside
    that mode it is rebuilt."""
    if not isinstance(t, torch.Tensor):
        return all(_usable(u) for u in t)
    return torch.is_inference_mode_enabled() or not t.is_inference()


def _register_tables(module: nn.Module, prefix: str, tables: dict[str, torch.Tensor]) -> None:
    """Constant transform tables as non-persistent buffers ``<prefix>_<name>``."""
    for name, t in tables.items():
        module.register_buffer(f"{prefix}_{name}", t, persistent=False)


def _tables(module: nn.Module, prefix: str, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """The tables, cast to the signal's dtype (they are built in float64; entries below
    eps² of the largest dropped, see ``engine.cast_table``). Casts are cached on
    the module, keyed on dtype and checked against the buffers themselves, so ``.to()`` or
    ``.double()`` on the module is seen and a forward pass does not copy the tables again."""
    n = len(prefix) + 1
    src = {k[n:]: v for k, v in module.named_buffers(recurse=False) if k.startswith(prefix + "_")}
    cache = module.__dict__.setdefault("_cast_tables", {})
    hit = cache.get((prefix, dtype))
    if (
        hit is not None
        and all(_usable(t) for t in hit[1].values())
        and hit[0].keys() == src.keys()
        and all(hit[0][k] is v for k, v in src.items())
    ):
        return hit[1]
    out = {k: hm.cast_table(v, dtype) for k, v in src.items()}  # no subnormal entries
    cache[(prefix, dtype)] = (src, out)
    return out


def _add_bias_so3(gh: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Add the bias as the degree-0 coefficient (D^0 = 1): the same as adding it on the grid,
    without a pass over the grid. ``gh (L, 2L−1, 2, B, O, L)``, entry ``[m=0, n=0, re, :, :, l=0]``."""
    gh = gh.contiguous()
    k0 = gh.shape[1] // 2
    gh[0, k0, 0, :, :, 0] = gh[0, k0, 0, :, :, 0] + bias
    return gh


class S2Conv(_SphericalLinear):
    """S² → SO(3) correlation ``[ψ ⋆ f](R) = Σ_i w_i f(R x_i)`` (see module docstring).

    ``(B, C_in, 2b_in, 2b_in)`` → ``(B, C_out, 2b_out, 2b_out, 2b_out)``; real inputs.
    grid: ``(β, α)`` points (default ``s2_near_identity_grid()``, 24 points).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        b_in: int,
        b_out: int,
        grid: Sequence[Sequence[float]] | None = None,
        gain: float = math.sqrt(2.0),
    ) -> None:
        pts = check_s2_grid("S2Conv", s2_near_identity_grid() if grid is None else grid)
        super().__init__(in_channels, out_channels, b_in, b_out, pts, gain)
        L = self.degrees
        _register_tables(self, "ana", hm.s2_tables(b_in, L))
        rings, ring = hm.ring_layout(torch.as_tensor(pts[:, 0]))
        self.rings = len(rings)
        if in_channels * self.rings < out_channels:  # synthesis over (c, ring), not outputs
            table = sp.s2_ring_filter_table(pts, L, ring, self.rings)
            pts_t = torch.as_tensor(pts)
            _register_tables(self, "ring", hm.s2_ring_tables(b_out, L, rings, pts_t))
        else:
            table = sp.s2_filter_table(pts, L)
            _register_tables(self, "syn", hm.so3_tables(b_out, L))
        self.register_buffer("filter_table", table, persistent=False)

    @full_precision
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_signal("S2Conv", x, self.in_channels, self.b_in, 2)
        check_like("S2Conv", x, self.weight)
        if x.shape[0] == 0:
            return empty_output(x, (0, self.out_channels) + (2 * self.b_out,) * 3, self)
        B, C, L = x.shape[0], self.in_channels, self.degrees
        fh = hm.s2_analysis(x.reshape(B * C, *x.shape[2:]), _tables(self, "ana", x.dtype))
        if hasattr(self, "ring_shift"):  # every α on the γ grid: γ-shifts of the weights
            T = _tables(self, "ring", x.dtype)
            return hm.s2_ring_synthesis(fh, None, self.bias, T, B, weight=self.weight)
        if hasattr(self, "ring_syn_b"):
            w_hat = self._filter_spectrum().view(C, self.out_channels, self.rings, L)
            return hm.s2_ring_synthesis(fh, w_hat, self.bias, _tables(self, "ring", x.dtype), B)
        psi = self._filter_spectrum().reshape(C, -1, 2 * L - 1, L)
        gh = _add_bias_so3(sp.s2_so3_product(fh.view(L, 2, B, C, L), psi), self.bias)
        gh = gh.reshape(L, 2 * L - 1, 2, -1, L)
        return hm.so3_synthesis(gh, _tables(self, "syn", x.dtype), (B, self.out_channels))


class SO3Conv(_SphericalLinear):
    """SO(3) → SO(3) correlation ``[ψ ⋆ F](R) = Σ_i w_i F(R Q_i)`` (see module docstring).

    ``(B, C_in, 2b_in, 2b_in, 2b_in)`` → ``(B, C_out, 2b_out, 2b_out, 2b_out)``.
    grid: ``(β, α, γ)`` rotations (default ``so3_near_identity_grid()``, 192 points).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        b_in: int,
        b_out: int,
        grid: Sequence[Sequence[float]] | None = None,
        gain: float = math.sqrt(2.0),
    ) -> None:
        pts = check_so3_grid("SO3Conv", so3_near_identity_grid() if grid is None else grid)
        super().__init__(in_channels, out_channels, b_in, b_out, pts, gain)
        L = self.degrees
        rings, ring = hm.ring_layout(torch.as_tensor(pts[:, 0]))
        self.rings = len(rings)
        if self.rings * (2 * L - 1) ** 2 <= 2 * sp.so3_size(L):  # filter via β-rings
            plan = sp.so3_ring_plan(pts, L, ring, self.rings)
            table = plan["table"]
            if "alpha" in plan:
                self.register_buffer("ring_alpha", plan["alpha"], persistent=False)
            for i, t in enumerate(sp.so3_ring_d_runs(rings, L)):
                self.register_buffer(f"ringd_{i}", t, persistent=False)
        else:
            table = sp.so3_filter_table(pts, L)
        self.register_buffer("filter_table", table, persistent=False)
        _register_tables(self, "ana", hm.so3_tables(b_in, L))
        _register_tables(self, "syn", hm.so3_tables(b_out, L))

    def _operand(self, w: torch.Tensor, table: torch.Tensor) -> list[torch.Tensor]:
        """Per run of degrees, the complex matrices of ``sp.so3_so3_product`` (through the
        weights' ring spectra where the layer has ring tables, ``_so3_ring``)."""
        L = self.degrees
        if not hasattr(self, "ringd_0"):
            return sp.so3_product_operand(sp.filter_spectrum(w, table), L)
        d_runs = list(_tables(self, "ringd", w.dtype).values())
        alpha = getattr(self, "ring_alpha", None)
        return sp.so3_ring_operand(sp.so3_ring_spectrum(w, table), d_runs, L, alpha)

    @full_precision
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_signal("SO3Conv", x, self.in_channels, self.b_in, 3)
        check_like("SO3Conv", x, self.weight)
        if x.shape[0] == 0:
            return empty_output(x, (0, self.out_channels) + (2 * self.b_out,) * 3, self)
        B, L = x.shape[0], self.degrees
        Fh = hm.so3_analysis_channels(x, _tables(self, "ana", x.dtype))
        gh = sp.so3_so3_product(Fh, self._filter_spectrum(), self.bias)
        gh = gh.reshape(L, 2 * L - 1, 2, -1, L)
        return hm.so3_synthesis(gh, _tables(self, "syn", x.dtype), (B, self.out_channels))


class SO3ToS2Conv(_SphericalLinear):
    """SO(3) → S² correlation ``[ψ ⋆ F](x) = ∫ ψ(Q⁻¹x) F(Q) dQ`` (see module docstring).

    ``(B, C_in, 2b_in, 2b_in, 2b_in)`` → ``(B, C_out, 2b_out, 2b_out)``. The filter ψ lives on
    S²: grid of ``(β, α)`` points y_i (default ``s2_near_identity_grid()``); output at x
    averages F over the rotations Q that carry y_i to x.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        b_in: int,
        b_out: int,
        grid: Sequence[Sequence[float]] | None = None,
        gain: float = math.sqrt(2.0),
    ) -> None:
        pts = check_s2_grid("SO3ToS2Conv", s2_near_identity_grid() if grid is None else grid)
        super().__init__(in_channels, out_channels, b_in, b_out, pts, gain)
        L = self.degrees
        self.register_buffer("filter_table", sp.so3_to_s2_filter_table(pts, L), persistent=False)
        _register_tables(self, "ana", hm.so3_tables(b_in, L))
        _register_tables(self, "syn", hm.s2_tables(b_out, L))

    @full_precision
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_signal(type(self).__name__, x, self.in_channels, self.b_in, 3)
        check_like(type(self).__name__, x, self.weight)
        if x.shape[0] == 0:
            return empty_output(x, (0, self.out_channels) + (2 * self.b_out,) * 2, self)
        B, C, L, b = x.shape[0], self.in_channels, self.degrees, self.b_out
        Fh = hm.so3_analysis_channels(x, _tables(self, "ana", x.dtype))
        phi = self._filter_spectrum().reshape(C, -1, 2 * L - 1, L)
        gh = sp.so3_s2_product(Fh, phi).contiguous()
        # a constant c on S² is the degree-0 coefficient c·√(4π) (Y_00 = 1/√(4π))
        gh[0, 0, :, :, 0] = gh[0, 0, :, :, 0] + math.sqrt(4 * math.pi) * self.bias
        y = hm.s2_synthesis(gh.reshape(L, 2, -1, L), _tables(self, "syn", x.dtype))
        return y.view(B, -1, 2 * b, 2 * b)
