# SPDX-License-Identifier: MIT
"""The task registry: what a run optimises, measures and reports.

A :class:`TaskSpec` names the LightningModule that trains any registered model for the task
(its loss and torchmetrics metrics), the validation metric minimised for model selection, the
columns a run adds to a study's CSV and the metrics its report tabulates. ``classification``
is registered here; segmentation and generative tasks register themselves from their own files.
Importing this module imports no extras (the module class is imported when first built).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._util import Registry

__all__ = ["TaskSpec", "get_task", "list_tasks", "register_task"]


@dataclass(frozen=True)
class TaskSpec:
    """A task.

    - ``module``: ``"package.module:Class"`` of the LightningModule; it is built as
      ``Class(model=…, model_kwargs=…, lr=…, augment=…, seed=…, **module_kwargs)`` and from a
      checkpoint's ``hyper_parameters``; after ``trainer.test`` its ``test_results`` dict holds
      what the run reports.
    - ``monitor``: validation metric logged by the module and minimised (checkpoint selection).
    - ``row(record) → dict``: the run's CSV columns from the record ``train`` returns.
    - ``report``: ``(CSV column, table header)`` of the metrics a study report shows as
      mean ± std in percent.
    """

    name: str
    module: str
    monitor: str
    row: Callable[[Mapping[str, Any]], dict[str, Any]]
    report: tuple[tuple[str, str], ...]
    module_kwargs: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        parts = self.module.partition(":") if isinstance(self.module, str) else ("", "", "")
        mod, colon, cls = parts
        if not (mod and colon and cls):
            raise ValueError(
                f"TaskSpec {self.name!r}: module must be 'package.module:Class', got {self.module!r}"
            )
        if not callable(self.row):
            raise TypeError(
                f"TaskSpec {self.name!r}: row must be callable, got {type(self.row).__name__}"
            )

    def module_class(self) -> type:
        """The LightningModule class (imports the extras)."""
        mod, _, cls = self.module.partition(":")
        return getattr(importlib.import_module(mod), cls)

    def build(self, **hparams: Any) -> Any:
        """A fresh module: ``module_class()(**{module_kwargs, hparams})``; a ValueError naming
        the task, the arguments its module does not take and those it does (e.g. ``--optim``
        options for a task whose module sets its own optimisers)."""
        cls, kwargs = self.module_class(), {**self.module_kwargs, **hparams}
        params = inspect.signature(cls).parameters
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            unknown = sorted(set(kwargs) - set(params))
            if unknown:
                raise ValueError(
                    f"task {self.name!r} ({cls.__name__}) takes no {unknown}; its arguments: "
                    f"{sorted(params)}"
                )
        return cls(**kwargs)


_REGISTRY: Registry[TaskSpec] = Registry("task", TaskSpec)


def register_task(spec: TaskSpec) -> TaskSpec:
    """Add ``spec`` (ValueError if its name is taken); returns it."""
    return _REGISTRY.register(spec)


def get_task(name: str) -> TaskSpec:
    """The task registered as ``name``; ValueError listing known tasks."""
    return _REGISTRY.get(name)


def list_tasks() -> list[str]:
    """Registered task names.

    >>> "classification" in list_tasks()
    True
    """
    return _REGISTRY.names()


#: record keys a classification run writes to the study CSV (besides the run's own fields)
_CLASSIFICATION_COLUMNS = (
    "params", "best_epoch", "val_error", "test_error", "test_n", "wall_s", "images_per_s",
)  # fmt: skip


def classification_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """CSV columns of a classification run: the metrics and speed, and the test error per
    input-angle bin k as ``err_deg_<lower edge in degrees>``."""
    row = {k: record[k] for k in _CLASSIFICATION_COLUMNS if k in record}
    bins = list(record.get("angle_error", []))
    row.update({f"err_deg_{round(k * 360 / len(bins)):03d}": v for k, v in enumerate(bins)})
    row.update({k: v for k, v in record.items() if k.startswith("test_") and k.endswith("_error")})
    return row


register_task(
    TaskSpec(
        "classification",
        "gconv.experiments._module:Classifier",
        "val_error",
        classification_row,
        (("val_error", "val error (%)"), ("test_error", "test error (%)")),
        description="cross-entropy; accuracy (torchmetrics), test error per input-angle bin",
    )
)

from . import _generative as _generative  # noqa: E402  registers "generative"
from . import _segmentation as _segmentation  # noqa: E402  registers "segmentation"
