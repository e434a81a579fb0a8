# SPDX-License-Identifier: MIT
"""The known data files: name, sha256 and size of the *uncompressed* content, shape, and where
to get them. Checksums of the uncompressed bytes, so re-gzipped copies (Debian's) verify too.

Values are those of ``shared/data/mnist/PROVENANCE.md`` and
``shared/data/fashion-mnist/PROVENANCE.md`` (LeCun's MNIST, Zalando's Fashion-MNIST).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DATASETS", "FileSpec", "DatasetSpec", "spec_of"]


@dataclass(frozen=True)
class FileSpec:
    """One original file: ``name`` is the uncompressed name; on disk it is ``name + ".gz"``
    (or ``name`` itself, uncompressed). ``shape`` is the idx array's shape."""

    dataset: str
    name: str
    sha256: str
    size: int
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 1:
            raise ValueError(
                f"FileSpec {self.name!r}: size must be a positive int, got {self.size!r}"
            )
        sha = self.sha256
        if not (
            isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)
        ):
            raise ValueError(
                f"FileSpec {self.name!r}: sha256 must be 64 lower-case hex digits, got {sha!r}"
            )

    @property
    def gz_name(self) -> str:
        return self.name + ".gz"


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: its folder name, its files by role, download mirrors and how to obtain it."""

    name: str
    files: dict[str, FileSpec]  # role ("train-images", …) -> file
    mirrors: tuple[str, ...]  # base URLs; file URL = mirror + gz_name
    how_to_get: str

    def __post_init__(self) -> None:
        files = self.files
        if not isinstance(files, dict) or not all(isinstance(f, FileSpec) for f in files.values()):
            raise TypeError(
                f"DatasetSpec {self.name!r}: files must be a dict of role -> FileSpec, "
                f"got {type(files).__name__}"
            )


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
}


def spec_of(dataset: str) -> DatasetSpec:
    """The :class:`DatasetSpec` called ``dataset``; ValueError listing the known names."""
    try:
        return DATASETS[dataset]
    except KeyError:
        raise ValueError(
            f"unknown dataset {dataset!r}; known: {', '.join(sorted(DATASETS))}"
        ) from None
