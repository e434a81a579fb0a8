# SPDX-License-Identifier: MIT
"""Bad inputs for ``gconv.groups``."""

from __future__ import annotations

import numpy as np
import torch
from _bad_row import Row, floats

from gconv import groups as g

PACKAGE = "gconv.groups"

_C8 = g.CyclicGroup(8)

ROWS = [
    Row("CyclicGroup", lambda: g.CyclicGroup(0), ValueError, r"N >= 1 \(an int\), got 0"),
    Row("DihedralGroup", lambda: g.DihedralGroup(-2), ValueError, r"N >= 1 \(an int\), got -2"),
    Row("FiniteGroup", lambda: g.FiniteGroup(0, False), ValueError, r"N >= 1 \(an int\), got 0"),
    Row("get", lambda: g.get("p5"), ValueError, r"p4.*p5|p5.*p4"),
    Row("get", lambda: g.get(4), TypeError, r"group name or group object, got int"),
    Row("Group", lambda: g.Group(), TypeError, r"Protocols cannot be instantiated"),
    Row("PixelGrid", lambda: g.PixelGrid("c3"), ValueError, r"(?i)grid.*c3|c3.*grid"),
    Row(
        "grid_rule",
        lambda: g.grid_rule(0, 3, 1, 0, 1),
        ValueError,
        r"size must be a positive int, got 0",
    ),
    Row(
        "grid_rule",
        lambda: g.grid_rule(9, 3, 0, 0, 1),
        ValueError,
        r"stride must be a positive int, got 0",
    ),
    Row(
        "rotate_image",
        lambda: g.rotate_image(np.zeros((1, 1, 5, 5)), 0.3),
        TypeError,
        r"expected a torch.Tensor, got numpy.ndarray",
    ),
    Row(
        "rotate_image",
        lambda: g.rotate_image(torch.zeros(1, 1, 5, 5, dtype=torch.long), 0.3),
        TypeError,
        r"floating-point tensor, got torch.int64",
    ),
    Row(
        "euler_to_matrix",
        lambda: g.euler_to_matrix("a", 0.0, 0.0),
        TypeError,
        r"float or a tensor, got str",
    ),
    Row(
        "matrix_to_euler",
        lambda: g.matrix_to_euler(np.eye(3)),
        TypeError,
        r"expected a floating torch.Tensor, got numpy.ndarray",
    ),
    Row("matrix_to_euler", lambda: g.matrix_to_euler(floats(2, 2)), ValueError, r"3, 3.*got.*2, 2"),
    Row(
        "matrix_to_euler",
        lambda: g.matrix_to_euler(torch.diag(torch.tensor([1.0, 1.0, -1.0])).expand(2, 3, 3)),
        ValueError,
        r"expected a rotation matrix \(det R = \+1 within 1e-05\), got det R = -1 \(a reflection",
    ),
    Row(
        "euler_to_matrix",
        lambda: g.euler_to_matrix(floats(3), floats(2), floats(3)),
        ValueError,
        r"must broadcast together, got shapes \(3,\), \(2,\), \(3,\)",
    ),
    Row(
        "wigner_D",
        lambda: g.wigner_D(2, floats(3), floats(2), floats(3)),
        ValueError,
        r"wigner_D: alpha, beta and gamma must broadcast together, got shapes \(3,\), \(2,\), \(3,\)",
    ),
    Row(
        "wigner_D_packed",
        lambda: g.wigner_D_packed(3, floats(3), floats(3), floats(2)),
        ValueError,
        r"wigner_D_packed: alpha, beta and gamma must broadcast together, got shapes \(3,\), \(3,\), \(2,\)",
    ),
    Row(
        "spherical_harmonics",
        lambda: g.spherical_harmonics(3, floats(3), floats(2)),
        ValueError,
        r"beta and alpha must broadcast together, got shapes \(3,\), \(2,\)",
    ),
    Row("rand_rotation", lambda: g.rand_rotation(0), ValueError, r"positive int.*got 0"),
    Row("SOFTGrid", lambda: g.SOFTGrid(0), ValueError, r"positive int.*got 0"),
    Row("quadrature_weights", lambda: g.quadrature_weights(0), ValueError, r"positive int.*got 0"),
    Row("s2_grid", lambda: g.s2_grid(-1), ValueError, r"positive int.*got -1"),
    Row("s2_grid_vectors", lambda: g.s2_grid_vectors(2.5), ValueError, r"positive int.*got 2.5"),
    Row("so3_grid", lambda: g.so3_grid(0), ValueError, r"positive int.*got 0"),
    Row("so3_grid_matrices", lambda: g.so3_grid_matrices(0), ValueError, r"positive int.*got 0"),
    Row("s2_wigner_table", lambda: g.s2_wigner_table(0), ValueError, r"positive int.*got 0"),
    Row("so3_wigner_table", lambda: g.so3_wigner_table(0), ValueError, r"positive int.*got 0"),
    Row(
        "spherical_harmonics",
        lambda: g.spherical_harmonics(0, floats(3), floats(3)),
        ValueError,
        r"positive int.*got 0",
    ),
    Row(
        "wigner_D",
        lambda: g.wigner_D(-1, 0.0, 0.1, 0.2),
        ValueError,
        r"l must be a non-negative int, got -1",
    ),
    Row(
        "wigner_D_packed",
        lambda: g.wigner_D_packed(0, 0.0, 0.1, 0.2),
        ValueError,
        r"positive int.*got 0",
    ),
    Row(
        "wigner_d", lambda: g.wigner_d(-1, 0.3), ValueError, r"l must be a non-negative int, got -1"
    ),
    Row(
        "wigner_d_iter",
        lambda: list(g.wigner_d_iter(0.3, -1)),
        ValueError,
        r"lmax must be an int >= 0, got -1",
    ),
    Row("IcoGrid", lambda: g.IcoGrid(11), ValueError, r"r must be an int in 0\.\.10.*got 11"),
    Row("IcoGroup", lambda: g.IcoGroup().compose(60, 0), ValueError, r"0\.\.59, got 60"),
    Row(
        "PlaneAction",
        lambda: g.PlaneAction("so3"),
        ValueError,
        r"needs a CyclicGroup/DihedralGroup, got SO3",
    ),
    Row("PlaneAction", lambda: g.PlaneAction(5), TypeError, r"group name or group object, got int"),
    Row("basis_dimension", lambda: g.basis_dimension(4), ValueError, r"odd kernel size.*got 4"),
    Row(
        "basis_frequencies",
        lambda: g.basis_frequencies(5, -1.0),
        ValueError,
        r"band_limit must be >= 0.*got -1\.0",
    ),
    Row(
        "coefficient_matrix",
        lambda: g.coefficient_matrix("c8", 1, g.basis_frequencies(5)),
        TypeError,
        r"needs a CyclicGroup/DihedralGroup, got 'c8'",
    ),
    Row(
        "coefficient_matrix",
        lambda: g.coefficient_matrix(_C8, 8, g.basis_frequencies(5)),
        ValueError,
        r"C8 has elements 0\.\.7, got 8",
    ),
    Row(
        "element_reversed_axes",
        lambda: g.element_reversed_axes(_C8, 1),
        ValueError,
        r"C8: rot 45° does not map the pixel grid onto itself",
    ),
    Row(
        "is_grid_element",
        lambda: g.is_grid_element("c8", 2),
        TypeError,
        r"expected a CyclicGroup/DihedralGroup object, got 'c8'",
    ),
    Row("is_grid_element", lambda: g.is_grid_element(_C8, -1), ValueError, r"0\.\.7, got -1"),
    Row("steerable_basis", lambda: g.steerable_basis(_C8, 4), ValueError, r"odd kernel.*got 4"),
    Row(
        "steerable_basis",
        lambda: g.steerable_basis(_C8, 5, sigma=0.0),
        ValueError,
        r"sigma .* must be > 0, got 0\.0",
    ),
    Row(
        "subgroup_coset_permutation",
        lambda: g.subgroup_coset_permutation(_C8, "c4", 9),
        ValueError,
        r"C8 has elements 0\.\.7, got 9",
    ),
    Row(
        "subgroup_cosets",
        lambda: g.subgroup_cosets(_C8, "c3"),
        ValueError,
        r"C3 is not a subgroup of C8",
    ),
    Row(
        "subgroup_embedding",
        lambda: g.subgroup_embedding(_C8, g.DihedralGroup(8)),
        ValueError,
        r"D8 is not a subgroup of C8",
    ),
    Row(
        "subgroup_embedding",
        lambda: g.subgroup_embedding(_C8, "c4"),
        TypeError,
        r"subgroup_embedding: expected a CyclicGroup/DihedralGroup object, got 'c4'",
    ),
    Row(
        "subgroup_cosets",
        lambda: g.subgroup_cosets("c8", "c4"),
        TypeError,
        r"expected a CyclicGroup/DihedralGroup object, got 'c8'",
    ),
]
