# SPDX-License-Identifier: MIT
"""MNIST and Fashion-MNIST from the real files (numbers from the PROVENANCE files, which were
obtained by parsing the files with numpy)."""

from __future__ import annotations

import pytest
import torch

from gconv.data import MNIST, FashionMNIST

# first ten labels and train label histograms as listed in shared/data/*/PROVENANCE.md
MNIST_FIRST = {"train": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], "test": [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]}
MNIST_TRAIN_HIST = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
FASHION_FIRST = {"train": [9, 0, 0, 3, 0, 2, 7, 2, 5, 5], "test": [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]}


def _check(ds, n: int, first: list[int]) -> None:
    assert len(ds) == n
    assert ds.images.shape == (n, 28, 28) and ds.images.dtype == torch.uint8
    assert ds.labels.shape == (n,) and ds.labels.dtype == torch.int64
    assert ds.labels[:10].tolist() == first
    image, label = ds[3]
    assert torch.equal(image, ds.images[3]) and label == first[3] and isinstance(label, int)


def test_mnist(data_root):
    train, test = MNIST("train"), MNIST("test")
    _check(train, 60000, MNIST_FIRST["train"])
    _check(test, 10000, MNIST_FIRST["test"])
    assert torch.bincount(train.labels).tolist() == MNIST_TRAIN_HIST
    assert int(train.images.max()) == 255 and int(train.images.min()) == 0
    # pixel mean 33.318421 (PROVENANCE, 6 decimals)
    assert abs(train.images.double().mean().item() - 33.318421) < 1e-6


def test_mnist_copies_and_transform(data_root):
    a = MNIST("test", root=data_root)
    a.images.zero_()  # a dataset's tensors are its own: the next one is unaffected
    b = MNIST("test", transform=lambda x: x.float() / 255)
    assert b.images.sum() > 0
    assert b[0][0].dtype == torch.float32


def test_bad_split(data_root):
    with pytest.raises(ValueError, match="split must be one of"):
        MNIST("valid")


def test_fashion_mnist(fashion_installed):
    train, test = FashionMNIST("train"), FashionMNIST("test")
    _check(train, 60000, FASHION_FIRST["train"])
    _check(test, 10000, FASHION_FIRST["test"])
    assert torch.bincount(train.labels).tolist() == [6000] * 10
    assert len(FashionMNIST.classes) == 10
