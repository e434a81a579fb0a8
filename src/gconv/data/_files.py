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

In each folder ``<file>.gz`` is tried, then ``<file>`` uncompressed; for a file distributed in
an archive (CIFAR-10), then ``<member>`` (the archive extracted in place, e.g.
``cifar-10-batches-bin/data_batch_1.bin``) and the archive itself, whose member is read without
extracting anything to disk. A missing file falls through to the next place; a present but
corrupt one raises :class:`CorruptFileError`. Only the cache is ever written, atomically
(temporary name in the same folder, then ``os.replace``); a download of an archive is checked
against the archive's sha256 and the member's before it is renamed into place.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import urllib.request
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
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
    "read_member",
    "verify_file",
]

#: system folders that hold ``<dataset>/<file>`` (Debian's dataset packages)
SYSTEM_ROOTS: tuple[Path, ...] = (Path("/usr/share/datasets"),)

#: (path, size, mtime_ns, dataset, file name, sha256): one file of one data set (an archive holds
#: several members; the same path checked against another data set's spec is another key)
_Key = tuple[str, int, int, str, str, str]
_VERIFIED: dict[_Key, str] = {}  # key -> sha256 verified
_ARRAYS: OrderedDict[_Key, np.ndarray] = OrderedDict()
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


def _key(path: Path, spec: FileSpec) -> _Key:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, spec.dataset, spec.name, spec.sha256)


def _archive_name(spec: FileSpec) -> str | None:
    archive = spec_of(spec.dataset).archive if spec.member else None
    return None if archive is None else archive.name


def _in_archive(path: Path, spec: FileSpec) -> bool:
    return _archive_name(spec) == path.name


def _check(path: Path | str, spec: FileSpec, raw: bytes) -> None:
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.sha256:
        raise CorruptFileError(
            f"{path}: wrong content for {spec.dataset}/{spec.name}: sha256 of the uncompressed "
            f"bytes is {digest} ({len(raw)} bytes), expected {spec.sha256} ({spec.size} bytes). "
            f"Replace or delete it; to get a good copy: {spec_of(spec.dataset).how_to_get}."
        )


def read_member(archive: str | os.PathLike | bytes, member: str, name: str = "") -> bytes:
    """The bytes of regular file ``member`` of a (gzipped) tar ``archive`` — a path or the
    archive's bytes — read in one pass up to that member; nothing is extracted to disk.
    CorruptFileError if the archive is truncated or corrupt or has no such regular file."""
    name = name or (str(archive) if not isinstance(archive, bytes) else "<archive>")
    src = {"fileobj": io.BytesIO(archive)} if isinstance(archive, bytes) else {"name": archive}
    try:
        with tarfile.open(mode="r:*", **src) as tar:
            while (info := tar.next()) is not None:
                if info.name == member and info.isfile():
                    data = tar.extractfile(info)
                    if data is not None:
                        return data.read()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise CorruptFileError(f"{name}: truncated or corrupt archive ({e})") from None
    raise CorruptFileError(f"{name}: the archive has no regular file {member!r}")


def _read_raw(path: Path, spec: FileSpec) -> bytes:
    if _in_archive(path, spec):
        return read_member(path, str(spec.member))
    return read_bytes(path)


def _read_checked(path: Path, spec: FileSpec) -> bytes:
    try:
        raw = _read_raw(path, spec)
    except CorruptFileError as e:
        raise CorruptFileError(
            f"{e} (expected {spec.dataset}/{spec.name}, uncompressed sha256 {spec.sha256}). "
            f"Replace or delete it; to get a good copy: {spec_of(spec.dataset).how_to_get}."
        ) from None
    _check(f"{path} (member {spec.member})" if _in_archive(path, spec) else path, spec, raw)
    return raw


def verify_file(path: str | os.PathLike, spec: FileSpec) -> None:
    """Check the uncompressed sha256 of ``path``; CorruptFileError (naming the file, the
    expected checksum and how to get it) on mismatch. Results are remembered per
    (path, size, mtime), so verifying again is free."""
    _check_spec("verify_file", spec)
    path = Path(path)
    key = _key(path, spec)
    if _VERIFIED.get(key) == spec.sha256:
        return
    _read_checked(path, spec)
    _VERIFIED[key] = spec.sha256


def load_file(
    path: str | os.PathLike,
    spec: FileSpec,
    parse: Callable[[bytes, str], np.ndarray] = parse_idx,
) -> np.ndarray:
    """The verified array of ``path`` (a fresh writable copy; parsed arrays are cached).
    ``parse(raw, name)`` turns the verified bytes into the array (idx by default) and raises
    CorruptFileError on bad structure; its result must have ``spec.shape``."""
    _check_spec("load_file", spec)
    path = Path(path)
    key = _key(path, spec)
    arr = _ARRAYS.get(key)
    if arr is None:
        verified = _VERIFIED.get(key) == spec.sha256
        raw = _read_raw(path, spec) if verified else _read_checked(path, spec)
        _VERIFIED[key] = spec.sha256
        arr = parse(raw, str(path))
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
    archive = _archive_name(spec)
    if archive is not None:
        yield folder / str(spec.member)
        yield folder / archive


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
    remote = _archive_name(spec) or spec.gz_name
    cache = cache_dir()
    if download and cache is None:
        errors.append('GCONV_CACHE="" disables the cache, which downloads go to')
    elif download and cache is not None:
        target = cache / spec.dataset / remote
        for mirror in spec_of(spec.dataset).mirrors:
            try:
                _download(mirror + remote, target, spec)
                return target
            except (OSError, CorruptFileError) as e:  # URLError is an OSError
                errors.append(f"{mirror + remote}: {e}")
    tried = "; download " + ("failed: " + " | ".join(errors) if errors else "disabled")
    what = spec.gz_name if remote == spec.gz_name else f"{spec.name} (or {remote})"
    raise MissingFileError(
        f"{spec.dataset}/{what} not found. Looked in: {', '.join(looked)}{tried}. "
        f"To get it: {spec_of(spec.dataset).how_to_get}."
    )


def _download(url: str, target: Path, spec: FileSpec) -> None:
    """Fetch ``url`` into ``target`` atomically, verifying the content before the rename (for
    an archive: its own sha256, then the wanted member's)."""
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (fixed mirrors)
        data = response.read()
    archive = spec_of(spec.dataset).archive if spec.member else None
    if archive is not None:
        digest = hashlib.sha256(data).hexdigest()
        if digest != archive.sha256:
            raise CorruptFileError(
                f"{url}: sha256 of the archive is {digest} ({len(data)} bytes), expected "
                f"{archive.sha256} ({archive.size} bytes)"
            )
        raw = read_member(data, str(spec.member), url)
    else:
        raw = decompress(data, url)
    _check(url, spec, raw)
    with atomic_write(target) as f:
        f.write(data)
