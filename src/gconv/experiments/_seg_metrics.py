# SPDX-License-Identifier: MIT
"""Segmentation metrics on spherical images, from one confusion matrix, plain or area-weighted.

Pixels of a ``(2b, 2b)`` SOFT grid (``[β, α]``, ``β_j = π(2j+1)/(4b)``, ``α_k = 2πk/(2b)``) are
not equal in area: pixel ``[j, k]`` stands for the cell ``β ∈ [β_j − π/(4b), β_j + π/(4b)]``,
``α ∈ [α_k, α_k + π/b]``, whose solid angle is

.. math:: Ω_{jk} = (π/b)\\,(\\cos(β_j − π/(4b)) − \\cos(β_j + π/(4b))) = (2π/b)\\,\\sin(π/(4b))\\,\\sin β_j

(proportional to sin β_j; the cells tile the sphere, Σ Ω = 4π). Area weighting counts each
pixel with weight Ω_jk, so a ring near a pole counts for little and the equator for most.

The confusion matrix ``M`` is ``(C, C)`` indexed ``[target, prediction]`` (torchmetrics'
order; Gerken et al.'s ``evaluate.py`` uses the transpose, which changes none of the metrics):
``M[t, p]`` counts (or, weighted, sums the weights of) the pixels of class t predicted as p.
Matrices of several batches add up; compute the metrics once, from the sum. From ``M``
(class 0 = background, 1..10 = digit + 1):

- ``pixel_accuracy`` = tr M / ΣM;
- ``non_background_accuracy`` = tr M' / ΣM' with M' = M[1:, 1:] — Gerken et al.'s
  ``non_bkgd_accuracy``: among pixels whose target *and* prediction are digits, the fraction
  with the right digit;
- ``digit_recall`` = Σ_{c≥1} M[c, c] / Σ_{c≥1} Σ_p M[c, p]: among pixels whose target is a digit,
  the fraction labelled right (a digit pixel called background counts as wrong);
- ``IoU_c = M[c, c] / (Σ_p M[c, p] + Σ_t M[t, c] − M[c, c])``; ``miou`` its mean over all
  classes, ``miou_digits`` over classes 1..10. A class absent from both target and prediction
  (union 0) has no IoU and is left out of the means (Gerken's code would return NaN).

:func:`segmentation_metrics` returns each metric plain and with the suffix ``_area``.

>>> target = torch.tensor([[[0, 1], [1, 2]]])
>>> preds = torch.tensor([[[0, 0], [1, 1]]])
>>> m = confusion_matrix(preds, target, num_classes=3)
>>> m.tolist()
[[1, 0, 0], [1, 1, 0], [0, 1, 0]]
>>> scores = metrics_from_confusion(m)
>>> scores["pixel_accuracy"], round(scores["miou"], 4), round(scores["miou_digits"], 4)
(0.5, 0.2778, 0.1667)
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "METRICS",
    "confusion_matrix",
    "iou_per_class",
    "metrics_from_confusion",
    "pixel_solid_angles",
    "area_element",
    "segmentation_metrics",
    "vertex_solid_angles",
]

#: the metrics of :func:`metrics_from_confusion`, in report order
METRICS = (
    "pixel_accuracy",
    "non_background_accuracy",
    "digit_recall",
    "miou",
    "miou_digits",
)


def pixel_solid_angles(
    b: int, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
) -> torch.Tensor:
    """Solid angle Ω_jk of each pixel of the ``(2b, 2b)`` SOFT grid (module doc); sums to 4π.

    >>> om = pixel_solid_angles(4)
    >>> om.shape, round(float(om.sum()) / math.pi, 12)
    (torch.Size([8, 8]), 4.0)
    """
    from ..groups import s2_grid

    beta, _ = s2_grid(b)  # validates b
    ring = (2 * math.pi / b) * math.sin(math.pi / (4 * b)) * torch.sin(beta)
    return ring[:, None].expand(2 * b, 2 * b).to(dtype=dtype, device=device).contiguous()


def vertex_solid_angles(
    num_vertices: int, dtype: torch.dtype = torch.float64, device: torch.device | str | None = None
) -> torch.Tensor:
    """Solid angle of each vertex of ``IcoGrid(r)`` with ``num_vertices = 10·4^r + 2`` (its
    spherical Voronoi cell, :attr:`gconv.groups.IcoGrid.vertex_areas`); sums to 4π.

    >>> om = vertex_solid_angles(42)  # r = 1
    >>> om.shape, round(float(om.sum()) / math.pi, 12)
    (torch.Size([42]), 4.0)
    """
    from ..groups import IcoGrid

    r = round(math.log((num_vertices - 2) / 10, 4)) if num_vertices > 2 else -1
    if r < 0 or 10 * 4**r + 2 != num_vertices:
        raise ValueError(
            f"vertex data must have 10·4^r + 2 vertices (12, 42, 162, 642, 2562, …), "
            f"got {num_vertices}"
        )
    return torch.as_tensor(IcoGrid(r).vertex_areas.copy(), dtype=dtype, device=device)


def area_element(target: torch.Tensor) -> torch.Tensor | None:
    """The solid angle of each point of ``target``'s grid: :func:`pixel_solid_angles` for
    ``(B, 2b, 2b)`` SOFT-grid labels, :func:`vertex_solid_angles` for ``(B, V)`` icosahedral
    vertex labels; None for other shapes (no area-weighted metrics)."""
    if target.dim() == 3 and target.shape[1] == target.shape[2] and target.shape[1] % 2 == 0:
        return pixel_solid_angles(target.shape[1] // 2, device=target.device)
    if target.dim() == 2:
        return vertex_solid_angles(target.shape[1], device=target.device)
    return None


def _labels(preds: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Predicted labels shaped like ``target``: argmax over dim 1 of logits, or labels as given."""
    if not torch.is_tensor(preds) or not torch.is_tensor(target):
        raise TypeError(
            f"preds and target must be tensors, got {type(preds).__name__}, {type(target).__name__}"
        )
    if target.dtype.is_floating_point or target.dtype.is_complex:
        raise TypeError(f"target must hold integer labels, got dtype {target.dtype}")
    if preds.dtype.is_floating_point:
        if preds.dim() != target.dim() + 1 or preds.shape[1] != num_classes:
            raise ValueError(
                f"logits must be (B, {num_classes}, ...) for a target {tuple(target.shape)}, "
                f"got {tuple(preds.shape)}"
            )
        preds = preds.argmax(1)
    if preds.shape != target.shape:
        raise ValueError(
            f"preds {tuple(preds.shape)} and target {tuple(target.shape)} differ in shape"
        )
    for name, t in (("target", target), ("preds", preds)):
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= num_classes):
            raise ValueError(
                f"{name} labels must lie in 0..{num_classes - 1}, got {int(t.min())}..{int(t.max())}"
            )
    return preds


def confusion_matrix(
    preds: torch.Tensor,
    target: torch.Tensor,
    num_classes: int = 11,
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """``(C, C)`` matrix ``M[target, prediction]`` over all pixels of a batch.

    ``preds``: labels shaped like ``target`` (e.g. ``(B, H, W)``) or logits ``(B, C, H, W)``;
    ``target``: integer labels. Unweighted: pixel counts (int64) from torchmetrics'
    ``multiclass_confusion_matrix``. With ``weight`` (broadcastable to ``target``, e.g. the
    ``(H, W)`` of :func:`pixel_solid_angles`): the sums of the weights, float64 (torchmetrics
    takes no sample weights, so this is a weighted ``bincount``).
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an int ≥ 2, got {num_classes!r}")
    labels = _labels(preds, target, num_classes).long()
    target = target.long()
    if weight is None:
        from torchmetrics.functional.classification import multiclass_confusion_matrix

        return multiclass_confusion_matrix(
            labels.reshape(-1), target.reshape(-1), num_classes, validate_args=False
        )
    try:
        w = torch.broadcast_to(torch.as_tensor(weight, device=target.device), target.shape)
    except RuntimeError as err:
        raise ValueError(
            f"weight {tuple(torch.as_tensor(weight).shape)} does not broadcast to the target "
            f"{tuple(target.shape)}"
        ) from err
    index = (target * num_classes + labels).reshape(-1)
    sums = torch.bincount(index, weights=w.reshape(-1).double(), minlength=num_classes**2)
    return sums.reshape(num_classes, num_classes)


def iou_per_class(matrix: torch.Tensor) -> torch.Tensor:
    """``IoU_c`` (float64, ``(C,)``) from a confusion matrix; NaN where the union is 0."""
    m = _check_matrix(matrix)
    inter = m.diagonal()
    union = m.sum(0) + m.sum(1) - inter
    return torch.where(union > 0, inter / union.clamp_min(1e-300), torch.nan)


def metrics_from_confusion(matrix: torch.Tensor, background: int = 0) -> dict[str, float]:
    """The metrics of :data:`METRICS` (fractions in [0, 1]) from ``M[target, prediction]``.

    A ratio whose denominator is 0 (e.g. no digit pixel at all) is NaN.
    """
    m = _check_matrix(matrix)
    c = m.shape[0]
    if isinstance(background, bool) or not isinstance(background, int) or not 0 <= background < c:
        raise ValueError(f"background must be a class index in 0..{c - 1}, got {background!r}")
    fg = torch.tensor([i != background for i in range(c)])
    diag = m.diagonal()
    iou = iou_per_class(m)
    return {
        "pixel_accuracy": _ratio(diag.sum(), m.sum()),
        "non_background_accuracy": _ratio(diag[fg].sum(), m[fg][:, fg].sum()),
        "digit_recall": _ratio(diag[fg].sum(), m[fg].sum()),
        "miou": _nanmean(iou),
        "miou_digits": _nanmean(iou[fg]),
    }


def segmentation_metrics(
    preds: torch.Tensor, target: torch.Tensor, num_classes: int = 11, background: int = 0
) -> dict[str, float]:
    """Every metric of one batch, plain and area-weighted (suffix ``_area``).

    ``target``: ``(B, 2b, 2b)`` labels on the ``[β, α]`` SOFT grid or ``(B, V)`` labels on the
    vertices of ``IcoGrid(r)``; ``preds``: labels of that shape or logits ``(B, C, …)``. For a whole test set, add the batches' confusion matrices
    (:func:`confusion_matrix` with and without ``weight=pixel_solid_angles(b)``) and call
    :func:`metrics_from_confusion` on each sum instead.
    """
    area = area_element(target) if torch.is_tensor(target) else None
    if area is None:
        raise ValueError(
            "target must be (B, 2b, 2b) labels on a SOFT grid or (B, 10·4^r + 2) labels on "
            f"icosahedral vertices, got {tuple(getattr(target, 'shape', ())) or target!r}"
        )
    plain = metrics_from_confusion(confusion_matrix(preds, target, num_classes), background)
    weighted = metrics_from_confusion(
        confusion_matrix(preds, target, num_classes, area), background
    )
    return plain | {f"{k}_area": v for k, v in weighted.items()}


def _check_matrix(matrix: torch.Tensor) -> torch.Tensor:
    if not torch.is_tensor(matrix) or matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(
            f"expected a square (C, C) confusion matrix, got {getattr(matrix, 'shape', matrix)}"
        )
    return matrix.double()


def _ratio(num: torch.Tensor, den: torch.Tensor) -> float:
    return float(num / den) if float(den) > 0 else math.nan


def _nanmean(values: torch.Tensor) -> float:
    kept = values[~values.isnan()]
    return float(kept.mean()) if kept.numel() else math.nan
