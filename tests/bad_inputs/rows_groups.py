# SPDX-License-Identifier: MIT
"""Bad inputs for ``gconv.groups``."""

from __future__ import annotations

import numpy as np
import torch
from _bad_row import Row, floats

from gconv import groups as g

PACKAGE = "gconv.groups"

ROWS = [
    Row("CyclicGroup", lambda: g.CyclicGroup(0), ValueError, r"N >= 1 \(an int\), got 0"),
    Row("DihedralGroup", lambda: g.DihedralGroup(-2), ValueError, r"N >= 1 \(an int\), got -2"),
    Row("FiniteGroup", lambda: g.FiniteGroup(0, False), ValueError, r"N >= 1 \(an int\), got 0"),
    Row("get", lambda: g.get("p5"), ValueError, r"p4.*p5|p5.*p4"),
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
]
