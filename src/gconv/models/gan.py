# SPDX-License-Identifier: MIT
"""A class-conditional GAN for 28×28 digits with a plain (z2) or p4-equivariant discriminator,
after Dey, Chen & Ghafurian (ICLR 2021, "Group Equivariant Generative Adversarial Networks";
REFERENCES.md §2e).

- :class:`ConditionalGenerator`: latent ``z (B, z_dim)`` and labels ``y (B,)`` → image
  ``(B, 1, 28, 28)`` in [0, 1]: class embedding concatenated to z, a linear map to
  ``(4w, 7, 7)``, two stride-2 transposed convolutions (7 → 14 → 28) with batch norm and ReLU,
  a 3×3 convolution and a sigmoid.
- :class:`GanDiscriminator`: three spectrally normalised residual blocks (28 → pool → 14 → pool
  → 7; 2×2 average pooling, never below 7×7), ReLU, a max over the 4 rotations (p4 only), a
  sum over space → features ``h (B, F)``, and projection conditioning (Miyato & Koyama 2018):
  ``D(x, y) = w·h + b + ⟨E[y], h⟩``. Without labels the output is the score for every class,
  ``(B, K)``, so the model is a registered ``"logits"`` model the checker can test.

The blocks follow the residual SN-GAN design of Dey et al.'s CIFAR-10 discriminators, not their
rotated-MNIST one (``src/discriminators.py``, ``p4_rotmnist``/``z2_rotmnist``: three plain
blocks — spectrally normalised 3×3 convolution, LeakyReLU(0.2), 2×2 average pooling, 28 → 14 →
7 → 3 —, then a max over rotations (p4), a global average, and a class embedding without spectral
norm). Widths are the paper's rotated-MNIST discriminator widths (z2: 128, 256, 512; p4: 64,
128, 256 — p4 divides by √|C4| = 2 so both have about the same number of weights) times one factor,
``width_factor = 1/8`` by default: z2 16, 32, 64; p4 8, 16, 32 (×4 orientations). Parameters at
the defaults: z2 75,185, p4 74,585 (0.8 % apart).

The p4 discriminator is invariant to the four 90° rotations of its input exactly (to float
rounding): every layer is a p4 convolution at stride 1 with symmetric padding, 2×2 pooling of
even sizes, pointwise, or a pooling over the whole group/plane. In training mode spectral norm
runs one power iteration per call, so two calls see different normalised weights; in eval mode
the weights are fixed and the invariance is exact (tested in float64).

>>> d = GanDiscriminator("p4")
>>> d(torch.rand(2, 1, 28, 28)).shape, d.num_parameters()
(torch.Size([2, 10]), 74585)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .._util import ShapeError, check_positive_int, check_tensor
from ..equivariance import permutes_grid
from ..groups import Group
from ..nn import GroupConv2d, GroupPool, LiftConv2d
from ._registry import ModelSpec, register_model
from .cifar import AvgPool2x2

__all__ = ["ClassBatchNorm2d", "ConditionalGenerator", "GanDiscriminator", "PAPER_WIDTHS"]

#: the rotated-MNIST discriminator widths of Dey et al. (REFERENCES.md §2e), per group
PAPER_WIDTHS: dict[str, tuple[int, ...]] = {"z2": (128, 256, 512), "p4": (64, 128, 256)}
_GROUPS = tuple(PAPER_WIDTHS)


def _counted(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _conv(group: str, cin: int, cout: int, k: int, lift: bool) -> nn.Module:
    """A spectrally normalised k×k convolution at stride 1, padding k // 2 (size kept)."""
    if group == "z2":
        return spectral_norm(nn.Conv2d(cin, cout, k, padding=k // 2))
    cls = LiftConv2d if lift else GroupConv2d  # a parametrised weight is never cached (_bank)
    return spectral_norm(cls(cin, cout, k, group=group, padding=k // 2))


class _SpatialSum(nn.Module):
    """Sum over the two spatial axes ``(..., H, W) → (...)``: invariant to grid permutations."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.sum(dim=(-2, -1))

    def equivariance_exactness(self, group: Group, g: int, x: torch.Tensor) -> str | None:
        return None if permutes_grid(group, g) else "a resampled image changes its sum"


def _check_labels(name: str, y: object, batch: int, classes: int) -> None:
    """ShapeError unless ``y`` is an int64 tensor ``(batch,)``; ValueError unless its labels
    lie in 0..classes−1 (checked for CPU tensors: elsewhere it would cost a sync per step)."""
    if not torch.is_tensor(y) or y.shape != (batch,) or y.dtype != torch.long:
        got = f"{y.dtype} {tuple(y.shape)}" if torch.is_tensor(y) else type(y).__name__
        raise ShapeError(f"{name}: labels y must be int64 (B,) = ({batch},), got {got}")
    if y.device.type == "cpu" and y.numel() and not (0 <= int(y.min()) <= int(y.max()) < classes):
        raise ValueError(
            f"{name}: labels must be in 0..{classes - 1}, got {int(y.min())}..{int(y.max())}"
        )


class _Block(nn.Module):
    """SN-GAN discriminator block: ``conv3(relu(conv3(a(x)))) [pool] + shortcut(x)``, where
    ``a`` is ReLU except in the first block (its input is the image), and the shortcut a 1×1
    convolution [pooled]. The first block lifts to p4 (both paths)."""

    def __init__(self, group: str, cin: int, cout: int, first: bool, pool: bool) -> None:
        super().__init__()
        self.first = first
        self.conv1 = _conv(group, cin, cout, 3, lift=first)
        self.conv2 = _conv(group, cout, cout, 3, lift=False)
        self.shortcut = _conv(group, cin, cout, 1, lift=first)
        self.pool = AvgPool2x2() if pool else nn.Identity()

    #: forward: pointwise ReLUs, its layers, and a sum of two equivariant paths
    equivariance_composite = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(x if self.first else F.relu(x))
        h = self.pool(self.conv2(F.relu(h)))
        return h + self.pool(self.shortcut(x))


class _ProjectionHead(nn.Module):
    """``h (B, F)`` → ``w·h + b + ⟨E[y], h⟩``: ``(B,)`` for labels ``y``, else ``(B, K)``
    (every class). Linear and embedding are spectrally normalised.

    E starts uniform in ±1/√F, on the scale of w (``nn.Linear``'s init), not ``nn.Embedding``'s
    N(0, 1): spectral norm removes the scale from the forward pass, but Adam moves every raw
    entry by about lr per step, so entries ~12× larger than w's made the class term learn ~12×
    more slowly than the rest of D — the generator's classes stayed permuted for a whole
    ``cpu``-budget run (issue 19's pilots, results/gan-plan.md)."""

    def __init__(self, features: int, num_classes: int) -> None:
        super().__init__()
        self.linear = spectral_norm(nn.Linear(features, 1))
        embed = nn.Embedding(num_classes, features)
        bound = 1.0 / math.sqrt(features)
        nn.init.uniform_(embed.weight, -bound, bound)  # before spectral_norm sets u, v
        self.embed = cast(nn.Embedding, spectral_norm(embed))  # returns its argument

    def forward(self, h: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        out = self.linear(h)
        if y is None:
            return out + h @ self.embed.weight.t()
        return out.squeeze(1) + (self.embed(y) * h).sum(dim=1)

    def equivariance_exactness(self, group: Group, g: int, x: torch.Tensor) -> str | None:
        """Its input is the pooled feature vector (B, F), which no group element moves."""
        return None if x.dim() == 2 else f"expected pooled features (B, F), got {x.dim()}-D"


class GanDiscriminator(nn.Module):
    """Projection discriminator on ``group`` ``"z2"`` or ``"p4"`` (see the module docstring).

    ``forward(x (B, C, H, W), y (B,) | None)`` → scores ``(B,)`` for labels ``y``, or
    ``(B, num_classes)`` (the score of every class) without. H and W must be divisible by 4
    and stay ≥ 7 after the two poolings (28×28 → 7×7).
    """

    def __init__(
        self,
        group: str = "p4",
        num_classes: int = 10,
        in_channels: int = 1,
        width_factor: float = 0.125,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if group not in _GROUPS:
            raise ValueError(f"{name}: group must be one of {_GROUPS}, got {group!r}")
        check_positive_int(name, "num_classes", num_classes)
        check_positive_int(name, "in_channels", in_channels)
        ok = isinstance(width_factor, (int, float)) and not isinstance(width_factor, bool)
        widths = [round(w * width_factor) for w in PAPER_WIDTHS[group]] if ok else [0]
        if not all(w >= 1 for w in widths):
            raise ValueError(
                f"{name}: width_factor must give widths >= 1 from {PAPER_WIDTHS[group]}, got "
                f"{width_factor!r}"
            )
        self.group, self.widths, self.num_classes = group, tuple(widths), num_classes
        chans = [in_channels, *widths]
        self.blocks = nn.Sequential(
            *(_Block(group, chans[i], chans[i + 1], i == 0, i < 2) for i in range(3))
        )
        self.relu = nn.ReLU()
        self.group_pool = GroupPool("max", over="group") if group != "z2" else nn.Identity()
        self.spatial_sum = _SpatialSum()
        self.head = _ProjectionHead(widths[-1], num_classes)

    #: forward chains blocks → relu → group pool → spatial sum → head
    equivariance_composite = True

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled invariant features ``h (B, F)``."""
        name = type(self).__name__
        check_tensor(f"{name}: x", x)
        if x.dim() != 4 or x.shape[-1] % 4 or x.shape[-2] % 4 or min(x.shape[-2:]) < 28:
            raise ShapeError(
                f"{name}: expected images (B, C, H, W) with H, W ≥ 28 divisible by 4 (two 2×2 "
                f"poolings down to ≥ 7×7), got {tuple(x.shape)}"
            )
        return self.spatial_sum(self.group_pool(self.relu(self.blocks(x))))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is not None:
            _check_labels(type(self).__name__, y, x.shape[0], self.head.embed.num_embeddings)
        return self.head(self.features(x), y)

    def num_parameters(self, trainable_only: bool = True) -> int:
        """Number of (trainable) parameters."""
        return _counted(self) if trainable_only else sum(p.numel() for p in self.parameters())


class ClassBatchNorm2d(nn.Module):
    """Class-conditional batch norm (de Vries et al. 2017; the generator of Miyato & Koyama's
    projection GAN): ``γ[y] · BN(x) + β[y]`` per channel, BN without its own affine map, γ
    starting at 1 and β at 0 (so it starts as plain batch norm). ``x (B, C, H, W)``, ``y (B,)``.
    """

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Embedding(num_classes, channels)
        self.bias = nn.Embedding(num_classes, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.gain(y)[:, :, None, None] * self.bn(x) + self.bias(y)[:, :, None, None]


class ConditionalGenerator(nn.Module):
    """Class-conditional DCGAN-style generator: ``(z (B, z_dim), y (B,))`` → ``(B, C, 28, 28)``
    in [0, 1] (the data's range).

    ``[z, E[y]]`` (embedding of size ``embed_dim``) → Linear → ``(4w, 7, 7)`` → BN, ReLU →
    ConvTranspose 4×4 stride 2 → ``(2w, 14, 14)`` → BN, ReLU → ConvTranspose → ``(w, 28, 28)``
    → BN, ReLU → Conv 3×3 → sigmoid. Parameters at the defaults (w = 16, z_dim = 64,
    embed_dim = 16): 295,553.

    ``cond``: how the class enters besides the input embedding — ``"concat"`` (only there) or
    ``"cbn"`` (every batch norm is a :class:`ClassBatchNorm2d`, as in Miyato & Koyama 2018;
    297,569 parameters at the defaults).

    ``out_mean`` (optional, in (0, 1)): start the last convolution's bias at
    ``logit(out_mean)``, so that the untrained generator's mean pixel is about the data's
    (RotatedMNIST: 0.131) instead of about 0.5. Without it a discriminator's first lesson is
    "fakes are too bright", which drives every weight of the last convolution negative; its
    inputs are ReLU outputs (≥ 0), so the logits then stay ≤ its bias and no pixel gets past
    about 0.5 for hundreds of steps (seen in issue 19's pilot runs, results/gan-plan.md).

    >>> g = ConditionalGenerator()
    >>> g(torch.randn(3, 64), torch.tensor([0, 1, 2])).shape, g.num_parameters()
    (torch.Size([3, 1, 28, 28]), 295553)
    """

    def __init__(
        self,
        z_dim: int = 64,
        num_classes: int = 10,
        width: int = 16,
        embed_dim: int = 16,
        out_channels: int = 1,
        out_mean: float | None = None,
        cond: str = "concat",
    ) -> None:
        super().__init__()
        name = type(self).__name__
        for arg, v in (("z_dim", z_dim), ("num_classes", num_classes), ("width", width),
                       ("embed_dim", embed_dim), ("out_channels", out_channels)):  # fmt: skip
            check_positive_int(name, arg, v)
        ok = isinstance(out_mean, (int, float)) and not isinstance(out_mean, bool)
        if out_mean is not None and not (ok and 0 < out_mean < 1):
            raise ValueError(f"{name}: out_mean must be None or in (0, 1), got {out_mean!r}")
        if cond not in ("concat", "cbn"):
            raise ValueError(f"{name}: cond must be 'concat' or 'cbn', got {cond!r}")
        w = width
        self.z_dim, self.num_classes, self.width, self.cond = z_dim, num_classes, w, cond

        def norm(c: int) -> nn.Module:
            return nn.BatchNorm2d(c) if cond == "concat" else ClassBatchNorm2d(c, num_classes)

        self.embed = nn.Embedding(num_classes, embed_dim)
        self.project = nn.Linear(z_dim + embed_dim, 4 * w * 7 * 7)
        self.net = nn.Sequential(
            norm(4 * w),
            nn.ReLU(),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, stride=2, padding=1),
            norm(2 * w),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),
            norm(w),
            nn.ReLU(),
            nn.Conv2d(w, out_channels, 3, padding=1),
            nn.Sigmoid(),
        )
        if out_mean is not None:
            out = self.net[-2]
            assert isinstance(out, nn.Conv2d) and out.bias is not None
            nn.init.constant_(out.bias, math.log(out_mean / (1.0 - out_mean)))

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        name = type(self).__name__
        check_tensor(f"{name}: z", z)
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ShapeError(f"{name}: expected z (B, {self.z_dim}), got {tuple(z.shape)}")
        _check_labels(name, y, z.shape[0], self.embed.num_embeddings)
        h = self.project(torch.cat([z, self.embed(y)], dim=1))
        h = h.view(z.shape[0], 4 * self.width, 7, 7)
        for layer in self.net:
            h = layer(h, y) if isinstance(layer, ClassBatchNorm2d) else layer(h)
        return h

    def num_parameters(self) -> int:
        """Number of trainable parameters."""
        return _counted(self)


def _discriminator(group: str) -> Callable[..., GanDiscriminator]:
    def build(**kwargs: Any) -> GanDiscriminator:
        return GanDiscriminator(group, **kwargs)

    build.__name__ = f"gan_discriminator_{group}"
    return build


for _group, _count in (("z2", "75,185"), ("p4", "74,585")):
    register_model(
        ModelSpec(
            f"gan-d-{_group}",
            _discriminator(_group),
            "image",
            "logits",
            "generative",
            (1, 28, 28),
            group=None if _group == "z2" else "p4",
            description=f"GAN discriminator (Dey et al. 2021), {_group}, widths ×1/8, spectral "
            f"norm, projection; {_count} params; output: score per class",
        )
    )
