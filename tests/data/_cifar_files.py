# SPDX-License-Identifier: MIT
"""Small CIFAR-10 files in the exact binary format, for the tests of the reader
(``tests/data/test_cifar.py``) and of the harness (``tests/experiments/test_cifar_harness.py``,
which loads this file by path: the suite adds no test folder to ``sys.path``).

:func:`tiny_cifar` writes nothing itself: it makes the six ``.bin`` files' bytes (``n``
random records each), their ``cifar-10-binary.tar.gz`` archive and a checksum table made for
them, patches that table into ``gconv.data.DATASETS`` and points the lookup at empty folders
(``GCONV_DATA``, a system root, the cache, a download mirror) under ``tmp_path``."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import gconv.data._files as files
from gconv.data import DATASETS
from gconv.data.cifar import RECORD_BYTES, encode_records

ROLES = ("train-1", "train-2", "train-3", "train-4", "train-5", "test")


def tar_gz(contents: dict[str, bytes], extra: dict[str, bytes] | None = None) -> bytes:
    """A .tar.gz holding ``extra`` then ``contents`` (member name → bytes)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in {**(extra or {}), **contents}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def tiny_cifar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int = 4, seed: int = 0
) -> dict[str, Any]:
    """Six tiny .bin files of ``n`` records (images ``(6, n, 3, 32, 32)`` uint8, labels
    ``(6, n)``; file k is ROLES[k]), their archive, the patched checksum table and the lookup
    places (module docstring). Nothing is on disk yet: put ``archive`` or ``raws`` where a test
    wants them (``places["data"] / "cifar10"`` is ``$GCONV_DATA``'s folder)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(6, n, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, size=(6, n))
    real = DATASETS["cifar10"]
    raws, specs = {}, {}
    for k, role in enumerate(ROLES):
        raw = encode_records(images[k], labels[k])
        spec = real.files[role]
        specs[role] = dataclasses.replace(
            spec, sha256=hashlib.sha256(raw).hexdigest(), size=len(raw), shape=(n, RECORD_BYTES)
        )
        raws[role] = raw
    archive = tar_gz(
        {specs[r].member: raws[r] for r in ROLES},
        {"cifar-10-batches-bin/batches.meta.txt": b"airplane\nautomobile\n"},
    )
    aspec = dataclasses.replace(
        real.archive, sha256=hashlib.sha256(archive).hexdigest(), size=len(archive)
    )
    places = {k: tmp_path / k for k in ("data", "system", "cache", "mirror")}
    for p in places.values():
        p.mkdir()
    monkeypatch.setenv("GCONV_DATA", str(places["data"]))
    monkeypatch.setenv("GCONV_CACHE", str(places["cache"]))
    monkeypatch.setattr(files, "SYSTEM_ROOTS", (places["system"],))
    mirror = places["mirror"].as_uri() + "/"
    patched = dataclasses.replace(real, files=specs, archive=aspec, mirrors=(mirror,))
    monkeypatch.setitem(DATASETS, "cifar10", patched)
    return {"images": images, "labels": labels, "raws": raws, "specs": specs,
            "archive": archive, "places": places}  # fmt: skip
