# SPDX-License-Identifier: MIT
"""Augmentation: each mode against its definition, and determinism from (seed, epoch, batch)."""

from __future__ import annotations

import math

import pytest
import torch

from gconv.experiments import AUGMENTATIONS, augment, derive_seed, seeded_generator
from gconv.groups import rotate_image


def _images(b: int = 6) -> torch.Tensor:
    return torch.rand(b, 1, 28, 28)


def test_batch_angle_rotates_every_image_by_one_drawn_angle() -> None:
    x = _images()
    y = augment(x, "batch-angle", seeded_generator(5, 2, 7))
    # the same generator state yields the angle the augmentation drew
    angle = float(torch.rand((), generator=seeded_generator(5, 2, 7), dtype=torch.float64))
    angle *= 2 * math.pi
    assert not torch.allclose(y, x)
    for i in range(x.shape[0]):  # each image alone, rotated by that one angle
        assert torch.equal(y[i : i + 1], rotate_image(x[i : i + 1], angle))


def test_sample_angle_draws_one_angle_per_image() -> None:
    x = _images()
    y = augment(x, "sample-angle", seeded_generator(1, 0, 0))
    angles = torch.rand(6, generator=seeded_generator(1, 0, 0), dtype=torch.float64) * 2 * math.pi
    assert len(set(angles.tolist())) == 6
    for i in range(6):
        torch.testing.assert_close(y[i : i + 1], rotate_image(x[i : i + 1], float(angles[i])))


def test_gcnn_code_turns_each_image_by_at_most_pi_degrees() -> None:
    """The released G-CNN code's draw: U[-π, π) read as degrees (at most ±3.14°), per image."""
    x = _images(8)
    y = augment(x, "gcnn-code", seeded_generator(2, 0, 0))
    u = torch.rand(8, generator=seeded_generator(2, 0, 0), dtype=torch.float64) - 0.5
    degrees = u * 2 * math.pi
    assert degrees.abs().max() <= math.pi and len(set(degrees.tolist())) == 8
    for i in range(8):
        want = rotate_image(x[i : i + 1], math.radians(float(degrees[i])))
        torch.testing.assert_close(y[i : i + 1], want)
        assert not torch.equal(y[i], x[i])


def test_rot90_is_a_quarter_turn_per_image_and_uses_all_four() -> None:
    x = _images(64)
    y = augment(x, "rot90", seeded_generator(3, 1, 4))
    ks = []
    for i in range(64):
        hits = [k for k in range(4) if torch.equal(y[i], torch.rot90(x[i], k, dims=(-2, -1)))]
        assert len(hits) == 1  # random images have no rotational symmetry
        ks.append(hits[0])
    assert set(ks) == {0, 1, 2, 3}


@pytest.mark.parametrize("mode", AUGMENTATIONS)
def test_deterministic_in_seed_epoch_batch(mode: str) -> None:
    x = _images()
    a = augment(x, mode, seeded_generator(0, 3, 9))
    assert torch.equal(a, augment(x, mode, seeded_generator(0, 3, 9)))
    if mode != "none":
        for other in ((0, 4, 9), (0, 3, 10), (1, 3, 9)):
            assert not torch.equal(a, augment(x, mode, seeded_generator(*other)))
    else:
        assert a is x


def test_derive_seed_mixes_keys_and_rejects_negatives() -> None:
    seeds = {derive_seed(s, e) for s in range(5) for e in range(5)}
    assert len(seeds) == 25  # (seed, epoch) pairs never collide, unlike seed + epoch
    with pytest.raises(ValueError, match="non-negative"):
        derive_seed(0, -1)


def test_bad_mode_and_shape() -> None:
    with pytest.raises(ValueError, match="batch-angle"):
        augment(_images(), "flip", seeded_generator(0))
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        augment(torch.rand(28, 28), "rot90", seeded_generator(0))
