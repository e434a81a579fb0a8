# SPDX-License-Identifier: MIT
"""CIFAR-10 from the binary distribution: format, lookup (loose files, extracted folder,
archive), checksums, structural checks, downloads, the dataset and augmentation "+".

Every test writes its own small files in the exact format (3,073-byte records in the archive's
layout) with a checksum table made for them; the real table is only inspected."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from gconv.cli import main
from gconv.data import DATASETS, CorruptFileError, MissingFileError, find_file, locate
from gconv.data.cifar import (
    CIFAR10,
    FlipTranslate,
    checksum_table,
    encode_records,
    flip_translate,
    load_cifar10,
    parse_records,
)

_spec = importlib.util.spec_from_file_location(
    "_cifar_files", Path(__file__).with_name("_cifar_files.py")
)
_files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_files)
ROLES = _files.ROLES
N = 4  # records per tiny file


def _tar(contents: dict[str, bytes], extra: dict[str, bytes] | None = None) -> bytes:
    return _files.tar_gz(contents, extra)


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """Six tiny .bin files (N records each), their archive, a checksum table made for them
    (patched into DATASETS), and empty lookup places: GCONV_DATA, a system root, the cache and
    a download mirror (``_cifar_files.tiny_cifar``)."""
    return _files.tiny_cifar(tmp_path, monkeypatch, n=N)


def _folder(place, *parts):
    folder = place.joinpath("cifar10", *parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ---------------------------------------------------------------------------------- format
def test_records_layout_label_then_rgb_planes_row_major():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(3, 3, 32, 32), dtype=np.uint8)
    raw = encode_records(images, np.array([0, 7, 9]))
    assert len(raw) == 3 * 3073
    b = np.frombuffer(raw, np.uint8)
    c, i, j = 2, 5, 30  # blue plane, row 5 (from the top), column 30 of the second image
    assert b[3073] == 7 and b[3073 + 1 + c * 1024 + i * 32 + j] == images[1, c, i, j]
    np.testing.assert_array_equal(parse_records(raw)[:, 1:].reshape(3, 3, 32, 32), images)


@pytest.mark.parametrize("cut", [1, 3072, 3074])
def test_parse_rejects_partial_records(cut):
    raw = encode_records(np.zeros((2, 3, 32, 32), np.uint8), np.array([1, 2]))
    with pytest.raises(CorruptFileError, match="3,073-byte records") as e:
        parse_records(raw[:-cut], "f.bin")
    assert "f.bin" in str(e.value)
    with pytest.raises(CorruptFileError, match="whole number"):
        parse_records(b"", "empty.bin")


def test_parse_rejects_labels_above_9():
    raw = bytearray(encode_records(np.zeros((3, 3, 32, 32), np.uint8), np.array([1, 2, 3])))
    raw[2 * 3073] = 10
    with pytest.raises(CorruptFileError, match="record 2 has label 10"):
        parse_records(bytes(raw), "f.bin")


def test_encode_rejects_bad_input():
    with pytest.raises(ValueError, match=r"uint8 \(N, 3, 32, 32\)"):
        encode_records(np.zeros((1, 32, 32, 3), np.uint8), np.array([0]))
    with pytest.raises(ValueError, match="0..9"):
        encode_records(np.zeros((1, 3, 32, 32), np.uint8), np.array([10]))


# ---------------------------------------------------------------------------------- lookup
def test_loads_from_archive_in_order(tiny):
    (_folder(tiny["places"]["data"]) / "cifar-10-binary.tar.gz").write_bytes(tiny["archive"])
    images, labels = load_cifar10("train", download=False)
    assert images.dtype == torch.uint8 and images.shape == (5 * N, 3, 32, 32)
    np.testing.assert_array_equal(images.numpy(), tiny["images"][:5].reshape(-1, 3, 32, 32))
    np.testing.assert_array_equal(labels.numpy(), tiny["labels"][:5].reshape(-1))
    assert labels.dtype == torch.int64
    images, labels = load_cifar10("test", download=False)
    np.testing.assert_array_equal(images.numpy(), tiny["images"][5])
    with pytest.raises(ValueError, match="split must be one of"):
        load_cifar10("valid")


def test_lookup_order_and_layouts(tiny):
    """Per folder: .bin.gz, .bin, cifar-10-batches-bin/.bin, the archive; folders in the order
    GCONV_DATA → system → cache; the first hit wins."""
    spec, raw, places = tiny["specs"]["train-3"], tiny["raws"]["train-3"], tiny["places"]
    archive = _folder(places["system"]) / "cifar-10-binary.tar.gz"
    archive.write_bytes(tiny["archive"])
    cached = _folder(places["cache"] / "data") / "data_batch_3.bin"
    cached.write_bytes(raw)
    assert find_file(spec, download=False) == archive
    extracted = _folder(places["system"], "cifar-10-batches-bin") / "data_batch_3.bin"
    extracted.write_bytes(raw)
    assert find_file(spec, download=False) == extracted
    gz = _folder(places["data"]) / "data_batch_3.bin.gz"
    gz.write_bytes(gzip.compress(raw))
    assert find_file(spec, download=False) == gz
    gz.unlink()
    extracted.unlink()
    archive.unlink()
    assert find_file(spec, download=False) == cached
    assert locate(spec) == ("cache", cached)


def test_root_argument_and_dataset_class(tiny, tmp_path):
    other = tmp_path / "other"
    (_folder(other) / "cifar-10-binary.tar.gz").write_bytes(tiny["archive"])
    ds = CIFAR10("test", root=other, download=False, transform=lambda x: x.float() / 255)
    assert len(ds) == N and repr(ds) == f"CIFAR10(split='test', n={N})"
    image, label = ds[1]
    assert image.shape == (3, 32, 32) and image.dtype == torch.float32
    assert label == int(tiny["labels"][5, 1]) and ds.classes[0] == "airplane"
    torch.testing.assert_close(image, torch.from_numpy(tiny["images"][5, 1]).float() / 255)


# ---------------------------------------------------------------------- corrupt and missing
def test_truncated_file_names_file_and_checksum(tiny):
    spec = tiny["specs"]["test"]
    path = _folder(tiny["places"]["data"]) / "test_batch.bin"
    path.write_bytes(tiny["raws"]["test"][:-100])
    (_folder(tiny["places"]["system"]) / "cifar-10-binary.tar.gz").write_bytes(tiny["archive"])
    with pytest.raises(CorruptFileError) as e:  # no fall-through to the good archive
        load_cifar10("test", download=False)
    msg = str(e.value)
    assert str(path) in msg and spec.sha256 in msg and "cifar-10-binary.tar.gz" in msg


def test_truncated_archive_names_archive_and_member(tiny):
    path = _folder(tiny["places"]["data"]) / "cifar-10-binary.tar.gz"
    path.write_bytes(tiny["archive"][: len(tiny["archive"]) // 2])
    with pytest.raises(CorruptFileError, match="truncated or corrupt archive") as e:
        load_cifar10("test", download=False)
    assert str(path) in str(e.value) and tiny["specs"]["test"].sha256 in str(e.value)


def test_archive_without_the_member(tiny):
    specs = tiny["specs"]
    partial = _tar({specs["test"].member: tiny["raws"]["test"]})
    (_folder(tiny["places"]["data"]) / "cifar-10-binary.tar.gz").write_bytes(partial)
    load_cifar10("test", download=False)
    with pytest.raises(CorruptFileError, match="no regular file 'cifar-10-batches-bin/data_b"):
        load_cifar10("train", download=False)


def test_corrupt_member_fails_checksum(tiny):
    raws = dict(tiny["raws"])
    bad = bytearray(raws["train-2"])
    bad[5000] ^= 0x01  # one pixel bit: structurally fine, caught by the sha256
    raws["train-2"] = bytes(bad)
    archive = _tar({tiny["specs"][r].member: raws[r] for r in ROLES})
    path = _folder(tiny["places"]["data"]) / "cifar-10-binary.tar.gz"
    path.write_bytes(archive)
    with pytest.raises(CorruptFileError) as e:
        load_cifar10("train", download=False)
    msg = str(e.value)
    assert "member cifar-10-batches-bin/data_batch_2.bin" in msg
    assert hashlib.sha256(bad).hexdigest() in msg and tiny["specs"]["train-2"].sha256 in msg


@pytest.mark.parametrize("damage", ["label", "partial", "count"])
def test_structure_is_checked_even_when_the_table_agrees(tiny, monkeypatch, damage):
    """A wrong table entry (the sha256 of a damaged copy) does not let a damaged file through."""
    raw = bytearray(tiny["raws"]["test"])
    if damage == "label":
        raw[3073] = 200
    elif damage == "partial":
        raw = raw[:-1]
    else:
        raw = raw[:3073]
    spec = dataclasses.replace(tiny["specs"]["test"], sha256=hashlib.sha256(raw).hexdigest())
    patched = dataclasses.replace(DATASETS["cifar10"], files={**tiny["specs"], "test": spec})
    monkeypatch.setitem(DATASETS, "cifar10", patched)
    (_folder(tiny["places"]["data"]) / "test_batch.bin").write_bytes(bytes(raw))
    expected = {"label": "record 1 has label 200", "partial": "whole number", "count": "shape"}
    with pytest.raises(CorruptFileError, match=expected[damage]):
        load_cifar10("test", download=False)


def test_missing_lists_places_and_how(tiny):
    places = tiny["places"]
    with pytest.raises(MissingFileError) as e:
        load_cifar10("test")  # the mirror is empty, so the download fails too
    msg = str(e.value)
    for folder in (places["data"], places["system"], places["cache"] / "data"):
        assert str(folder / "cifar10" / "cifar-10-binary.tar.gz") in msg
        assert str(folder / "cifar10" / "cifar-10-batches-bin" / "test_batch.bin") in msg
    assert "cifar10/test_batch.bin (or cifar-10-binary.tar.gz) not found" in msg
    assert "download failed" in msg and "cifar.html" in msg
    assert not any(places["cache"].rglob("*"))


def test_download_archive_into_cache(tiny):
    places = tiny["places"]
    (places["mirror"] / "cifar-10-binary.tar.gz").write_bytes(tiny["archive"])
    images, labels = load_cifar10("train")
    assert images.shape == (5 * N, 3, 32, 32)
    target = places["cache"] / "data" / "cifar10" / "cifar-10-binary.tar.gz"
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]
    assert target.read_bytes() == tiny["archive"]
    assert not any(places["data"].rglob("*"))  # GCONV_DATA is never written


def test_corrupt_download_leaves_nothing(tiny):
    places = tiny["places"]
    damaged = bytearray(tiny["archive"])
    damaged[len(damaged) // 2] ^= 0xFF
    (places["mirror"] / "cifar-10-binary.tar.gz").write_bytes(bytes(damaged))
    with pytest.raises(MissingFileError, match="sha256 of the archive"):
        load_cifar10("test")
    assert not any(p.is_file() for p in places["cache"].rglob("*"))


# ------------------------------------------------------------------------- table and CLI
def test_real_table_is_complete():
    spec = DATASETS["cifar10"]
    assert [f.name for f in spec.files.values()] == [
        *(f"data_batch_{i}.bin" for i in range(1, 6)),
        "test_batch.bin",
    ]
    for f in spec.files.values():
        assert f.size == 10_000 * 3073 and f.shape == (10_000, 3073)
        assert f.member == f"cifar-10-batches-bin/{f.name}"
        assert len(f.sha256) == 64 and int(f.sha256, 16) >= 0
    assert spec.archive.name == "cifar-10-binary.tar.gz" and spec.archive.size == 170_052_171
    assert len(spec.archive.md5) == 32 and len(spec.archive.sha256) == 64
    assert len({f.sha256 for f in spec.files.values()}) == 6


def test_checksum_table_from_archive_and_folder(tiny, tmp_path):
    archive = tmp_path / "cifar-10-binary.tar.gz"
    archive.write_bytes(tiny["archive"])
    want = {s.name: (s.sha256, s.size) for s in tiny["specs"].values()}
    assert checksum_table(archive) == want
    folder = tmp_path / "x" / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    for role, raw in tiny["raws"].items():
        (folder / tiny["specs"][role].name).write_bytes(raw)
    assert checksum_table(folder) == want == checksum_table(folder.parent)


def test_cli_where_names_the_archive(tiny, capsys):
    assert main(["data", "where", "--dataset", "cifar10"]) == 0
    out = capsys.readouterr().out
    assert "cifar10: files cifar-10-binary.tar.gz (members data_batch_1.bin," in out
    assert str(tiny["places"]["data"] / "cifar10") in out


def test_cli_verify_and_list(tiny, capsys):
    assert main(["data", "list", "--dataset", "cifar10"]) == 0
    assert capsys.readouterr().out.count("MISSING") == 6
    (_folder(tiny["places"]["data"]) / "cifar-10-binary.tar.gz").write_bytes(tiny["archive"])
    assert main(["data", "verify", "--dataset", "cifar10"]) == 0
    assert capsys.readouterr().out.count(" ok ") == 6


# ---------------------------------------------------------------------------- augmentation
def _shifted(x: np.ndarray, flip: int, dy: int, dx: int) -> np.ndarray:
    """Reference: y[c, i, j] = x'[c, i - dy, j - dx], zero outside (x' = flipped x)."""
    src = x[..., ::-1] if flip else x
    out = np.zeros_like(x)
    h, w = x.shape[-2:]
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[:, i, j] = src[:, i - dy, j - dx]
    return out


def test_flip_translate_matches_reference_and_covers_all_outcomes():
    rng = np.random.default_rng(2)
    x = torch.from_numpy(rng.permutation(3 * 10 * 10).reshape(1, 3, 10, 10) + 1.0)
    outcomes = {(f, dy, dx): _shifted(x[0].numpy(), f, dy, dx)
                for f in (0, 1) for dy in range(-4, 5) for dx in range(-4, 5)}  # fmt: skip
    seen = set()
    g = torch.Generator().manual_seed(0)
    y = flip_translate(x.expand(2000, -1, -1, -1), g)
    for img in y.numpy():
        hits = [k for k, ref in outcomes.items() if np.array_equal(img, ref)]
        assert len(hits) == 1  # distinct pixel values: every outcome is identifiable
        seen.add(hits[0])
    assert len(seen) == len(outcomes) == 162  # 2 flips × 9 × 9 shifts, all drawn


def test_flip_translate_seeded_single_and_checked():
    x = torch.rand(5, 3, 32, 32)
    a = flip_translate(x, torch.Generator().manual_seed(3))
    b = flip_translate(x, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and a.dtype == x.dtype and a.shape == x.shape
    one = flip_translate(x[0], torch.Generator().manual_seed(3))
    assert torch.equal(one, a[0])  # a single image gets the first draw of the batch
    for img, orig in zip(flip_translate(x, max_shift=0), x, strict=True):  # global generator
        assert torch.equal(img, orig) or torch.equal(img, orig.flip(-1))
    with pytest.raises(ValueError, match="max_shift"):
        flip_translate(x, max_shift=-1)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        flip_translate(x[0, 0])


def test_flip_translate_wrapper_is_order_and_worker_free(tiny):
    (_folder(tiny["places"]["data"]) / "cifar-10-binary.tar.gz").write_bytes(tiny["archive"])
    base = CIFAR10("train", download=False)
    aug = FlipTranslate(base, seed=5)
    first = [aug[i][0] for i in range(len(aug))]
    again = [aug[i][0] for i in reversed(range(len(aug)))][::-1]
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert len(aug) == 5 * N and aug[3][1] == base[3][1]
    aug.set_epoch(1)
    assert not all(torch.equal(a, aug[i][0]) for i, a in enumerate(first))


def test_real_cifar10_if_present():
    """Runs only where CIFAR-10 is installed (GCONV_DATA or the cache): the real table."""
    if any(locate(s) is None for s in DATASETS["cifar10"].files.values()):
        pytest.skip("CIFAR-10 not found: put cifar-10-binary.tar.gz in $GCONV_DATA/cifar10/")
    images, labels = load_cifar10("test", download=False)
    assert images.shape == (10_000, 3, 32, 32)
    assert torch.bincount(labels).tolist() == [1000] * 10  # the test set is balanced
