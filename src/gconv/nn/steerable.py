# SPDX-License-Identifier: MIT
"""Steerable filters for C_N and D_N (any N): the expanded bank, restriction, antialiased pooling.

``LiftConv2d`` / ``GroupConv2d`` with ``basis="steerable"`` (the default for groups off the pixel
grid) learn coefficients in ``gconv.groups.steerable_basis``: a filter is ψ = Σ_i w_i b_i
(lifting) or ψ(h, ·) = Σ_i w_{h,i} b_i (regular input). The bank for output orientation g is
L_g ψ, computed in the basis: ``[L_g ψ](h, x) = Σ_i w_{g⁻¹h, i} (L_g b_i)(x)`` with the sampled
rotated basis ``L_g b_i`` precomputed once (cached) — one batched matmul. The basis is zero off
the disc r ≤ c + ½, so a ``GroupConv2d`` on CPU whose padding is at least ``disc_margin`` ×
dilation convolves only the disc (``disc_conv2d``: one ``conv2d`` per rectangle of it, skipping
the always-zero corners); a ``LiftConv2d``, a smaller padding, or any layer on another device
runs one ``conv2d`` on the whole k×k bank.
Exactness: quarter turns and mirrors are exact on the grid (same stride/padding rule as the
pixel layers); other rotations are exact in the continuum only, so on pixels the error is a
measurement, which the checker reports.

Also here: ``RestrictGroup`` (regular features of G viewed as regular features of a subgroup H:
D_N → C_N, C_N → C_M for M | N, D_N → D_M, …) and ``GroupBlurPool2d`` (Gaussian low-pass then
subsampling, for rotations finer than 90°).

>>> from gconv.groups import CyclicGroup
>>> from gconv.nn import GroupConv2d, LiftConv2d
>>> lift = LiftConv2d(1, 4, 5, group=CyclicGroup(8), padding=2)
>>> lift.basis, tuple(lift.weight.shape)
('steerable', (4, 1, 15))
>>> GroupConv2d(4, 2, 5, group="c8")(lift(torch.randn(2, 1, 9, 9))).shape
torch.Size([2, 2, 8, 5, 5])
"""

from __future__ import annotations

import math
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from ..groups import (
    GRID_EXACT_ORDERS,
    FiniteGroup,
    Group,
    PlaneAction,
    get,
    grid_rule,
    steerable_basis,
    subgroup_embedding,
)
from ._checks import ShapeError, check_tensor, square

__all__ = [
    "BASES",
    "resolve_basis",
    "steerable_bank",
    "disc_pieces",
    "disc_conv2d",
    "disc_margin",
    "RestrictGroup",
    "GroupBlurPool2d",
]

#: filter constructions of the planar layers
BASES = ("pixel", "steerable")


def resolve_basis(group: FiniteGroup, basis: str | None, layer: str) -> str:
    """``"pixel"`` for grid-exact groups unless asked otherwise, ``"steerable"`` for the rest."""
    if basis is None:
        return "pixel" if group.N in GRID_EXACT_ORDERS else "steerable"
    if basis not in BASES:
        raise ValueError(f"{layer}: basis must be one of {BASES}, got {basis!r}")
    return basis


def regular_index(group: FiniteGroup) -> torch.Tensor:
    """Flat ``(|G|·|G|,)`` index: entry (g, h) is g⁻¹h (``regular_permutation``)."""
    return torch.as_tensor(
        [int(p) for g in group.elements() for p in group.regular_permutation(g)],
        dtype=torch.long,
    )


def steerable_bank(
    weight: torch.Tensor, basis: torch.Tensor, index: torch.Tensor | None
) -> torch.Tensor:
    """The expanded bank ``(C_out·|G|, C_in·|G_in|, k, k)`` (channel c·|G| + g).

    ``weight``: ``(C_out, C_in, nb)`` (lifting, ``index`` None) or ``(C_out, C_in, |G|, nb)``;
    ``basis``: ``(|G|, nb, k, k)`` rotated bases; ``index``: ``regular_index(G)``.
    """
    n, nb, k, _ = basis.shape
    flat = basis.reshape(n, nb, k * k)
    if index is None:
        cout, cin, _ = weight.shape
        bank = torch.matmul(weight.reshape(cout * cin, nb), flat)  # (|G|, O·C, k²)
        return bank.view(n, cout, cin, k, k).transpose(0, 1).reshape(cout * n, cin, k, k)
    cout, cin, gin, _ = weight.shape
    # one gather straight into the matmul layout (g, h, o, c, i): weight[o, c, g⁻¹h, i];
    # index_select (backward: index_add) costs about 3/4 of advanced indexing (backward:
    # index_put with accumulation) in a training step (benchmarks/steerable_plan.py)
    rows = weight.permute(2, 0, 1, 3).reshape(gin, cout * cin * nb)
    moved = rows.index_select(0, index).view(n, gin * cout * cin, nb)
    bank = torch.bmm(moved, flat).view(n, gin, cout, cin, k, k)  # (|G|, |G|·O·C, k²)
    return bank.permute(2, 0, 3, 1, 4, 5).reshape(cout * n, cin * gin, k, k)


#: a piece of a filter's support: (first row, row step, rows, first column, columns)
Piece = tuple[int, int, int, int, int]


def disc_pieces(support: torch.Tensor) -> tuple[Piece, ...] | None:
    """Rectangles, one ``conv2d`` each, that tile a filter support symmetric about the centre
    row and column (``(k, k)`` bool) with every row a centred run, or None if it is the whole
    square (one plain ``conv2d``) or not of that shape.

    The steerable basis lives on the disc r ≤ c + ½ (``gconv.groups.steerable_basis``), so the
    corners of the k×k grid are always zero: 21 of 25 taps at k = 5, 37 of 49 at k = 7. The
    rows of full width form one block; every further pair of rows ±i, with its own width, is
    one 2-row kernel of row dilation 2i. The pieces cover exactly the support, each tap once.

    >>> from gconv.groups import CyclicGroup
    >>> support = steerable_basis(CyclicGroup(8), 5).abs().sum((0, 1)) > 0
    >>> disc_pieces(support)   # a 3×5 block, and rows ±2 as a 2×3 kernel of row dilation 4
    ((1, 1, 3, 0, 5), (0, 4, 2, 1, 3))
    >>> disc_pieces(torch.ones(3, 3, dtype=torch.bool)) is None
    True
    """
    k = support.shape[-1]
    c = (k - 1) // 2
    if bool(support.all()) or tuple(support.shape) != (k, k) or k % 2 == 0:
        return None
    width = []
    for i in range(c + 1):
        row = support[c - i]
        w = int(row.sum()) // 2
        centred = torch.zeros(k, dtype=torch.bool)
        centred[c - w : c + w + 1] = True
        if not (torch.equal(row, centred) and torch.equal(support[c + i], centred)):
            return None
        width.append(w)
    if width != sorted(width, reverse=True):
        return None
    top = max(i for i, w in enumerate(width) if w == width[0])
    pieces = [(c - top, 1, 2 * top + 1, c - width[0], 2 * width[0] + 1)]
    pieces += [(c - i, 2 * i, 2, c - width[i], 2 * width[i] + 1) for i in range(top + 1, c + 1)]
    return tuple(pieces)


def disc_margin(pieces: tuple[Piece, ...]) -> int:
    """The padding (in units of the dilation) below which some piece would crop its input:
    ``disc_conv2d`` handles that, but cropped and tiny maps measured slower split than whole
    (``benchmarks/steerable_disc.py``), so the layers split only at this padding or more."""
    return max(max(r0, c0) for r0, _, _, c0, _ in pieces)


def disc_conv2d(
    x: torch.Tensor,
    bank: torch.Tensor,
    bias: torch.Tensor | None,
    stride: int,
    padding: int,
    dilation: int,
    pieces: tuple[Piece, ...],
) -> torch.Tensor:
    """``F.conv2d(x, bank, bias, stride, padding, dilation)`` for a bank that is zero outside
    ``pieces`` (``disc_pieces``): one ``conv2d`` per piece on its slice of the bank, summed, in
    channels-last memory (where oneDNN runs these narrow and dilated kernels fastest on CPU);
    the result is returned contiguous. Same sum as the one ``conv2d``, fewer multiply-adds
    (the zero corners are skipped), a different order of the floating-point additions.

    Piece (r₀, step, rows, c₀, cols) reads input rows ``s·i + (r₀ + step·a)·d − p``: a conv
    with dilation (step·d, d) and padding (p − r₀·d, p − c₀·d); a negative padding crops the
    input symmetrically instead (same output size)."""
    h, w = x.shape[-2:]
    x = x.contiguous(memory_format=torch.channels_last)
    out = None
    for r0, step, rows, c0, cols in pieces:
        part = bank[:, :, r0 : r0 + step * (rows - 1) + 1 : step, c0 : c0 + cols]
        part = part.contiguous(memory_format=torch.channels_last)
        pr, pc = padding - r0 * dilation, padding - c0 * dilation
        inp = x
        if pr < 0 or pc < 0:
            cr, cc = max(0, -pr), max(0, -pc)
            inp = x[..., cr : h - cr, cc : w - cc]
            pr, pc = max(pr, 0), max(pc, 0)
        first = bias if out is None else None
        y = F.conv2d(inp, part, first, stride, (pr, pc), (step * dilation, dilation))
        out = y if out is None else out.add_(y)
    assert out is not None, "disc_conv2d: no pieces"  # disc_pieces gives at least one
    return out.contiguous()


class _SteerableLayer(Protocol):
    """What :func:`cached_basis` reads from a layer with a steerable basis."""

    group: FiniteGroup
    kernel_size: int
    band_limit: float
    max_frequency: int | None
    sigma: float


def cached_basis(layer: _SteerableLayer, like: torch.Tensor) -> torch.Tensor:
    """The layer's rotated basis in the dtype/device of ``like`` (cast once per pair). Made
    outside inference mode (a copy), so that autograd may save it whichever mode first asked."""
    key = (like.device, like.dtype)
    store = layer.__dict__.setdefault("_basis_store", {})
    if key not in store:
        base = steerable_basis(
            layer.group, layer.kernel_size, layer.band_limit, layer.max_frequency, layer.sigma
        )
        with torch.inference_mode(False):
            store[key] = base.to(device=like.device, dtype=like.dtype).clone()
    return store[key]


class RestrictGroup(nn.Module):
    """Regular features of G viewed as regular features of a subgroup H (restriction).

    ``(B, C, |G|, H, W) → (B, C·[G:H], |H|, H, W)``: with right cosets G = ⊔_j H·t_j, output
    channel c·[G:H] + j at H-element h holds f(h·t_j). Then ``[L_{h'} f](h t_j) = f(h'⁻¹h t_j)``
    is the regular action of H on every block, so this is exact for every element of H (a
    permutation). H is embedded in G by matching mirror and angle (D_N → C_N, C_N → C_M with
    M | N, D_N → D_M, …); a group that is not a subgroup raises.

    >>> from gconv.groups import CyclicGroup, DihedralGroup
    >>> RestrictGroup(DihedralGroup(16), CyclicGroup(16))(torch.randn(2, 3, 32, 5, 5)).shape
    torch.Size([2, 6, 16, 5, 5])
    """

    _index: torch.Tensor  # buffer: the elements in coset order

    def __init__(self, group: str | FiniteGroup, subgroup: str | FiniteGroup) -> None:
        super().__init__()
        big, small = get(group), get(subgroup)
        for what, grp in (("group", big), ("subgroup", small)):
            if not isinstance(grp, FiniteGroup):
                raise TypeError(f"RestrictGroup: {what} must be C_N or D_N, got {grp!r}")
        assert isinstance(big, FiniteGroup) and isinstance(small, FiniteGroup)  # checked above
        self.group: FiniteGroup = big
        self.subgroup: FiniteGroup = small
        try:
            embed = subgroup_embedding(big, small)
        except ValueError as e:
            raise ValueError(f"RestrictGroup: {e}") from None
        order, seen = [], set()
        for t in big.elements():
            if t in seen:
                continue
            row = [big.compose(e, t) for e in embed]
            seen.update(row)
            order.append(row)
        self.n_cosets = len(order)
        # index (|H|·[G:H]) laid out (j, h) so the view gives (B, C, [G:H], |H|, …)
        flat = [g for row in order for g in row]
        self.register_buffer("_index", torch.as_tensor(flat), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5 or x.shape[2] != self.group.order:
            raise ShapeError(
                f"RestrictGroup: expected (B, C, {self.group.order}, H, W) on {self.group.name}, "
                f"got {tuple(x.shape)}"
            )
        b, c, _, h, w = x.shape
        y = x.index_select(2, self._index.to(x.device))
        return y.view(b, c * self.n_cosets, self.subgroup.order, h, w)

    def equivariance_exactness(self, group: Group, g: int, x: torch.Tensor) -> str | None:
        """Exact (a permutation) for the elements of the subgroup."""
        if not isinstance(group, FiniteGroup):
            return (
                f"RestrictGroup acts on planar features, not under {getattr(group, 'name', group)}"
            )
        if self.subgroup.find(group.split(g)[0], group.angle(g)) is None:
            return f"restricted to {self.subgroup.name}, which lacks {group.element_name(g)}"
        return None

    def extra_repr(self) -> str:
        return f"{self.group.name} → {self.subgroup.name}"


def _gaussian(sigma: float, size: int) -> torch.Tensor:
    c = (size - 1) / 2
    t = torch.arange(size, dtype=torch.float64) - c
    g = torch.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * sigma**2))
    return g / g.sum()


class GroupBlurPool2d(nn.Module):
    """Antialiased spatial pooling of ``(B, C, n, H, W)`` (or images ``(B, C, H, W)``): an
    isotropic Gaussian low-pass (σ pixels, a k×k window) then subsampling by ``stride``, the
    same for every channel and orientation: ``y = (x * G_σ)[::s, ::s]``.

    The sampled Gaussian is symmetric under the 8 grid symmetries, so quarter turns and mirrors
    are exact under the stride/padding rule (``grid_rule``; the defaults k = 4, padding 1,
    stride 2 satisfy it on even sizes, e.g. 28 → 14 → 7); finer rotations are approximate
    (the low-pass keeps the subsampled map close to rotating with the input).

    >>> GroupBlurPool2d()(torch.randn(1, 2, 8, 28, 28)).shape
    torch.Size([1, 2, 8, 14, 14])
    """

    kernel: torch.Tensor  # buffer: the k×k Gaussian, (1, 1, k, k)

    def __init__(
        self, stride: int = 2, sigma: float = 0.66, kernel_size: int = 4, padding: int = 1
    ) -> None:
        super().__init__()
        self.stride = square("stride", stride, "GroupBlurPool2d")
        self.kernel_size = square("kernel_size", kernel_size, "GroupBlurPool2d")
        self.padding = square("padding", padding, "GroupBlurPool2d")
        if not sigma > 0:
            raise ValueError(f"GroupBlurPool2d: sigma must be > 0, got {sigma!r}")
        self.sigma = float(sigma)
        self.dilation = 1
        kernel = _gaussian(self.sigma, self.kernel_size).view(1, 1, self.kernel_size, -1)
        self.register_buffer("kernel", kernel.float(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("GroupBlurPool2d: input", x)
        if x.dim() not in (4, 5):
            raise ShapeError(
                f"GroupBlurPool2d: expected (B, C, |G|, H, W) or (B, C, H, W), got {tuple(x.shape)}"
            )
        lead, (h, w) = x.shape[:-2], x.shape[-2:]
        flat = x.reshape(-1, 1, h, w)
        y = F.conv2d(flat, self.kernel.to(x.dtype), None, self.stride, self.padding)
        return y.view(*lead, y.shape[-2], y.shape[-1])

    def equivariance_exactness(self, group: Group, g: int, x: torch.Tensor) -> str | None:
        """Exact for quarter turns / mirrors where the stride grid is symmetric; others not."""
        if not isinstance(group, FiniteGroup):
            return f"GroupBlurPool2d acts on the plane, not under {getattr(group, 'name', group)}"
        act = PlaneAction(group)
        if not act.is_grid_element(g):
            return (
                "GroupBlurPool2d: rotations other than quarter turns resample the pixel grid "
                "(the low-pass makes the subsampled map approximately, not exactly, equivariant)"
            )
        k, s, p = self.kernel_size, self.stride, self.padding
        sizes = {"H": x.shape[-2], "W": x.shape[-1]}
        why = [
            f"({ax}) {r}" for ax in act.reversed_axes(g) if (r := grid_rule(sizes[ax], k, s, p, 1))
        ]
        return "; ".join(why) or None

    def extra_repr(self) -> str:
        return (
            f"stride={self.stride}, sigma={self.sigma:g}, kernel_size={self.kernel_size}, "
            f"padding={self.padding}"
        )


def steerable_fan_in(in_channels: int, in_order: int, nb: int) -> float:
    """He scale for unit-norm basis functions: var(w) = 2 / (C_in·|G_in|·nb)."""
    return math.sqrt(2.0 / (in_channels * in_order * nb))
