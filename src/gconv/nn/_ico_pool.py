# SPDX-License-Identifier: MIT
"""Pooling, unpooling, batch norm and read-outs on the icosahedral grid (``IcoGrid(r)``
layout: regular features ``(B, C, 6, 5, n, 2n)``, scalar charts ``(B, C, 5, n, 2n)``, vertex
signals ``(B, C, V)``). Every layer ignores the stored values at the 10 chart-held
five-neighbour vertices and writes zero there (scalar vertex signals excepted), so all of them
commute exactly with the 60 icosahedral rotations."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .._util import cached_tensors, check_positive_int, check_tensor
from ..groups import OFFSETS, Group
from ._checks import ShapeError, check_batch_norm, check_like, empty_output
from ._ico_bn import _Layout, ico_batch_norm_train
from ._ico_index import check_chart, ico_grid
from .icosahedral import IcoPad, corner_mask, ico_exactness, zero_corners_

__all__ = [
    "IcoPool",
    "IcoUnpool",
    "IcoOrientationPool",
    "IcoBatchNorm",
    "IcoGlobalPool",
    "IcoToVertices",
]

_MODES = ("max", "mean")


def _mode(layer: str, mode: str) -> str:
    if mode not in _MODES:
        raise ValueError(f"{layer}: mode must be one of {_MODES}, got {mode!r}")
    return mode


def _r_of(layer: str, x: torch.Tensor, scalar: bool, floating: bool = False) -> int:
    """Resolution r of a regular feature (or scalar chart) tensor, checked (a floating one
    where ``floating``: a mean of integers has no dtype)."""
    check_tensor(f"{layer}: input", x, floating=floating)
    dims = 5 if scalar else 6
    n = x.shape[-2] if x.dim() == dims else 0
    if x.dim() != dims or n < 1 or n & (n - 1) or x.shape[-3:] != (5, n, 2 * n):
        want = "(B, C, 5, n, 2n)" if scalar else "(B, C, 6, 5, n, 2n)"
        raise ShapeError(f"{layer}: expected {want} with n = 2^r, got {tuple(x.shape)}")
    if not scalar and x.shape[2] != 6:
        raise ShapeError(f"{layer}: expected 6 orientations on axis 2, got {tuple(x.shape)}")
    return n.bit_length() - 1


@cached_tensors(32)
def _pad(r: int, device: torch.device) -> IcoPad:
    return IcoPad(r).to(device)


@cached_tensors(32)
def _hexagon_kernel(
    centre: float, ring: float, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """A ``(1, 1, 3, 3)`` kernel on padded charts (expand it to depthwise): ``centre`` at the
    vertex, ``ring`` at its six hexagon neighbours, zero at the other two corners."""
    k = torch.zeros(1, 1, 3, 3, dtype=dtype)
    for di, dj in OFFSETS:
        k[0, 0, 1 + di, 1 + dj] = ring
    k[0, 0, 1, 1] = centre
    return k.to(device)


#: the 7-tap hexagon mean (IcoPool "mean"), as a correlation kernel
_MEAN = (1 / 7, 1 / 7)
#: IcoUnpool as a stride-2 transposed-conv kernel: a coarse vertex gives itself 1 and the six
#: new vertices on its hexagon's edges ½ each
_EDGES = (1.0, 0.5)


class _HexagonMean(torch.autograd.Function):
    """The hexagon mean of padded charts ``(N, C, n + 2, 2n + 2) → (N, C, n/s, 2n/s)`` as one
    depthwise conv; backward is its transpose, so nothing is saved for it (linear, so double
    backward works through the same ops)."""

    @staticmethod
    def forward(ctx, p: torch.Tensor, s: int) -> torch.Tensor:  # noqa: ANN001
        ctx.s, ctx.c = s, p.shape[1]
        k = _hexagon_kernel(*_MEAN, p.dtype, p.device).expand(ctx.c, 1, 3, 3)
        return F.conv2d(p, k, stride=s, groups=ctx.c)

    @staticmethod
    def backward(ctx, g: torch.Tensor) -> tuple[torch.Tensor, None]:  # noqa: ANN001
        k = _hexagon_kernel(*_MEAN, g.dtype, g.device).expand(ctx.c, 1, 3, 3)
        pad = ctx.s - 1  # stride 2: (n/2 − 1)·2 + 3 = n + 1 rows, one short of n + 2
        return F.conv_transpose2d(g, k, stride=ctx.s, output_padding=pad, groups=ctx.c), None


class _EdgeInterpolation(torch.autograd.Function):
    """Padded coarse charts ``(N, C, n + 2, 2n + 2) → (N, C, 2n, 4n)``: fine vertex
    ``(2i + u, 2j + v)`` is the mean of coarse ``(i, j)`` and ``(i + u, j + v)`` (itself for
    u = v = 0), as one depthwise stride-2 transposed conv that crops the padding's overhang
    (3 rows and columns before, 2 after); backward is the strided conv, nothing is saved."""

    @staticmethod
    def forward(ctx, p: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        ctx.c = p.shape[1]
        k = _hexagon_kernel(*_EDGES, p.dtype, p.device).expand(ctx.c, 1, 3, 3)
        return F.conv_transpose2d(p, k, stride=2, padding=3, output_padding=1, groups=ctx.c)

    @staticmethod
    def backward(ctx, g: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        k = _hexagon_kernel(*_EDGES, g.dtype, g.device).expand(ctx.c, 1, 3, 3)
        return F.conv2d(g, k, stride=2, padding=3, groups=ctx.c)


class _IcoLayer(nn.Module):
    def equivariance_exactness(self, group: Group, g: object, x: torch.Tensor) -> str | None:
        """Exact for the 60 rotations of "ico"."""
        return ico_exactness(type(self).__name__, group)


class IcoPool(_IcoLayer):
    """Resolution r → r − 1: max (or mean) over each coarse vertex's hexagon (itself and its
    six neighbours at resolution r, read in its frame), ``(B, C, 6, 5, n, 2n) →
    (B, C, 6, 5, n/2, n)``. ``stride=1`` keeps r: the same hexagon max (mean: a 7-tap blur) at
    every vertex, ``(B, C, 6, 5, n, 2n) → (B, C, 6, 5, n, 2n)``.

    >>> IcoPool()(torch.randn(2, 3, 6, 5, 4, 8)).shape
    torch.Size([2, 3, 6, 5, 2, 4])
    """

    def __init__(self, mode: str = "max", stride: int = 2) -> None:
        super().__init__()
        self.mode = _mode("IcoPool", mode)
        if stride not in (1, 2):
            raise ValueError(f"IcoPool: stride must be 1 or 2, got {stride!r}")
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = _r_of("IcoPool", x, scalar=False, floating=self.mode == "mean")
        if r < 1 and self.stride == 2:
            raise ShapeError("IcoPool: resolution r = 0 has no coarser grid")
        n, s = 2**r, self.stride
        b, c = x.shape[:2]
        p = _pad(r, x.device)(x).view(b, 5, c, 6, n + 2, 2 * n + 2)
        if self.mode == "max":  # amax: ties share the gradient evenly
            taps = [
                p[..., 1 + di : 1 + di + n : s, 1 + dj : 1 + dj + 2 * n : s]
                for di, dj in ((0, 0),) + OFFSETS
            ]
            y = torch.stack(taps).amax(0)
        else:  # one depthwise conv (summed slices were slow: results/ico-plan.md, pilot 5)
            y = _HexagonMean.apply(p.view(5 * b, 6 * c, n + 2, 2 * n + 2), s)
            y = y.view(b, 5, c, 6, n // s, 2 * n // s)
        return y.permute(0, 2, 3, 1, 4, 5).masked_fill(corner_mask(n // s, x.device), 0.0)


class IcoUnpool(_IcoLayer):
    """Resolution r → r + 1 by linear interpolation along edges: the new vertex between two
    old ones gets their mean (both read in its frame), old vertices keep their values.
    ``(B, C, 6, 5, n, 2n) → (B, C, 6, 5, 2n, 4n)``. The output is a permuted view of a
    contiguous ``(B, 5, C, 6, 2n, 4n)`` tensor (not contiguous: ``reshape`` it, not ``view``);
    every icosahedral layer accepts it.

    >>> IcoUnpool()(torch.randn(2, 3, 6, 5, 2, 4)).shape
    torch.Size([2, 3, 6, 5, 4, 8])
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = _r_of("IcoUnpool", x, scalar=False)
        n = 2**r
        b, c = x.shape[:2]
        p = _pad(r, x.device)(x).view(5 * b, 6 * c, n + 2, 2 * n + 2)
        y = _EdgeInterpolation.apply(p).view(b, 5, c, 6, 2 * n, 4 * n)
        return y.permute(0, 2, 3, 1, 4, 5)


class IcoOrientationPool(_IcoLayer):
    """Pool over the 6 orientations: ``(B, C, 6, 5, n, 2n) → (B, C, 5, n, 2n)`` (a scalar,
    gauge-invariant field; zero at the corners)."""

    def __init__(self, mode: str = "max") -> None:
        super().__init__()
        self.mode = _mode("IcoOrientationPool", mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = _r_of("IcoOrientationPool", x, scalar=False, floating=self.mode == "mean")
        y = x.amax(2) if self.mode == "max" else x.mean(2)
        return y.masked_fill(corner_mask(2**r, x.device), 0.0)  # amax keeps its output


class IcoBatchNorm(_IcoLayer):
    """Batch norm of regular features with statistics and affine parameters per channel,
    shared over the orientations and the vertices with six neighbours (the corners are
    excluded from the statistics and stay zero). Same state_dict keys as ``nn.BatchNorm3d``;
    ``momentum=None`` keeps the cumulative average, as in torch.

    >>> IcoBatchNorm(3)(torch.randn(4, 3, 6, 5, 2, 4)).shape
    torch.Size([4, 3, 6, 5, 2, 4])
    """

    running_mean: torch.Tensor  # buffers, as torch's batch norms
    running_var: torch.Tensor
    num_batches_tracked: torch.Tensor

    def __init__(
        self,
        num_channels: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        check_positive_int("IcoBatchNorm", "num_channels", num_channels)
        check_batch_norm("IcoBatchNorm", eps, momentum)
        self.num_features, self.eps, self.momentum = num_channels, eps, momentum
        c = num_channels
        self.weight = nn.Parameter(torch.ones(c, dtype=dtype, device=device)) if affine else None
        self.bias = nn.Parameter(torch.zeros(c, dtype=dtype, device=device)) if affine else None
        self.register_buffer("running_mean", torch.zeros(c, dtype=dtype, device=device))
        self.register_buffer("running_var", torch.ones(c, dtype=dtype, device=device))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = _r_of("IcoBatchNorm", x, scalar=False)
        if x.shape[1] != self.num_features:
            raise ShapeError(
                f"IcoBatchNorm: expected {self.num_features} channels, got {tuple(x.shape)}"
            )
        check_like("IcoBatchNorm", x, self.running_mean)
        if x.dtype != self.running_mean.dtype:  # autocast: statistics in the layer's dtype
            x = x.to(self.running_mean.dtype)
        if x.shape[0] == 0:  # as torch's batch norms: no statistics from an empty batch
            return empty_output(x, x.shape, self)
        count = x.numel() // x.shape[1] - x.shape[0] * 60  # 10 corners × 6 orientations
        if self.training and count < 2:
            raise ValueError(
                f"IcoBatchNorm: training needs more than one value per channel at the vertices "
                f"with six neighbours, got {count} in {tuple(x.shape)}"
                + (" (at r = 0 every chart point is a corner)" if r == 0 else "")
            )
        if self.training:  # statistics over the entries with six neighbours (_ico_bn)
            y, mean, var = ico_batch_norm_train(x, self.weight, self.bias, self.eps, 2**r)
            with torch.no_grad():
                self.num_batches_tracked.add_(1)  # momentum None: the cumulative average
                m = self.momentum
                m = 1.0 / float(self.num_batches_tracked) if m is None else m
                unbiased = var * count / max(count - 1, 1)
                self.running_mean.mul_(1 - m).add_(m * mean.detach())
                self.running_var.mul_(1 - m).add_(m * unbiased.detach())
            return y
        mean, scale = self.running_mean, torch.rsqrt(self.running_var + self.eps)
        scale = scale if self.weight is None else scale * self.weight
        shift = -mean * scale if self.bias is None else self.bias - mean * scale
        lay = _Layout(x, 2**r)
        if lay.cm:  # rows of 6C: one affine pass, chart-major out
            rows = torch.addcmul(lay.per_channel(shift), lay.flat(x), lay.per_channel(scale))
            return zero_corners_(lay.unflat(rows))
        view = (1, -1, 1, 1, 1, 1)
        return zero_corners_(x * scale.view(view) + shift.view(view))

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


@cached_tensors(32)
def _kept(r: int, device: str) -> torch.Tensor:
    """Positions in a flattened ``(5, n, 2n)`` chart stack of all but the 10 corners (an index,
    built on the CPU: boolean-mask indexing has no data-independent shape, e.g. on ``meta``)."""
    return torch.nonzero(~corner_mask(2**r).flatten()).squeeze(1).to(device)


class IcoGlobalPool(_IcoLayer):
    """Invariant read-out: max (or mean) over orientations and all vertices with six
    neighbours, ``(B, C, 6, 5, n, 2n)`` or ``(B, C, 5, n, 2n)`` → ``(B, C)``.

    >>> IcoGlobalPool()(torch.randn(2, 3, 6, 5, 2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(self, mode: str = "max") -> None:
        super().__init__()
        self.mode = _mode("IcoGlobalPool", mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("IcoGlobalPool: input", x, floating=False)
        r = _r_of("IcoGlobalPool", x, scalar=x.dim() == 5, floating=self.mode == "mean")
        flat = x.flatten(-3).index_select(-1, _kept(r, str(x.device))).flatten(2)
        return flat.amax(-1) if self.mode == "max" else flat.mean(-1)


class IcoToVertices(_IcoLayer):
    """Scalar charts ``(B, C, 5, n, 2n)`` → a scalar signal on all vertices ``(B, C, V)``; each
    of the 12 five-neighbour vertices (poles included) gets the mean of its five neighbours,
    which every rotation maps onto the five neighbours of its image (r ≥ 1)."""

    _corners: torch.Tensor  # buffers: the 12 corner vertices' ids, their 5 neighbours' ids
    _ring: torch.Tensor

    def __init__(self, r: int) -> None:
        super().__init__()
        if not isinstance(r, int) or isinstance(r, bool) or not 1 <= r <= 10:
            raise ValueError(f"IcoToVertices: r must be an int in 1..10, got {r!r}")
        self.r = r
        grid = ico_grid(r)
        corners = torch.from_numpy(grid.corners.copy())
        self.register_buffer("_corners", corners, persistent=False)
        self.register_buffer(
            "_ring", torch.from_numpy(grid.neighbours[grid.corners, :5].copy()), persistent=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("IcoToVertices: input", x, floating=False)
        check_chart("IcoToVertices", x, None, None, self.r)
        flat = F.pad(x.flatten(2), (0, 2))
        return flat.index_copy(2, self._corners, flat[..., self._ring].mean(-1))
