# SPDX-License-Identifier: MIT
"""Export a whole planar model to plain PyTorch modules.

``export_model(model)`` returns a copy of ``model`` in which every submodule that has an
``export()`` method (``LiftConv2d``, ``GroupConv2d``: flatten the group axis, one
``nn.Conv2d`` with the expanded filter bank, unflatten) is replaced by what that method
returns; every other module is kept (deep-copied). The copy computes the same function — the
exported convolution holds the very filter bank the layer builds at each call — and keeps the
model's training/eval mode. It runs without gconv's filter expansion, so ``torch.onnx.export``,
``torch.jit`` and other tools that know only torch's modules see plain convolutions.
"""

from __future__ import annotations

import copy

from torch import nn

__all__ = ["export_model"]


def _exported(module: nn.Module) -> nn.Module | None:
    """``module.export()`` in ``module``'s training mode, or None where it has no ``export()``."""
    export = getattr(module, "export", None)
    return export().train(module.training) if callable(export) else None


def export_model(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with every submodule that has ``.export()`` replaced by its export
    (the model itself too, when it has one); ``model`` is left untouched.

    >>> import torch
    >>> from gconv.nn import GroupConv2d, GroupPool, LiftConv2d
    >>> net = nn.Sequential(LiftConv2d(1, 2, 3), GroupConv2d(2, 2, 3), GroupPool("max"))
    >>> plain = export_model(net)
    >>> [type(m).__name__ for m in plain]
    ['ExportedGroupConv', 'ExportedGroupConv', 'GroupPool']
    >>> x = torch.randn(1, 1, 9, 9)
    >>> torch.allclose(plain(x), net(x), atol=1e-6)
    True
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"export_model expects a torch.nn.Module, got {type(model).__name__}")
    exported = _exported(model)
    if exported is not None:
        return exported
    out = copy.deepcopy(model)
    _replace_children(out)
    return out


def _replace_children(module: nn.Module) -> None:
    for name, child in module.named_children():
        exported = _exported(child)
        if exported is not None:
            setattr(module, name, exported)
        else:
            _replace_children(child)
