# SPDX-License-Identifier: MIT
"""The dataset registry and ``gconv data list``'s table of registered data sets."""

from __future__ import annotations

import pytest
from torch.utils.data import Dataset

from gconv.cli import main
from gconv.data import (
    DATASETS,
    DataSpec,
    RotatedMNIST,
    _registry,
    dataset_spec,
    get_dataset,
    list_datasets,
    register_dataset,
)


class _Tiny(Dataset):
    def __init__(self, split: str, root=None, n: int = 3) -> None:  # noqa: ANN001
        self.split, self.n = split, n

    def __len__(self) -> int:
        return self.n


def test_builtin_data_sets():
    assert {"mnist", "fashion-mnist", "rotmnist", "rotfashion"} <= set(list_datasets())
    for name in list_datasets():
        spec = dataset_spec(name)
        assert set(spec.sources) <= set(DATASETS), name  # sources are original file sets
    rot = dataset_spec("rotmnist")
    assert (rot.input_kind, rot.task, rot.sample_shape, rot.num_classes) == (
        "image", "classification", (1, 28, 28), 10)  # fmt: skip
    assert rot.splits == ("train", "valid", "test") and rot.sources == ("mnist",)
    assert dataset_spec("rotfashion").sources == ("fashion-mnist",)
    assert "rotmnist" in list_datasets("classification", "image")
    assert "rotmnist" not in list_datasets(input_kind="s2")


def test_get_dataset_real(splits):  # the session's rotated MNIST (skips without MNIST)
    ds = get_dataset("rotmnist", "valid")
    assert isinstance(ds, RotatedMNIST) and len(ds) == 2000 and ds.base == "mnist"


def test_split_sizes_name_known_splits():
    for name in list_datasets():
        spec = dataset_spec(name)
        assert set(spec.split_sizes) <= set(spec.splits), name
        assert all(isinstance(n, int) and n > 0 for n in spec.split_sizes.values()), name
    assert dataset_spec("spherical-mnist").split_sizes["train"] == 55_000  # 5,000 held out


@pytest.mark.usefixtures("mnist_root")
def test_split_sizes_are_the_lengths(splits):  # MNIST's files and the session's rotated MNIST
    for name in ("mnist", "rotmnist"):
        sizes = dataset_spec(name).split_sizes
        assert set(sizes) == set(dataset_spec(name).splits), name
        for split, n in sizes.items():
            assert len(get_dataset(name, split)) == n, (name, split)


def test_errors_name_the_choices(monkeypatch):
    with pytest.raises(ValueError, match="unknown dataset 'cifar99'; known datasets: mnist"):
        dataset_spec("cifar99")
    with pytest.raises(ValueError, match=r"split must be one of \('train', 'test'\)"):
        get_dataset("mnist", "valid")
    with pytest.raises(ValueError, match="already registered"):
        register_dataset(dataset_spec("mnist"))
    with pytest.raises(ValueError, match="input_kind must be one of"):
        DataSpec("x", _Tiny, "graph", "classification", (1,))
    with pytest.raises(ValueError, match="task must be one of"):
        DataSpec("x", _Tiny, "image", "detection", (1,))


def test_register_and_get(monkeypatch):
    monkeypatch.setattr(_registry, "_REGISTRY", _registry._REGISTRY.copy())
    register_dataset(DataSpec("tiny", _Tiny, "s2", "segmentation", (1, 8, 8), defaults={"n": 5}))
    assert "tiny" in list_datasets("segmentation") and "tiny" in list_datasets(input_kind="s2")
    assert len(get_dataset("tiny", "train")) == 5
    assert len(get_dataset("tiny", "test", n=7)) == 7


def test_data_list_shows_registered_sets(capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "registered data sets" in out
    for name in list_datasets():
        assert f"\n{name} " in out


def test_data_list_selects_derived_with_sources(capsys):
    assert main(["data", "list", "--dataset", "rotfashion"]) == 0
    out = capsys.readouterr().out
    table = out.split("registered data sets")[1]
    assert "rotfashion" in table and "\nrotmnist " not in table
    assert "train-images-idx3-ubyte" in out  # the source's files (fashion-mnist)
    assert "\nmnist " not in out.split("\n\n", 1)[1]
