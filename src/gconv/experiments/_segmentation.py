# SPDX-License-Identifier: MIT
"""The ``segmentation`` task: per-pixel classification of spherical images (Gerken et al. 2022).

A model ``(B, C, 2b, 2b) → logits (B, K, 2b, 2b)`` is trained on the per-pixel cross-entropy
(:class:`~gconv.experiments._seg_module.Segmenter`). Its metrics come from confusion matrices
``M[target, prediction]`` summed over the whole epoch (plain pixel counts and, on the SOFT
grid, pixel solid angles Ω_jk ∝ sin β_j), computed once per epoch with
:func:`~gconv.experiments._seg_metrics.metrics_from_confusion`: pixel accuracy, non-background
accuracy, digit recall, mIoU over the 11 classes and over the 10 digit classes, each plain and
area-weighted (suffix ``_area``). Model selection minimises ``val_error`` = 1 − validation mIoU
(11 classes). The first test set's metrics are ``test_<metric>``; further test sets named by the
data module (e.g. ``r``, the rotated one) give ``test_<name>_<metric>``.

This file only registers the task (standard library); the LightningModule lives in
``_seg_module.py`` and is imported when a run builds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._tasks import TaskSpec, register_task

__all__ = ["SEGMENTATION_METRICS", "segmentation_row"]

#: metric names of a segmentation run (each also with the suffix ``_area``)
SEGMENTATION_METRICS = (
    "pixel_accuracy",
    "non_background_accuracy",
    "digit_recall",
    "miou",
    "miou_digits",
)
_RUN_COLUMNS = ("params", "best_epoch", "val_error", "test_n", "wall_s", "images_per_s")


def segmentation_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """CSV columns of a segmentation run: speed, selection, and every ``test_*`` metric of
    every test set (plain and area-weighted)."""
    row = {k: record[k] for k in _RUN_COLUMNS if k in record}
    row.update({k: v for k, v in record.items() if k.startswith("test_") and k not in row})
    return row


SEGMENTATION = register_task(
    TaskSpec(
        "segmentation",
        "gconv.experiments._seg_module:Segmenter",
        "val_error",
        segmentation_row,
        (
            ("test_miou", "test mIoU (%)"),
            ("test_miou_digits", "test mIoU digits (%)"),
            ("test_miou_area", "test mIoU area-w. (%)"),
            ("test_pixel_accuracy", "test pixel acc. (%)"),
            ("test_r_miou", "R test mIoU (%)"),
            ("test_r_miou_area", "R test mIoU area-w. (%)"),
        ),
        description="per-pixel cross-entropy; pixel accuracy, mIoU over 11 / 10 classes, plain "
        "and area-weighted, from epoch-summed confusion matrices",
    )
)
