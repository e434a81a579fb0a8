# SPDX-License-Identifier: MIT
"""Segmentation metrics against hand-computed cases, torchmetrics, and the sphere's areas."""

from __future__ import annotations

import math

import pytest
import torch

pytest.importorskip("torchmetrics")

from torchmetrics.functional.classification import (  # noqa: E402
    multiclass_accuracy,
    multiclass_jaccard_index,
)

from gconv.experiments import (  # noqa: E402
    METRICS,
    confusion_matrix,
    iou_per_class,
    metrics_from_confusion,
    pixel_solid_angles,
    segmentation_metrics,
    vertex_solid_angles,
)

# one 2×2 image, 3 classes (0 background, 1 and 2 digits)
TARGET = torch.tensor([[[0, 1], [1, 2]]])
PREDS = torch.tensor([[[0, 0], [1, 1]]])
WEIGHT = torch.tensor([[1.0, 2.0], [3.0, 4.0]])


def test_hand_computed_counts() -> None:
    m = confusion_matrix(PREDS, TARGET, num_classes=3)
    # pixels (t, p): (0,0), (1,0), (1,1), (2,1)
    assert m.tolist() == [[1, 0, 0], [1, 1, 0], [0, 1, 0]]
    s = metrics_from_confusion(m)
    assert s["pixel_accuracy"] == pytest.approx(2 / 4)
    # target and prediction both digits: (1,1) right, (2,1) wrong
    assert s["non_background_accuracy"] == pytest.approx(1 / 2)
    # target digits: 3 pixels, 1 right
    assert s["digit_recall"] == pytest.approx(1 / 3)
    # IoU: class 0 1/(1+2−1), class 1 1/(2+2−1), class 2 0/(1+0−0)
    assert iou_per_class(m).tolist() == pytest.approx([1 / 2, 1 / 3, 0.0])
    assert s["miou"] == pytest.approx((1 / 2 + 1 / 3) / 3)
    assert s["miou_digits"] == pytest.approx((1 / 3) / 2)


def test_hand_computed_weights() -> None:
    m = confusion_matrix(PREDS, TARGET, num_classes=3, weight=WEIGHT)
    assert m.dtype == torch.float64
    assert m.tolist() == [[1.0, 0.0, 0.0], [2.0, 3.0, 0.0], [0.0, 4.0, 0.0]]
    s = metrics_from_confusion(m)
    assert s["pixel_accuracy"] == pytest.approx(4 / 10)
    assert s["non_background_accuracy"] == pytest.approx(3 / 7)
    assert s["digit_recall"] == pytest.approx(3 / 9)
    # IoU: class 0 1/(1+3−1), class 1 3/(5+7−3), class 2 0/4
    assert s["miou"] == pytest.approx((1 / 3 + 1 / 3) / 3)
    assert s["miou_digits"] == pytest.approx((1 / 3) / 2)


def test_absent_class_is_left_out_of_the_means() -> None:
    # class 3 appears in neither target nor prediction: no IoU, not a zero
    m = confusion_matrix(PREDS, TARGET, num_classes=4)
    assert math.isnan(iou_per_class(m)[3])
    s = metrics_from_confusion(m)
    assert s["miou"] == pytest.approx((1 / 2 + 1 / 3) / 3)
    assert s["miou_digits"] == pytest.approx((1 / 3) / 2)


def test_no_digit_pixel_gives_nan_not_a_number() -> None:
    zeros = torch.zeros(1, 2, 2, dtype=torch.long)
    s = metrics_from_confusion(confusion_matrix(zeros, zeros, num_classes=3))
    assert s["pixel_accuracy"] == 1.0 and s["miou"] == 1.0
    assert math.isnan(s["digit_recall"]) and math.isnan(s["miou_digits"])


def test_logits_equal_their_argmax_and_batches_add_up() -> None:
    logits = torch.randn(5, 11, 8, 8)
    target = torch.randint(0, 11, (5, 8, 8))
    whole = confusion_matrix(logits, target)
    assert torch.equal(whole, confusion_matrix(logits.argmax(1), target))
    parts = confusion_matrix(logits[:2], target[:2]) + confusion_matrix(logits[2:], target[2:])
    assert torch.equal(whole, parts)
    assert int(whole.sum()) == target.numel()


def test_agrees_with_torchmetrics_when_every_class_occurs() -> None:
    target = torch.randint(0, 11, (4, 10, 10))
    preds = torch.where(torch.rand(4, 10, 10) < 0.6, target, torch.randint(0, 11, (4, 10, 10)))
    assert set(target.unique().tolist()) == set(range(11))
    assert set(preds.unique().tolist()) == set(range(11))
    s = metrics_from_confusion(confusion_matrix(preds, target))
    acc = multiclass_accuracy(preds.flatten(), target.flatten(), 11, average="micro")
    miou = multiclass_jaccard_index(preds.flatten(), target.flatten(), 11, average="macro")
    assert s["pixel_accuracy"] == pytest.approx(float(acc), abs=1e-6)
    assert s["miou"] == pytest.approx(float(miou), abs=1e-6)


def test_equal_weights_change_nothing() -> None:
    target = torch.randint(0, 11, (3, 6, 6))
    preds = torch.randint(0, 11, (3, 6, 6))
    plain = metrics_from_confusion(confusion_matrix(preds, target))
    scaled = confusion_matrix(preds, target, weight=torch.full((6, 6), 0.37))
    for key, value in metrics_from_confusion(scaled).items():
        assert value == pytest.approx(plain[key], rel=1e-12, nan_ok=True)


@pytest.mark.parametrize("b", [1, 4, 30, 50])
def test_solid_angles_tile_the_sphere(b: int) -> None:
    om = pixel_solid_angles(b)
    assert om.shape == (2 * b, 2 * b) and (om > 0).all()
    assert float(om.sum()) == pytest.approx(4 * math.pi, rel=1e-13)
    # ring j is the zone between the cones at β_j ± π/(4b): 2π (cos β_lo − cos β_hi)
    j = torch.arange(2 * b, dtype=torch.float64)
    lo, hi = math.pi * j / (2 * b), math.pi * (j + 1) / (2 * b)
    zone = 2 * math.pi * (torch.cos(lo) - torch.cos(hi))
    assert torch.allclose(om.sum(1), zone, rtol=1e-13, atol=0)
    assert torch.equal(om[:, :1].expand_as(om), om)  # same area along α


def test_area_weighting_discounts_a_polar_ring() -> None:
    # b = 4: every pixel background, the ring at the north pole (j = 0) wrongly labelled 1.
    # Plain: 8 of 64 wrong. By area: the cap β < π/8 is (1 − cos(π/8))/2 = sin²(π/16) of 4π.
    target = torch.zeros(1, 8, 8, dtype=torch.long)
    preds = target.clone()
    preds[0, 0] = 1
    s = segmentation_metrics(preds, target, num_classes=3)
    assert s["pixel_accuracy"] == pytest.approx(1 - 8 / 64)
    assert s["pixel_accuracy_area"] == pytest.approx(1 - math.sin(math.pi / 16) ** 2, rel=1e-12)
    # IoU_0 = 56/64; IoU_1 = 0/8 counts (predicted, never a target); class 2 absent: left out
    assert s["miou"] == pytest.approx((56 / 64 + 0.0) / 2)
    assert s["miou_digits"] == 0.0
    assert set(s) == set(METRICS) | {f"{k}_area" for k in METRICS}


def test_area_weighting_on_the_equator_counts_more() -> None:
    # the same single wrong ring, at the equator (j = b − 1) instead: the area share is larger
    target = torch.zeros(1, 8, 8, dtype=torch.long)
    preds = target.clone()
    preds[0, 3] = 1
    s = segmentation_metrics(preds, target, num_classes=3)
    share = float(pixel_solid_angles(4)[3].sum()) / (4 * math.pi)
    assert s["pixel_accuracy_area"] == pytest.approx(1 - share, rel=1e-12)
    assert share > 8 / 64


@pytest.mark.parametrize(
    ("preds", "target", "error", "match"),
    [
        (torch.zeros(1, 2, 3, dtype=torch.long), TARGET, ValueError, "differ in shape"),
        (torch.full((1, 2, 2), 3), TARGET, ValueError, r"preds labels must lie in 0\.\.2"),
        (PREDS, TARGET.float(), TypeError, "integer labels"),
        (torch.randn(1, 4, 2, 2), TARGET, ValueError, r"logits must be \(B, 3"),
    ],
)
def test_bad_inputs(preds, target, error, match) -> None:
    with pytest.raises(error, match=match):
        confusion_matrix(preds, target, num_classes=3)


def test_bad_weight_and_grid() -> None:
    with pytest.raises(ValueError, match="does not broadcast"):
        confusion_matrix(PREDS, TARGET, num_classes=3, weight=torch.ones(3))
    with pytest.raises(ValueError, match=r"\(B, 2b, 2b\) labels on a SOFT grid.*got \(1, 4, 6\)"):
        segmentation_metrics(torch.zeros(1, 4, 6, dtype=torch.long), torch.zeros(1, 4, 6).long())
    with pytest.raises(ValueError, match="10·4\\^r \\+ 2 vertices"):
        segmentation_metrics(torch.zeros(1, 40, dtype=torch.long), torch.zeros(1, 40).long())
    with pytest.raises(ValueError, match="square"):
        metrics_from_confusion(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="background"):
        metrics_from_confusion(torch.eye(3), background=3)
    with pytest.raises(ValueError, match="num_classes"):
        confusion_matrix(PREDS, TARGET, num_classes=1)


def test_vertex_solid_angles_weight_the_ico_vertices() -> None:
    om = vertex_solid_angles(162)  # r = 2
    assert om.shape == (162,) and float(om.sum()) == pytest.approx(4 * math.pi, rel=1e-12)
    target = torch.zeros(2, 162, dtype=torch.long)
    preds = target.clone()
    preds[0, :12] = 1  # 12 wrong vertices of the first sample
    m = confusion_matrix(preds, target, 3, om)
    assert float(m.sum()) == pytest.approx(8 * math.pi, rel=1e-12)
    assert float(m[0, 1]) == pytest.approx(float(om[:12].sum()), rel=1e-12)
    for bad in (0, 2, 100, 163):
        with pytest.raises(ValueError, match="10·4\\^r \\+ 2 vertices"):
            vertex_solid_angles(bad)


def test_segmentation_metrics_on_vertex_data() -> None:
    target = torch.randint(0, 3, (2, 42))
    preds = torch.randint(0, 3, (2, 42))
    s = segmentation_metrics(preds, target, num_classes=3)
    om = vertex_solid_angles(42)
    right = (preds == target).double() * om
    assert s["pixel_accuracy_area"] == pytest.approx(float(right.sum() / (2 * om.sum())), 1e-12)
    assert s["pixel_accuracy"] == pytest.approx(float((preds == target).double().mean()), 1e-12)
