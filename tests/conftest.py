# SPDX-License-Identifier: MIT
"""Shared test fixtures: the tolerance policy and the real MNIST files for the tests that need
them (seeds, override with GCONV_TEST_SEED, and threads: ``../conftest.py``, which the doctests
under ``src/`` share).

Tolerance policy (relative errors ‖a − b‖ / ‖b‖). New tests take their tolerance from here,
through the ``tolerance`` fixture, and say which kind they claim; older modules hold a constant
(``TOL``/``TOL64``) at or inside these values, with the measured scale beside it:

========  ==========  ==========  ===========================================================
dtype     ``exact``   ``close``   meaning
========  ==========  ==========  ===========================================================
float64   1e-12       1e-9        exact: the two sides hold the same products summed in
                                  another order (grid permutations, round trips) — rounding
                                  only, ~1e-16 per operation, far below 1e-12 for any tensor
                                  here. close: the same quantity by two algorithms (FFT against
                                  a direct sum, cached against rebuilt tables).
float32   1e-5        1e-4        the same claims at single precision (eps 1.2e-7).
========  ==========  ==========  ===========================================================

Claims of exact equivariance are tested in float64; float32 tests check that nothing is lost
beyond rounding. Errors that are not rounding (interpolation, a model that is not invariant)
are never compared against these: such tests state their own measured scale.

MNIST: tests that need the real files use the ``mnist_root`` fixture (Fashion-MNIST:
``fashion_installed``). They skip, naming the reason, when the files are missing — except under
CI (``CI`` set), where that is a failure.
``../shared/data`` beside the repository is used when ``GCONV_DATA`` is unset.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

#: the policy above: dtype → kind → relative tolerance
TOLERANCES: dict[torch.dtype, dict[str, float]] = {
    torch.float64: {"exact": 1e-12, "close": 1e-9},
    torch.float32: {"exact": 1e-5, "close": 1e-4},
}
#: relative tolerance for claims of exactness, per dtype (the policy's "exact" column)
EXACT_TOL = {dtype: kinds["exact"] for dtype, kinds in TOLERANCES.items()}

_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if not os.environ.get("GCONV_DATA") and (_SHARED / "mnist").is_dir():
    os.environ["GCONV_DATA"] = str(_SHARED)


def tolerance_for(dtype: torch.dtype, kind: str = "exact") -> float:
    """The policy's tolerance for ``dtype`` and ``kind`` ("exact" or "close")."""
    if dtype not in TOLERANCES or kind not in TOLERANCES[dtype]:
        raise ValueError(f"no tolerance for {dtype} / {kind!r}; policy: {TOLERANCES}")
    return TOLERANCES[dtype][kind]


@pytest.fixture
def tolerance():  # noqa: ANN201 - returns tolerance_for
    """``tolerance(dtype, kind="exact")`` → the relative tolerance of the policy above."""
    return tolerance_for


def _missing(dataset: str) -> list[str]:
    """The files of ``dataset`` that cannot be found without a download."""
    from gconv.data import DATASETS, locate

    return [s.gz_name for s in DATASETS[dataset].files.values() if locate(s) is None]


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and {reason}")
    pytest.skip(reason)


def _mnist_missing() -> str | None:
    """Why the MNIST files cannot be found without a download (None when they can)."""
    missing = _missing("mnist")
    if not missing:
        return None
    return (
        f"real MNIST not found ({', '.join(missing)}): set GCONV_DATA to a folder holding "
        "mnist/*.gz (`gconv data where` shows where it is looked for)"
    )


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """Skip (fail under CI) unless MNIST is found; derived sets then go to a private
    ``$GCONV_CACHE`` for the session, never to ``~/.cache``. Returns ``$GCONV_DATA``."""
    reason = _mnist_missing()
    if reason is not None:
        _skip_or_fail(reason)
    if not os.environ.get("GCONV_CACHE"):
        os.environ["GCONV_CACHE"] = str(tmp_path_factory.mktemp("gconv-cache"))
    value = os.environ.get("GCONV_DATA")
    return Path(value) if value else None


@pytest.fixture
def fashion_installed() -> None:
    """Skip (fail under CI) unless all four Fashion-MNIST files are found."""
    missing = _missing("fashion-mnist")
    if missing:
        _skip_or_fail(
            f"Fashion-MNIST not found ({', '.join(missing)}): apt-get install "
            "dataset-fashion-mnist, or set GCONV_DATA to a folder holding fashion-mnist/*.gz"
        )
