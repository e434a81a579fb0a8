# SPDX-License-Identifier: MIT
"""The idx(.gz) reader: round trips over every idx element type, and clear errors."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from gconv.data import CorruptFileError, encode_idx, parse_idx, read_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def _random(rng: np.random.Generator, dtype: type, shape: tuple[int, ...]) -> np.ndarray:
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compress", [False, True])
def test_round_trip(tmp_path, dtype, compress):
    rng = np.random.default_rng([DTYPES.index(dtype), int(compress)])
    shape = tuple(int(s) for s in rng.integers(1, 6, size=rng.integers(1, 4)))
    a = _random(rng, dtype, shape)
    data = encode_idx(a)
    # header: 00 00 TT NN then NN big-endian uint32 sizes
    assert data[:2] == b"\0\0" and data[3] == a.ndim
    assert struct.unpack(f">{a.ndim}I", data[4 : 4 + 4 * a.ndim]) == shape
    path = tmp_path / ("x.idx.gz" if compress else "x.idx")
    path.write_bytes(gzip.compress(data) if compress else data)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.shape == shape
    np.testing.assert_array_equal(a, b)
    assert not b.flags.writeable  # parsed arrays are shared read-only; loaders hand out copies


def test_big_endian_on_disk():
    # int16 value 258 = 0x0102 must be stored as bytes 01 02 (idx is big-endian)
    data = encode_idx(np.array([258], dtype=np.int16))
    assert data[-2:] == b"\x01\x02"
    assert parse_idx(data).tolist() == [258]


def test_bad_magic(tmp_path):
    path = tmp_path / "bad.idx"
    path.write_bytes(b"\x12\x34\x08\x01" + struct.pack(">I", 1) + b"\0")
    with pytest.raises(CorruptFileError, match=r"bad\.idx: bad idx magic 12340801"):
        read_idx(path)
    with pytest.raises(CorruptFileError, match="bad idx magic 00000701"):
        parse_idx(b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\0")


@pytest.mark.parametrize("cut", [2, 6, 20])
def test_truncated(tmp_path, cut):
    data = encode_idx(np.zeros((2, 3, 4), dtype=np.uint8))  # 4 + 12 + 24 = 40 bytes
    path = tmp_path / "short.idx"
    path.write_bytes(data[:-cut] if cut != 20 else data[:cut])
    with pytest.raises(CorruptFileError, match=r"short\.idx: .*(truncated|too short)"):
        read_idx(path)


def test_trailing_bytes():
    with pytest.raises(CorruptFileError, match="trailing bytes"):
        parse_idx(encode_idx(np.zeros(3, dtype=np.uint8)) + b"\0")


def test_truncated_gzip(tmp_path):
    blob = gzip.compress(encode_idx(np.arange(1000, dtype=np.int32)))
    path = tmp_path / "cut.idx.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CorruptFileError, match=r"cut\.idx\.gz: truncated or corrupt gzip"):
        read_idx(path)


def test_encode_rejects_unknown_dtype():
    with pytest.raises(ValueError, match="int64 has no idx code"):
        encode_idx(np.zeros(2, dtype=np.int64))
