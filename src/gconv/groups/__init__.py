# SPDX-License-Identifier: MIT
"""Groups and their actions.

Groups (objects, apart from any action; hashable, equal when equal):

- ``CyclicGroup(N)``, ``DihedralGroup(N)`` (any N ≥ 1; ``FiniteGroup`` is their class),
  ``C4``, ``D4``: order, composition and inverse tables, regular representation, subgroups
  and cosets; numbering ``g = N·m + r`` ("mirror m, then rotate r").
- ``SO3``: the rotation group of the sphere (continuous; elements are 3×3 matrices).
- ``ICO`` (``IcoGroup``): the 60 rotations of the icosahedron as 3×3 matrices.
- ``get(name)``: ``"p4"``, ``"p4m"``, ``"c8"``, ``"d16"``, ``"so3"``, ``"ico"`` → the group object;
  ``Group``: the protocol every group object meets (``name``, ``order``).

Actions:

- ``PixelGrid(group)``: C1, C2, C4, D1, D2, D4 on pixel images ``(..., H, W)`` and group
  features ``(B, C, n, H, W)``; ``grid_rule`` (when a strided layer stays exact) and
  ``reversed_axes`` (which axes an element needs it on). Other N raise a clear error.
  ``C4.act_image`` / ``act_features`` are shorthands for it.
- ``PlaneAction(group)``: any C_N / D_N on images and group features: ``torch.rot90`` / flips
  for quarter turns and mirrors (exact; ``is_grid_element``, ``element_reversed_axes``),
  ``rotate_image`` for other rotations (resampled, never exact). The checker uses it.
  ``subgroup_cosets`` / ``subgroup_coset_permutation``: cosets of any subgroup (C4 in C16, …);
  ``subgroup_embedding``: its elements as elements of the group.
- ``IcoGrid(r)``: the r-times subdivided icosahedron (10·4^r + 2 vertices), its atlas of 5
  charts n × 2n (n = 2^r) with C6 frames, padding with gauge changes, neighbours, and the
  60 rotations as vertex permutations with the gauge shift each induces (``_ico`` docstring).
- ``rotate_image(x, angle)``: bilinear counter-clockwise rotation about the grid centre.
- ``steerable_basis(group, size, band_limit, max_frequency, sigma)``: circular harmonics ×
  radial rings on a k×k grid, rotated by every element in the basis (exact in the continuum),
  ``(|G|, nb, k, k)``, cached; ``basis_dimension``, ``basis_frequencies``,
  ``coefficient_matrix``.
- The sphere: ``gconv.spherical.rotate_s2`` / ``rotate_so3`` (exact for band-limited signals).

SO(3) and its SOFT grids (conventions in ``_so3``, ``_soft``, ``_wigner`` docstrings):

- ``euler_to_matrix``, ``matrix_to_euler`` (ZYZ: ``Rz(α) Ry(β) Rz(γ)``), ``rand_rotation``.
- ``SOFTGrid(b)``, ``s2_grid``, ``so3_grid``, ``quadrature_weights``, ``s2_grid_vectors``,
  ``so3_grid_matrices``: β_j = π(2j+1)/(4b), α_k = γ_k = πk/b.
- ``wigner_d``, ``wigner_D``, ``wigner_d_iter`` (streamed over l), ``wigner_D_packed``,
  ``spherical_harmonics`` (packed, SciPy's Y_lm), ``s2_wigner_table``, ``so3_wigner_table``.
"""

from .._util import ShapeError
from ._finite import C4, D4, GROUPS, CyclicGroup, DihedralGroup, FiniteGroup, Group, get
from ._ico import ICO, OFFSETS, IcoGrid, IcoGroup
from ._pixel import GRID_EXACT_ORDERS, PIXEL_GRID_GROUPS, PixelGrid, grid_rule
from ._plane import (
    PlaneAction,
    element_reversed_axes,
    is_grid_element,
    subgroup_coset_permutation,
    subgroup_cosets,
    subgroup_embedding,
)
from ._rotate import rotate_image
from ._so3 import SO3, euler_to_matrix, matrix_to_euler, rand_rotation
from ._soft import (
    SOFTGrid,
    quadrature_weights,
    s2_grid,
    s2_grid_vectors,
    so3_grid,
    so3_grid_matrices,
)
from ._steerable import basis_dimension, basis_frequencies, coefficient_matrix, steerable_basis
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

__all__ = ["ShapeError", "C4", "D4", "GROUPS", "CyclicGroup", "DihedralGroup", "FiniteGroup"]
__all__ += ["Group", "get"]
__all__ += ["ICO", "OFFSETS", "IcoGrid", "IcoGroup"]
__all__ += ["GRID_EXACT_ORDERS", "PIXEL_GRID_GROUPS", "PixelGrid", "grid_rule", "rotate_image"]
__all__ += ["PlaneAction", "element_reversed_axes", "is_grid_element"]
__all__ += ["subgroup_coset_permutation", "subgroup_cosets", "subgroup_embedding"]
__all__ += ["basis_dimension", "basis_frequencies", "coefficient_matrix", "steerable_basis"]
__all__ += ["SO3", "euler_to_matrix", "matrix_to_euler", "rand_rotation"]
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
