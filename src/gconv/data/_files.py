# SPDX-License-Identifier: MIT
"""Where data files are found, how they are verified, and how the cache is written.

Lookup for ``<dataset>/<file>`` (DESIGN.md, "Data"), first hit wins:

1. ``$GCONV_DATA/<dataset>/`` (read-only; or the ``root`` argument, which replaces it),
2. known system locations (``/usr/share/datasets/<dataset>/``, where Debian's
   ``dataset-fashion-mnist`` installs its files),
3. ``$GCONV_CACHE/data/<dataset>/`` (default ``~/.cache/gconv/data``),
4. a download from the dataset's mirrors into the cache.

``GCONV_CACHE=""`` disables the cache (``gconv._util``: one meaning everywhere): step 3 is
skipped and step 4 fails with a message saying so; derived sets are then built in memory.

In each folder ``<file>.gz`` is tried, then ``<file>`` uncompressed. A missing file falls through
to the next place; a present but corrupt one raises :class:`CorruptFileError`. Only the cache is
ever written, atomically (temporary name in the same folder, then ``os.replace``).
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .._util import atomic_write
from .._util import cache_dir as _cache_root
from ._checksums import FileSpec, spec_of
from ._idx import CorruptFileError, decompress, parse_idx, read_bytes

__all__ = [
    "MissingFileError",
    "SYSTEM_ROOTS",
    "atomic_write",
    "cache_dir",
    "data_dir",
    "find_file",
    "load_file",
    "locate",
    "lookup_dirs",
    "verify_file",
]

#: system folders that hold ``<dataset>/<file>`` (Debian's dataset packages)
SYSTEM_ROOTS: tuple[Path, ...] = (Path("/usr/share/datasets"),)

_VERIFIED: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256 verified
_ARRAYS: OrderedDict[tuple[str, int, int], np.ndarray] = OrderedDict()
_MAX_ARRAYS = 8


class MissingFileError(FileNotFoundError):
    """A data file found nowhere (and not downloadable); the message lists where it looked
    and how to get it."""


def data_dir() -> Path | None:
    """``$GCONV_DATA`` (read-only input) or None when unset."""
    value = os.environ.get("GCONV_DATA")
    return Path(value).expanduser() if value else None


def cache_dir() -> Path | None:
    """``$GCONV_CACHE/data`` (default ``~/.cache/gconv/data``): downloads and derived sets;
    None when ``GCONV_CACHE=""`` disables the cache."""
    return _cache_root("data")


def lookup_dirs(dataset: str, root: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The folders searched for ``dataset``'s files, in order, as ``(label, folder)``."""
    if not isinstance(dataset, str) or not dataset or "/" in dataset or "\\" in dataset:
        raise ValueError(
            f"lookup_dirs: dataset must be a folder name (non-empty, no path separator), "
            f"got {dataset!r}"
        )
    dirs: list[tuple[str, Path]] = []
    top = Path(root).expanduser() if root is not None else data_dir()
    if top is not None:
        dirs.append(("root" if root is not None else "GCONV_DATA", top / dataset))
    dirs += [("system", r / dataset) for r in SYSTEM_ROOTS]
    cache = cache_dir()
    if cache is not None:
        dirs.append(("cache", cache / dataset))
    return dirs


def _check_spec(owner: str, spec: object) -> None:
    if not isinstance(spec, FileSpec):
        raise TypeError(
            f"{owner}: spec must be a FileSpec (e.g. spec_of('mnist').files['train-images']), "
            f"got {type(spec).__name__}"
        )


def _key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def _check(path: Path, spec: FileSpec, raw: bytes) -> None:
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.sha256:
        raise CorruptFileError(
            f"{path}: wrong content for {spec.dataset}/{spec.name}: sha256 of the uncompressed "
            f"bytes is {digest} ({len(raw)} bytes), expected {spec.sha256} ({spec.size} bytes). "
            f"Replace or delete it; to get a good copy: {spec_of(spec.dataset).how_to_get}."
        )


def _read_checked(path: Path, spec: FileSpec) -> bytes:
    try:
        raw = read_bytes(path)
    except CorruptFileError as e:
        raise CorruptFileError(
            f"{e} (expected {spec.dataset}/{spec.name}, uncompressed sha256 {spec.sha256}). "
            f"Replace or delete it; to get a good copy: {spec_of(spec.dataset).how_to_get}."
        ) from None
    _check(path, spec, raw)
    return raw


def verify_file(path: str | os.PathLike, spec: FileSpec) -> None:
    """Check the uncompressed sha256 of ``path``; CorruptFileError (naming the file, the
    expected checksum and how to get it) on mismatch. Results are remembered per
    (path, size, mtime), so verifying again is free."""
    _check_spec("verify_file", spec)
    path = Path(path)
    key = _key(path)
    if _VERIFIED.get(key) == spec.sha256:
        return
    _read_checked(path, spec)
    _VERIFIED[key] = spec.sha256


def load_file(path: str | os.PathLike, spec: FileSpec) -> np.ndarray:
    """The verified array of ``path`` (a fresh writable copy; parsed arrays are cached)."""
    _check_spec("load_file", spec)
    path = Path(path)
    key = _key(path)
    arr = _ARRAYS.get(key)
    if arr is None:
        raw = read_bytes(path) if _VERIFIED.get(key) == spec.sha256 else _read_checked(path, spec)
        _VERIFIED[key] = spec.sha256
        arr = parse_idx(raw, str(path))
        if arr.shape != spec.shape:
            raise CorruptFileError(f"{path}: shape {arr.shape}, expected {spec.shape}")
        _ARRAYS[key] = arr
        while len(_ARRAYS) > _MAX_ARRAYS:
            _ARRAYS.popitem(last=False)
    _ARRAYS.move_to_end(key)
    return arr.copy()


def _candidates(folder: Path, spec: FileSpec) -> Iterator[Path]:
    yield folder / spec.gz_name
    yield folder / spec.name


def locate(spec: FileSpec, root: str | os.PathLike | None = None) -> tuple[str, Path] | None:
    """``(label, path)`` of the first existing copy of ``spec`` in the lookup order, unverified."""
    _check_spec("locate", spec)
    for label, folder in lookup_dirs(spec.dataset, root):
        for path in _candidates(folder, spec):
            if path.is_file():
                return label, path
    return None


def find_file(spec: FileSpec, root: str | os.PathLike | None = None, download: bool = True) -> Path:
    """Path of a verified copy of ``spec``, downloading it into the cache if found nowhere."""
    _check_spec("find_file", spec)
    hit = locate(spec, root)
    if hit is not None:
        verify_file(hit[1], spec)
        return hit[1]
    looked = [str(p) for _, d in lookup_dirs(spec.dataset, root) for p in _candidates(d, spec)]
    errors: list[str] = []
    cache = cache_dir()
    if download and cache is None:
        errors.append('GCONV_CACHE="" disables the cache, which downloads go to')
    elif download:
        target = cache / spec.dataset / spec.gz_name
        for mirror in spec_of(spec.dataset).mirrors:
            try:
                _download(mirror + spec.gz_name, target, spec)
                return target
            except (OSError, CorruptFileError) as e:  # URLError is an OSError
                errors.append(f"{mirror + spec.gz_name}: {e}")
    tried = "; download " + ("failed: " + " | ".join(errors) if errors else "disabled")
    raise MissingFileError(
        f"{spec.dataset}/{spec.gz_name} not found. Looked in: {', '.join(looked)}{tried}. "
        f"To get it: {spec_of(spec.dataset).how_to_get}."
    )


def _download(url: str, target: Path, spec: FileSpec) -> None:
    """Fetch ``url`` into ``target`` atomically, verifying the content before the rename."""
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (fixed mirrors)
        data = response.read()
    _check(Path(url), spec, decompress(data, url))
    with atomic_write(target) as f:
        f.write(data)
