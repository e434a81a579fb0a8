# SPDX-License-Identifier: MIT
"""Planar group convolutions for C_N ⋉ Z² and D_N ⋉ Z²: p4 = C4 ⋉ Z² and p4m = D4 ⋉ Z²
(Cohen & Welling, 2016) on the pixel grid, any N with steerable filters (``steerable``).

Lifting correlation  ``[f ⋆ ψ](g, t) = Σ_y f(y) ψ(g⁻¹(y − t))``: ``(B, C, H, W) → (B, C', |G|, H', W')``.
Group correlation    ``[f ⋆ ψ](g, t) = Σ_{h, y} f(h, y) ψ(g⁻¹h, g⁻¹(y − t))``:
``(B, C, |G|, H, W) → (B, C', |G|, H', W')``.

Both expand the filter bank by filter transformation (the output orientation g gets the filter
L_g ψ: plane rotated/flipped, input group axis permuted), gathered with one precomputed index,
and run a single ``F.conv2d`` (a steerable ``GroupConv2d`` on CPU whose padding reaches the
disc's margin, padding ≥ ``disc_margin``·dilation: one per rectangle of the disc its basis lives
on, ``disc_conv2d``). Exact for every element whenever the sampling grid maps onto
itself (always at stride 1; at stride s when (H + 2p − d(k − 1) − 1) is divisible by s).

``basis="pixel"`` (default for C1, C2, C4, D1, D2, D4) learns the k×k pixels of ψ and moves them
with rot90/flips. ``basis="steerable"`` (default, and the only choice, for other N) learns ψ in a
band-limited basis of circular harmonics × rings (``gconv.groups.steerable_basis``) and rotates
it in the basis: exact in the continuum for every element, on the grid for quarter turns and
mirrors (``equivariance_exactness`` says so per element).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import nn

from ..groups import (
    FiniteGroup,
    Group,
    PixelGrid,
    basis_dimension,
    element_reversed_axes,
    grid_rule,
    is_grid_element,
    steerable_basis,
)
from ._checks import (
    ShapeError,
    cached_bank,
    check_features,
    check_image,
    check_kernel_fits,
    check_like,
    planar_group,
    square,
)
from .steerable import (
    cached_basis,
    disc_conv2d,
    disc_margin,
    disc_pieces,
    regular_index,
    resolve_basis,
    steerable_bank,
    steerable_fan_in,
)

__all__ = ["LiftConv2d", "GroupConv2d", "ExportedGroupConv"]

PaddingMode = Literal["zeros", "circular", "reflect", "replicate"]
_PADDING_MODES: tuple[PaddingMode, ...] = get_args(PaddingMode)


def _expansion_index(grid: PixelGrid, in_order: int, k: int) -> torch.Tensor:
    """Index ``(|G|, in_order·k·k)``: row g lists where each entry of L_g ψ comes from in ψ."""
    src = torch.arange(in_order * k * k).view(1, 1, in_order, k, k)
    rows = []
    for g in grid.group.elements():
        moved = grid.act_features(src, g) if in_order > 1 else grid.act_image(src, g)
        rows.append(moved.reshape(-1))
    return torch.stack(rows)


def planar_exactness(
    layer: str,
    own: FiniteGroup,
    geometry: tuple[int, int, int, int],
    group: Group,
    g: int,
    x: torch.Tensor,
) -> str | None:
    """Exactness of a planar layer built for ``own`` under element g of ``group`` (see
    ``gconv.equivariance``): g must be in ``own``, map the pixel grid onto itself (a quarter
    turn or mirror) and its reversed axes must keep the layer's stride/padding grid symmetric
    (``grid_rule``) on the input ``x``."""
    if not isinstance(group, FiniteGroup):
        return f"{layer} acts on the plane, not under {getattr(group, 'name', group)}"
    if own.find(group.split(g)[0], group.angle(g)) is None:
        return f"{layer} is built for {own.name}, which lacks {group.element_name(g)}"
    if not is_grid_element(group, g):
        return (
            f"{layer}: rotations other than quarter turns resample the pixel grid, so it is "
            "approximate for them (a steerable filter rotates exactly only in the continuum)"
        )
    k, s, p, d = geometry
    sizes = {"H": x.shape[-2], "W": x.shape[-1]}
    why = [
        f"({ax}) {reason}"
        for ax in element_reversed_axes(group, g)
        if (reason := grid_rule(sizes[ax], k, s, p, d))
    ]
    return "; ".join(why) or None


class _PlanarGroupConv(nn.Module):
    """Shared machinery of LiftConv2d and GroupConv2d (the only base class)."""

    _lifting: bool = False
    _index: torch.Tensor | None  # the expansion index (a buffer); None when lifting steerably

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        group: str | FiniteGroup = "p4",
        stride: int | Sequence[int] = 1,
        padding: int | str | Sequence[int] = 0,
        dilation: int | Sequence[int] = 1,
        padding_mode: PaddingMode = "zeros",
        bias: bool = True,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
        basis: str | None = None,
        band_limit: float = 2.0,
        max_frequency: int | None = None,
        sigma: float = 0.6,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        for arg, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name}: {arg} must be a positive int, got {v!r}")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        self.group = planar_group(name, group, "'p4', 'c8'")
        self.basis = resolve_basis(self.group, basis, name)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = square("kernel_size", kernel_size, name)
        self.stride = square("stride", stride, name)
        self.dilation = square("dilation", dilation, name)
        self.padding = self._resolve_padding(padding, name)
        self.padding_mode = padding_mode
        self.in_order = 1 if self._lifting else self.group.order
        self.band_limit, self.max_frequency, self.sigma = float(band_limit), max_frequency, sigma
        index, tail = self._expansion()
        group_axis = () if self._lifting else (self.in_order,)
        shape = (out_channels, in_channels, *group_axis, *tail)
        self.weight = nn.Parameter(torch.empty(shape, dtype=dtype, device=device))
        self.bias = (
            nn.Parameter(torch.empty(out_channels, dtype=dtype, device=device)) if bias else None
        )
        if index is not None:
            self.register_buffer("_index", index.to(device=device), persistent=False)
        else:
            self._index = None
        self._cache: tuple | None = None
        self.reset_parameters()

    def _expansion(self) -> tuple[torch.Tensor | None, tuple[int, ...]]:
        """The index that expands the weight over the group (None where none is needed) and
        the weight's trailing shape: ``(k, k)`` pixels or the steerable basis' size."""
        k = self.kernel_size
        if self.basis == "pixel":
            grid = PixelGrid(self.group)  # raises a clear error for groups off the pixel grid
            self._pieces = None
            return _expansion_index(grid, self.in_order, k).reshape(-1), (k, k)
        self.n_basis = basis_dimension(k, self.band_limit, self.max_frequency)
        base = steerable_basis(self.group, k, self.band_limit, self.max_frequency, self.sigma)
        # the basis is zero off the disc r ≤ c + ½: convolve only its taps (disc_conv2d);
        # not when lifting, nor below disc_margin's padding: there the split convs
        # measured slower (benchmarks/steerable_disc.py)
        support = base.abs().sum((0, 1)) > 0
        self._pieces = None if self._lifting else disc_pieces(support)
        return (None if self._lifting else regular_index(self.group)), (self.n_basis,)

    def _resolve_padding(self, padding: int | str | Sequence[int], name: str) -> int:
        if padding == "valid":
            return 0
        if padding == "same":
            total = self.dilation * (self.kernel_size - 1)
            if self.stride != 1:
                raise ValueError(f"{name}: padding='same' needs stride 1, got stride {self.stride}")
            if total % 2:
                raise ValueError(
                    f"{name}: padding='same' with kernel_size={self.kernel_size}, dilation="
                    f"{self.dilation} needs {total} pixels of padding, which cannot be split "
                    "evenly; asymmetric padding shifts the grid and breaks rotation "
                    "equivariance. Use an odd kernel or an explicit symmetric padding."
                )
            return total // 2
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int, 'same' or 'valid', got {padding!r}")
        return square("padding", padding, name)

    def reset_parameters(self) -> None:
        """He initialisation over the true fan-in C_in·|G_in|·k², so ReLU stacks keep scale."""
        fan_in = self.in_channels * self.in_order * self.kernel_size**2
        std = math.sqrt(2.0 / fan_in)
        if self.basis == "steerable":
            std = steerable_fan_in(self.in_channels, self.in_order, self.n_basis)
        with torch.no_grad():
            self.weight.normal_(0.0, std)
            if self.bias is not None:
                self.bias.zero_()
        self._cache = None

    # ------------------------------------------------------------------ expanded filter bank
    def expanded_weight(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The plain conv weight ``(C_out·|G|, C_in·|G_in|, k, k)`` (channel c·|G| + g) and bias."""
        w, n, k = self.weight, self.group.order, self.kernel_size
        cout, cin = self.out_channels, self.in_channels
        if self.basis == "steerable":
            bank = steerable_bank(w, cached_basis(self, w), self._index)
            return bank, None if self.bias is None else self.bias.repeat_interleave(n)
        assert self._index is not None  # pixel filters always have one
        flat = w.reshape(cout * cin, self.in_order * k * k).index_select(1, self._index)
        bank = flat.view(cout, cin, n, self.in_order, k, k).transpose(1, 2)
        bank = bank.reshape(cout * n, cin * self.in_order, k, k)
        bias = None if self.bias is None else self.bias.repeat_interleave(n)
        return bank, bias

    def _bank(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        w = self.weight
        training = self.training or (torch.is_grad_enabled() and w.requires_grad)
        # a compiled graph cannot guard _version or the kept copies (cached_bank)
        if training or torch.compiler.is_compiling():
            self._cache = None
            return self.expanded_weight()
        return cached_bank(self, w, self.bias, self.expanded_weight)

    def _conv(self, x: torch.Tensor) -> torch.Tensor:
        p = self.padding
        check_kernel_fits(
            type(self).__name__, x.shape[-2], x.shape[-1], self.kernel_size, p, self.dilation
        )
        bank, bias = self._bank()
        if self.padding_mode != "zeros" and p > 0:
            x = F.pad(x, (p, p, p, p), mode=self.padding_mode)
            p = 0
        pieces = self._pieces if x.device.type == "cpu" else None  # split measured on CPU only
        if pieces is None or p < disc_margin(pieces) * self.dilation:
            y = F.conv2d(x, bank, bias, self.stride, p, self.dilation)
        else:
            y = disc_conv2d(x, bank, bias, self.stride, p, self.dilation, pieces)
        return y.view(y.shape[0], self.out_channels, self.group.order, y.shape[-2], y.shape[-1])

    def equivariance_exactness(self, group: Group, g: int, x: torch.Tensor) -> str | None:
        """Exact for the elements of its group whose reversed axes keep the grid symmetric."""
        geometry = (self.kernel_size, self.stride, self.padding, self.dilation)
        return planar_exactness(type(self).__name__, self.group, geometry, group, g, x)

    def export(self) -> ExportedGroupConv:
        """A plain-PyTorch module (flatten → one ``nn.Conv2d`` → unflatten), same tensors in/out."""
        bank, bias = self.expanded_weight()
        conv = nn.Conv2d(
            bank.shape[1],
            bank.shape[0],
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            bias=bias is not None,
            padding_mode=self.padding_mode,
            dtype=bank.dtype,
            device=bank.device,
        )
        with torch.no_grad():
            conv.weight.copy_(bank)
            if bias is not None and conv.bias is not None:
                conv.bias.copy_(bias)
        return ExportedGroupConv(conv, self.group, flatten_input=not self._lifting)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"group={self.group.name}, stride={self.stride}, padding={self.padding}"
        )
        if self.basis == "steerable":
            s += f", basis='steerable' ({self.n_basis} functions, band_limit={self.band_limit:g})"
        if self.dilation != 1:
            s += f", dilation={self.dilation}"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        return s + ("" if self.bias is not None else ", bias=False")


class LiftConv2d(_PlanarGroupConv):
    """Lifting correlation Z² → C_N/D_N ⋉ Z²: ``(B, C_in, H, W) → (B, C_out, |G|, H', W')``.

    >>> layer = LiftConv2d(1, 8, 3, group="p4m", padding=1)
    >>> layer(torch.randn(2, 1, 9, 9)).shape
    torch.Size([2, 8, 8, 9, 9])
    """

    _lifting = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image(type(self).__name__, x, self.in_channels)
        check_like(type(self).__name__, x, self.weight)
        return self._conv(x)


class GroupConv2d(_PlanarGroupConv):
    """Group correlation on C_N/D_N ⋉ Z²: ``(B, C_in, |G|, H, W) → (B, C_out, |G|, H', W')``.

    >>> layer = GroupConv2d(8, 4, 3, group="p4")
    >>> layer(torch.randn(2, 8, 4, 9, 9)).shape
    torch.Size([2, 4, 4, 7, 7])
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_features(type(self).__name__, x, self.in_channels, self.group.order, self.group.name)
        check_like(type(self).__name__, x, self.weight)
        b, c, n, h, w = x.shape
        return self._conv(x.reshape(b, c * n, h, w))


class ExportedGroupConv(nn.Module):
    """Flatten the group axis into channels (index c·|G| + g), one ``nn.Conv2d``, unflatten."""

    def __init__(self, conv: nn.Conv2d, group: str | FiniteGroup, flatten_input: bool) -> None:
        super().__init__()
        if not isinstance(conv, nn.Conv2d):
            raise TypeError(
                f"ExportedGroupConv: expected a torch.nn.Conv2d, got {type(conv).__name__}"
            )
        self.conv = conv
        self.group = planar_group("ExportedGroupConv", group)
        self.order = self.group.order
        self.flatten_input = flatten_input

    def equivariance_exactness(self, group: Group, g: int, x: torch.Tensor) -> str | None:
        """As the layer it was exported from (same filter bank, same geometry)."""
        c = self.conv
        geometry = (c.kernel_size[0], c.stride[0], int(c.padding[0]), c.dilation[0])
        return planar_exactness("ExportedGroupConv", self.group, geometry, group, g, x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c, n = self.conv.in_channels, self.order
        want = (c // n, n) if self.flatten_input else (c,)
        if x.dim() != len(want) + 3 or tuple(x.shape[1 : 1 + len(want)]) != want:
            layout = f"(B, {c // n}, {n}, H, W)" if self.flatten_input else f"(B, {c}, H, W)"
            raise ShapeError(f"ExportedGroupConv: expected {layout}, got {tuple(x.shape)}")
        if self.flatten_input:
            x = x.flatten(1, 2)
        y = self.conv(x)
        return y.unflatten(1, (-1, self.order))
