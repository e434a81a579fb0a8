# SPDX-License-Identifier: MIT
"""Model registry: names → classes, and the models the equivariance checker can run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from .mnist_rot import P4CNN, P4MCNN, Z2CNN, P4CNNRotationPooling, P4MCNNCosetPooling

__all__ = ["MODELS", "CHECKABLE_MODELS", "get_model"]

#: name → model class (constructor defaults are the paper's)
MODELS: dict[str, Callable[..., nn.Module]] = {
    "z2cnn": Z2CNN,
    "p4cnn": P4CNN,
    "p4cnn-rp": P4CNNRotationPooling,
    "p4mcnn": P4MCNN,
    "p4mcnn-coset": P4MCNNCosetPooling,
}


def get_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the model registered as ``name`` (case-insensitive) with constructor ``kwargs``.

    >>> get_model("p4cnn", channels=4).num_parameters()
    5558
    """
    key = str(name).lower()
    if key not in MODELS:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(MODELS)}")
    return MODELS[key](**kwargs)


def _fixed(cls: Callable[[], nn.Module]) -> Callable[[str], nn.Module]:
    """A checker builder for a model whose group is fixed: the group argument is ignored."""
    return lambda group: cls()


#: name → (builder(group), input kind, output kind, input channels) for
#: ``gconv check-equivariance``. The builders ignore the group: each model fixes its own, and
#: the checker tests the elements of the group given on the command line. The output kind is
#: the claim tested: logits "invariant". It holds for p4cnn, p4cnn-rp and p4mcnn-coset on p4,
#: for p4mcnn on p4 and p4m; p4mcnn-coset fails on p4m's mirrors and z2cnn fails everywhere,
#: by design — the checker then shows by how much.
CHECKABLE_MODELS: dict[str, tuple[Callable[[str], nn.Module], str, str, int]] = {
    name: (_fixed(cls), "image", "invariant", 1) for name, cls in MODELS.items()
}
