# SPDX-License-Identifier: MIT
"""Rotated MNIST (and rotated Fashion-MNIST), built like MNIST-rot (Larochelle et al. 2007).

Recipe (version 1): concatenate the base set's 60,000 train and 10,000 test images (source
index i < 60,000 is train[i], else test[i − 60,000]); with ``rng = numpy.random.default_rng(seed)``
draw ``source = rng.choice(70000, 62000, replace=False)``, then
``angles = rng.uniform(0, 2π, 62000)``; image k is
``round(rotate_image(base[source[k]], angles[k]))`` computed in float64 (bilinear,
counter-clockwise, about the grid centre; round half to even) stored as uint8. The first 10,000
are "train", the next 2,000 "valid", the last 50,000 "test". The original MNIST-rot files are not
used (not obtainable here), so this is the same recipe, not the same digits.

Generated once per (base, seed) for all three splits and cached atomically as
``$GCONV_CACHE/data/rotmnist-<base>-seed<seed>-v1.npz`` with its metadata (recipe, parameters,
checksums of the base files and of the generated arrays).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from .._util import check_positive_int
from ..groups import rotate_image
from ._checksums import spec_of
from ._files import atomic_write, cache_dir
from ._idx import CorruptFileError
from .mnist import load_arrays

__all__ = ["RotatedMNIST", "rotated_splits", "generate_rotated", "rotate_uint8", "VERSION"]

VERSION = 1
SIZES: dict[str, int] = {"train": 10_000, "valid": 2_000, "test": 50_000}
_OFFSETS: dict[str, int] = {"train": 0, "valid": 10_000, "test": 12_000}
_FIELDS = ("images", "labels", "angles", "source")
_LOADED: OrderedDict[tuple[str, int, int], dict[str, np.ndarray]] = OrderedDict()


def rotate_uint8(images: np.ndarray, angles: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Rotate uint8 images ``(N, H, W)`` by ``angles`` ``(N,)`` (radians, counter-clockwise)
    with :func:`gconv.groups.rotate_image` in float64, round half to even, store as uint8.

    >>> x = np.arange(9, dtype=np.uint8).reshape(1, 3, 3)
    >>> bool((rotate_uint8(x, np.array([np.pi / 2])) == np.rot90(x, 1, axes=(1, 2))).all())
    True
    """
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        got = images.dtype if isinstance(images, np.ndarray) else type(images).__name__
        raise TypeError(f"rotate_uint8 expects a uint8 numpy array of images, got {got}")
    shape = np.shape(angles)
    if images.ndim != 3 or shape != (images.shape[0],):
        raise ValueError(
            f"rotate_uint8 expects images (N, H, W) and angles (N,), got {images.shape} and {shape}"
        )
    angles = np.asarray(angles, dtype=np.float64)
    if not np.isfinite(angles).all():
        raise ValueError(f"rotate_uint8: angles must be finite, got {angles[~np.isfinite(angles)]}")
    check_positive_int("rotate_uint8", "batch", batch)
    out = np.empty(images.shape, dtype=np.uint8)
    for lo in range(0, images.shape[0], batch):
        x = torch.from_numpy(images[lo : lo + batch].astype(np.float64))
        y = rotate_image(x, torch.from_numpy(np.ascontiguousarray(angles[lo : lo + batch])))
        out[lo : lo + batch] = torch.round(y).clamp_(0, 255).to(torch.uint8).numpy()
    return out


def generate_rotated(
    images: np.ndarray, labels: np.ndarray, seed: int = 0, n: int = sum(SIZES.values())
) -> dict[str, np.ndarray]:
    """The recipe above on a base set ``images`` uint8 ``(M, H, W)``, ``labels`` ``(M,)``:
    returns ``images`` uint8 ``(n, H, W)``, ``labels`` int64, ``angles`` float64 in [0, 2π),
    ``source`` int64 (row of the base set)."""
    if images.ndim != 3 or np.shape(labels) != (images.shape[0],):
        raise ValueError(
            f"generate_rotated expects images (M, H, W) and labels (M,), got {images.shape} "
            f"and {np.shape(labels)}"
        )
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= images.shape[0]:
        raise ValueError(
            f"generate_rotated: n must be an int in [1, {images.shape[0]}] (the base set's size), "
            f"got {n!r}"
        )
    rng = np.random.default_rng(seed)
    source = rng.choice(images.shape[0], size=n, replace=False).astype(np.int64)
    angles = rng.uniform(0.0, 2.0 * math.pi, size=n)
    return {
        "images": rotate_uint8(images[source], angles),
        "labels": np.asarray(labels, dtype=np.int64)[source],
        "angles": angles,
        "source": source,
    }


def arrays_sha256(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over the generated arrays (images, labels, angles, source; little-endian)."""
    h = hashlib.sha256()
    for name in _FIELDS:
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode() + str(a.shape).encode())
        h.update(a.astype(a.dtype.newbyteorder("<")).tobytes())
    return h.hexdigest()


def cache_path(base: str = "mnist", seed: int = 0) -> Path | None:
    """Cache file of the rotated set: ``$GCONV_CACHE/data/rotmnist-<base>-seed<seed>-v1.npz``
    (None when ``GCONV_CACHE=""`` disables the cache)."""
    cache = cache_dir()
    return None if cache is None else cache / f"rotmnist-{base}-seed{seed}-v{VERSION}.npz"


def _generate(base: str, seed: int, root: str | os.PathLike | None) -> dict[str, np.ndarray]:
    train_x, train_y = load_arrays(base, "train", root)
    test_x, test_y = load_arrays(base, "test", root)
    images = torch.cat([train_x, test_x]).numpy()
    labels = torch.cat([train_y, test_y]).numpy()
    arrays = generate_rotated(images, labels, seed)
    files = spec_of(base).files
    meta = {
        "recipe": "MNIST-rot style (Larochelle et al. 2007), gconv.data.rotated",
        "version": VERSION,
        "base": base,
        "seed": seed,
        "sizes": SIZES,
        "base_sha256": {f.name: f.sha256 for f in files.values()},
        "sha256": arrays_sha256(arrays),
    }
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    return arrays


def _load(path: Path, base: str, seed: int) -> dict[str, np.ndarray]:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key in _LOADED:
        _LOADED.move_to_end(key)
        return _LOADED[key]
    hint = "delete it and it is regenerated on next use"
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in (*_FIELDS, "meta")}
        meta = json.loads(str(arrays["meta"]))
    except Exception as e:  # noqa: BLE001 - numpy's header parser raises many kinds
        raise CorruptFileError(f"{path}: unreadable rotated-MNIST cache ({e}); {hint}") from None
    want = {"version": VERSION, "base": base, "seed": seed, "sizes": SIZES}
    got = {k: meta.get(k) for k in want}
    if got != want or arrays_sha256(arrays) != meta.get("sha256"):
        raise CorruptFileError(
            f"{path}: rotated-MNIST cache does not match its parameters/checksum "
            f"(metadata {got}, expected {want}; sha256 {meta.get('sha256')}); {hint}"
        )
    for a in arrays.values():
        a.flags.writeable = False
    _LOADED[key] = arrays
    while len(_LOADED) > 2:
        _LOADED.popitem(last=False)
    return arrays


def _arrays(base: str, seed: int, root: str | os.PathLike | None) -> dict[str, np.ndarray]:
    spec_of(base)  # ValueError for unknown bases
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    path = cache_path(base, seed)
    if path is None:  # cache disabled: built in memory on every use
        return _generate(base, seed, root)
    if not path.is_file():
        arrays = _generate(base, seed, root)
        with atomic_write(path) as f:
            # mypy matches **arrays against savez's `allow_pickle: bool` keyword too
            np.savez(f, **arrays)  # type: ignore[arg-type]
    return _load(path, base, seed)


class RotatedMNIST(Dataset):
    """Rotated MNIST / Fashion-MNIST (see the module docstring for the recipe).

    ``split`` is "train" (10,000), "valid" (2,000) or "test" (50,000); ``base`` "mnist" or
    "fashion-mnist"; ``root`` replaces ``$GCONV_DATA`` when looking up the base files. An item
    is ``(image, label)``: float32 ``(1, 28, 28)`` in [0, 1] (stored uint8 / 255) and an int.
    Tensors: ``.images`` uint8 ``(N, 28, 28)``, ``.labels`` int64, ``.angles`` float64 (radians,
    the rotation applied), ``.source`` int64 (index into base train ++ test).
    """

    def __init__(
        self,
        split: str = "train",
        root: str | os.PathLike | None = None,
        base: str = "mnist",
        seed: int = 0,
    ) -> None:
        if split not in SIZES:
            raise ValueError(f"split must be one of {tuple(SIZES)}, got {split!r}")
        arrays = _arrays(base, seed, root)
        sl = slice(_OFFSETS[split], _OFFSETS[split] + SIZES[split])
        self.split, self.base, self.seed = split, base, seed
        self.images = torch.from_numpy(arrays["images"][sl].copy())
        self.labels = torch.from_numpy(arrays["labels"][sl].copy())
        self.angles = torch.from_numpy(arrays["angles"][sl].copy())
        self.source = torch.from_numpy(arrays["source"][sl].copy())
        self.meta: dict = json.loads(str(arrays["meta"]))

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.images[i].unsqueeze(0).float().div_(255.0), int(self.labels[i])

    def __repr__(self) -> str:
        return (
            f"RotatedMNIST(split={self.split!r}, base={self.base!r}, seed={self.seed}, "
            f"n={len(self)})"
        )


def rotated_splits(
    base: str = "mnist", seed: int = 0, root: str | os.PathLike | None = None
) -> dict[str, RotatedMNIST]:
    """All three splits ``{"train", "valid", "test"}``; generated (or loaded) once for all."""
    return {s: RotatedMNIST(s, root=root, base=base, seed=seed) for s in SIZES}
