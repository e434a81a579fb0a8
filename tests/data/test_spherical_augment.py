# SPDX-License-Identifier: MIT
"""On-the-fly rotation augmentation: draws are pure functions of (seed, epoch, index), the
fraction is respected, batches equal single items, and k rotated copies come from (seed, copy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from gconv.data import RotatedCopies, SphericalAugment, SphericalMNIST, keyed_rotations
from gconv.data._spherical_augment import augment_rotations


@pytest.fixture(scope="module")
def base(data_root, session_cache):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GCONV_CACHE", str(session_cache))
        return {
            "cls": SphericalMNIST("valid", bandwidth=8),
            "seg": SphericalMNIST("valid", 8, "NR", "segmentation", digits=(2, 3)),
        }


def test_rotations_depend_on_seed_epoch_index_only():
    idx = np.arange(1000)
    hit, R = augment_rotations(0, 3, idx, 0.5)
    hit2, R2 = augment_rotations(0, 3, idx[::-1].copy(), 0.5)
    assert np.array_equal(hit, hit2[::-1]) and torch.equal(R, R2.flip(0))
    assert 0.45 < hit.mean() < 0.55  # binomial, sd 0.016
    eye = torch.eye(3, dtype=torch.float64)
    assert all(torch.equal(R[i], eye) for i in np.flatnonzero(~hit)[:20])
    hit4, R4 = augment_rotations(0, 4, idx, 0.5)
    assert not np.array_equal(hit, hit4) and not torch.equal(R, R4)
    assert augment_rotations(0, 3, idx, 0.0)[0].sum() == 0
    assert augment_rotations(0, 3, idx, 1.0)[0].all()


def test_augment_batches_equal_items_and_resume(base):
    aug = SphericalAugment(base["cls"], fraction=0.5, seed=7)
    aug.set_epoch(2)
    batch = aug.__getitems__([5, 0, 9, 3])
    for i, (x, y) in zip([5, 0, 9, 3], batch, strict=True):
        x1, y1 = aug[i]
        assert torch.equal(x, x1) and y == y1 == int(base["cls"].labels[i])
    resumed = SphericalAugment(base["cls"], fraction=0.5, seed=7)  # e.g. after a restart
    resumed.set_epoch(2)
    assert torch.equal(resumed[9][0], aug[9][0])
    hit, _ = augment_rotations(7, 2, np.arange(len(aug)), 0.5)
    i_rot, i_keep = int(np.flatnonzero(hit)[0]), int(np.flatnonzero(~hit)[0])
    assert not torch.equal(aug[i_rot][0], base["cls"][i_rot][0])
    assert torch.equal(aug[i_keep][0], base["cls"][i_keep][0])
    aug.set_epoch(3)
    changed = [not torch.equal(aug[i][0], resumed[i][0]) for i in range(20)]
    assert any(changed)


def test_augment_segmentation_masks_follow_signals(base):
    aug = SphericalAugment(base["seg"], fraction=1.0, seed=0)
    signals, masks = aug.batch(np.arange(64))
    assert torch.equal(masks > 0, signals > 150)
    assert not torch.equal(signals, base["seg"].signals[:64])
    loader = DataLoader(aug, batch_size=16, shuffle=False)
    x, m = next(iter(loader))
    assert x.shape == (16, 1, 16, 16) and m.shape == (16, 16, 16) and m.dtype == torch.int64
    assert torch.equal(x, signals[:16, None].float() / 255) and torch.equal(m, masks[:16].long())


def test_rotated_copies(base):
    ds = base["cls"]
    k = RotatedCopies(ds, copies=3, seed=1)
    assert len(k) == 3 * len(ds)
    n = len(ds)
    items = k.__getitems__([4, n + 4, 2 * n + 4])
    assert all(y == int(ds.labels[4]) for _, y in items)
    assert not torch.equal(items[0][0], items[1][0])
    R = keyed_rotations([1, 0xC0, np.array([1]), np.array([4])])
    s, _ = ds.regenerate([4], R)
    assert torch.equal(items[1][0], s.float().div(255))
    assert torch.equal(RotatedCopies(ds, 3, seed=1)[n + 4][0], items[1][0])
    with pytest.raises(IndexError):
        k.batch([3 * n])


def test_wrapper_errors(base):
    with pytest.raises(ValueError, match="fraction"):
        SphericalAugment(base["cls"], fraction=1.5)
    with pytest.raises(TypeError, match="SphericalMNIST"):
        SphericalAugment([1, 2, 3])
    with pytest.raises(ValueError, match="copies"):
        RotatedCopies(base["cls"], copies=0)
    with pytest.raises(ValueError, match="epoch"):
        SphericalAugment(base["cls"]).set_epoch(-1)
