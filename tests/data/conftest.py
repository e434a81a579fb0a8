# SPDX-License-Identifier: MIT
"""Data test fixtures: the real MNIST files and a private cache per test session.

``$GCONV_DATA`` is used when set; otherwise ``../shared/data`` beside the repository (as in CI)
when present. Tests that need real files skip with a named reason when they are absent (and
fail when ``CI`` is set).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gconv.data import RotatedMNIST, rotated_splits

_SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
if not os.environ.get("GCONV_DATA") and (_SHARED / "mnist").is_dir():
    os.environ["GCONV_DATA"] = str(_SHARED)


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder holding ``mnist/<file>.gz`` (skips when there is none; fails under CI, as
    the ``mnist_root`` fixture does)."""
    value = os.environ.get("GCONV_DATA")
    if not value or not (Path(value) / "mnist").is_dir():
        reason = "real MNIST not found: set GCONV_DATA to a folder holding mnist/*.gz"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {reason}")
        pytest.skip(reason)
    return Path(value)


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private ``$GCONV_CACHE`` for the whole data-test session (never ~/.cache)."""
    return tmp_path_factory.mktemp("gconv-cache")


@pytest.fixture(autouse=True)
def _private_cache(session_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GCONV_CACHE", str(session_cache))


@pytest.fixture(scope="session")
def splits(data_root: Path, session_cache: Path) -> dict[str, RotatedMNIST]:
    """RotatedMNIST (mnist, seed 0), all splits, generated once per session into the private
    cache (about 3-5 s on 2 busy cores)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GCONV_CACHE", str(session_cache))
        return rotated_splits("mnist", seed=0)
