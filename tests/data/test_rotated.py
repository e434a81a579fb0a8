# SPDX-License-Identifier: MIT
"""RotatedMNIST: the MNIST-rot recipe, its cache, and a pinned checksum of the generated set."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.ndimage
import torch

import gconv.data.rotated as rotated
from gconv.data import (
    MNIST,
    CorruptFileError,
    RotatedMNIST,
    generate_rotated,
    rotate_uint8,
)
from gconv.data.rotated import arrays_sha256, cache_path
from gconv.groups import rotate_image

#: sha256 (arrays_sha256) of RotatedMNIST base="mnist", seed=0, recipe v1, generated on this
#: project's dev machine (x86-64 CPU, torch 2.13): catches any change across runs or machines.
PINNED_MNIST_SEED0 = "dca064140219aabe94d92cbcdeb6155b69ffdf513f5ef38c0a0044d1744d39b0"


@pytest.fixture(scope="session")
def base(data_root):
    """MNIST train ++ test as numpy arrays (source index space of the rotated set)."""
    train, test = MNIST("train"), MNIST("test")
    return torch.cat([train.images, test.images]).numpy(), torch.cat([train.labels, test.labels])


def test_splits_shapes_ranges(splits):
    assert {k: len(v) for k, v in splits.items()} == {"train": 10000, "valid": 2000, "test": 50000}
    for ds in splits.values():
        n = len(ds)
        assert ds.images.shape == (n, 28, 28) and ds.images.dtype == torch.uint8
        assert ds.labels.dtype == torch.int64 and ds.angles.dtype == torch.float64
        assert ds.source.shape == (n,) and ds.angles.shape == (n,)
        assert float(ds.angles.min()) >= 0.0 and float(ds.angles.max()) < 2 * math.pi
        x, y = ds[n - 1]
        assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and isinstance(y, int)
        assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
        assert torch.equal(x[0], ds.images[n - 1].float() / 255)
    source = torch.cat([ds.source for ds in splits.values()])
    assert source.unique().numel() == 62000  # without replacement, across splits
    assert 0 <= int(source.min()) and int(source.max()) < 70000
    assert int((source >= 60000).sum()) > 0  # test digits are drawn too


def test_labels_and_rotation_match_source(splits, base):
    images, labels = base
    rng = np.random.default_rng(1)
    for ds in splits.values():
        assert torch.equal(ds.labels, labels[ds.source])
        idx = torch.from_numpy(rng.choice(len(ds), size=100, replace=False))
        src = torch.from_numpy(images[ds.source[idx].numpy()]).double()
        want = torch.round(rotate_image(src, ds.angles[idx])).clamp(0, 255).to(torch.uint8)
        assert torch.equal(ds.images[idx], want)


def test_rotation_direction_independent_of_rotate_image(splits, base):
    """scipy.ndimage.rotate (order 1, about the centre, counter-clockwise as displayed) agrees
    with the stored images away from the 1-pixel border, where its zero padding differs; the
    two interpolate with weights equal up to ~1e-15, so rounding may differ by 1 at rare ties."""
    images, _ = base
    ds = splits["valid"]
    for i in np.random.default_rng(2).choice(len(ds), size=50, replace=False):
        src = images[int(ds.source[i])].astype(np.float64)
        ref = scipy.ndimage.rotate(src, math.degrees(float(ds.angles[i])), reshape=False, order=1)
        diff = np.abs(np.round(ref) - ds.images[i].numpy().astype(np.float64))[1:-1, 1:-1]
        assert diff.max() <= 1 and (diff > 0).sum() <= 2


def test_quarter_turn_is_rot90(base):
    images, _ = base
    x = images[:64]
    for k in range(4):
        angles = np.full(64, k * math.pi / 2)
        np.testing.assert_array_equal(rotate_uint8(x, angles), np.rot90(x, k, axes=(1, 2)))


def test_pinned_sha256(splits):
    arrays = {
        name: torch.cat([getattr(ds, name) for ds in splits.values()]).numpy()
        for name in ("images", "labels", "angles", "source")
    }
    digest = arrays_sha256(arrays)
    assert digest == splits["train"].meta["sha256"]
    assert digest == PINNED_MNIST_SEED0, "RotatedMNIST generation changed (recipe v1, seed 0)"


def test_deterministic_and_seeded(base):
    images, labels = base
    a = generate_rotated(images[:500], labels[:500].numpy(), seed=3, n=50)
    b = generate_rotated(images[:500], labels[:500].numpy(), seed=3, n=50)
    c = generate_rotated(images[:500], labels[:500].numpy(), seed=4, n=50)
    assert arrays_sha256(a) == arrays_sha256(b) != arrays_sha256(c)
    rng = np.random.default_rng(3)  # the documented draw order: source, then angles
    np.testing.assert_array_equal(a["source"], rng.choice(500, size=50, replace=False))
    np.testing.assert_array_equal(a["angles"], rng.uniform(0.0, 2 * math.pi, size=50))


def test_cache_reload_and_metadata(splits):
    path = cache_path("mnist", 0)
    assert path.is_file() and path.name == "rotmnist-mnist-seed0-v1.npz"
    rotated._LOADED.clear()
    again = RotatedMNIST("valid")
    assert torch.equal(again.images, splits["valid"].images)
    assert torch.equal(again.angles, splits["valid"].angles)
    assert again.meta["seed"] == 0 and again.meta["base"] == "mnist"
    assert set(again.meta["base_sha256"]) == {
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    }


def test_corrupt_cache_is_reported(splits, session_cache, tmp_path, monkeypatch):
    good = cache_path("mnist", 0).read_bytes()  # the session's generated file
    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))
    path = cache_path("mnist", 0)
    path.parent.mkdir(parents=True)
    path.write_bytes(good[: len(good) // 2])  # truncated
    with pytest.raises(CorruptFileError, match=r"rotmnist-mnist-seed0-v1\.npz.*delete it"):
        RotatedMNIST("train")
    # a valid file under another seed's name: its metadata does not match the parameters
    cache_path("mnist", 5).write_bytes(good)
    with pytest.raises(CorruptFileError, match=r"'seed': 0.*expected.*'seed': 5"):
        RotatedMNIST("train", seed=5)


def test_failed_generation_leaves_nothing(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))

    def half_then_fail(f, **arrays):
        f.write(b"PK\x03\x04 half an npz")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(rotated, "generate_rotated", lambda *a, **k: {"images": np.zeros(1)})
    monkeypatch.setattr(rotated, "arrays_sha256", lambda arrays: "x")
    monkeypatch.setattr(np, "savez", half_then_fail)
    with pytest.raises(OSError, match="simulated"):
        RotatedMNIST("train")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_bad_arguments():
    with pytest.raises(ValueError, match="split must be one of"):
        RotatedMNIST("validation")
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        RotatedMNIST("train", base="cifar")
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        RotatedMNIST("train", seed=-1)


def test_rotated_fashion(fashion_installed, tmp_path, monkeypatch):
    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))
    ds = RotatedMNIST("valid", base="fashion-mnist", seed=1)
    assert len(ds) == 2000 and ds.meta["base"] == "fashion-mnist"
    assert (tmp_path / "data" / "rotmnist-fashion-mnist-seed1-v1.npz").is_file()
    assert ds.labels.unique().numel() == 10
