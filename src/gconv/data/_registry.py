# SPDX-License-Identifier: MIT
"""The dataset registry: every data set a model can be trained or tested on, by name.

A data set registers a :class:`DataSpec` once, in its own file (``register_dataset`` at import
time); ``gconv data``, the training harness and the studies read the registry and list no names
by hand. Original files (checksums, mirrors) stay in ``DATASETS`` (``_checksums.py``); a
registered data set names the original data sets it is built from in ``sources``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from .._util import Registry, check_choice

__all__ = [
    "DataSpec",
    "dataset_spec",
    "get_dataset",
    "list_datasets",
    "register_dataset",
]

INPUT_KINDS = ("image", "s2", "so3", "ico")
TASKS = ("classification", "segmentation", "generative")


@dataclass(frozen=True)
class DataSpec:
    """A registered data set.

    ``factory(split, root=None, **kwargs)`` returns a torch ``Dataset`` of one split; ``root``
    replaces ``$GCONV_DATA`` for the original files. The harness reads ``.images`` (uint8 or
    float, ``(N, H, W)`` or ``(N, C, …)``), ``.labels`` and, where present, ``.angles`` (the
    rotation applied to each sample) from it. ``sample_shape`` is one model input, e.g.
    ``(1, 28, 28)``; ``cache_files()`` lists the derived files in the cache now and
    ``verify_cache(path)`` raises ``CorruptFileError`` for a bad one (both None for data sets
    read straight from their original files). ``split_sizes`` gives each split's number of
    samples where it is fixed (a report counts the samples of a run on a whole split from it).
    """

    name: str
    factory: Callable[..., Dataset]
    input_kind: str
    task: str
    sample_shape: tuple[int, ...]
    num_classes: int | None = None
    splits: tuple[str, ...] = ("train", "valid", "test")
    sources: tuple[str, ...] = ()
    cache_files: Callable[[], list[Path]] | None = None
    verify_cache: Callable[[Path], None] | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    split_sizes: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.lower():
            raise ValueError(f"DataSpec: name must be non-empty lower case, got {self.name!r}")
        if self.input_kind not in INPUT_KINDS:
            raise ValueError(
                f"DataSpec {self.name!r}: input_kind must be one of {INPUT_KINDS}, "
                f"got {self.input_kind!r}"
            )
        if self.task not in TASKS:
            raise ValueError(
                f"DataSpec {self.name!r}: task must be one of {TASKS}, got {self.task!r}"
            )


_REGISTRY: Registry[DataSpec] = Registry("dataset", DataSpec)


def register_dataset(spec: DataSpec) -> DataSpec:
    """Add ``spec`` to the registry (ValueError if its name is taken); returns it."""
    return _REGISTRY.register(spec)


def dataset_spec(name: str) -> DataSpec:
    """The spec registered as ``name`` (case-insensitive); ValueError listing known names."""
    return _REGISTRY.get(name)


def list_datasets(task: str | None = None, input_kind: str | None = None) -> list[str]:
    """Registered names in registration order, optionally only one task / input kind."""
    if task is not None:
        check_choice("list_datasets", "task", task, TASKS)
    if input_kind is not None:
        check_choice("list_datasets", "input_kind", input_kind, INPUT_KINDS)
    return [
        n
        for n, s in _REGISTRY.items()
        if (task is None or s.task == task) and (input_kind is None or s.input_kind == input_kind)
    ]


def get_dataset(name: str, split: str, root: Any = None, **kwargs: Any) -> Dataset:
    """Split ``split`` of the data set ``name``: ``factory(split, root, **{defaults, kwargs})``."""
    spec = dataset_spec(name)
    if split not in spec.splits:
        raise ValueError(
            f"dataset {spec.name!r}: split must be one of {spec.splits}, got {split!r}"
        )
    return spec.factory(split, root, **{**spec.defaults, **kwargs})
