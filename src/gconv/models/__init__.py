# SPDX-License-Identifier: MIT
"""The model zoo: one file per family, each registering its models by name.

Registry (``_registry.py``): ``ModelSpec`` (name, builder, input/output kind, task, input
shape, exact group, defaults, description), ``register_model``, ``model_spec``,
``list_models(task=None)``, ``get_model(name, **kwargs)``. The CLI, the training harness and the
checker read it. Adding a model family = a new file here that calls ``register_model``, and one
import line below.

- ``mnist_rot``: rotated MNIST (Cohen & Welling, 2016) — ``z2cnn`` (``Z2CNN``), ``p4cnn``
  (``P4CNN``), ``p4cnn-rp`` (``P4CNNRotationPooling``), ``p4mcnn`` (``P4MCNN``),
  ``p4mcnn-coset`` (``P4MCNNCosetPooling``): image ``(B, 1, 28, 28)`` → logits ``(B, 10)``.
- ``steerable_mnist``: rotated MNIST with steerable layers (Weiler & Cesa 2019 style, widths
  scaled) — ``c8cnn``, ``c16cnn``, ``d16c16cnn``.
- ``spherical``: spherical MNIST (Cohen et al., 2018) — ``s2cnn``, ``s2cnn-72`` (``S2CNN``):
  S² ``(B, 1, 60, 60)`` → logits ``(B, 10)``.
- ``spherical_deep``: ``s2cnn-deep`` (``S2CNNDeep``, 156,882; s2cnn's deep MNIST net) and
  ``s2cnn-seg`` (``S2CNNSeg``, 204,073; Gerken et al.'s segmentation S2CNN, b = 50, with the
  SO(3)-kernel output layer ``SO3SumToS2Conv``).
- ``spherical_cnn``: planar baselines on the ``[β, α]`` image — ``cnn`` (68,106), ``cnn-200k``,
  ``cnn-1m``, ``cnn-5m`` (``SphereImageCNN``); Gerken et al.'s segmentation CNNs
  ``cnn-seg-218k``, ``cnn-seg-1m``, ``cnn-seg-5.5m`` (``EncoderDecoderCNN``).
- ``cifar``: CIFAR-10 (Cohen & Welling 2016, Table 2) — ``allcnnc-z2``, ``allcnnc-p4``,
  ``allcnnc-p4m`` (``AllCNNC``), ``resnet44-z2``, ``resnet44-p4m`` (``ResNet``), and ``-exact``
  variants of the group models (stride 1 + 2×2 average pooling: exact on 32×32).
- ``icosahedral``: gauge-equivariant CNNs on the r = 4 icosahedral grid (Cohen et al. 2019) —
  ``ico-cnn`` (182,218), ``ico-cnn-seg`` (95,491), ``ico-cnn-seg-deep`` (227,467: a fourth
  level, r = 4 → 1) and ``ico-cnn-nogauge`` (the ablation without gauge changes in the
  padding, for the checker's contrast): vertices ``(B, 1, 2562)``.
- ``gan``: GAN discriminators for 28×28 digits (Dey et al. 2021, widths ×1/8) — ``gan-d-z2``
  (75,185) and ``gan-d-p4`` (74,585; exactly invariant to C4), ``GanDiscriminator``: image →
  projection score per class ``(B, 10)``; ``ConditionalGenerator`` (not registered: its input
  is a latent vector and a label, not one of the registry's input kinds).
- ``demo``: what ``gconv demo`` and ``gconv check-equivariance`` show (task ``"layer"``):
  ``stack`` (``demo_stack``), ``lift``, ``group-conv``, ``s2conv``, ``so3conv``, ``so3tos2``.
- ``ShapeError``: the ``ValueError`` for tensors of the wrong shape.
"""

from .._util import ShapeError
from ._registry import (
    INPUT_KINDS,
    OUTPUT_KINDS,
    TASKS,
    ModelSpec,
    get_model,
    list_models,
    model_spec,
    register_model,
    register_models,
)
from .cifar import AllCNNC, AvgPool2x2, PreActBlock, ResNet
from .gan import ConditionalGenerator, GanDiscriminator
from .icosahedral import IcoCNN, IcoCNNSeg
from .mnist_rot import (
    P4CNN,
    P4MCNN,
    Z2CNN,
    MNISTRotCNN,
    P4CNNRotationPooling,
    P4MCNNCosetPooling,
    SpatialMax,
)
from .spherical import S2CNN
from .spherical_cnn import EncoderDecoderCNN, SphereImageCNN
from .spherical_deep import S2CNNDeep, S2CNNSeg, SphericalStack
from .steerable_mnist import C8CNN, C16CNN, D16C16CNN, SteerableMNIST

from .demo import demo_stack  # isort: skip - after the model families: "layer" entries last

__all__ = [
    "INPUT_KINDS",
    "OUTPUT_KINDS",
    "TASKS",
    "MNISTRotCNN",
    "ModelSpec",
    "P4CNN",
    "P4CNNRotationPooling",
    "P4MCNN",
    "P4MCNNCosetPooling",
    "S2CNN",
    "S2CNNDeep",
    "S2CNNSeg",
    "SphericalStack",
    "IcoCNN",
    "IcoCNNSeg",
    "C8CNN",
    "C16CNN",
    "D16C16CNN",
    "SteerableMNIST",
    "AllCNNC",
    "AvgPool2x2",
    "PreActBlock",
    "ResNet",
    "EncoderDecoderCNN",
    "SphereImageCNN",
    "ConditionalGenerator",
    "GanDiscriminator",
    "ShapeError",
    "SpatialMax",
    "Z2CNN",
    "demo_stack",
    "get_model",
    "list_models",
    "model_spec",
    "register_model",
    "register_models",
]
