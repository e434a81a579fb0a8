# SPDX-License-Identifier: MIT
"""Spherical MNIST / Fashion-MNIST: the recipe's parameters, generation and the cache.

Recipe (version 1), for a base set (``mnist`` or ``fashion-mnist``), a split and a seed:

- Pools: ``perm = default_rng([seed, 0x5EED]).permutation(60000)`` of the base training set;
  ``train`` = ``perm[:55000]``, ``valid`` = ``perm[55000:]`` (held out for model selection),
  ``test`` = the 10,000 test digits in order.
- Single digit (``digits=1``): sample i is pool digit i on ``[-1.5, 1.5]²`` of the plane.
- Canvas (``digits=(lo, hi)`` or k ≥ 2, see ``_canvas``): sample i holds
  ``count ~ U{lo..hi}`` digits; the first is pool digit i, the others uniform draws from the
  pool; offsets by rejection; ``default_rng([seed, split code, 0xCA])`` draws all of it.
- Rotation of sample i: identity for ``"NR"``; for ``"R"`` the keyed Haar rotation
  ``keyed_rotations([seed, split code, i // chunk])`` (chunk 1 = one rotation per sample; the
  original used 500).
- ``signal = round_half_even(project(...))`` as uint8; mask class (segmentation) = digit + 1
  where the stored signal exceeds 150, else 0 (single digits: derived on load, not stored).
  The sampling coordinates are computed in float64, the interpolation of the uint8 pixels in
  float32 (measured against float64 on 256 rotated digits at b = 30: largest difference
  2.1e-5 grey levels, 1 of 124,901 non-zero values rounds differently).

Cached as ``$GCONV_CACHE/data/<name>.npz`` (atomic write; name from :meth:`Spec.name`, e.g.
``spherical-mnist-b30-R-d1-seed0-train-v1.npz``) with the metadata and a sha256 of the arrays,
checked on load.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ..groups import s2_grid_vectors
from . import _canvas
from ._files import atomic_write, cache_dir
from ._idx import CorruptFileError
from ._progress import progress
from ._project import EXTENT, _check_points, _project_batch, keyed_rotations
from .mnist import load_arrays

__all__ = ["Spec", "SPLITS", "THRESHOLD", "VERSION", "load_or_make", "planar_batch", "generate"]

VERSION = 1
SPLITS: dict[str, int] = {"train": 55_000, "valid": 5_000, "test": 10_000}
SPLIT_CODES = {"train": 1, "valid": 2, "test": 3}
BASES = ("mnist", "fashion-mnist")
THRESHOLD = 150
MAX_DIGITS = 4
BATCH = 128
_FIELDS = ("signals", "labels", "count", "source", "offsets", "rotations", "masks")


def _int(name: str, value, lo: int, hi: int | None = None) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or value < lo
        or (hi is not None and value > hi)
    ):
        rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise ValueError(f"{name} must be an int {rng}, got {value!r}")
    return int(value)


def _digits(digits) -> tuple[int, int, bool]:
    """``(lo, hi, canvas)``: the int 1 is the single-digit recipe, any other value a canvas."""
    if isinstance(digits, int | np.integer) and not isinstance(digits, bool):
        k = _int("digits", digits, 1, MAX_DIGITS)
        return k, k, k > 1
    if isinstance(digits, tuple | list) and len(digits) == 2:
        lo = _int("digits[0]", digits[0], 1, MAX_DIGITS)
        hi = _int("digits[1]", digits[1], lo, MAX_DIGITS)
        return lo, hi, True
    raise ValueError(f"digits must be an int 1..{MAX_DIGITS} or a pair (lo, hi), got {digits!r}")


def points_key(points: torch.Tensor) -> str:
    """``p<P>-<sha256[:10]>`` of the float64 points: names a custom point set in the cache."""
    raw = points.to(torch.float64).contiguous().numpy().astype("<f8").tobytes()
    return f"p{points.shape[0]}-{hashlib.sha256(raw).hexdigest()[:10]}"


@dataclass(frozen=True)
class Spec:
    """Everything that determines a generated split (hashable; ``name()`` is its file stem)."""

    base: str
    split: str
    grid: str  # "b30" or points_key(points)
    rotate: str
    chunk: int
    lo: int
    hi: int
    canvas: bool
    seed: int

    @classmethod
    def make(cls, base, split, bandwidth, rotate, digits, seed, points=None, chunk=None):
        if base not in BASES:
            raise ValueError(f"base must be one of {BASES}, got {base!r}")
        if split not in SPLITS:
            raise ValueError(f"split must be one of {tuple(SPLITS)}, got {split!r}")
        if rotate not in ("NR", "R"):
            raise ValueError(f'rotate must be "NR" or "R", got {rotate!r}')
        if chunk is not None and rotate == "NR":
            raise ValueError('chunk (one rotation per chunk of samples) needs rotate="R"')
        chunk = 1 if chunk is None else _int("chunk", chunk, 1)
        seed = _int("seed", seed, 0)
        lo, hi, canvas = _digits(digits)
        if points is None:
            grid = f"b{_int('bandwidth', bandwidth, 1)}"
        else:
            grid = points_key(_check_points(points).reshape(-1, 3))
        return cls(base, split, grid, rotate, chunk, lo, hi, canvas, seed)

    def name(self) -> str:
        rot = self.rotate if self.chunk == 1 else f"R{self.chunk}"
        dig = "d1" if not self.canvas else f"c{self.lo}" + (f"to{self.hi}" * (self.hi > self.lo))
        return (
            f"spherical-{self.base}-{self.grid}-{rot}-{dig}-seed{self.seed}-{self.split}-v{VERSION}"
        )

    def path(self) -> Path | None:
        """The cache file, or None when the cache is disabled (``GCONV_CACHE=""``)."""
        root = cache_dir()
        return None if root is None else root / f"{self.name()}.npz"

    def points(self, points: torch.Tensor | None = None) -> torch.Tensor:
        """The sampling points ``(P, 3)`` float64."""
        if self.grid.startswith("b"):
            return s2_grid_vectors(int(self.grid[1:])).reshape(-1, 3)
        if points is None:
            raise ValueError(f"{self.name()}: custom points are needed to regenerate samples")
        return _check_points(points).reshape(-1, 3)


def pool(spec: Spec, root: str | os.PathLike | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The split's planar digits: uint8 ``(M, 28, 28)`` and int64 labels ``(M,)``."""
    if spec.split == "test":
        return load_arrays(spec.base, "test", root)
    images, labels = load_arrays(spec.base, "train", root)
    perm = np.random.default_rng([spec.seed, 0x5EED]).permutation(images.shape[0])
    idx = torch.from_numpy(perm[:55_000] if spec.split == "train" else perm[55_000:])
    return images[idx], labels[idx]


def plan(spec: Spec, labels: torch.Tensor, images: torch.Tensor) -> dict[str, np.ndarray]:
    """Per-sample digits, counts, canvas offsets and rotations (cheap; no projection)."""
    n, k = labels.shape[0], spec.hi
    source = np.full((n, k), -1, dtype=np.int64)
    source[:, 0] = np.arange(n)
    count = np.full(n, spec.lo, dtype=np.int64)
    offsets = np.zeros((n, k, 2), dtype=np.int64)
    if spec.canvas:
        rng = np.random.default_rng([spec.seed, SPLIT_CODES[spec.split], 0xCA])
        count = rng.integers(spec.lo, spec.hi + 1, size=n)
        others = rng.integers(0, n, size=(n, k - 1))
        source[:, 1:] = np.where(np.arange(1, k) < count[:, None], others, -1)
        boxes = _canvas.ink_boxes(images.numpy())[np.maximum(source, 0)]
        offsets = _canvas.layout(boxes, count, rng)
    if spec.rotate == "R":
        keys = np.arange(n, dtype=np.int64) // spec.chunk
        rotations = keyed_rotations([spec.seed, SPLIT_CODES[spec.split], keys]).numpy()
    else:
        rotations = np.broadcast_to(np.eye(3), (n, 3, 3)).copy()
    lab = np.where(source >= 0, labels.numpy()[np.maximum(source, 0)], -1)
    return {
        "labels": lab,
        "count": count,
        "source": source,
        "offsets": offsets,
        "rotations": rotations,
    }


def planar_batch(spec: Spec, images: torch.Tensor, arrays: dict, idx: np.ndarray) -> tuple:
    """``(planar images, owner maps or None, extent)`` of samples ``idx`` (uint8 pool images)."""
    source = torch.from_numpy(np.asarray(arrays["source"][idx]))
    if not spec.canvas:
        return images[source[:, 0]], None, EXTENT
    count = torch.from_numpy(np.asarray(arrays["count"][idx]))
    safe = source.clamp(min=0)
    patches = images[safe]
    boxes = torch.from_numpy(_canvas.ink_boxes(patches.flatten(0, 1).numpy())).unflatten(
        0, safe.shape
    )
    offsets = torch.from_numpy(np.asarray(arrays["offsets"][idx]))
    labels = torch.from_numpy(np.asarray(arrays["labels"][idx])).clamp(min=0)
    canvas, owner = _canvas.paint(patches, labels, boxes, offsets, count)
    return canvas, owner, _canvas.CANVAS_EXTENT


def generate(
    spec: Spec,
    images: torch.Tensor,
    arrays: dict,
    idx: np.ndarray,
    rotations: torch.Tensor | None,
    points: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Signals uint8 ``(n, P)`` and (canvases) masks uint8 ``(n, P)`` of samples ``idx`` with
    the given total rotations ``(n, 3, 3)``; the same computation as the cached data."""
    planar, owner, extent = planar_batch(spec, images, arrays, idx)
    v, own = _project_batch(planar, points, rotations, extent, owner, dtype=torch.float32)
    signal = torch.round(v).clamp_(0, 255).to(torch.uint8)
    if own is None:
        return signal, None
    return signal, torch.where(signal > THRESHOLD, own, 0).to(torch.uint8)


def _sha256(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in _FIELDS:
        if name in arrays:
            a = np.ascontiguousarray(arrays[name])
            a = a.astype(a.dtype.newbyteorder("<"), copy=False)  # no copy on little-endian
            h.update(name.encode() + str(a.shape).encode() + a.dtype.str.encode())
            h.update(a.data.cast("B"))  # a.data is memoryview(a)
    return h.hexdigest()


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run torch single-threaded inside, then restore the caller's setting. The batches are
    small elementwise work: results/bench/spherical_data-2026-12-01-* measured 70,000 R samples
    at b = 30 in 31 s at 1 thread against 414 s at 2 threads on the loaded 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def make(spec: Spec, points=None, root=None, show: bool | None = None) -> dict[str, np.ndarray]:
    """Generate the split ``spec`` (vectorised in batches of 128, one thread, progress bar)."""
    images, labels = pool(spec, root)
    arrays = plan(spec, labels, images)
    pts = spec.points(points)
    n = labels.shape[0]
    signals = np.empty((n, pts.shape[0]), dtype=np.uint8)
    masks = np.empty((n, pts.shape[0]), dtype=np.uint8) if spec.canvas else None
    R = torch.from_numpy(arrays["rotations"])
    rot = None if spec.rotate == "NR" else R
    with progress(n, f"{spec.name()}", show) as advance, _one_thread():
        for lo in range(0, n, BATCH):
            idx = np.arange(lo, min(lo + BATCH, n))
            s, m = generate(spec, images, arrays, idx, None if rot is None else rot[idx], pts)
            signals[idx] = s.numpy()
            if masks is not None:
                assert m is not None  # canvases have masks
                masks[idx] = m.numpy()
            advance(idx.size)
    arrays["signals"] = signals
    if masks is not None:
        arrays["masks"] = masks
    meta = {"recipe": "gconv.data.spherical", "version": VERSION, **asdict(spec)}
    meta["sha256"] = _sha256(arrays)
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    if not spec.grid.startswith("b"):
        arrays["points"] = pts.numpy()
    return arrays


def load(path: Path, spec: Spec) -> dict[str, np.ndarray]:
    """Read and check a cached split (parameters and sha256); CorruptFileError otherwise."""
    hint = "delete it and it is regenerated on next use"
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta")))
    except Exception as e:  # noqa: BLE001 - numpy's header parser raises many kinds
        raise CorruptFileError(f"{path}: unreadable spherical-data cache ({e}); {hint}") from None
    want = {"version": VERSION, **asdict(spec)}
    got = {k: meta.get(k) for k in want}
    if got != want or _sha256(arrays) != meta.get("sha256"):
        raise CorruptFileError(
            f"{path}: spherical-data cache does not match its parameters/checksum "
            f"(metadata {got}, expected {want}); {hint}"
        )
    return arrays


def load_or_make(spec: Spec, points=None, root=None, show: bool | None = None) -> dict:
    """The split's arrays from the cache, generated and written atomically on first use (built
    in memory, every time, when the cache is disabled)."""
    path = spec.path()
    if path is None:
        return make(spec, points, root, show)
    if not path.is_file():
        arrays = make(spec, points, root, show)
        with atomic_write(path) as f:
            # mypy matches **arrays against savez's `allow_pickle: bool` keyword too
            np.savez(f, **arrays)  # type: ignore[arg-type]
    return load(path, spec)
