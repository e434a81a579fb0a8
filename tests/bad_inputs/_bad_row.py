# SPDX-License-Identifier: MIT
"""One row of the bad-input tables: calling ``call()`` must raise ``exc`` with a message that
``re.search(match, message)`` finds — write ``match`` to hold both what was expected and what
came (e.g. ``r"positive int.*got -3"``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch


class Row(NamedTuple):
    name: str  # the public name in the package's __all__ that this row exercises
    call: Callable[[], object]
    exc: type[Exception]
    match: str


def floats(*shape: int) -> torch.Tensor:
    """A float64 tensor of random values (inputs of valid type, wrong in some other way)."""
    return torch.randn(*shape, dtype=torch.float64)
