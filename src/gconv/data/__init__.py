# SPDX-License-Identifier: MIT
"""Datasets: the original idx files (found, verified, cached) and derived sets.

Public names:

- ``MNIST(split, root=None)``, ``FashionMNIST(split, root=None)``: uint8 images ``(N, 28, 28)``,
  int64 labels, as a torch ``Dataset`` with ``.images`` / ``.labels``.
- ``RotatedMNIST(split, root=None, base="mnist", seed=0)``: MNIST-rot recipe (10k/2k/50k),
  items ``(float32 (1, 28, 28) in [0, 1], int)``, ``.angles`` per sample; ``rotated_splits``.
- ``find_file``, ``verify_file``, ``lookup_dirs``, ``cache_dir``, ``data_dir``: the lookup
  ``$GCONV_DATA`` → system folders → ``$GCONV_CACHE/data`` → download into the cache.
- ``read_idx``, ``encode_idx``: the idx(.gz) format. ``DATASETS``: known files and checksums.
- ``CorruptFileError`` (a ValueError), ``MissingFileError`` (a FileNotFoundError).
- Registry of data sets by name (``mnist``, ``fashion-mnist``, ``rotmnist``, ``rotfashion``, …):
  ``DataSpec``, ``register_dataset``, ``dataset_spec``, ``list_datasets``, ``get_dataset``.
  A new data set is a new file that calls ``register_dataset`` and is imported below.
- CIFAR-10 from the binary distribution (``cifar.py``): ``CIFAR10(split, root=None)`` uint8
  ``(N, 3, 32, 32)``, ``load_cifar10``, ``parse_records``/``encode_records`` (3,073-byte
  records, never unpickled), ``checksum_table``; augmentation "+" ``flip_translate`` /
  ``FlipTranslate`` (flip, integer shifts ≤ 4 px, zeros, drawn from (seed, epoch, index)).
- ``add_commands(subparsers)``: ``gconv data list|verify|where`` (used by ``gconv.cli``).
"""

from .._util import ShapeError
from . import _catalog  # noqa: F401 - registers the data sets of mnist.py and rotated.py
from ._checksums import DATASETS, DatasetSpec, FileSpec, spec_of
from ._cli import add_commands
from ._files import (
    MissingFileError,
    atomic_write,
    cache_dir,
    data_dir,
    find_file,
    load_file,
    locate,
    lookup_dirs,
    verify_file,
)
from ._idx import CorruptFileError, encode_idx, parse_idx, read_idx
from ._registry import (
    INPUT_KINDS,
    DataSpec,
    dataset_spec,
    get_dataset,
    list_datasets,
    register_dataset,
)
from .cifar import (
    CIFAR10,
    CIFAR10_CLASSES,
    RECORD_BYTES,
    FlipTranslate,
    checksum_table,
    encode_records,
    flip_translate,
    load_cifar10,
    parse_records,
)
from .mnist import MNIST, FashionMNIST, load_arrays
from .rotated import RotatedMNIST, generate_rotated, rotate_uint8, rotated_splits

__all__ = [
    "INPUT_KINDS",
    "CIFAR10",
    "CIFAR10_CLASSES",
    "RECORD_BYTES",
    "FlipTranslate",
    "checksum_table",
    "encode_records",
    "flip_translate",
    "load_cifar10",
    "parse_records",
    "DATASETS",
    "CorruptFileError",
    "DataSpec",
    "DatasetSpec",
    "FashionMNIST",
    "FileSpec",
    "MNIST",
    "MissingFileError",
    "RotatedMNIST",
    "ShapeError",
    "add_commands",
    "atomic_write",
    "cache_dir",
    "data_dir",
    "dataset_spec",
    "encode_idx",
    "find_file",
    "generate_rotated",
    "get_dataset",
    "list_datasets",
    "load_arrays",
    "load_file",
    "locate",
    "lookup_dirs",
    "parse_idx",
    "read_idx",
    "register_dataset",
    "rotate_uint8",
    "rotated_splits",
    "spec_of",
    "verify_file",
]

# --- spherical MNIST / Fashion-MNIST (issue 14; CLI hooks in ._spherical_cli) ---
from ._project import keyed_rotations, project  # noqa: E402
from ._render import render, render_samples  # noqa: E402
from ._spherical_augment import RotatedCopies, SphericalAugment  # noqa: E402
from .spherical import SphericalFashionMNIST, SphericalMNIST  # noqa: E402

__all__ += ["RotatedCopies", "SphericalAugment", "SphericalFashionMNIST", "SphericalMNIST"]
__all__ += ["keyed_rotations", "project", "render", "render_samples"]
