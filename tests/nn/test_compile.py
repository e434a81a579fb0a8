# SPDX-License-Identifier: MIT
"""torch.compile(fullgraph=True): the planar layers and SO3Conv trace into one graph (backend
``aot_eager``: TorchDynamo + AOTAutograd, eager kernels) and give the eager values, forward
and backward, in training and eval mode; one inductor case (generated C++ kernels)."""

from __future__ import annotations

import copy
import shutil

import pytest
import torch
from torch import nn

from gconv.nn import GroupBatchNorm, GroupConv2d, GroupMaxPool2d, GroupPool, LiftConv2d, SO3Conv

PLANAR = {
    "LiftConv2d": lambda: (LiftConv2d(2, 3, 3, group="p4m", padding=1), (2, 2, 9, 9)),
    "GroupConv2d": lambda: (GroupConv2d(2, 3, 3, group="p4"), (2, 2, 4, 9, 9)),
    "GroupPool": lambda: (GroupPool("max", over="rotations", group="p4m"), (2, 3, 8, 5, 5)),
    "GroupMaxPool2d": lambda: (GroupMaxPool2d(2), (2, 3, 4, 8, 8)),
    "GroupBatchNorm": lambda: (GroupBatchNorm(3), (2, 3, 4, 5, 5)),
}


def _compare(module: nn.Module, shape: tuple[int, ...], training: bool, tol: float,
             backend: str = "aot_eager") -> None:  # fmt: skip
    """A compiled copy against an eager copy, called twice on new float64 inputs: outputs,
    input gradients and buffers (batch-norm running statistics) agree."""
    torch._dynamo.reset()
    eager = module.double().train(training)
    compiled_module = copy.deepcopy(eager)
    compiled = torch.compile(compiled_module, backend=backend, fullgraph=True)
    for _ in range(2):  # the second call runs the cached graph (or recompiles)
        x = torch.randn(*shape, dtype=torch.float64)
        xa, xb = x.clone().requires_grad_(training), x.clone().requires_grad_(training)
        with torch.set_grad_enabled(training):
            want, got = eager(xa), compiled(xb)
        assert got.shape == want.shape
        assert (got - want).norm() <= tol * want.norm()
        if training:
            g = torch.randn_like(want)
            want.backward(g)
            got.backward(g)
            assert (xb.grad - xa.grad).norm() <= tol * xa.grad.norm()
    for (name, a), (_, b) in zip(
        eager.named_buffers(), compiled_module.named_buffers(), strict=True
    ):
        assert (a.double() - b.double()).norm() <= tol * max(a.double().norm(), 1.0), name


def _planar_cases() -> list:
    cases = []
    for name in PLANAR:
        for training in (True, False):
            tag = f"{name}-{'train' if training else 'eval'}"
            cases.append(pytest.param(name, training, id=tag))
    return cases


@pytest.mark.parametrize(("name", "training"), _planar_cases())
def test_planar_layers_compile_fullgraph(name: str, training: bool, tolerance) -> None:
    module, shape = PLANAR[name]()
    # exact: aot_eager runs the very eager kernels on the traced graph
    _compare(module, shape, training, tolerance(torch.float64))


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_so3conv_compiles_fullgraph(training: bool, tolerance) -> None:
    _compare(SO3Conv(2, 3, 4, 4), (2, 2, 8, 8, 8), training, tolerance(torch.float64))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None and shutil.which("c++") is None,
                    reason="inductor on CPU needs a C++ compiler")  # fmt: skip
def test_planar_stack_compiles_with_inductor(tolerance) -> None:
    torch.manual_seed(0)
    stack = nn.Sequential(GroupConv2d(2, 3, 3, group="p4"), nn.ReLU(), GroupPool("max"))
    # close: inductor fuses and reorders the arithmetic (float64 rounding, not the same sums)
    _compare(stack, (2, 2, 4, 8, 8), True, tolerance(torch.float64, "close"), backend="inductor")
