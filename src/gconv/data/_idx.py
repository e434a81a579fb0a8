# SPDX-License-Identifier: MIT
"""The idx format of MNIST-like files (LeCun): a 4-byte magic ``00 00 TT NN`` — TT the element
type, NN the number of dimensions — then NN big-endian uint32 sizes, then the data, big-endian,
row-major. Files may be gzipped (``.gz``, detected by content, not name).
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy as np

__all__ = ["CorruptFileError", "read_idx", "parse_idx", "encode_idx", "read_bytes", "decompress"]

#: idx element-type byte -> numpy dtype (big-endian where it matters)
_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in _TYPES.items()}


class CorruptFileError(ValueError):
    """A data file that exists but cannot be used: truncated, corrupt or with a wrong checksum.
    The message names the file, what was expected and how to obtain a good copy."""


def read_bytes(path: str | os.PathLike) -> bytes:
    """The uncompressed content of ``path`` (gunzipped if it starts with the gzip magic)."""
    with open(path, "rb") as f:
        return decompress(f.read(), str(path))


def decompress(data: bytes, name: str = "<bytes>") -> bytes:
    """``data`` gunzipped if it starts with the gzip magic, else unchanged."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as e:
        raise CorruptFileError(f"{name}: truncated or corrupt gzip data ({e})") from None


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the uncompressed bytes of an idx file into a read-only array (native byte order).

    >>> a = np.arange(6, dtype=np.uint8).reshape(2, 3)
    >>> parse_idx(encode_idx(a)).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    if len(data) < 4:
        raise CorruptFileError(f"{name}: {len(data)} bytes, too short for an idx header")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in _TYPES:
        raise CorruptFileError(
            f"{name}: bad idx magic {data[:4].hex()} (expected 0000 TT NN with TT in "
            f"{', '.join(f'{c:02x}' for c in _TYPES)}); not an idx file"
        )
    head = 4 + 4 * ndim
    if len(data) < head:
        raise CorruptFileError(f"{name}: truncated idx header ({len(data)} < {head} bytes)")
    shape = struct.unpack(f">{ndim}I", data[4:head])
    dtype = _TYPES[code]
    want = head + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != want:
        what = "truncated" if len(data) < want else "has trailing bytes"
        raise CorruptFileError(
            f"{name}: {what}: header says shape {shape} of {dtype.name} = {want} bytes, "
            f"file has {len(data)}"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=head).reshape(shape)
    if dtype.byteorder == ">":
        arr = arr.astype(dtype.newbyteorder("="))
    arr.flags.writeable = False
    return arr


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an idx or idx.gz file into a read-only numpy array; CorruptFileError names it."""
    return parse_idx(read_bytes(path), str(path))


def encode_idx(array: np.ndarray) -> bytes:
    """The uncompressed idx bytes of ``array`` (uint8, int8, int16, int32, float32, float64)."""
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        raise ValueError(
            f"encode_idx: dtype {array.dtype} has no idx code; use one of "
            f"{', '.join(sorted(d.name for d in _CODES))}"
        )
    code = _CODES[native]
    head = struct.pack(f">HBB{array.ndim}I", 0, code, array.ndim, *array.shape)
    return head + np.ascontiguousarray(array, dtype=_TYPES[code]).tobytes()
