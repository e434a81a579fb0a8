# SPDX-License-Identifier: MIT
"""The model registry: one :class:`ModelSpec` per name, registered by the file that defines the
model family. ``gconv train``/``study``/``check-equivariance``/``bench``, the harness and the
checker read it; nothing else lists model names.

Kinds (the checker's vocabulary, ``gconv.equivariance``):

- input: ``"image"`` ``(B, C, H, W)``; ``"features"`` on a planar group ``(B, C, |G|, H, W)``;
  ``"s2"`` ``(B, C, 2b, 2b)``; ``"so3"`` ``(B, C, 2b, 2b, 2b)``; ``"ico"`` icosahedral charts.
- output: ``"logits"`` ``(B, K)`` (claimed invariant); ``"pixel-logits"`` (per-point class
  scores on the input's grid, claimed equivariant); ``"image"`` (an output on the input's grid,
  e.g. a generator); and, for the single layers the checker demonstrates (task ``"layer"``),
  ``"features"``, ``"s2"``, ``"so3"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from .._util import Registry, check_choice

__all__ = [
    "INPUT_KINDS",
    "OUTPUT_KINDS",
    "TASKS",
    "ModelSpec",
    "get_model",
    "list_models",
    "model_spec",
    "register_model",
    "register_models",
]

INPUT_KINDS = ("image", "features", "s2", "so3", "ico")
OUTPUT_KINDS = ("logits", "pixel-logits", "image", "features", "s2", "so3")
#: "layer": a single layer or small stack that ``gconv check-equivariance`` demonstrates
TASKS = ("classification", "segmentation", "generative", "layer")


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: ``builder(**{**defaults, **kwargs})`` → ``nn.Module``.

    ``input_shape`` is one sample (no batch axis), e.g. ``(1, 28, 28)`` or ``(1, 60, 60)`` (S²
    at bandwidth 30); ``group`` is the group the model is claimed exact for (``"p4"``,
    ``"p4m"``, ``"so3"``, or None for none). ``defaults`` are the builder arguments that make
    the registered model (the paper's), and name what callers may override: the checker sets
    ``group`` and ``bandwidth`` when they are among them.
    """

    name: str
    builder: Callable[..., nn.Module]
    input_kind: str
    output_kind: str
    task: str
    input_shape: tuple[int, ...]
    group: str | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        where = f"ModelSpec {self.name!r}"
        if not self.name or self.name != self.name.lower():
            raise ValueError(f"ModelSpec: name must be non-empty lower case, got {self.name!r}")
        for arg, value, allowed in (
            ("input_kind", self.input_kind, INPUT_KINDS),
            ("output_kind", self.output_kind, OUTPUT_KINDS),
            ("task", self.task, TASKS),
        ):
            if value not in allowed:
                raise ValueError(f"{where}: {arg} must be one of {allowed}, got {value!r}")
        if not callable(self.builder):
            raise TypeError(f"{where}: builder must be callable, got {self.builder!r}")
        if not all(isinstance(n, int) and n > 0 for n in self.input_shape):
            raise ValueError(f"{where}: input_shape must be positive ints, got {self.input_shape}")

    def build(self, **kwargs: Any) -> nn.Module:
        """The model with ``defaults`` updated by ``kwargs``."""
        return self.builder(**{**self.defaults, **kwargs})

    def arguments(self) -> dict[str, Any] | None:
        """The builder's keyword arguments and the values :meth:`build` gives them (``defaults``
        over the builder's own; ``inspect.Parameter.empty`` where it has none); None when the
        builder takes ``**kwargs`` (any name)."""
        import inspect

        params = inspect.signature(self.builder).parameters.values()
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return None
        own = {p.name: p.default for p in params if p.kind is not p.VAR_POSITIONAL}
        return {**own, **self.defaults}


_REGISTRY: Registry[ModelSpec] = Registry("model", ModelSpec)


def register_model(spec: ModelSpec) -> ModelSpec:
    """Add ``spec`` to the registry; ValueError if its name is taken. Returns ``spec``."""
    return _REGISTRY.register(spec)


def register_models(entries: Iterable[ModelSpec | Mapping[str, Any]]) -> list[ModelSpec]:
    """Register a family: each entry a ``ModelSpec`` or a dict of its fields."""
    return [register_model(e if isinstance(e, ModelSpec) else ModelSpec(**e)) for e in entries]


def model_spec(name: str) -> ModelSpec:
    """The spec registered as ``name`` (case-insensitive); ValueError listing known names."""
    return _REGISTRY.get(name)


def list_models(task: str | None = None) -> list[str]:
    """Registered names in registration order, optionally only those of one ``task``.

    >>> {"z2cnn", "p4cnn", "s2cnn"} <= set(list_models("classification"))
    True
    """
    if task is not None:
        check_choice("list_models", "task", task, TASKS)
    return [n for n, s in _REGISTRY.items() if task is None or s.task == task]


def get_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the model registered as ``name`` (case-insensitive) with constructor ``kwargs``.

    >>> get_model("p4cnn", channels=4).num_parameters()
    5558
    """
    return model_spec(name).build(**kwargs)
