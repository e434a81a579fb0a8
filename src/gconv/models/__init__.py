# SPDX-License-Identifier: MIT
"""The model zoo of the papers, one file per family.

Rotated MNIST (Cohen & Welling, 2016), in ``mnist_rot``: ``Z2CNN``, ``P4CNN``,
``P4CNNRotationPooling``, ``P4MCNN`` and ``P4MCNNCosetPooling``; image ``(B, 1, 28, 28)`` →
logits ``(B, 10)``; each has ``num_parameters()``.

- ``MODELS``: name → class (``"z2cnn"``, ``"p4cnn"``, ``"p4cnn-rp"``, ``"p4mcnn"``,
  ``"p4mcnn-coset"``); ``get_model(name, **kwargs)`` builds one.
- ``CHECKABLE_MODELS``: the entries ``gconv check-equivariance`` offers.
"""

from ._registry import CHECKABLE_MODELS, MODELS, get_model
from .mnist_rot import (
    P4CNN,
    P4MCNN,
    Z2CNN,
    MNISTRotCNN,
    P4CNNRotationPooling,
    P4MCNNCosetPooling,
    SpatialMax,
)

__all__ = [
    "CHECKABLE_MODELS",
    "MODELS",
    "get_model",
    "MNISTRotCNN",
    "P4CNN",
    "P4CNNRotationPooling",
    "P4MCNN",
    "P4MCNNCosetPooling",
    "SpatialMax",
    "Z2CNN",
]
