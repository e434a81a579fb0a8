# SPDX-License-Identifier: MIT
"""SphericalMNIST / SphericalFashionMNIST: items, determinism, cache, rotations per split,
masks (consistent with signals, rotating with them), class shares and digit areas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gconv.data import CorruptFileError, SphericalFashionMNIST, SphericalMNIST
from gconv.data._canvas import CANVAS, CANVAS_EXTENT
from gconv.data._spherical_gen import planar_batch
from gconv.groups import euler_to_matrix, quadrature_weights

B = 16  # small grids keep the 5,000-sample valid split at about a second


@pytest.fixture(scope="module")
def made(data_root, session_cache):
    """valid split, b = 16: NR and R single digits, and 1..4-digit canvases (R)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GCONV_CACHE", str(session_cache))
        return {
            "NR": SphericalMNIST("valid", bandwidth=B, rotate="NR", task="segmentation"),
            "R": SphericalMNIST("valid", bandwidth=B, rotate="R", task="segmentation"),
            "C": SphericalMNIST("valid", B, "R", "segmentation", digits=(1, 4)),
        }


def _area(mask: torch.Tensor, b: int) -> torch.Tensor:
    """Quadrature area (sr) of ``mask (..., 2b, 2b)`` (weights w_j π/b, sum 4π)."""
    w = quadrature_weights(b)[:, None] * (math.pi / b)
    return (mask.double() * w).sum((-2, -1))


def test_items_shapes_and_sizes(made):
    ds = made["NR"]
    assert len(ds) == 5_000 and ds.signals.shape == (5_000, 2 * B, 2 * B)
    x, m = ds[3]
    assert (
        x.shape == (1, 2 * B, 2 * B) and x.dtype == torch.float32 and 0 <= x.min() <= x.max() <= 1
    )
    assert m.shape == (2 * B, 2 * B) and m.dtype == torch.int64
    cls = SphericalMNIST("valid", bandwidth=B)  # same cache file: items (signal, label)
    assert cls.path == ds.path
    x2, label = cls[3]
    assert torch.equal(x2, x) and label == int(ds.labels[3]) and isinstance(label, int)


def test_nr_has_identity_r_has_haar_rotations(made):
    nr, r = made["NR"], made["R"]
    assert torch.equal(nr.rotations, torch.eye(3, dtype=torch.float64).expand(5_000, 3, 3))
    assert float(nr.signals[:, :B].max()) == 0  # digit on the southern hemisphere
    assert float(r.signals[:, :B].float().mean()) > 0.3 * float(r.signals.float().mean())
    assert float(r.rotations.mean(0).abs().max()) < 0.05  # Haar: E[R] = 0
    assert torch.equal(nr.labels, r.labels)  # same pool, same order


def test_chunked_rotations(data_root):
    ds = SphericalMNIST("valid", bandwidth=4, rotate="R", chunk=500)
    R = ds.rotations
    assert torch.equal(R[0], R[499]) and not torch.equal(R[499], R[500])
    assert len(torch.unique(R[:, 0, 0])) == 10
    assert "R500" in ds.path.name
    with pytest.raises(ValueError, match="chunk"):
        SphericalMNIST("valid", bandwidth=4, rotate="NR", chunk=500)


def test_deterministic_and_cached(made, tmp_path, monkeypatch):
    """A fresh cache regenerates the same bytes; the seed changes them; the file is reused."""
    ref = made["R"]
    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))
    again = SphericalMNIST("valid", bandwidth=B, rotate="R", task="segmentation")
    assert again.path != ref.path and again.path.name == ref.path.name
    assert torch.equal(again.signals, ref.signals) and torch.equal(again.rotations, ref.rotations)
    other = SphericalMNIST("valid", bandwidth=B, rotate="R", seed=1)
    assert not torch.equal(other.signals, ref.signals)
    assert [p.name for p in tmp_path.joinpath("data").glob(".*part")] == []  # atomic: no leftovers
    mtime = again.path.stat().st_mtime_ns
    SphericalMNIST("valid", bandwidth=B, rotate="R")
    assert again.path.stat().st_mtime_ns == mtime


def test_corrupt_cache_is_reported(made, tmp_path, monkeypatch):
    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))
    ds = SphericalMNIST("valid", bandwidth=4)
    data = bytearray(ds.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    ds.path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="delete it"):
        SphericalMNIST("valid", bandwidth=4)


def test_header_damage_numpy_cannot_parse_is_a_corrupt_file(made, tmp_path, monkeypatch):
    """A flipped bit in an .npy header can make numpy raise SyntaxError, tokenize.TokenError or
    NotImplementedError: reported as the corrupt cache file it is, and named."""
    import tokenize

    from gconv.data import _spherical_gen

    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))
    path = SphericalMNIST("valid", bandwidth=4).path
    for exc in (tokenize.TokenError("EOF in multi-line statement"), SyntaxError("bad")):

        def broken(*args, _exc=exc, **kwargs):
            raise _exc

        monkeypatch.setattr(_spherical_gen.np, "load", broken)
        with pytest.raises(CorruptFileError, match=f"{path.name}: unreadable .*delete it"):
            SphericalMNIST("valid", bandwidth=4)
        monkeypatch.undo()
        monkeypatch.setenv("GCONV_CACHE", str(tmp_path))


def test_without_a_cache_the_split_is_built_in_memory(made, monkeypatch):
    monkeypatch.setenv("GCONV_CACHE", "")
    ds = SphericalMNIST("valid", bandwidth=B, rotate="R", task="segmentation")
    assert ds.path is None and torch.equal(ds.signals, made["R"].signals)


def test_verify_rejects_a_cache_file_under_another_name(made, tmp_path, monkeypatch):
    from gconv.data import dataset_spec

    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))
    path = SphericalMNIST("valid", bandwidth=4).path
    verify = dataset_spec("spherical-mnist").verify_cache
    verify(path)  # the file as written: fine
    other = path.with_name(path.name.replace("-seed0-", "-seed7-"))
    other.write_bytes(path.read_bytes())
    with pytest.raises(CorruptFileError, match=r"metadata describe .*seed0.*renamed or copied"):
        verify(other)


def test_masks_match_signals_and_labels(made):
    for ds in made.values():
        m, s = ds.masks, ds.signals
        assert torch.equal(m > 0, s > 150)
        present = torch.zeros(len(ds), 11, dtype=torch.bool)
        present.scatter_(1, m.flatten(1).long(), True)
        allowed = torch.zeros(len(ds), 12, dtype=torch.bool)
        allowed.scatter_(1, ds.digit_labels + 1, True)  # −1 + 1 = 0: background, unused slots
        allowed[:, 0] = True
        assert not (present & ~allowed[:, :11]).any()


def test_masks_rotate_with_signals(made):
    """Regenerating with grid-exact rotations (α-roll by k, Ry(π)) permutes signal and mask
    alike; for a random rotation each class keeps its area (to sampling error)."""
    for ds in (made["NR"], made["C"]):
        idx = torch.arange(40)
        s0, m0 = ds.regenerate(idx)
        assert torch.equal(s0, ds.signals[idx]) and torch.equal(m0, ds.masks[idx])
        k = 5
        Rz = euler_to_matrix(torch.tensor(math.pi * k / B, dtype=torch.float64), 0.0, 0.0)
        s, m = ds.regenerate(idx, Rz.expand(40, 3, 3))
        assert torch.equal(s, s0.roll(k, -1)) and torch.equal(m, m0.roll(k, -1))
        Ry = euler_to_matrix(0.0, torch.tensor(math.pi, dtype=torch.float64), 0.0)
        s, m = ds.regenerate(idx, Ry.expand(40, 3, 3))
        j, a = torch.arange(2 * B).flip(0), (B - torch.arange(2 * B)) % (2 * B)
        assert torch.equal(s, s0[:, j][:, :, a]) and torch.equal(m, m0[:, j][:, :, a])
        idx = torch.arange(200)
        s0, m0 = ds.regenerate(idx)
        R = euler_to_matrix(torch.tensor(0.3), torch.tensor(1.1), torch.tensor(-0.7)).double()
        _, m = ds.regenerate(idx, R.expand(200, 3, 3))
        # sampling error of areas at b = 16 over 200 samples: about 1 % in total and up to 8 %
        # per class (measured over random rotations)
        assert abs(float(_area(m > 0, B).sum() / _area(m0 > 0, B).sum()) - 1) < 0.03
        for c in range(1, 11):
            assert abs(float(_area(m == c, B).sum() / _area(m0 == c, B).sum()) - 1) < 0.15


def test_class_shares_and_digit_area_plausible(made):
    """Each digit class holds 4-20 % of the digit area; a single digit covers a few per cent of
    the sphere, and its area equals (within 8 %) the planar area of its pixels > 150 mapped
    through the stereographic area factor (4 / (4 + |q|²))² — an estimate independent of the
    projection code. Canvas digits likewise, with the canvas geometry (64 px on [-√2, √2]²)."""
    ds = made["NR"]
    m = ds.masks.long()
    per_class = torch.stack([_area(m == c, B).sum() for c in range(1, 11)])
    shares = per_class / per_class.sum()
    assert float(shares.min()) > 0.04 and float(shares.max()) < 0.2
    frac = _area(m > 0, B) / (4 * math.pi)
    assert 0.02 < float(frac.mean()) < 0.15
    for key, size, extent in (("NR", 28, 1.5), ("C", CANVAS, CANVAS_EXTENT)):
        ds = made[key]
        idx = np.arange(len(ds))
        planar, _, ext = planar_batch(ds.spec, ds.planar()[0], ds.arrays, idx)
        assert ext == extent and planar.shape[-1] == size
        px = 2 * extent / size
        c = -extent + (torch.arange(size, dtype=torch.float64) + 0.5) * px
        qy, qx = torch.meshgrid(c, c, indexing="ij")
        factor = (4 / (4 + qx**2 + qy**2)) ** 2 * px * px
        planar_area = ((planar > 150).double() * factor).sum()
        sphere_area = _area(ds.masks > 0, B).sum()
        assert abs(float(sphere_area / planar_area) - 1) < 0.08


def test_canvas_digits_do_not_overlap(made):
    ds = made["C"]
    count = torch.from_numpy(ds.arrays["count"])
    assert set(count.unique().tolist()) == {1, 2, 3, 4}
    planar, owner, _ = planar_batch(ds.spec, ds.planar()[0], ds.arrays, np.arange(500))
    ink = planar > 0
    assert not (ink & (owner == 0)).any()  # every ink pixel belongs to a digit's box
    # instance counts per class are near the label frequencies (each about 10 %)
    lab = ds.digit_labels[ds.digit_labels >= 0]
    share = torch.bincount(lab, minlength=10).double() / lab.numel()
    assert float(share.min()) > 0.07 and float(share.max()) < 0.13


def test_custom_points(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))
    g = torch.Generator().manual_seed(0)
    pts = torch.nn.functional.normalize(
        torch.randn(300, 3, generator=g, dtype=torch.float64), dim=-1
    )
    ds = SphericalMNIST("valid", rotate="R", task="segmentation", points=pts)
    x, m = ds[0]
    assert x.shape == (1, 300) and m.shape == (300,)
    assert ds.path.name.startswith("spherical-mnist-p300-")
    s, _ = ds.regenerate([0, 1])
    assert torch.equal(s, ds.signals[:2])


def test_fashion(fashion_installed, tmp_path, monkeypatch):
    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))
    ds = SphericalFashionMNIST("valid", bandwidth=8, task="segmentation", digits=(2, 4))
    assert ds.classes[9] == "Ankle boot" and "fashion-mnist" in ds.path.name
    assert torch.equal(ds.masks > 0, ds.signals > 150)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"split": "dev"}, "split must be one of"),
        ({"rotate": "SO3"}, 'rotate must be "NR" or "R"'),
        ({"task": "detection"}, "task must be one of"),
        ({"digits": 2}, "classification.*needs digits=1"),
        ({"digits": 5, "task": "segmentation"}, "digits must be an int in 1..4"),
        ({"digits": (3, 2), "task": "segmentation"}, r"digits\[1\] must be an int in 3..4"),
        ({"bandwidth": 0}, "bandwidth must be an int >= 1"),
        ({"seed": -1}, "seed must be an int >= 0"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SphericalMNIST(**{"split": "valid", **kwargs})


def test_generation_runs_single_threaded_and_restores(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        SphericalMNIST("valid", bandwidth=4)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
