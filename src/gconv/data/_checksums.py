# SPDX-License-Identifier: MIT
"""The known data files: name, sha256 and size of the *uncompressed* content, shape, and where
to get them. Checksums of the uncompressed bytes, so re-gzipped copies (Debian's) verify too.

Values are those of ``shared/data/mnist/PROVENANCE.md`` and
``shared/data/fashion-mnist/PROVENANCE.md`` (LeCun's MNIST, Zalando's Fashion-MNIST). CIFAR-10
(the binary version, Krizhevsky 2009) comes as one archive whose members are the files; its
table, with the source of every value, is ``_CIFAR10`` below.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DATASETS", "ArchiveSpec", "FileSpec", "DatasetSpec", "spec_of"]


@dataclass(frozen=True)
class FileSpec:
    """One original file: ``name`` is the uncompressed name; on disk it is ``name + ".gz"``
    (or ``name`` itself, uncompressed). ``shape`` is the parsed array's shape (idx array, or
    ``(records, record bytes)`` for CIFAR). ``member``: the file's path inside its dataset's
    :class:`ArchiveSpec`, for files distributed in an archive (then ``<folder>/<member>``, the
    extracted layout, and ``<folder>/<archive name>`` are looked up too)."""

    dataset: str
    name: str
    sha256: str
    size: int
    shape: tuple[int, ...]
    member: str | None = None

    @property
    def gz_name(self) -> str:
        return self.name + ".gz"


@dataclass(frozen=True)
class ArchiveSpec:
    """A distribution archive (``.tar.gz``) whose members are a dataset's files. ``sha256``,
    ``md5`` and ``size`` are of the archive file as distributed (checked on download; the
    members are verified one by one against their own sha256, wherever they are found)."""

    name: str
    sha256: str
    md5: str
    size: int


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: its folder name, its files by role, download mirrors and how to obtain it.
    With ``archive`` set, a mirror serves the archive (URL = mirror + archive name)."""

    name: str
    files: dict[str, FileSpec]  # role ("train-images", …) -> file
    mirrors: tuple[str, ...]  # base URLs; file URL = mirror + gz_name (or the archive's name)
    how_to_get: str
    archive: ArchiveSpec | None = None


def _files(dataset: str, table: dict[str, tuple[str, str, int, tuple[int, ...]]]):
    return {role: FileSpec(dataset, *row) for role, row in table.items()}


_MNIST = _files(
    "mnist",
    {
        "train-images": (
            "train-images-idx3-ubyte",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            47_040_016,
            (60000, 28, 28),
        ),
        "train-labels": (
            "train-labels-idx1-ubyte",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            60_008,
            (60000,),
        ),
        "test-images": (
            "t10k-images-idx3-ubyte",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            7_840_016,
            (10000, 28, 28),
        ),
        "test-labels": (
            "t10k-labels-idx1-ubyte",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            10_008,
            (10000,),
        ),
    },
)

_FASHION = _files(
    "fashion-mnist",
    {
        "train-images": (
            "train-images-idx3-ubyte",
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            47_040_016,
            (60000, 28, 28),
        ),
        "train-labels": (
            "train-labels-idx1-ubyte",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            60_008,
            (60000,),
        ),
        "test-images": (
            "t10k-images-idx3-ubyte",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            7_840_016,
            (10000, 28, 28),
        ),
        "test-labels": (
            "t10k-labels-idx1-ubyte",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            10_008,
            (10000,),
        ),
    },
)

# CIFAR-10, binary version: ``cifar-10-binary.tar.gz`` holds ``cifar-10-batches-bin/`` with
# data_batch_1..5.bin and test_batch.bin, 10,000 records of 3,073 bytes each (1 label byte, then
# 1,024 red, 1,024 green, 1,024 blue bytes, rows of 32). Sources of the checksums (correct them
# here, in one place, if a real copy disagrees: ``gconv.data.cifar.checksum_table(path)``
# prints these rows for a copy you trust):
# - archive md5: the dataset page (www.cs.toronto.edu/~kriz/cifar.html), as quoted in several
#   public repositories; archive sha256 and size 170,052,171: TensorFlow Datasets' checksum
#   registry as quoted in public repositories, and at least three others independently.
#   ../shared/REFERENCES.md §2h had the md5 from memory; these sources agree with it.
# - member sha256: one source, ankane/torchvision-ruby lib/torchvision/datasets/cifar10.rb
#   (commit 9bf2250). Sizes follow from the format (10,000 × 3,073 bytes).
# Not yet checked against a copy on this project's machines (none exists here).
_CIFAR10_RECORDS = 10_000
_CIFAR10_FOLDER = "cifar-10-batches-bin"
_CIFAR10 = {
    role: FileSpec(
        "cifar10",
        name,
        sha,
        _CIFAR10_RECORDS * 3073,
        (_CIFAR10_RECORDS, 3073),
        f"{_CIFAR10_FOLDER}/{name}",
    )
    for role, name, sha in (
        (
            "train-1",
            "data_batch_1.bin",
            "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
        ),
        (
            "train-2",
            "data_batch_2.bin",
            "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
        ),
        (
            "train-3",
            "data_batch_3.bin",
            "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
        ),
        (
            "train-4",
            "data_batch_4.bin",
            "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
        ),
        (
            "train-5",
            "data_batch_5.bin",
            "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
        ),
        (
            "test",
            "test_batch.bin",
            "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b",
        ),
    )
}
_CIFAR10_ARCHIVE = ArchiveSpec(
    "cifar-10-binary.tar.gz",
    sha256="c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    md5="c32a1d4ab5d03f1284b67883e8d87530",
    size=170_052_171,
)

DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        "mnist",
        _MNIST,
        (
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        "set GCONV_DATA to a folder holding mnist/<file>.gz (this project's shared/data has "
        "LeCun's four files), or put the file in the cache folder, or let gconv download it "
        "(needs network)",
    ),
    "fashion-mnist": DatasetSpec(
        "fashion-mnist",
        _FASHION,
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        "`apt-get install dataset-fashion-mnist` (Debian/Ubuntu; installs it into "
        "/usr/share/datasets/fashion-mnist), or set GCONV_DATA to a folder holding "
        "fashion-mnist/<file>.gz, or put the file in the cache folder, or let gconv download "
        "it (needs network)",
    ),
    "cifar10": DatasetSpec(
        "cifar10",
        _CIFAR10,
        ("https://www.cs.toronto.edu/~kriz/",),
        "download the binary version, cifar-10-binary.tar.gz (md5 "
        f"{_CIFAR10_ARCHIVE.md5}), from https://www.cs.toronto.edu/~kriz/cifar.html and set "
        "GCONV_DATA to a folder holding cifar10/cifar-10-binary.tar.gz (or the extracted "
        "cifar10/cifar-10-batches-bin/*.bin), or put it in the cache folder, or let gconv "
        "download it (needs network)",
        _CIFAR10_ARCHIVE,
    ),
}


def spec_of(dataset: str) -> DatasetSpec:
    """The :class:`DatasetSpec` called ``dataset``; ValueError listing the known names."""
    try:
        return DATASETS[dataset]
    except KeyError:
        raise ValueError(
            f"unknown dataset {dataset!r}; known: {', '.join(sorted(DATASETS))}"
        ) from None
