# SPDX-License-Identifier: MIT
"""Gauge-equivariant convolutions on the icosahedral grid (Cohen, Weiler, Kicanaoglu, Welling
2019), on the atlas of ``gconv.groups.IcoGrid(r)`` with gauge group C6.

Shapes (n = 2^r): a scalar signal on all V = 10·4^r + 2 vertices ``(B, C, V)`` (chart vertices
in id order, then the poles N, S); a regular feature ``(B, C, 6, 5, n, 2n)`` (orientation θ =
θ·60° counter-clockwise from the chart frame). Regular features vanish at the 12
five-neighbour vertices: every layer reads them as zero there and writes zero there.

Hexagonal correlation, for a vertex v with neighbours w_m (slot m, in v's frame), w_{−1} = v::

    lift:  out(v)[θ] = Σ_c Σ_t K[c, t − θ] x_c(w_t)
    group: out(v)[θ] = Σ_c Σ_t Σ_ψ K[c, ψ − θ, t − θ] f_c(w_t)[ψ]   (f(w) read in v's frame)

(t − θ turns a ring tap by −θ slots, the centre stays). The weight's last axis (7) holds the
taps in that order: index 0 the centre w_{−1} = v, index 1 + m the neighbour in slot m
(``IcoLift``: ``(C_out, C_in, 1, 7)``; ``IcoConv``: ``(C_out, C_in, 6, 7)``, axis 2 the input
orientation ψ relative to θ). The filter bank is expanded by turning
the 7-tap hexagon in 60° steps and shifting the input orientation axis, the charts are padded
from their neighbours with the gauge change in one index gather (stored channels-last), and
one ``F.conv2d`` runs over all five charts folded into the batch; on coarse outputs
(n' ≤ 4) the same sum runs as one matrix product over the 7 taps (``_ico_gemm``). The output
is a view of that channels-last result, stored chart-major ``(B, 5, n', 2n', C', 6)``
(:func:`is_chart_major`), which the next layer's padding reads in place. Exact for
the 60 icosahedral rotations (they permute vertices and turn frames by multiples of 60°) and
gauge-equivariant by construction.
Stride 2 samples the output at the vertices of resolution r − 1.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..groups import Group
from ._checks import ShapeError, cached_bank, check_like, check_tensor, empty_output
from ._ico_gemm import hex_bank, hex_correlation, hex_weight_index
from ._ico_index import (
    channel_pad_plan,
    check_chart,
    check_vertices,
    hex_expansion_index,
    ico_grid,
)

__all__ = [
    "IcoLift",
    "IcoConv",
    "IcoPad",
    "ExportedIcoConv",
    "ico_exactness",
    "corner_mask",
    "is_chart_major",
]


def ico_exactness(layer: str, group: Group, gauge: bool = True) -> str | None:
    """Declaration shared by the icosahedral layers: exact for the 60 rotations of "ico"."""
    if getattr(group, "name", None) != "ico":
        return f"{layer} acts on the icosahedral grid, not under {getattr(group, 'name', group)}"
    if not gauge:
        return f"{layer} pads without the gauge change between charts (ablation)"
    return None


def corner_mask(n: int, device: torch.device | None = None) -> torch.Tensor:
    """Bool ``(5, n, 2n)``: the 10 chart-stored five-neighbour vertices (0, 0) and (0, n)."""
    m = torch.zeros(5, n, 2 * n, dtype=torch.bool, device=device)
    m[:, 0, 0] = m[:, 0, n] = True
    return m


class _PadFn(torch.autograd.Function):
    """The padding as one gather with a hand-written adjoint (``channel_pad_plan``): forward
    ``p = x.index_select(1, full)`` with the zero points cleared; backward the interior gather
    of the output gradient (zero where no interior point reads), plus an index_add of the
    border gradients onto their sources. ``out_shape`` (5B, C·G, H, W); with ``cl`` the
    output is stored channels-last (the plan numbers its points so)."""

    @staticmethod
    def forward(ctx, x, full, zero, inner, dead, border_out, border_in, out_shape, cl, cm):
        b = x.shape[0]
        flat = (_storage(x) if cm else x).reshape(b, -1)
        p = flat.index_select(1, full).index_fill_(1, zero, 0.0)
        ctx.save_for_backward(inner, dead, border_out, border_in)
        ctx.in_shape, ctx.cl, ctx.cm = x.shape, cl, cm
        if cl:
            bb, cg, h, w = out_shape
            return p.view(bb, h, w, cg).permute(0, 3, 1, 2)
        return p.view(out_shape)

    @staticmethod
    def backward(ctx, grad):
        inner, dead, border_out, border_in = ctx.saved_tensors
        b = ctx.in_shape[0]
        g = (grad.permute(0, 2, 3, 1) if ctx.cl else grad).reshape(b, -1)
        gx = g.index_select(1, inner).index_fill_(1, dead, 0.0)
        gx.index_add_(1, border_in, g.index_select(1, border_out))
        if ctx.cm:  # the gradient in the input's chart-major layout
            return (_from_storage(gx, ctx.in_shape),) + (None,) * 9
        return (gx.view(ctx.in_shape),) + (None,) * 9


class IcoPad(nn.Module):
    """Pad every chart by one point from its neighbours, with the gauge change, the five
    charts folded into the batch: regular features ``(B, C, 6, 5, n, 2n)`` →
    ``(5B, 6C, n+2, 2n+2)`` (row 5b + k, channel 6c + θ; the 12 corners and unused points
    zero), or scalar signals ``(B, C, V)`` → ``(5B, C, n+2, 2n+2)``. One index gather per
    sample (interior, border and orientation shift fused into one precomputed index per
    channel count, ``channel_pad_plan``; ``gauge=False``: without the gauge change). Regular
    features are read contiguous or chart-major in place, any other layout after one copy.

    >>> IcoPad(1)(torch.randn(2, 3, 6, 5, 2, 4)).shape
    torch.Size([10, 18, 4, 6])
    """

    def __init__(self, r: int, scalar: bool = False, gauge: bool = True) -> None:
        super().__init__()
        ico_grid(r)  # ValueError unless r is an int in 0..10; the grid is cached for the plans
        self.r, self.scalar, self.gauge = r, scalar, gauge
        self.channels_last = False
        # key: (channels, device, output channels-last, input chart-major)
        self._plans: dict[tuple[int, torch.device, bool, bool], tuple[torch.Tensor, ...]] = {}

    def _plan(self, channels: int, device: torch.device, cm: bool) -> tuple[torch.Tensor, ...]:
        key = (channels, device, self.channels_last, cm)
        if key not in self._plans:
            plan = channel_pad_plan(
                self.r, channels, self.scalar, self.gauge, self.channels_last, chart_major=cm
            )
            self._plans[key] = tuple(t.to(device) for t in plan)
        return self._plans[key]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(f"IcoPad(r={self.r}): input", x, floating=False)
        n = 2**self.r
        want = (10 * n * n + 2,) if self.scalar else (6, 5, n, 2 * n)
        if x.dim() != len(want) + 2 or tuple(x.shape[2:]) != want:
            what = "a scalar signal (B, C, V)" if self.scalar else "regular features"
            raise ShapeError(
                f"IcoPad(r={self.r}): expected {what} with trailing shape {want}, "
                f"got {tuple(x.shape)}"
            )
        b, c = x.shape[:2]
        shape = (5 * b, c * (1 if self.scalar else 6), n + 2, 2 * n + 2)
        if b == 0:  # a view: the (empty) autograd graph stays connected
            return x.reshape(shape)
        cm = not self.scalar and is_chart_major(x)
        if not (cm or self.scalar or x.is_contiguous()):
            x = x.contiguous()  # any other layout: one copy
        plan = self._plan(c, x.device, cm)
        return _PadFn.apply(x, *plan, shape, self.channels_last, cm)

    def extra_repr(self) -> str:
        return (
            f"r={self.r}"
            + (", scalar" if self.scalar else "")
            + ("" if self.gauge else ", gauge=False")
        )


def zero_corners_(x: torch.Tensor) -> torch.Tensor:
    """Zero the chart-held five-neighbour vertices (0, 0) and (0, n) of ``(..., 5, n, 2n)``
    in place (two strided entries per chart, not a pass over the tensor)."""
    x[..., 0, :: x.shape[-2]] = 0.0
    return x


def _storage(x: torch.Tensor) -> torch.Tensor:
    """Regular features ``(B, C, 6, 5, n, 2n)`` as their chart-major storage
    ``(B, 5, n, 2n, C, 6)`` (a view)."""
    return x.permute(0, 3, 4, 5, 1, 2)


def _from_storage(t: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """Chart-major storage (any tensor holding ``(B, 5, n, 2n, C, 6)`` contiguously) viewed as
    regular features of ``shape`` ``(B, C, 6, 5, n, 2n)``."""
    b, c, _, _, n, w = shape
    return t.view(b, 5, n, w, c, 6).permute(0, 4, 5, 1, 2, 3)


def is_chart_major(x: torch.Tensor) -> bool:
    """Whether regular features ``(B, C, 6, 5, n, 2n)`` are stored chart-major, i.e. as a
    contiguous ``(B, 5, n, 2n, C, 6)`` and not contiguous as they are: how ``IcoConv`` and
    ``IcoLift`` return them (the channels-last convolution's output, not copied). The layers
    read such tensors in place; a tensor that is both (trivial sizes) takes the contiguous
    path."""
    return x.dim() == 6 and not x.is_contiguous() and _storage(x).is_contiguous()


def _unstack(y: torch.Tensor, out_channels: int) -> torch.Tensor:
    """conv2d output ``(5B, 6C', n', 2n')`` → ``(B, C', 6, 5, n', 2n')`` with the corners
    zeroed in place: a view, no copy (chart-major when ``y`` is channels-last)."""
    v = y.unflatten(0, (-1, 5)).unflatten(2, (out_channels, 6)).permute(0, 2, 3, 1, 4, 5)
    return zero_corners_(v)


class _IcoConvBase(nn.Module):
    _lifting = False
    _expand: torch.Tensor  # buffers: the 3×3 and the 7-tap expansion indices
    _hex: torch.Tensor

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        r: int,
        stride: int = 1,
        bias: bool = True,
        gauge: bool = True,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        for arg, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name}: {arg} must be a positive int, got {v!r}")
        if not isinstance(r, int) or isinstance(r, bool) or not 0 <= r <= 10:
            raise ValueError(f"{name}: r must be an int in 0..10 (subdivisions), got {r!r}")
        if stride not in (1, 2) or (stride == 2 and r < 1):
            raise ValueError(f"{name}: stride must be 1, or 2 with r >= 1; got {stride!r}, r={r}")
        self.in_channels, self.out_channels, self.r, self.stride = (
            in_channels,
            out_channels,
            r,
            stride,
        )
        self.gauge = bool(gauge)
        self.in_order = 1 if self._lifting else 6
        self.n_out = 2**r // stride
        self.weight = nn.Parameter(
            torch.empty(out_channels, in_channels, self.in_order, 7, dtype=dtype, device=device)
        )
        self.bias = (
            nn.Parameter(torch.empty(out_channels, dtype=dtype, device=device)) if bias else None
        )
        self.pad = IcoPad(r, scalar=self._lifting, gauge=self.gauge).to(device)
        self.pad.channels_last = True
        self.register_buffer(
            "_expand", hex_expansion_index(self.in_order).reshape(-1).to(device), persistent=False
        )
        # the 7-tap matrix product (_ico_gemm) on coarse outputs (n' <= 4), where it beat
        # oneDNN's 3×3 conv fwd + bwd (benchmarks/ico_layers.py); on finer ones, stacking the
        # taps costs more memory traffic than the GEMM saves
        self._gemm = self.n_out <= 4
        self.register_buffer(
            "_hex", hex_weight_index(self.in_order).reshape(-1).to(device), persistent=False
        )
        self._cache: tuple | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """He initialisation over the fan-in C_in·|G_in|·7."""
        fan_in = self.in_channels * self.in_order * 7
        with torch.no_grad():
            self.weight.normal_(0.0, math.sqrt(2.0 / fan_in))
            if self.bias is not None:
                self.bias.zero_()
        self._cache = None

    def expanded_weight(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Plain conv weight ``(6·C_out, |G_in|·C_in, 3, 3)`` (channel 6c + θ) and bias."""
        o, c, g = self.out_channels, self.in_channels, self.in_order
        flat = F.pad(self.weight.reshape(o * c, g * 7), (0, 1))
        bank = flat.index_select(1, self._expand).view(o, c, 6, g, 3, 3).transpose(1, 2)
        bias = None if self.bias is None else self.bias.repeat_interleave(6)
        return bank.reshape(o * 6, c * g, 3, 3), bias

    def _weights(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The bank the forward uses: 3×3 (``expanded_weight``) or 7-tap (``_ico_gemm``)."""
        if not self._gemm:
            return self.expanded_weight()
        bias = None if self.bias is None else self.bias.repeat_interleave(6)
        return hex_bank(self.weight, self._hex), bias

    def _bank(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        training = self.training or (torch.is_grad_enabled() and self.weight.requires_grad)
        if training:
            self._cache = None
            return self._weights()
        return cached_bank(self, self.weight, self.bias, self._weights, (self._gemm,))

    def padded(self, x: torch.Tensor) -> torch.Tensor:
        """The input padded from neighbouring charts (with the gauge change), ``(5B, ·, ·, ·)``."""
        name = type(self).__name__
        check_tensor(f"{name}: input", x)
        if self._lifting:
            check_vertices(name, x, self.in_channels, self.r)
        else:
            check_chart(name, x, self.in_channels, 6, self.r)
        check_like(name, x, self.weight)
        return self.pad(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.padded(x)
        if x.shape[0] == 0:  # no signals: zeros of the output's shape, in the graph
            return empty_output(x, (0, self.out_channels, 6, 5, self.n_out, 2 * self.n_out), self)
        bank, bias = self._bank()
        if self._gemm:
            y = hex_correlation(p, bank, bias, self.stride)
        else:
            y = F.conv2d(p, bank, bias, self.stride)
        return _unstack(y, self.out_channels)

    def equivariance_exactness(self, group: Group, g: object, x: torch.Tensor) -> str | None:
        """Exact for the 60 rotations of "ico" (unless built with ``gauge=False``)."""
        return ico_exactness(type(self).__name__, group, self.gauge)

    def export(self) -> ExportedIcoConv:
        """Plain PyTorch: the same index gather, one ``nn.Conv2d``, unstack; same tensors."""
        bank, bias = self.expanded_weight()
        conv = nn.Conv2d(
            bank.shape[1], bank.shape[0], 3, self.stride, 0, bias=bias is not None,
            dtype=bank.dtype, device=bank.device,
        )  # fmt: skip
        with torch.no_grad():
            conv.weight.copy_(bank)
            if bias is not None and conv.bias is not None:
                conv.bias.copy_(bias)
        pad = IcoPad(self.r, self._lifting, self.gauge).to(conv.weight.device)
        pad.channels_last = True
        return ExportedIcoConv(pad, conv)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, r={self.r}, stride={self.stride}"
        s += "" if self.bias is not None else ", bias=False"
        return s + ("" if self.gauge else ", gauge=False")


class IcoLift(_IcoConvBase):
    """Lifting correlation: scalar signal ``(B, C_in, V)`` → regular features
    ``(B, C_out, 6, 5, n', 2n')`` (n' = 2^r / stride). Weight ``(C_out, C_in, 1, 7)``.

    >>> IcoLift(1, 4, r=2)(torch.randn(3, 1, 162)).shape
    torch.Size([3, 4, 6, 5, 4, 8])
    """

    _lifting = True


class IcoConv(_IcoConvBase):
    """Group correlation, regular → regular: ``(B, C_in, 6, 5, n, 2n)`` →
    ``(B, C_out, 6, 5, n', 2n')``. Weight ``(C_out, C_in, 6, 7)``; one bias per channel.
    ``gauge=False`` drops the gauge change from the padding (an ablation; not equivariant).

    >>> IcoConv(4, 2, r=2, stride=2)(torch.randn(3, 4, 6, 5, 4, 8)).shape
    torch.Size([3, 2, 6, 5, 2, 4])
    """


class ExportedIcoConv(nn.Module):
    """``IcoPad`` (``.pad``: the index gather) → one ``nn.Conv2d`` (``.conv``, channel
    6c + θ) → unstack the charts and zero the corners."""

    def __init__(self, pad: IcoPad, conv: nn.Conv2d) -> None:
        super().__init__()
        if not isinstance(pad, IcoPad) or not isinstance(conv, nn.Conv2d):
            raise TypeError(
                "ExportedIcoConv: expected an IcoPad and an nn.Conv2d (as IcoConv.export() "
                f"builds them), got {type(pad).__name__} and {type(conv).__name__}"
            )
        self.pad, self.conv = pad, conv

    def equivariance_exactness(self, group: Group, g: object, x: torch.Tensor) -> str | None:
        """As the layer it was exported from."""
        return ico_exactness("ExportedIcoConv", group, self.pad.gauge)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.conv.in_channels
        if self.pad.scalar:
            check_vertices("ExportedIcoConv", x, c, self.pad.r)
        else:
            check_chart("ExportedIcoConv", x, c // 6, 6, self.pad.r)
        y = self.conv(self.pad(x))
        return _unstack(y, self.conv.out_channels // 6)
