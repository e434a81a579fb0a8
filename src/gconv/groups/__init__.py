# SPDX-License-Identifier: MIT
"""Groups and their actions: the pixel-grid point groups C4 (p4) and D4 (p4m), continuous
image rotation, and (spherical issue) SO(3), its SOFT grids and Wigner matrices.

Public names:

- ``C4``, ``D4``, ``FiniteGroup``, ``get(name)``: element tables, inverses, regular
  representation, ``act_image(x, g)`` on ``(..., H, W)``, ``act_features(x, g)`` on
  ``(B, C, |G|, H, W)``.
- ``rotate_image(x, angle)``: bilinear counter-clockwise rotation about the grid centre.

SO(3) and its SOFT grids (conventions in ``_so3``, ``_soft``, ``_wigner`` docstrings):

- ``euler_to_matrix``, ``matrix_to_euler`` (ZYZ: ``Rz(α) Ry(β) Rz(γ)``), ``rand_rotation``.
- ``SOFTGrid(b)``, ``s2_grid``, ``so3_grid``, ``quadrature_weights``, ``s2_grid_vectors``,
  ``so3_grid_matrices``: β_j = π(2j+1)/(4b), α_k = γ_k = πk/b.
- ``wigner_d``, ``wigner_D``, ``wigner_d_iter`` (streamed over l), ``wigner_D_packed``,
  ``spherical_harmonics`` (packed, SciPy's Y_lm), ``s2_wigner_table``, ``so3_wigner_table``.
"""

from ._finite import C4, D4, GROUPS, FiniteGroup, get
from ._rotate import rotate_image
from ._so3 import euler_to_matrix, matrix_to_euler, rand_rotation
from ._soft import (
    SOFTGrid,
    quadrature_weights,
    s2_grid,
    s2_grid_vectors,
    so3_grid,
    so3_grid_matrices,
)
from ._wigner import (
    STORE_MAX_B,
    s2_wigner_table,
    so3_wigner_table,
    spherical_harmonics,
    wigner_D,
    wigner_d,
    wigner_d_iter,
    wigner_D_packed,
)

__all__ = ["C4", "D4", "GROUPS", "FiniteGroup", "get", "rotate_image"]
__all__ += ["euler_to_matrix", "matrix_to_euler", "rand_rotation"]
__all__ += [
    "SOFTGrid",
    "quadrature_weights",
    "s2_grid",
    "s2_grid_vectors",
    "so3_grid",
    "so3_grid_matrices",
]
__all__ += [
    "STORE_MAX_B",
    "s2_wigner_table",
    "so3_wigner_table",
    "spherical_harmonics",
    "wigner_D",
    "wigner_D_packed",
    "wigner_d",
    "wigner_d_iter",
]
