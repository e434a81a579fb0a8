# SPDX-License-Identifier: MIT
"""The public spherical transforms ignore autocast (``gconv._precision.full_precision``): under
``torch.autocast("cpu", torch.bfloat16)`` they give bit for bit what they give without it, in
float32, from float32 or bfloat16 inputs. (Before, s2_fft and the others rounded their products
to bfloat16, and rotate_s2 failed.)"""

from __future__ import annotations

import pytest
import torch

from gconv.groups import rand_rotation
from gconv.spherical import engine, rotate_s2, rotate_so3, s2_fft, s2_ifft, so3_fft, so3_ifft

X2 = torch.randn(3, 2, 12, 12, generator=torch.Generator().manual_seed(0))
X3 = torch.randn(3, 2, 8, 8, 8, generator=torch.Generator().manual_seed(1))
R = rand_rotation(generator=torch.Generator().manual_seed(2))


def _f32(tables: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: engine.cast_table(t, torch.float32) for k, t in tables.items()}


CASES = {
    "s2_fft": lambda x2, x3: s2_fft(x2),
    "s2_ifft": lambda x2, x3: s2_ifft(s2_fft(x2), real=True),
    "s2_ifft complex": lambda x2, x3: s2_ifft(s2_fft(x2)),
    "so3_fft": lambda x2, x3: so3_fft(x3),
    "so3_ifft": lambda x2, x3: so3_ifft(so3_fft(x3), real=True),
    "rotate_s2": lambda x2, x3: rotate_s2(x2, R),
    "rotate_so3": lambda x2, x3: rotate_so3(x3, R),
    "engine s2": lambda x2, x3: engine.s2_analysis(x2.flatten(0, 1), _f32(engine.s2_tables(6, 6))),
    "engine so3": lambda x2, x3: engine.so3_analysis(
        x3.flatten(0, 1), _f32(engine.so3_tables(4, 4))
    ),
}


@pytest.mark.parametrize("half", [False, True], ids=["float32-in", "bfloat16-in"])
@pytest.mark.parametrize("name", list(CASES))
def test_autocast_changes_nothing(name, half):
    x2, x3 = (X2.bfloat16(), X3.bfloat16()) if half else (X2, X3)
    want = CASES[name](x2.float(), x3.float())
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = CASES[name](x2, x3)
    assert got.dtype == want.dtype and got.dtype in (torch.float32, torch.complex64), name
    assert torch.equal(got, want), f"{name}: {float((got - want).abs().max()):.2e}"
