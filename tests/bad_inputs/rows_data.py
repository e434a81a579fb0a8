# SPDX-License-Identifier: MIT
"""Bad inputs for ``gconv.data`` (run with ``GCONV_CACHE=""`` in a temporary folder: nothing
is downloaded or written). ``cache_dir`` and ``data_dir`` take no argument; their row passes
one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from _bad_row import Row

from gconv import data as d

PACKAGE = "gconv.data"

_SHA = "0" * 64


def _corrupt_cifar_folder():
    """checksum_table on a folder (under the test's temporary cwd) whose first batch is 3 bytes."""
    folder = Path("cifar")
    folder.mkdir()
    (folder / "data_batch_1.bin").write_bytes(b"abc")
    return d.checksum_table(folder)


def _spec(**kw):
    args = dict(
        name="a",
        factory=lambda split, root=None: None,
        input_kind="image",
        task="classification",
        sample_shape=(1, 28, 28),
    )
    return d.DataSpec(**{**args, **kw})


ROWS = [
    Row(
        "DataSpec",
        lambda: _spec(input_kind="audio"),
        ValueError,
        r"input_kind must be one of \('image', 's2', 'so3', 'ico'\), got 'audio'",
    ),
    Row(
        "DatasetSpec",
        lambda: d.DatasetSpec("a", {"train": "file"}, (), ""),
        TypeError,
        r"files must be a dict of role -> FileSpec",
    ),
    Row(
        "FileSpec",
        lambda: d.FileSpec("mnist", "f", _SHA, -1, (1,)),
        ValueError,
        r"size must be a positive int, got -1",
    ),
    Row(
        "FileSpec",
        lambda: d.FileSpec("mnist", "f", "abc", 1, (1,)),
        ValueError,
        r"sha256 must be 64 lower-case hex digits, got 'abc'",
    ),
    Row(
        "MNIST",
        lambda: d.MNIST(split="valid"),
        ValueError,
        r"split must be one of \('train', 'test'\), got 'valid'",
    ),
    Row(
        "FashionMNIST",
        lambda: d.FashionMNIST(split="dev"),
        ValueError,
        r"split must be one of \('train', 'test'\), got 'dev'",
    ),
    Row(
        "RotatedMNIST",
        lambda: d.RotatedMNIST(split="dev"),
        ValueError,
        r"split must be one of \('train', 'valid', 'test'\), got 'dev'",
    ),
    Row(
        "RotatedMNIST",
        lambda: d.RotatedMNIST(base="kmnist"),
        ValueError,
        r"unknown dataset 'kmnist'; known: .*fashion-mnist, mnist",
    ),
    Row(
        "add_commands",
        lambda: d.add_commands(None),
        TypeError,
        r"expected the result of ArgumentParser.add_subparsers\(\), got NoneType",
    ),
    Row(
        "atomic_write",
        lambda: d.atomic_write(None).__enter__(),
        TypeError,
        r"expected str, bytes or os.PathLike object, not NoneType",
    ),
    Row("cache_dir", lambda: d.cache_dir("x"), TypeError, r"takes 0 positional arguments"),
    Row("data_dir", lambda: d.data_dir("x"), TypeError, r"takes 0 positional arguments"),
    Row(
        "dataset_spec",
        lambda: d.dataset_spec("cifar"),
        ValueError,
        r"unknown dataset 'cifar'; known datasets: mnist",
    ),
    Row(
        "encode_idx",
        lambda: d.encode_idx(np.zeros(3, dtype=np.complex64)),
        ValueError,
        r"dtype complex64 has no idx code; use one of float32",
    ),
    Row(
        "find_file",
        lambda: d.find_file("mnist"),
        TypeError,
        r"spec must be a FileSpec .*got str",
    ),
    Row(
        "generate_rotated",
        lambda: d.generate_rotated(np.zeros((3, 28), dtype=np.uint8), np.zeros(3)),
        ValueError,
        r"expects images \(M, H, W\) and labels \(M,\), got \(3, 28\) and \(3,\)",
    ),
    Row(
        "generate_rotated",
        lambda: d.generate_rotated(np.zeros((3, 4, 4), dtype=np.uint8), np.zeros(3), n=5),
        ValueError,
        r"n must be an int in \[1, 3\] \(the base set's size\), got 5",
    ),
    Row(
        "get_dataset",
        lambda: d.get_dataset("cifar", "train"),
        ValueError,
        r"unknown dataset 'cifar'; known datasets: mnist",
    ),
    Row(
        "list_datasets",
        lambda: d.list_datasets(input_kind="audio"),
        ValueError,
        r"input_kind must be one of \('image', .*\), got 'audio'",
    ),
    Row(
        "load_arrays",
        lambda: d.load_arrays("kmnist", "train"),
        ValueError,
        r"unknown dataset 'kmnist'; known: .*fashion-mnist, mnist",
    ),
    Row("load_file", lambda: d.load_file("x", "mnist"), TypeError, r"spec must be a FileSpec"),
    Row("locate", lambda: d.locate(None), TypeError, r"spec must be a FileSpec .*got NoneType"),
    Row(
        "lookup_dirs",
        lambda: d.lookup_dirs("../mnist"),
        ValueError,
        r"dataset must be a folder name \(non-empty, no path separator\), got '../mnist'",
    ),
    Row(
        "parse_idx",
        lambda: d.parse_idx(b"abc"),
        ValueError,
        r"3 bytes, too short for an idx header",
    ),
    Row(
        "read_idx",
        lambda: d.read_idx(None),
        TypeError,
        r"expected str, bytes or os.PathLike object, not NoneType",
    ),
    Row(
        "rotate_uint8",
        lambda: d.rotate_uint8(np.zeros((2, 5, 5), dtype=np.float32), np.zeros(2)),
        TypeError,
        r"expects a uint8 numpy array of images, got float32",
    ),
    Row(
        "rotate_uint8",
        lambda: d.rotate_uint8(np.zeros((2, 5, 5), dtype=np.uint8), np.zeros(3)),
        ValueError,
        r"expects images \(N, H, W\) and angles \(N,\), got \(2, 5, 5\) and \(3,\)",
    ),
    Row(
        "rotated_splits",
        lambda: d.rotated_splits(base="kmnist"),
        ValueError,
        r"unknown dataset 'kmnist'; known: .*fashion-mnist, mnist",
    ),
    Row(
        "register_dataset",
        lambda: d.register_dataset("mnist"),
        TypeError,
        r"expects a DataSpec, got str",
    ),
    Row(
        "register_dataset",
        lambda: d.register_dataset(_spec(name="mnist")),
        ValueError,
        r"dataset 'mnist' is already registered",
    ),
    Row("spec_of", lambda: d.spec_of("cifar"), ValueError, r"unknown dataset 'cifar'; known"),
    Row(
        "verify_file",
        lambda: d.verify_file("x", {"sha256": _SHA}),
        TypeError,
        r"spec must be a FileSpec .*got dict",
    ),
    Row(
        "CIFAR10",
        lambda: d.CIFAR10(split="val"),
        ValueError,
        r"split must be one of \('train', 'test'\), got 'val'",
    ),
    Row(
        "FlipTranslate",
        lambda: d.FlipTranslate([], max_shift=-1),
        ValueError,
        r"max_shift must be an int ≥ 0, got -1",
    ),
    Row("checksum_table", _corrupt_cifar_folder, ValueError, r"3 bytes is not a positive whole"),
    Row(
        "encode_records",
        lambda: d.encode_records(np.zeros((2, 3, 32, 32)), np.zeros(2)),
        ValueError,
        r"images must be uint8 \(N, 3, 32, 32\), got float64 \(2, 3, 32, 32\)",
    ),
    Row(
        "encode_records",
        lambda: d.encode_records(np.zeros((2, 3, 32, 32), np.uint8), np.array([1, 10])),
        ValueError,
        r"labels must be in 0\.\.9, got \[10\]",
    ),
    Row(
        "encode_records",
        lambda: d.encode_records(np.zeros((2, 3, 32, 32), np.uint8), np.array([1.7, 2.2])),
        ValueError,
        r"labels must be integers \(N,\) = \(2,\) in 0\.\.9, got float64 of shape \(2,\)",
    ),
    Row(
        "rotate_uint8",
        lambda: d.rotate_uint8(np.zeros((2, 5, 5), np.uint8), np.array([np.nan, 0.0])),
        ValueError,
        r"rotate_uint8: angles must be finite, got \[nan\]",
    ),
    Row(
        "flip_translate",
        lambda: d.flip_translate(torch.zeros(1, 3, 4, 4), generator=0),
        TypeError,
        r"generator must be a torch.Generator or None, got int",
    ),
    Row(
        "flip_translate",
        lambda: d.flip_translate(np.zeros((3, 8, 8))),
        TypeError,
        r"expected a torch\.Tensor, got numpy\.ndarray",
    ),
    Row(
        "flip_translate",
        lambda: d.flip_translate(torch.zeros(8, 8)),
        ValueError,
        r"expected \(C, H, W\) or \(B, C, H, W\), got \(8, 8\)",
    ),
    Row(
        "load_cifar10",
        lambda: d.load_cifar10("valid"),
        ValueError,
        r"split must be one of \('train', 'test'\), got 'valid'",
    ),
    Row("parse_records", lambda: d.parse_records(b"abc"), ValueError, r"3 bytes is not a"),
    Row(
        "parse_records", lambda: d.parse_records("a" * 3073), TypeError, r"expected bytes, got str"
    ),
    Row(
        "RotatedCopies",
        lambda: d.RotatedCopies([1, 2], copies=2),
        TypeError,
        r"dataset must be a SphericalMNIST, got list",
    ),
    Row(
        "SphericalAugment",
        lambda: d.SphericalAugment([1], fraction=0.5),
        TypeError,
        r"dataset must be a SphericalMNIST, got list",
    ),
    Row(
        "SphericalMNIST",
        lambda: d.SphericalMNIST("dev"),
        ValueError,
        r"split must be one of \('train', 'valid', 'test'\), got 'dev'",
    ),
    Row(
        "SphericalFashionMNIST",
        lambda: d.SphericalFashionMNIST("test", bandwidth=0),
        ValueError,
        r"bandwidth must be an int >= 1, got 0",
    ),
    Row(
        "keyed_rotations",
        lambda: d.keyed_rotations(np.array(["a"])),
        ValueError,
        r"keys must be non-negative integers, got array",
    ),
    Row(
        "project",
        lambda: d.project(np.zeros((2, 4, 4)), torch.zeros(5, 3)),
        ValueError,
        r"images must be a tensor \(N, H, W\), got ndarray",
    ),
    Row(
        "project",
        lambda: d.project(torch.zeros(2, 4, 4), torch.eye(3), 2 * torch.eye(3)),
        ValueError,
        r"project: rotations: expected a rotation matrix \(RᵀR = I within 1e-05\), got max",
    ),
    Row(
        "project",
        lambda: d.project(torch.zeros(2, 4, 4), torch.zeros(5, 2)),
        ValueError,
        r"points must be a tensor of unit vectors \(\.\.\., 3\), got \(5, 2\)",
    ),
    Row(
        "render",
        lambda: d.render(np.zeros((2, 8, 8)), "never.png"),
        ValueError,
        r"signals must be a tensor \(N, 2b, 2b\) or \(N, P\)",
    ),
    Row(
        "render_samples",
        lambda: d.render_samples([1, 2], "never.png"),
        TypeError,
        r"expects a SphericalMNIST-like dataset .*got list",
    ),
]
