# SPDX-License-Identifier: MIT
"""The rotation group SO(3): ZYZ Euler angles, rotation matrices, Haar-random rotations.

Convention: ``R(α, β, γ) = Rz(α) Ry(β) Rz(γ)`` — active, right-handed rotations of R³ (so
``Rz(θ)`` turns the x-axis towards the y-axis), composed as matrices. β ∈ [0, π] is the polar
angle of ``R e_z``, α its azimuth.

>>> import math
>>> R = euler_to_matrix(math.pi / 2, 0.0, 0.0)  # Rz(π/2) maps e_x to e_y
>>> (R @ torch.tensor([1.0, 0.0, 0.0])).round(decimals=6).abs().tolist()
[0.0, 1.0, 0.0]
"""

from __future__ import annotations

import torch

from .._util import check_positive_int, check_rotation

__all__ = ["SO3", "RotationGroup3D", "euler_to_matrix", "matrix_to_euler", "rand_rotation"]


class RotationGroup3D:
    """SO(3) as a group object (``get("so3")``): continuous, so no tables; its elements are
    3×3 rotation matrices (``rand_rotation``). Its actions (on S² and SO(3) signals on SOFT
    grids, ``gconv.spherical.rotate_s2``/``rotate_so3``) are exact for band-limited signals;
    the grid symmetries (α-rolls, Ry(π)) are exact for any signal.

    >>> SO3.name, SO3.order
    ('SO(3)', None)
    """

    name = "SO(3)"
    order = None  # infinite
    mirrors = False

    def __repr__(self) -> str:
        return "SO3"

    def __reduce__(self) -> str:
        return "SO3"


SO3 = RotationGroup3D()


def broadcast_angles(owner: str, names: str, *angles: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """``torch.broadcast_tensors(*angles)``, or a ValueError naming ``owner``, the angles
    (``names``) and their shapes where they do not broadcast."""
    try:
        return tuple(torch.broadcast_tensors(*angles))
    except RuntimeError:
        shapes = ", ".join(str(tuple(t.shape)) for t in angles)
        raise ValueError(f"{owner}: {names} must broadcast together, got shapes {shapes}") from None


def euler_to_matrix(
    alpha: torch.Tensor | float, beta: torch.Tensor | float, gamma: torch.Tensor | float
) -> torch.Tensor:
    """Rotation matrices ``Rz(α) Ry(β) Rz(γ)``, shape ``(..., 3, 3)`` (angles broadcast)."""
    for name, t in (("alpha", alpha), ("beta", beta), ("gamma", gamma)):
        if isinstance(t, bool) or not isinstance(t, (int, float, torch.Tensor)):
            raise TypeError(
                f"euler_to_matrix: {name} must be a float or a tensor, got {type(t).__name__}"
            )
    tensors = [t for t in (alpha, beta, gamma) if isinstance(t, torch.Tensor)]
    floats = [t.dtype for t in tensors if t.is_floating_point()]
    dtype = floats[0] if floats else torch.get_default_dtype()  # Python floats follow tensors
    for dt in floats[1:]:
        dtype = torch.promote_types(dtype, dt)
    device = tensors[0].device if tensors else None
    alpha, beta, gamma = (
        torch.as_tensor(t, dtype=dtype, device=device) for t in (alpha, beta, gamma)
    )
    alpha, beta, gamma = broadcast_angles(
        "euler_to_matrix", "alpha, beta and gamma", alpha, beta, gamma
    )
    ca, sa, cb, sb, cg, sg = (f(t) for t in (alpha, beta, gamma) for f in (torch.cos, torch.sin))
    rows = [
        [ca * cb * cg - sa * sg, -ca * cb * sg - sa * cg, ca * sb],
        [sa * cb * cg + ca * sg, -sa * cb * sg + ca * cg, sa * sb],
        [-sb * cg, sb * sg, cb],
    ]
    return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)


def matrix_to_euler(R: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ZYZ angles ``(α, β, γ)`` with ``euler_to_matrix(α, β, γ) == R``; R is ``(..., 3, 3)``.

    β ∈ [0, π], α, γ ∈ (−π, π]. At the poles (sin β = 0) only α ± γ is defined; γ = 0 there.
    """
    check_rotation("matrix_to_euler: R", R, batched=True)
    sb = torch.sqrt(R[..., 0, 2] ** 2 + R[..., 1, 2] ** 2)
    beta = torch.atan2(sb, R[..., 2, 2])
    pole = sb < 1e-12
    alpha = torch.atan2(R[..., 1, 2], R[..., 0, 2])
    gamma = torch.atan2(R[..., 2, 1], -R[..., 2, 0])
    # at β = 0: R = Rz(α + γ); at β = π: R[0,0] = −cos(α − γ), R[1,0] = −sin(α − γ)
    sign = torch.where(R[..., 2, 2] > 0, 1.0, -1.0).to(R)
    alpha_pole = torch.atan2(sign * R[..., 1, 0], sign * R[..., 0, 0])
    alpha = torch.where(pole, alpha_pole, alpha)
    gamma = torch.where(pole, torch.zeros_like(gamma), gamma)
    return alpha, beta, gamma


def rand_rotation(
    n: int | None = None,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Haar-uniform random rotation(s): ``(3, 3)`` if ``n`` is None, else ``(n, 3, 3)``.

    Drawn as a normalised Gaussian quaternion (uniform on S³, hence Haar on SO(3)).
    """
    if n is not None:
        check_positive_int("rand_rotation", "n", n)
    q = torch.randn(1 if n is None else n, 4, generator=generator, dtype=torch.float64)
    q = q / q.norm(dim=-1, keepdim=True)
    w, x, y, z = q.unbind(-1)
    R = torch.stack(
        [
            torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
            torch.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
            torch.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
        ],
        dim=-2,
    ).to(dtype=dtype, device=device)
    return R[0] if n is None else R
