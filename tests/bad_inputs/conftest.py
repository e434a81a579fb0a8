# SPDX-License-Identifier: MIT
"""Puts this folder on ``sys.path`` so the row tables can ``from _bad_row import Row`` (the
suite runs with ``--import-mode=importlib``, which adds no test folder to the path)."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
