# SPDX-License-Identifier: MIT
"""CIFAR-10 (Krizhevsky 2009) from the *binary* distribution, found and verified as
:mod:`gconv.data._files` describes (lookup ``$GCONV_DATA/cifar10`` → system folders → cache →
download of ``cifar-10-binary.tar.gz`` into the cache; checksum table in ``_checksums.py``).

Format: each of ``data_batch_1..5.bin`` (training, 50,000 images) and ``test_batch.bin``
(10,000) is a sequence of 3,073-byte records: one label byte (0..9), then the 32×32 red, green
and blue planes, 1,024 bytes each, row-major with row 0 at the top. Nothing is unpickled: the
Python version of the dataset is never read. Besides its sha256, every file is checked
structurally (whole records only, labels 0..9, 10,000 records).

Augmentation "+" (CIFAR10+ of Cohen & Welling 2016, Table 2: "small translations and horizontal
flips"): :func:`flip_translate` mirrors each image left-right with probability 1/2 and shifts it
by integers (dy, dx), each uniform on {−4, …, 4}, filling with zeros — the recipe of He et al.
(2016), "pad 4 pixels with zeros and take a random 32×32 crop". The paper does not spell out its
recipe; its released code (``gconv_experiments/augmentation.py``) shifts by real offsets in
[−2, 2) with cubic interpolation and reflected borders instead.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from .._util import check_tensor
from ._checksums import spec_of
from ._files import CorruptFileError, find_file, load_file, locate, read_member
from ._idx import read_bytes
from .mnist import _IdxDataset

__all__ = [
    "CIFAR10",
    "CIFAR10_CLASSES",
    "RECORD_BYTES",
    "FlipTranslate",
    "checksum_table",
    "encode_records",
    "flip_translate",
    "load_cifar10",
    "parse_records",
]

#: bytes per record: 1 label + 3·32·32 pixels
RECORD_BYTES = 1 + 3 * 32 * 32
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
_SPLITS = {"train": ("train-1", "train-2", "train-3", "train-4", "train-5"), "test": ("test",)}


def parse_records(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """The records of a CIFAR-10 ``.bin`` file as a read-only uint8 array ``(N, 3073)``;
    CorruptFileError (naming the file) unless the size is a whole number of records and every
    label byte is 0..9.

    >>> images = np.zeros((2, 3, 32, 32), np.uint8)
    >>> parse_records(encode_records(images, np.array([3, 9])))[:, 0].tolist()
    [3, 9]
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"parse_records: expected bytes, got {type(data).__name__}")
    if len(data) == 0 or len(data) % RECORD_BYTES:
        raise CorruptFileError(
            f"{name}: {len(data):,} bytes is not a positive whole number of {RECORD_BYTES:,}-byte "
            f"records (truncated or not a CIFAR-10 binary file; {len(data) % RECORD_BYTES} "
            "bytes left over)"
        )
    arr = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    bad = np.flatnonzero(arr[:, 0] > 9)
    if bad.size:
        raise CorruptFileError(
            f"{name}: record {bad[0]} has label {arr[bad[0], 0]}, expected 0..9 "
            f"({bad.size} bad labels; corrupt, or not CIFAR-10)"
        )
    return arr


def encode_records(images: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor) -> bytes:
    """The bytes of a CIFAR-10 ``.bin`` file holding uint8 ``images`` ``(N, 3, 32, 32)`` and
    ``labels`` ``(N,)`` in 0..9 (the inverse of :func:`parse_records`)."""
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (3, 32, 32):
        raise ValueError(
            f"encode_records: images must be uint8 (N, 3, 32, 32), got {images.dtype} "
            f"{images.shape}"
        )
    if labels.dtype.kind not in "iu" or labels.shape != images.shape[:1]:
        raise ValueError(
            f"encode_records: labels must be integers (N,) = {images.shape[:1]} in 0..9, got "
            f"{labels.dtype} of shape {labels.shape}"
        )
    if labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
        bad = labels[(labels < 0) | (labels > 9)]
        raise ValueError(f"encode_records: labels must be in 0..9, got {bad[:5].tolist()}")
    head = labels.astype(np.uint8).reshape(-1, 1)
    return np.concatenate([head, images.reshape(len(images), -1)], axis=1).tobytes()


def load_cifar10(
    split: str, root: str | os.PathLike | None = None, download: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, labels)`` of CIFAR-10's ``split`` ("train": the five data batches in order,
    50,000 images; "test": 10,000): uint8 ``(N, 3, 32, 32)`` and int64 ``(N,)``."""
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {tuple(_SPLITS)}, got {split!r}")
    files = spec_of("cifar10").files
    parts = []
    for role in _SPLITS[split]:
        spec = files[role]
        hit = locate(spec, root)  # load_file verifies it: one read of the archive, not two
        path = hit[1] if hit is not None else find_file(spec, root, download)
        parts.append(load_file(path, spec, parse_records))
    records = np.concatenate(parts)
    images = torch.from_numpy(records[:, 1:].reshape(-1, 3, 32, 32).copy())
    return images, torch.from_numpy(records[:, 0].astype(np.int64))


class CIFAR10(_IdxDataset):
    """CIFAR-10: ``split`` "train" (50,000) or "test" (10,000), from the binary distribution.

    ``.images`` uint8 ``(N, 3, 32, 32)`` (RGB planes), ``.labels`` int64 ``(N,)``; an item is
    ``(image, label)`` with the uint8 image passed through ``transform`` if given. ``root``
    replaces ``$GCONV_DATA`` in the lookup (a folder holding ``cifar10/cifar-10-binary.tar.gz``
    or the extracted ``cifar10/cifar-10-batches-bin/``).
    """

    dataset = "cifar10"
    classes = CIFAR10_CLASSES

    def _load(
        self, split: str, root: str | os.PathLike | None, download: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return load_cifar10(split, root, download)


def flip_translate(
    x: torch.Tensor, generator: torch.Generator | None = None, max_shift: int = 4
) -> torch.Tensor:
    """Augmentation "+": per image, a left-right flip with probability 1/2, then a shift by
    integers (dy, dx) each uniform on {−max_shift, …, max_shift}, zeros shifted in:
    ``y[c, i, j] = x'[c, i − dy, j − dx]`` (0 outside), ``x'`` the possibly flipped image.

    ``x``: ``(C, H, W)`` or ``(B, C, H, W)``, any dtype and device; one draw per image, uniform
    over the 2·(2·max_shift + 1)² outcomes, from the CPU ``generator`` only (or torch's global
    one when it is None).

    >>> x = torch.arange(16.0).view(1, 1, 4, 4)
    >>> y = flip_translate(x, torch.Generator().manual_seed(0), max_shift=0)
    >>> torch.equal(y, x) or torch.equal(y, x.flip(-1))
    True
    """
    if not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"flip_translate: max_shift must be an int ≥ 0, got {max_shift!r}")
    check_tensor("flip_translate: x", x, floating=False)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"flip_translate: generator must be a torch.Generator or None, got "
            f"{type(generator).__name__}"
        )
    if x.dim() not in (3, 4):
        raise ValueError(
            f"flip_translate: expected (C, H, W) or (B, C, H, W), got {tuple(x.shape)}"
        )
    single = x.dim() == 3
    batch = x.unsqueeze(0) if single else x
    b, _, h, w = batch.shape
    n = 2 * max_shift + 1
    k = torch.randint(0, 2 * n * n, (b,), generator=generator).to(x.device)  # one draw per image
    flip, dy, dx = k // (n * n), (k // n) % n - max_shift, k % n - max_shift
    batch = torch.where(flip.view(b, 1, 1, 1).bool(), batch.flip(-1), batch)
    p = max_shift
    padded = torch.nn.functional.pad(batch, (p, p, p, p))
    rows = torch.arange(h, device=x.device).view(1, h) + p - dy.view(b, 1)  # (B, H)
    cols = torch.arange(w, device=x.device).view(1, w) + p - dx.view(b, 1)  # (B, W)
    out = padded[torch.arange(b, device=x.device).view(b, 1, 1), :, rows[:, :, None], cols[:, None]]
    out = out.permute(0, 3, 1, 2)  # advanced indexing put the channel axis last
    return out[0] if single else out


class FlipTranslate(Dataset):
    """A dataset wrapper applying :func:`flip_translate` to item ``i`` with a generator seeded
    from ``(seed, epoch, i)`` (NumPy ``SeedSequence``): the draws depend on neither the order
    of access nor the DataLoader worker, so a resumed run sees the same images. Call
    :meth:`set_epoch` at the start of every epoch.
    """

    def __init__(self, dataset: Dataset, seed: int = 0, max_shift: int = 4) -> None:
        if not isinstance(max_shift, int) or isinstance(max_shift, bool) or max_shift < 0:
            raise ValueError(f"FlipTranslate: max_shift must be an int ≥ 0, got {max_shift!r}")
        self.dataset, self.seed, self.max_shift, self.epoch = dataset, int(seed), max_shift, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> tuple[Any, Any]:
        image, label = self.dataset[i]
        state = np.random.SeedSequence([self.seed, self.epoch, int(i)]).generate_state(1)
        g = torch.Generator().manual_seed(int(state[0]))
        return flip_translate(image, g, self.max_shift), label


def checksum_table(path: str | os.PathLike) -> dict[str, tuple[str, int]]:
    """``name → (sha256, size)`` of the six CIFAR-10 files in ``path`` — the archive
    ``cifar-10-binary.tar.gz`` or a folder holding the ``.bin`` files (or
    ``cifar-10-batches-bin/``) — each checked structurally: the rows to put into
    ``gconv/data/_checksums.py`` if a copy you trust disagrees with the table there."""
    path = Path(path)
    out = {}
    for spec in spec_of("cifar10").files.values():
        if path.is_file():
            raw = read_member(path, str(spec.member))
        else:
            hits = [p for p in (path / spec.name, path / str(spec.member)) if p.is_file()]
            if not hits:
                raise FileNotFoundError(f"checksum_table: no {spec.name} in {path}")
            raw = read_bytes(hits[0])
        parse_records(raw, f"{path}: {spec.name}")
        out[spec.name] = (hashlib.sha256(raw).hexdigest(), len(raw))
    return out
