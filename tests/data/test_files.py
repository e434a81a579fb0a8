# SPDX-License-Identifier: MIT
"""Lookup order, verification, error messages, downloads and atomic writes of gconv.data."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os

import numpy as np
import pytest

import gconv.data._files as files
from gconv.data import (
    DATASETS,
    CorruptFileError,
    FileSpec,
    MissingFileError,
    atomic_write,
    encode_idx,
    find_file,
    load_file,
    lookup_dirs,
    verify_file,
)


@pytest.fixture
def small(tmp_path, monkeypatch):
    """A small idx file with its own FileSpec (dataset "mnist"), and three empty lookup places:
    tmp GCONV_DATA, a tmp system root and the tmp cache; downloads come from a tmp mirror."""
    arr = np.random.default_rng(0).integers(0, 256, size=(5, 4, 4), dtype=np.uint8)
    raw = encode_idx(arr)
    spec = FileSpec(
        "mnist", "tiny-idx3-ubyte", hashlib.sha256(raw).hexdigest(), len(raw), (5, 4, 4)
    )
    places = {k: tmp_path / k for k in ("data", "system", "cache", "mirror")}
    for p in places.values():
        p.mkdir()
    monkeypatch.setenv("GCONV_DATA", str(places["data"]))
    monkeypatch.setenv("GCONV_CACHE", str(places["cache"]))
    monkeypatch.setattr(files, "SYSTEM_ROOTS", (places["system"],))
    mirror = places["mirror"].as_uri() + "/"
    monkeypatch.setitem(
        DATASETS, "mnist", dataclasses.replace(DATASETS["mnist"], mirrors=(mirror,))
    )
    return spec, arr, raw, places


def _put(folder, spec, content: bytes, gz: bool = True):
    path = folder / "mnist" / (spec.gz_name if gz else spec.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(content) if gz else content)
    return path


def test_lookup_order(small):
    spec, arr, raw, places = small
    paths = {
        k: _put(places[k] if k != "cache" else places[k] / "data", spec, raw)
        for k in ("data", "system", "cache")
    }
    assert find_file(spec, download=False) == paths["data"]
    paths["data"].unlink()
    assert find_file(spec, download=False) == paths["system"]
    paths["system"].unlink()
    assert find_file(spec, download=False) == paths["cache"]
    labels = [label for label, _ in lookup_dirs("mnist")]
    assert labels == ["GCONV_DATA", "system", "cache"]


def test_root_argument_replaces_gconv_data(small, tmp_path):
    spec, arr, raw, places = small
    _put(places["data"], spec, raw)
    other = tmp_path / "other"
    mine = _put(other, spec, raw, gz=False)  # uncompressed copies are found too
    assert find_file(spec, root=other, download=False) == mine
    assert lookup_dirs("mnist", root=other)[0] == ("root", other / "mnist")


def test_regzipped_copy_verifies(small):
    """Checksums are of the uncompressed bytes: a copy gzipped differently verifies."""
    spec, arr, raw, places = small
    path = places["data"] / "mnist" / spec.gz_name
    path.parent.mkdir()
    path.write_bytes(gzip.compress(raw, compresslevel=1, mtime=12345))
    assert path.read_bytes() != gzip.compress(raw)
    np.testing.assert_array_equal(load_file(find_file(spec, download=False), spec), arr)


def test_corrupt_file_raises_and_does_not_fall_through(small):
    spec, arr, raw, places = small
    bad = bytearray(raw)
    bad[-1] ^= 0xFF
    path = _put(places["data"], spec, bytes(bad))
    _put(places["system"], spec, raw)  # a good copy later in the order is not used
    with pytest.raises(CorruptFileError) as e:
        find_file(spec, download=False)
    msg = str(e.value)
    assert str(path) in msg and spec.sha256 in msg and hashlib.sha256(bad).hexdigest() in msg
    assert "GCONV_DATA" in msg  # how to get a good copy


def test_truncated_gzip_names_file_and_checksum(small):
    spec, arr, raw, places = small
    path = _put(places["data"], spec, raw)
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(CorruptFileError) as e:
        find_file(spec, download=False)
    assert str(path) in str(e.value) and spec.sha256 in str(e.value)


def test_fashion_error_says_apt_get(small):
    spec, arr, raw, places = small
    fspec = dataclasses.replace(spec, dataset="fashion-mnist", sha256="0" * 64)
    path = places["data"] / "fashion-mnist" / fspec.gz_name
    path.parent.mkdir()
    path.write_bytes(gzip.compress(raw))
    with pytest.raises(CorruptFileError, match="apt-get install dataset-fashion-mnist"):
        find_file(fspec, download=False)


def test_missing_lists_places_and_how(small):
    spec, arr, raw, places = small
    with pytest.raises(MissingFileError) as e:
        find_file(spec)  # the tmp mirror is empty, so the download fails too
    msg = str(e.value)
    for folder in (places["data"], places["system"], places["cache"] / "data"):
        assert str(folder / "mnist" / spec.gz_name) in msg
    assert "download failed" in msg and places["mirror"].as_uri() in msg
    assert "set GCONV_DATA" in msg
    assert not any((places["cache"]).rglob("*"))  # nothing written


def test_download_into_cache(small):
    spec, arr, raw, places = small
    (places["mirror"] / spec.gz_name).write_bytes(gzip.compress(raw))
    path = find_file(spec)
    assert path == places["cache"] / "data" / "mnist" / spec.gz_name
    np.testing.assert_array_equal(load_file(path, spec), arr)
    assert sorted(p.name for p in path.parent.iterdir()) == [spec.gz_name]
    assert not any(places["data"].rglob("*"))  # GCONV_DATA is never written


def test_corrupt_download_leaves_nothing(small):
    spec, arr, raw, places = small
    (places["mirror"] / spec.gz_name).write_bytes(gzip.compress(raw[:-1] + b"\x07"))
    with pytest.raises(MissingFileError, match=spec.sha256):
        find_file(spec)
    assert not any(p.is_file() for p in places["cache"].rglob("*"))


def test_atomic_write_failure_leaves_nothing(tmp_path):
    target = tmp_path / "sub" / "out.bin"
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as f:
        f.write(b"half")
        raise RuntimeError("boom")
    assert list(target.parent.iterdir()) == []
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(target) as f:
        f.write(b"new but unfinished")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old" and list(target.parent.iterdir()) == [target]
    with atomic_write(target) as f:
        f.write(b"new")
    assert target.read_bytes() == b"new" and list(target.parent.iterdir()) == [target]


def test_verification_is_cached_per_path_size_mtime(small, monkeypatch):
    spec, arr, raw, places = small
    path = _put(places["data"], spec, raw)
    verify_file(path, spec)
    calls = []
    real = files._read_checked
    monkeypatch.setattr(files, "_read_checked", lambda p, s: calls.append(p) or real(p, s))
    verify_file(path, spec)
    assert calls == []  # remembered
    bad = bytearray(raw)
    bad[20] ^= 1
    path.write_bytes(gzip.compress(bytes(bad)))
    os.utime(path, ns=(1, 1))  # new size/mtime -> checked again
    with pytest.raises(CorruptFileError):
        verify_file(path, spec)
    assert calls == [path]


def test_load_file_returns_copies(small):
    spec, arr, raw, places = small
    path = _put(places["data"], spec, raw)
    a = load_file(path, spec)
    a[:] = 0
    np.testing.assert_array_equal(load_file(path, spec), arr)


def test_a_parsed_array_is_not_reused_for_another_datasets_spec(small):
    """load_file remembers parsed arrays per file; the same file checked against a spec of
    another data set (other checksum) is verified again, and refused."""
    spec, arr, raw, places = small
    path = _put(places["data"], spec, raw)
    assert np.array_equal(load_file(path, spec), arr)
    other = dataclasses.replace(spec, dataset="fashion-mnist", sha256="0" * 64)
    with pytest.raises(CorruptFileError, match="wrong content for fashion-mnist/tiny-idx3-ubyte"):
        load_file(path, other)
