# SPDX-License-Identifier: MIT
"""Fixtures for every test and for the doctests under ``src/``: each starts from the same
torch seed (``GCONV_TEST_SEED``, default 0), so a doctest that draws random numbers prints the
same thing in every run and on every xdist worker, and torch uses one thread per worker.
The rest (tolerances, data) is in ``tests/conftest.py``."""

from __future__ import annotations

import os

import pytest
import torch


@pytest.fixture(autouse=True)
def _seed() -> int:
    seed = int(os.environ.get("GCONV_TEST_SEED", "0"))
    torch.manual_seed(seed)
    return seed


@pytest.fixture(autouse=True, scope="session")
def _threads() -> None:
    torch.set_num_threads(1)  # pytest -n 2 runs two workers on two cores
