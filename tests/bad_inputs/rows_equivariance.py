# SPDX-License-Identifier: MIT
"""Bad inputs for ``gconv.equivariance``."""

from __future__ import annotations

import numpy as np
import torch
from _bad_row import Row, floats

from gconv import equivariance as eq
from gconv.groups import get

PACKAGE = "gconv.equivariance"

_NET = torch.nn.Identity()
_EYE = torch.eye(3, dtype=torch.float64)

ROWS = [
    Row(
        "ElementResult",
        lambda: eq.ElementResult("g", 0.1, "maybe"),
        ValueError,
        r"status must be one of \('exact', 'inexact', 'unknown'\), got 'maybe'",
    ),
    Row(
        "EquivarianceReport",
        lambda: eq.EquivarianceReport("m", "p4", "image", "features", "float64", 1e-9),
        TypeError,
        r"dtype must be a torch.dtype, got str",
    ),
    Row(
        "EquivarianceReport",
        lambda: eq.EquivarianceReport("m", "p4", "image", "features", torch.float64, -1.0),
        ValueError,
        r"tolerance must be a number >= 0, got -1.0",
    ),
    Row(
        "SphereElement",
        lambda: eq.SphereElement("scaled", 2 * _EYE),
        ValueError,
        r"expected a rotation matrix.*got max \|RᵀR − I\| = 3",
    ),
    Row(
        "SphereElement",
        lambda: eq.SphereElement("mirror", torch.diag(torch.tensor([1.0, -1.0, 1.0]))),
        ValueError,
        r"det R = \+1.*got det R = -1",
    ),
    Row(
        "assert_equivariant",
        lambda: eq.assert_equivariant(_NET, "p5", floats(1, 1, 5, 5)),
        ValueError,
        r"unknown group 'p5'; known: p4",
    ),
    Row(
        "check_equivariance",
        lambda: eq.check_equivariance(_NET, "p4", np.zeros((1, 1, 5, 5))),
        TypeError,
        r"x must be a torch.Tensor, got ndarray",
    ),
    Row(
        "check_equivariance",
        lambda: eq.check_equivariance(_NET, "p4", torch.zeros(1, 1, 5, 5)),
        ValueError,
        r"x has only zeros \(shape \(1, 1, 5, 5\)\), so no error could show",
    ),
    Row(
        "check_equivariance",
        lambda: eq.check_equivariance(_NET, "p4", torch.randn(0, 1, 5, 5)),
        ValueError,
        r"x has no elements \(shape \(0, 1, 5, 5\)\)",
    ),
    Row(
        "declared_exactness",
        lambda: eq.declared_exactness("net", get("p4"), 1, {}),
        TypeError,
        r"root must be an nn.Module, got str",
    ),
    Row(
        "permutes_grid",
        lambda: eq.permutes_grid("p4", 1),
        TypeError,
        r"group must be a group object \(gconv.groups.get\('p4'\)\), got str",
    ),
    Row(
        "relative_error",
        lambda: eq.relative_error(np.zeros(3), floats(3), floats(3)),
        TypeError,
        r"expected a torch.Tensor, got numpy.ndarray",
    ),
    Row(
        "ico_act",
        lambda: eq.ico_act(floats(1, 3, 5, 5, 2, 4), 1, "features"),
        ValueError,
        r"expected regular features \(\.\.\., 6, 5, n, 2n\) \(6 orientations\), got \(1, 3, 5",
    ),
    Row(
        "relative_error",
        lambda: eq.relative_error(floats(4, 1), floats(4), floats(4)),
        ValueError,
        r"a and b must have the same shape, got \(4, 1\) and \(4,\)",
    ),
    Row(
        "sphere_act",
        lambda: eq.sphere_act(floats(6, 6), eq.SphereElement("e", _EYE), "image"),
        ValueError,
        r"kind must be one of \('s2', 'so3', 'invariant'\), got 'image'",
    ),
    Row("IcoElement", lambda: eq.IcoElement(60, "x"), ValueError, r"0\.\.59, got 60"),
    Row(
        "ico_act",
        lambda: eq.ico_act(np.zeros((1, 42)), 1, "vertices"),
        TypeError,
        r"ico_act: x: expected a torch\.Tensor, got numpy\.ndarray",
    ),
    Row(
        "ico_act",
        lambda: eq.ico_act(floats(1, 42), 1, "image"),
        ValueError,
        r"kind must be one of \('vertices', 'features', 'scalars', 'invariant'\), got 'image'",
    ),
    Row(
        "ico_act", lambda: eq.ico_act(floats(1, 42), 60, "vertices"), ValueError, r"0\.\.59, got 60"
    ),
]
