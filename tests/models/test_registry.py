# SPDX-License-Identifier: MIT
"""The model registry: every registered spec builds a model that takes its declared input and
gives its declared output; registration and look-up errors name what was expected."""

from __future__ import annotations

import inspect

import pytest
import torch

from gconv.models import (
    INPUT_KINDS,
    OUTPUT_KINDS,
    TASKS,
    ModelSpec,
    _registry,
    get_model,
    list_models,
    model_spec,
    register_model,
)


def _output_ok(spec: ModelSpec, x: torch.Tensor, y: torch.Tensor) -> bool:
    """The output's shape fits the declared output kind."""
    b = x.shape[0]
    if spec.output_kind == "logits":
        return y.dim() == 2 and y.shape[0] == b
    if spec.output_kind in ("pixel-logits", "image"):
        return y.shape[0] == b and y.shape[2:] == x.shape[2:]
    if spec.output_kind == "features":
        return y.dim() == 5 and y.shape[2] in (4, 8)
    return y.dim() == 2 + (2 if spec.output_kind == "s2" else 3)


# the spherical MNIST nets run at their registered bandwidth 30 in tests/models/test_frozen.py;
# here every spec is built at its defaults, and those with a bandwidth at a small one
@pytest.mark.parametrize("name", list_models())
def test_every_spec_builds_and_runs_its_declared_kinds(name):
    spec = model_spec(name)
    assert spec.input_kind in INPUT_KINDS and spec.output_kind in OUTPUT_KINDS
    assert spec.task in TASKS and spec.description
    kwargs, shape = {}, spec.input_shape
    if (
        "bandwidth" in spec.defaults and spec.group == "so3"
    ):  # spherical layers: any b, keep it small
        kwargs = {"bandwidth": 6}
        shape = shape[:1] + (12,) * (len(shape) - 1)
    model = spec.build(**kwargs).eval()
    x = torch.randn(2, *shape)
    with torch.no_grad():
        y = model(x)
    assert _output_ok(spec, x, y), (name, tuple(y.shape))


def test_list_models_by_task():
    everything = list_models()
    assert len(everything) == len(set(everything))
    by_task = [n for t in TASKS for n in list_models(t)]
    assert sorted(by_task) == sorted(everything)
    assert {"z2cnn", "p4cnn", "s2cnn"} <= set(list_models("classification"))
    assert "stack" in list_models("layer") and "stack" not in list_models("classification")


def test_defaults_and_overrides():
    from gconv.models import P4CNN  # its counts are derived layer by layer in test_mnist_rot

    assert get_model("p4cnn").num_parameters() == P4CNN().num_parameters() == 24680
    small = get_model("p4cnn", channels=4)
    assert small.num_parameters() == P4CNN(channels=4).num_parameters() < 24680
    stack = model_spec("stack")
    assert stack.defaults == {"group": "p4"}
    assert stack.build(group="p4m")[0].group.order == 8


def test_unknown_and_duplicate_names():
    with pytest.raises(ValueError, match="unknown model 'resnet'; known models: .*z2cnn, p4cnn"):
        model_spec("resnet")
    assert model_spec("P4CNN") is model_spec("p4cnn")
    with pytest.raises(ValueError, match="'p4cnn' is already registered"):
        register_model(model_spec("p4cnn"))
    with pytest.raises(TypeError, match="expects a ModelSpec"):
        register_model("p4cnn")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("input_kind", "graph", "input_kind must be one of"),
        ("output_kind", "boxes", "output_kind must be one of"),
        ("task", "detection", "task must be one of"),
        ("input_shape", (1, 0, 28), "input_shape must be positive ints"),
        ("name", "P4", "lower case"),
    ],
)
def test_bad_specs(field, value, message):
    args = {"name": "tmp", "builder": torch.nn.Identity, "input_kind": "image",
            "output_kind": "image", "task": "generative", "input_shape": (1, 8, 8)}  # fmt: skip
    args[field] = value
    with pytest.raises(ValueError, match=message):
        ModelSpec(**args)


def test_register_then_get(monkeypatch):
    monkeypatch.setattr(_registry, "_REGISTRY", _registry._REGISTRY.copy())
    spec = register_model(
        ModelSpec("tmp-identity", torch.nn.Identity, "image", "image", "generative", (1, 8, 8))
    )
    assert model_spec("tmp-identity") is spec and "tmp-identity" in list_models("generative")
    assert isinstance(get_model("tmp-identity"), torch.nn.Identity)


def test_arguments_are_what_build_gives_the_builder() -> None:
    """``ModelSpec.arguments``: the builder's own defaults under the spec's ``defaults``; None
    for a builder that takes any keyword."""
    from gconv.models import ModelSpec, model_spec

    args = model_spec("ico-cnn").arguments()
    assert args["r"] == 4 and tuple(args["channels"]) == (8, 16, 16, 24, 24, 32, 64)
    assert "num_classes" in args and "width" not in args

    def builder(a: int, b: int = 2) -> torch.nn.Module:
        return torch.nn.Identity()

    spec = ModelSpec("x", builder, "image", "logits", "classification", (1, 4, 4),
                     defaults={"b": 3})  # fmt: skip
    assert spec.arguments() == {"a": inspect.Parameter.empty, "b": 3}
    loose = ModelSpec("y", lambda **kw: torch.nn.Identity(), "image", "logits",
                      "classification", (1, 4, 4))  # fmt: skip
    assert loose.arguments() is None
