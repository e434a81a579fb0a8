# SPDX-License-Identifier: MIT
"""Registers the data sets of ``mnist.py``, ``rotated.py`` and ``cifar.py``: MNIST,
Fashion-MNIST and CIFAR-10 as read from their files, and rotated MNIST / rotated
Fashion-MNIST (derived, cached)."""

from __future__ import annotations

import re
from pathlib import Path

from ._files import cache_dir
from ._idx import CorruptFileError
from ._registry import DataSpec, register_dataset
from ._spherical_cli import cache_files as spherical_cache_files
from ._spherical_cli import verify_cache as verify_spherical_cache
from ._spherical_gen import SPLITS
from .cifar import CIFAR10
from .mnist import MNIST, FashionMNIST
from .rotated import SIZES, VERSION, RotatedMNIST, _load
from .spherical import SphericalFashionMNIST, SphericalMNIST

__all__: list[str] = []

_ROT = re.compile(r"rotmnist-(?P<base>[a-z-]+)-seed(?P<seed>\d+)-v(?P<v>\d+)\.npz")


def _rotated_files(base: str):  # noqa: ANN202
    def files() -> list[Path]:
        cache = cache_dir()
        if cache is None:
            return []
        return [
            p
            for p in sorted(cache.glob(f"rotmnist-{base}-seed*-v*.npz"))
            if (m := _ROT.fullmatch(p.name)) and m["base"] == base and int(m["v"]) == VERSION
        ]

    return files


def _verify_rotated(path: Path) -> None:
    m = _ROT.fullmatch(path.name)
    if m is None:
        raise CorruptFileError(f"{path}: not a rotated-MNIST cache file name")
    _load(path, m["base"], int(m["seed"]))  # checks parameters and the arrays' sha256


for _name, _cls, _what in (
    ("mnist", MNIST, "MNIST digits (LeCun et al.)"),
    ("fashion-mnist", FashionMNIST, "Fashion-MNIST (Xiao et al. 2017)"),
):
    register_dataset(
        DataSpec(
            _name,
            lambda split, root=None, _c=_cls: _c(split, root),
            "image",
            "classification",
            (1, 28, 28),
            num_classes=10,
            splits=("train", "test"),
            sources=(_name,),
            description=f"{_what}, 60,000 train / 10,000 test, as in the original files",
            split_sizes={"train": 60_000, "test": 10_000},
        )
    )

for _name, _base in (("rotmnist", "mnist"), ("rotfashion", "fashion-mnist")):
    register_dataset(
        DataSpec(
            _name,
            lambda split, root=None, seed=0, _b=_base: RotatedMNIST(split, root, _b, seed),
            "image",
            "classification",
            (1, 28, 28),
            num_classes=10,
            sources=(_base,),
            cache_files=_rotated_files(_base),
            verify_cache=_verify_rotated,
            defaults={"seed": 0},
            description=f"{_base} rotated by uniform angles, MNIST-rot recipe (10k/2k/50k)",
            split_sizes=dict(SIZES),
        )
    )

register_dataset(
    DataSpec(
        "cifar10",
        lambda split, root=None: CIFAR10(split, root),
        "image",
        "classification",
        (3, 32, 32),
        num_classes=10,
        splits=("train", "test"),
        sources=("cifar10",),
        description="CIFAR-10 (Krizhevsky 2009), 50,000 train / 10,000 test, binary distribution",
        split_sizes={"train": 50_000, "test": 10_000},
    )
)

for _name, _scls, _base in (
    ("spherical-mnist", SphericalMNIST, "mnist"),
    ("spherical-fashion-mnist", SphericalFashionMNIST, "fashion-mnist"),
):
    register_dataset(
        DataSpec(
            _name,
            lambda split, root=None, _c=_scls, **kw: _c(split, root=root, **kw),
            "s2",
            "classification",
            (1, 60, 60),
            num_classes=10,
            sources=(_base,),
            cache_files=spherical_cache_files(_base),
            verify_cache=verify_spherical_cache,
            defaults={"bandwidth": 30, "rotate": "NR", "seed": 0},
            description=f"{_base} projected onto the sphere (SOFT grid b = 30; NR/R, "
            "55k/5k/10k; task='segmentation' gives masks)",
            split_sizes=dict(SPLITS),
        )
    )
