# SPDX-License-Identifier: MIT
"""Shared test fixtures: seeds (override with GCONV_TEST_SEED) and the dtype tolerance policy."""

from __future__ import annotations

import os

import pytest
import torch

#: relative tolerance for claims of exactness, per dtype (float64 is where exactness is tested)
EXACT_TOL = {torch.float64: 1e-12, torch.float32: 1e-5}


@pytest.fixture(autouse=True)
def _seed() -> int:
    seed = int(os.environ.get("GCONV_TEST_SEED", "0"))
    torch.manual_seed(seed)
    return seed


@pytest.fixture(autouse=True, scope="session")
def _threads() -> None:
    torch.set_num_threads(1)  # pytest -n 2 runs two workers on two cores
