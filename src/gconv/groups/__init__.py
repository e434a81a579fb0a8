# SPDX-License-Identifier: MIT
"""Groups and their actions: the pixel-grid point groups C4 (p4) and D4 (p4m), continuous
image rotation, and (spherical issue) SO(3), its SOFT grids and Wigner matrices.

Public names:

- ``C4``, ``D4``, ``FiniteGroup``, ``get(name)``: element tables, inverses, regular
  representation, ``act_image(x, g)`` on ``(..., H, W)``, ``act_features(x, g)`` on
  ``(B, C, |G|, H, W)``.
- ``rotate_image(x, angle)``: bilinear counter-clockwise rotation about the grid centre.
"""

from ._finite import C4, D4, GROUPS, FiniteGroup, get
from ._rotate import rotate_image

__all__ = ["C4", "D4", "GROUPS", "FiniteGroup", "get", "rotate_image"]
