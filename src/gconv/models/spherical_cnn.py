# SPDX-License-Identifier: MIT
"""Planar baselines on spherical images: ordinary CNNs that read an S² signal on the SOFT grid
of bandwidth b as a flat ``(B, 1, 2b, 2b)`` image indexed ``[β, α]`` (no padding, no wrap in
α, no knowledge of the sphere). They are the non-equivariant side of the spherical study
(Cohen et al. 2018; Gerken et al. 2022): equivariance to rotations can only come from data.

Classification (``SphereImageCNN``), the planar net of s2cnn's ``examples/mnist/run_classic.py``
at b = 30: ``Conv2d(1→c₁, 5, stride 3)`` → ReLU → ``Conv2d(c₁→c₂, 5, stride 3)`` → ReLU →
flatten → ``Linear(c₂·5·5 → 10)`` (sizes 60 → 19 → 5), with ``(c₁, c₂) = (32w, 64w)``. Its
count is ``51200 w² + 16896 w + 10``; the study widens it by the stated factors w below.

Segmentation (``EncoderDecoderCNN``), Gerken et al.'s ``ConvNet_sem_seg`` with skips, at b = 50:
an encoder of unpadded ``Conv2d`` (channels ``c₀..c_{n−1}``, kernels ``k_i``, strides ``s_i``),
a mirror-image decoder of ``ConvTranspose2d`` back to the input size (``output_padding``
chosen so each size is restored exactly), ReLU after every layer but the last. Each encoder
step after the first adds a skip ``MaxPool2d(k_i, s_i) → Conv2d(1×1)``; each decoder step adds
``Conv2d(1×1) → nearest upsampling`` to the step's output size. Output: per-pixel logits
``(B, 11, 2b, 2b)`` (class 0 background, 1..10 digit + 1).

Models offered to the registry by ``specs()`` (counts asserted in
``tests/models/test_spherical_cnn.py``):

- ``cnn`` (w = 1, channels 32, 64; 1×60×60): 68,106 parameters.
- ``cnn-200k`` (w = 1.8125, channels 58, 116): 198,834.
- ``cnn-1m`` (w = 4.25, channels 136, 272): 996,618.
- ``cnn-5m`` (w = 9.71875, channels 311, 622): 5,000,268.
- ``cnn-seg-218k`` (channels 13, 15, 22, 31, 141; kernels 5, 3, 9, 7, 3; strides 1, 1, 1, 1, 2;
  1×100×100): 218,144.
- ``cnn-seg-1m`` (channels 12, 13, 16, 77, 96, 163; kernels 3, 3, 5, 5, 3, 5; strides 1, 1, 1,
  2, 1, 1): 1,042,013.
- ``cnn-seg-5.5m`` (channels 12, 15, 16, 85, 141, 191, 1100; kernels 3, 5, 3, 7, 5, 3, 3;
  strides 1, 1, 1, 2, 1, 1, 2): 5,519,335.

The segmentation layouts are those of Gerken et al.'s README. The widening factors are ours:
the multiples of 1/32 (whole channels, c₂ = 2c₁) whose count is nearest to 200k, 1M and 5M.

>>> model = SphereImageCNN()
>>> model(torch.randn(2, 1, 60, 60)).shape, model.num_parameters()
(torch.Size([2, 10]), 68106)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ._registry import register_models

__all__ = [
    "CNN_WIDTHS",
    "SEG_LAYOUTS",
    "EncoderDecoderCNN",
    "SphereImageCNN",
    "specs",
]

#: registered name → width factor w of ``SphereImageCNN`` (channels 32w, 64w)
CNN_WIDTHS: dict[str, float] = {"cnn": 1.0, "cnn-200k": 1.8125, "cnn-1m": 4.25, "cnn-5m": 9.71875}

#: registered name → (channels, kernel sizes, strides) of ``EncoderDecoderCNN`` (Gerken et al.)
SEG_LAYOUTS: dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = {
    "cnn-seg-218k": ((13, 15, 22, 31, 141), (5, 3, 9, 7, 3), (1, 1, 1, 1, 2)),
    "cnn-seg-1m": ((12, 13, 16, 77, 96, 163), (3, 3, 5, 5, 3, 5), (1, 1, 1, 2, 1, 1)),
    "cnn-seg-5.5m": (
        (12, 15, 16, 85, 141, 191, 1100),
        (3, 5, 3, 7, 5, 3, 3),
        (1, 1, 1, 2, 1, 1, 2),
    ),
}


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def _conv_size(n: int, kernel: int, stride: int) -> int:
    """Output size of an unpadded window: ``⌊(n − k)/s⌋ + 1``."""
    return (n - kernel) // stride + 1


class _CountMixin:
    def num_parameters(self, trainable_only: bool = True) -> int:
        """Number of (trainable) parameters."""
        params = self.parameters()  # type: ignore[attr-defined]
        return sum(p.numel() for p in params if p.requires_grad or not trainable_only)


class SphereImageCNN(_CountMixin, nn.Module):
    """Two strided convolutions and a linear layer on the ``[β, α]`` image of an S² signal.

    ``(B, in_channels, 2b, 2b)`` → logits ``(B, num_classes)``. Channels
    ``(round(32·width), round(64·width))``; kernel 5, stride 3, no padding (as in s2cnn's
    ``run_classic.py``). Not equivariant to any rotation: the filters are unconstrained and the
    α axis is treated as an open interval, not a circle.
    """

    equivariance_composite = True  # forward only chains its children: the checker visits them

    def __init__(
        self, width: float = 1.0, bandwidth: int = 30, in_channels: int = 1, num_classes: int = 10
    ) -> None:
        super().__init__()
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not width > 0:
            raise ValueError(f"width must be a positive number, got {width!r}")
        b = _positive_int("bandwidth", bandwidth)
        c1, c2 = round(32 * width), round(64 * width)
        n = _conv_size(_conv_size(2 * b, 5, 3), 5, 3)
        if c1 < 1 or n < 1:
            raise ValueError(
                f"width {width!r} and bandwidth {bandwidth!r} leave no channels or no pixels "
                f"(channels {c1}, {c2}; final size {n}×{n}); need width > 1/64 and b ≥ 9"
            )
        self.bandwidth, self.channels = b, (c1, c2)
        self.features = nn.Sequential(
            nn.Conv2d(_positive_int("in_channels", in_channels), c1, 5, stride=3),
            nn.ReLU(),
            nn.Conv2d(c1, c2, 5, stride=3),
            nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Flatten(1), nn.Linear(c2 * n * n, _positive_int("num_classes", num_classes))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size, c = 2 * self.bandwidth, self.features[0].in_channels
        torch._check(
            x.dim() == 4 and x.shape[1] == c and x.shape[-2:] == (size, size),
            lambda: (
                f"SphereImageCNN: expected (B, {c}, {size}, {size}) at bandwidth "
                f"{self.bandwidth}, got {tuple(x.shape)}"
            ),
        )
        return self.head(self.features(x))


class _Down(nn.Module):
    """``relu(conv(x) + skip(x))``, skip = 1×1 conv of a max pool with the conv's window."""

    equivariance_composite = True  # forward chains children and adds: no operation of its own

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, skip: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride=stride)
        self.skip = (
            nn.Sequential(nn.MaxPool2d(kernel, stride=stride), nn.Conv2d(c_in, c_out, 1))
            if skip
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return torch.relu(y if self.skip is None else y + self.skip(x))


class _Up(nn.Module):
    """``relu(deconv(x) + skip(x))``, skip = 1×1 conv then nearest upsampling to ``size``."""

    equivariance_composite = True

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int, sizes: tuple[int, int], skip: bool
    ) -> None:
        super().__init__()
        n_in, n_out = sizes
        pad = n_out - kernel - (n_in - 1) * stride  # restores n_out exactly; 0 ≤ pad < stride
        self.deconv = nn.ConvTranspose2d(c_in, c_out, kernel, stride=stride, output_padding=pad)
        self.skip = (
            nn.Sequential(nn.Conv2d(c_in, c_out, 1), nn.Upsample(size=n_out, mode="nearest"))
            if skip
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.deconv(x)
        return torch.relu(y if self.skip is None else y + self.skip(x))


class EncoderDecoderCNN(_CountMixin, nn.Module):
    """Gerken et al.'s segmentation CNN: ``(B, in_channels, 2b, 2b)`` → ``(B, num_classes, 2b, 2b)``.

    Encoder: ``Conv2d(in → c₀, k₀, s₀)``, then ``c_{i−1} → c_i`` with ``(k_i, s_i)`` and a
    max-pool/1×1 skip; decoder: ``ConvTranspose2d(c_i → c_{i−1}, k_i, s_i)`` with a 1×1/upsample
    skip for i = n−1..1, then ``ConvTranspose2d(c₀ → num_classes, k₀, s₀)`` without ReLU.
    Sizes: ``d_{i+1} = ⌊(d_i − k_i)/s_i⌋ + 1`` down and exactly back up.

    >>> net = EncoderDecoderCNN((4, 6), (3, 3), (1, 2), bandwidth=8)
    >>> net(torch.randn(1, 1, 16, 16)).shape
    torch.Size([1, 11, 16, 16])
    """

    equivariance_composite = True  # children chained, with ReLUs (pointwise) between them

    def __init__(
        self,
        channels: Sequence[int],
        kernel_sizes: Sequence[int],
        strides: Sequence[int],
        bandwidth: int = 50,
        in_channels: int = 1,
        num_classes: int = 11,
        skips: bool = True,
    ) -> None:
        super().__init__()
        chans, ks, ss = (
            tuple(_positive_int(f"{name}[{i}]", v) for i, v in enumerate(seq))
            for name, seq in (("channels", channels), ("kernel_sizes", kernel_sizes),
                              ("strides", strides))
        )  # fmt: skip
        if not chans or not len(chans) == len(ks) == len(ss):
            raise ValueError(
                "channels, kernel_sizes and strides must be non-empty and of equal length, got "
                f"{len(chans)}, {len(ks)}, {len(ss)}"
            )
        self.bandwidth = _positive_int("bandwidth", bandwidth)
        dims = [2 * self.bandwidth]
        for k, s in zip(ks, ss, strict=True):
            dims.append(_conv_size(dims[-1], k, s))
        if dims[-1] < 1:
            raise ValueError(f"a {dims[0]}×{dims[0]} input shrinks to nothing: sizes {dims}")
        self.sizes = tuple(dims)
        c_in, c_out = (
            _positive_int("in_channels", in_channels),
            _positive_int("num_classes", num_classes),
        )
        self.stem = nn.Conv2d(c_in, chans[0], ks[0], stride=ss[0])
        self.down = nn.ModuleList(
            _Down(chans[i - 1], chans[i], ks[i], ss[i], skips) for i in range(1, len(chans))
        )
        self.up = nn.ModuleList(
            _Up(chans[i], chans[i - 1], ks[i], ss[i], (dims[i + 1], dims[i]), skips)
            for i in range(len(chans) - 1, 0, -1)
        )
        pad = dims[0] - ks[0] - (dims[1] - 1) * ss[0]
        self.out = nn.ConvTranspose2d(chans[0], c_out, ks[0], stride=ss[0], output_padding=pad)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size, c = self.sizes[0], self.stem.in_channels
        torch._check(
            x.dim() == 4 and x.shape[1] == c and x.shape[-2:] == (size, size),
            lambda: (
                f"EncoderDecoderCNN: expected (B, {c}, {size}, {size}) at bandwidth "
                f"{self.bandwidth}, got {tuple(x.shape)}"
            ),
        )
        x = torch.relu(self.stem(x))
        for block in (*self.down, *self.up):
            x = block(x)
        return self.out(x)


def _cnn_description(name: str, w: float) -> str:
    c1, c2 = round(32 * w), round(64 * w)
    return (
        f"planar CNN on the [β, α] image (s2cnn run_classic.py layout, width ×{w:g}): "
        f"conv 5×5/3 1→{c1}, conv 5×5/3 {c1}→{c2}, linear {c2 * 25}→10; b = 30"
    )


def specs() -> list[dict[str, Any]]:
    """Registry entries of this family: one dict per model, ``builder(**defaults)`` builds it.

    Keys: name, builder, input_kind ("s2"), output_kind ("logits" | "pixel-logits"), task
    ("classification" | "segmentation"), input_shape (C, H, W), group (None: not equivariant),
    defaults, description.

    >>> [s["name"] for s in specs()][:2]
    ['cnn', 'cnn-200k']
    """
    out: list[dict[str, Any]] = []
    for name, w in CNN_WIDTHS.items():
        out.append({
            "name": name, "builder": SphereImageCNN, "input_kind": "s2", "output_kind": "logits",
            "task": "classification", "input_shape": (1, 60, 60), "group": None,
            "defaults": {"width": w, "bandwidth": 30}, "description": _cnn_description(name, w),
        })  # fmt: skip
    for name, (chans, ks, ss) in SEG_LAYOUTS.items():
        out.append({
            "name": name, "builder": EncoderDecoderCNN, "input_kind": "s2",
            "output_kind": "pixel-logits", "task": "segmentation", "input_shape": (1, 100, 100),
            "group": None,
            "defaults": {"channels": chans, "kernel_sizes": ks, "strides": ss, "bandwidth": 50},
            "description": f"Gerken et al.'s encoder-decoder CNN with skips on the [β, α] image, "
            f"channels {', '.join(map(str, chans))}; b = 50, 11 classes",
        })  # fmt: skip
    return out


register_models(specs())
