# SPDX-License-Identifier: MIT
"""Harmonic analysis on the sphere S² and the rotation group SO(3) (SOFT grids, bandwidth b).

Signals: S² ``(..., 2b, 2b)`` indexed ``[β, α]``; SO(3) ``(..., 2b, 2b, 2b)`` indexed
``[β, α, γ]`` (grids, Euler angles and Wigner conventions: ``gconv.groups``).

- ``s2_fft(x, b_out=None)`` / ``s2_ifft(c, b_out=None, *, real=False)``: packed spectrum
  ``(..., b²)``, index ``l² + l + m``, ``f̂_lm = ∫ f conj(Y_lm) dx``, ``f = Σ f̂_lm Y_lm``.
- ``so3_fft(x, b_out=None)`` / ``so3_ifft(c, b_out=None, *, real=False)``: packed
  ``(..., b(4b²−1)/3)``, index ``l(4l²−1)/3 + (m+l)(2l+1) + (n+l)``,
  ``f̂^l_mn = ∫ f conj(D^l_mn) dR`` (Haar, ∫1 = 1), ``f = Σ (2l+1) Σ f̂^l_mn D^l_mn``.
  ``b_out`` truncates or zero-pads degrees (forward) / picks the output grid (inverse);
  ``real=True`` returns the real part of the synthesis directly (one real synthesis
  instead of two and no complex output to assemble). All are
  batched, differentiable, on any device, float32/float64 (tables built in float64, then
  cast), and run on ``engine`` (below): complex signals as two real ones, packed spectra
  converted to and from its half spectra; real outputs of the inverses are stored grid-major
  (not ``.is_contiguous()``); SO(3) grids with b > 64 stream the Wigner-d values by degree.
- ``engine``: the real-signal engine the layers are built on (half spectra, grid-major signals;
  layouts in its docstring), with its bounded scratch memory (``engine.clear_scratch()``).
- ``s2_size(b)``, ``so3_size(b)``: spectrum lengths.
- ``rotate_s2(x, R)``, ``rotate_so3(x, R)``: exact rotation of band-limited signals,
  ``[R·f](p) = f(R⁻¹p)``, ``[R·F](Q) = F(R⁻¹Q)``; ``wigner_D_blocks(R, b)``.
"""

from . import engine
from ._fft import s2_fft, s2_ifft, s2_size, so3_fft, so3_ifft, so3_size
from ._rotate import rotate_s2, rotate_so3, wigner_D_blocks

__all__ = [
    "engine",
    "rotate_s2",
    "rotate_so3",
    "s2_fft",
    "s2_ifft",
    "s2_size",
    "so3_fft",
    "so3_ifft",
    "so3_size",
    "wigner_D_blocks",
]
