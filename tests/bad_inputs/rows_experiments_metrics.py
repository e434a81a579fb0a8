# SPDX-License-Identifier: MIT
"""Bad inputs for the metrics of ``gconv.experiments``: segmentation metrics and solid angles,
the GAN and its Fréchet scores (the rest: ``rows_experiments.py``)."""

from __future__ import annotations

import torch
from _bad_row import Row, floats

from gconv import experiments as x

PACKAGE = "gconv.experiments"


def _long(*values: int) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.long)


ROWS = [
    Row(
        "confusion_matrix",
        lambda: x.confusion_matrix(_long(0, 1, 2), _long(0, 1)),
        ValueError,
        r"preds \(3,\) and target \(2,\) differ in shape",
    ),
    Row(
        "iou_per_class",
        lambda: x.iou_per_class(torch.zeros(3, 4)),
        ValueError,
        r"expected a square \(C, C\) confusion matrix, got torch.Size\(\[3, 4\]\)",
    ),
    Row(
        "metrics_from_confusion",
        lambda: x.metrics_from_confusion(torch.zeros(2, 3)),
        ValueError,
        r"expected a square \(C, C\) confusion matrix, got torch.Size\(\[2, 3\]\)",
    ),
    Row(
        "pixel_solid_angles",
        lambda: x.pixel_solid_angles(0),
        ValueError,
        r"b must be a positive int, got 0",
    ),
    Row(
        "vertex_solid_angles",
        lambda: x.vertex_solid_angles(100),
        ValueError,
        r"vertex data must have 10·4\^r \+ 2 vertices \(12, 42, 162, 642, 2562, …\), got 100",
    ),
    Row(
        "area_element",
        lambda: x.area_element(_long(0, 1, 2, 3, 4, 5).reshape(1, 6)),
        ValueError,
        r"vertex data must have 10·4\^r \+ 2 vertices .*got 6",
    ),
    Row(
        "segmentation_metrics",
        lambda: x.segmentation_metrics(_long(0, 1, 2), _long(0, 1, 2, 3)),
        ValueError,
        r"target must be \(B, 2b, 2b\) labels on a SOFT grid or \(B, 10·4\^r \+ 2\) labels on "
        r"icosahedral vertices, got \(4,\)",
    ),
    Row(
        "GAN",
        lambda: x.GAN(lr=0.0),
        ValueError,
        r"lr \(the discriminator's\) must be a positive number, got 0.0",
    ),
    Row(
        "GAN",
        lambda: x.GAN(model_kwargs={"beta1": -0.5}),
        ValueError,
        r"beta1 must be in \[0, 1\), got -0.5",
    ),
    Row(
        "frechet_distance",
        lambda: x.frechet_distance(floats(5, 3), floats(5, 4)),
        ValueError,
        r"same feature size, got 3 and 4",
    ),
    Row(
        "frechet_distance",
        lambda: x.frechet_distance([[1.0]], floats(5, 3)),
        TypeError,
        r"a must be a tensor or array, got <class 'list'>",
    ),
    Row(
        "frechet_distance",
        lambda: x.frechet_distance(floats(1, 3), floats(5, 3)),
        ValueError,
        r"a must be \(N ≥ 2, D\), got \(1, 3\)",
    ),
    Row(
        "load_scorer",
        lambda: x.load_scorer(epochs=0),
        ValueError,
        r"epochs must be a positive int, got 0",
    ),
    Row(
        "scorer_features",
        lambda: x.scorer_features(torch.nn.Identity(), floats(2, 1, 28, 28)),
        TypeError,
        r"expected a Z2CNN scorer, got Identity",
    ),
    Row(
        "sample_grid",
        lambda: x.sample_grid(floats(6, 28, 28), 2, "g.png"),
        ValueError,
        r"expected images \(N, 1, H, W\), got \(6, 28, 28\)",
    ),
    Row(
        "sample_grid",
        lambda: x.sample_grid(floats(6, 1, 28, 28), 4, "g.png"),
        ValueError,
        r"rows must be a positive int dividing N = 6, got 4",
    ),
]
