# SPDX-License-Identifier: MIT
"""Bad inputs for ``gconv.spherical``: arrays, integer tensors, matrices that are not rotations
(scaled, reflected, NaN; the tolerance is ``gconv._util.ROTATION_ATOL``) and mismatched
bandwidths."""

from __future__ import annotations

import numpy as np
import torch
from _bad_row import Row, floats

from gconv import spherical as sp

PACKAGE = "gconv.spherical"

_REFLECT = torch.diag(torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64))
_NAN = torch.eye(3, dtype=torch.float64).index_put_(
    (torch.tensor(0), torch.tensor(0)), torch.tensor(float("nan"), dtype=torch.float64)
)
_EYE = torch.eye(3, dtype=torch.float64)

ROWS = [
    Row(
        "rotate_s2",
        lambda: sp.rotate_s2(floats(8, 8), 2 * _EYE),
        ValueError,
        r"expected a rotation matrix \(RᵀR = I within 1e-05\), got max \|RᵀR − I\| = 3",
    ),
    Row(
        "rotate_s2",
        lambda: sp.rotate_s2(floats(8, 8), _REFLECT),
        ValueError,
        r"det R = \+1 within 1e-05\), got det R = -1",
    ),
    Row("rotate_s2", lambda: sp.rotate_s2(floats(8, 8), _NAN), ValueError, r"finite.*got.*nan"),
    Row(
        "rotate_s2",
        lambda: sp.rotate_s2(np.zeros((8, 8)), _EYE),
        TypeError,
        r"expected a torch.Tensor, got numpy.ndarray",
    ),
    Row(
        "rotate_s2",
        lambda: sp.rotate_s2(torch.zeros(8, 8, dtype=torch.int64), _EYE),
        TypeError,
        r"expects a float or complex tensor, got torch.int64",
    ),
    Row(
        "rotate_s2",
        lambda: sp.rotate_s2(floats(8, 8), np.eye(3)),
        TypeError,
        r"expected a floating torch.Tensor, got numpy.ndarray",
    ),
    Row(
        "rotate_so3",
        lambda: sp.rotate_so3(floats(4, 4, 4), 0.5 * _EYE),
        ValueError,
        r"expected a rotation matrix.*got max \|RᵀR − I\| = 0.75",
    ),
    Row(
        "rotate_so3",
        lambda: sp.rotate_so3(floats(4, 4, 4), -_EYE),
        ValueError,
        r"det R = \+1.*got det R = -1",
    ),
    Row("rotate_so3", lambda: sp.rotate_so3(floats(4, 4, 4), _NAN), ValueError, r"finite.*nan"),
    Row(
        "rotate_so3",
        lambda: sp.rotate_so3(floats(4, 4, 6), _EYE),
        ValueError,
        r"expects a signal \(\.\.\., 2b, 2b, 2b\), got shape \(4, 4, 6\)",
    ),
    Row(
        "wigner_D_blocks",
        lambda: sp.wigner_D_blocks(torch.ones(3, 3, dtype=torch.float64), 3),
        ValueError,
        r"expected a rotation matrix",
    ),
    Row("wigner_D_blocks", lambda: sp.wigner_D_blocks(_EYE, 0), ValueError, r"positive int.*got 0"),
    Row(
        "s2_fft",
        lambda: sp.s2_fft(floats(6, 8)),
        ValueError,
        r"expects a signal \(\.\.\., 2b, 2b\), got shape \(6, 8\)",
    ),
    Row(
        "s2_fft",
        lambda: sp.s2_fft(np.zeros((8, 8))),
        TypeError,
        r"expected a torch.Tensor, got numpy.ndarray",
    ),
    Row("s2_fft", lambda: sp.s2_fft(floats(8, 8), b_out=0), ValueError, r"positive int.*got 0"),
    Row(
        "s2_ifft",
        lambda: sp.s2_ifft(floats(10)),
        ValueError,
        r"spectrum length must be b² \(S²\) for some b >= 1, got 10",
    ),
    Row(
        "so3_fft",
        lambda: sp.so3_fft(torch.zeros(4, 4, 4, dtype=torch.int32)),
        TypeError,
        r"expects a float or complex tensor, got torch.int32",
    ),
    Row(
        "so3_ifft",
        lambda: sp.so3_ifft(floats(11)),
        ValueError,
        r"spectrum length must be b\(4b²−1\)/3 \(SO\(3\)\) for some b >= 1, got 11",
    ),
    Row(
        "s2_ifft",
        lambda: sp.s2_ifft(floats(1, 16, 16)),
        TypeError,
        r"expects a complex packed spectrum, got torch.float64 of shape \(1, 16, 16\) \(a grid",
    ),
    Row(
        "so3_ifft",
        lambda: sp.so3_ifft(torch.tensor(1 + 0j)),
        ValueError,
        r"so3_ifft expects a packed spectrum \(\.\.\., n\), got a 0-d tensor",
    ),
    Row(
        "s2_fft",
        lambda: sp.s2_fft(torch.zeros(2, 8, 8, dtype=torch.bfloat16)),
        TypeError,
        r"s2_fft computes in float32 or float64 \(complex64/128\), got torch.bfloat16",
    ),
    Row("s2_size", lambda: sp.s2_size(0), ValueError, r"positive int.*got 0"),
    Row("so3_size", lambda: sp.so3_size(-2), ValueError, r"positive int.*got -2"),
]
