# SPDX-License-Identifier: MIT
"""Where the time of the packed ↔ half-spectrum conversion goes, against its floor.

For the acceptance sizes of ``benchmarks/spherical_fft.py`` this times, interleaved in one
process (float32, one thread, CPU seconds per call, medians), the engine transform each public
FFT wraps, the conversion ``gconv.spherical._pack`` adds (``to_half`` before a synthesis,
``from_half`` after an analysis), and the single passes any conversion needs: a contiguous copy
of the packed spectrum, and the transposition ``cᵀ`` (the packed layout is signal-outer, the
engine's signal-inside-re/im, so one transposing pass is unavoidable) done by torch and by
NumPy. ``floor`` is ``1 + (cheaper transposition)/engine``: the ratio public/engine a
conversion reaches if it costs exactly one transposing pass and nothing else.

A conversion could avoid the transposition only with an engine whose matmuls read the spectrum
signal-outer (rows of degrees per signal, batched over (m, re/im); BLAS takes that stride); it
still has to gather each signal's used cells and combine the coefficients of m and −m (real
signals keep m ≥ 0 only). The arms "gather …, signal-outer" time that work alone (the index
and weights ``to_half`` uses); ``floor without transposition`` is ``1 + (gather +
combine)/engine``, for synthesis.

    PYTHONPATH=src python benchmarks/spherical_pack.py [--reps 30]
"""

from __future__ import annotations

import os
import statistics

import numpy as np
import torch

from _timing import cpu_timed, interleaved, one_thread_main
from gconv.spherical import _pack, s2_fft, so3_fft
from gconv.spherical import engine as hm
from spherical_fft import CASES  # the same acceptance sizes


def _arms(kind: str, b: int, n: int) -> dict:
    g = torch.Generator().manual_seed(b * 1000 + n)
    shape = (n, 2 * b, 2 * b) if kind == "s2" else (n, 2 * b, 2 * b, 2 * b)
    x = torch.randn(shape, generator=g)
    tab = hm.s2_tables if kind == "s2" else hm.so3_tables
    T = {k: hm.cast_table(v, x.dtype) for k, v in tab(b, b).items()}
    ana, syn = (
        (hm.s2_analysis, hm.s2_synthesis) if kind == "s2" else (hm.so3_analysis, hm.so3_synthesis)
    )
    c = (s2_fft if kind == "s2" else so3_fft)(x)
    F = ana(x, T)
    F2 = F.clone()
    cT = torch.view_as_real(c).view(n, -1).T
    out = torch.empty(cT.shape)
    mp = _pack._maps(kind, b, x.dtype, "cpu")
    cr = torch.view_as_real(c).reshape(n, -1)
    X = torch.empty(n, mp["i_p"].numel())
    P = torch.empty(n, X.shape[1] // 2)
    Xv = X.view(n, 2, -1)

    def gather_combine() -> torch.Tensor:
        torch.index_select(cr, 1, mp["i_p"], out=X)
        return torch.addcmul(Xv[:, 0], Xv[:, 1], mp["w_p"][1], out=P)

    return {
        "engine analysis": lambda: ana(x, T),
        "engine synthesis": lambda: syn(F, T),
        "to_half": lambda: _pack.to_half(kind, c, True),
        "from_half": lambda: _pack.from_half(kind, F2.copy_(F)),  # (it writes over its input)
        "copy of F (inside from_half's arm)": lambda: F2.copy_(F),
        "copy of the packed spectrum": lambda: c.clone(),
        "transpose cᵀ, torch": lambda: out.copy_(cT),
        "transpose cᵀ, NumPy": lambda: np.copyto(out.numpy(), cT.numpy()),
        "gather of the used cells, signal-outer": lambda: torch.index_select(
            cr, 1, mp["i_p"], out=X
        ),
        "gather + combine, signal-outer": gather_combine,
    }


def run_case(kind: str, b: int, n: int, reps: int) -> None:
    arms = _arms(kind, b, n)
    print(f"\n== {kind} b={b} batch={n} (float32) ==")
    cpu: dict[str, list[float]] = {k: [] for k in arms}
    load0 = os.getloadavg()[0]
    interleaved({k: cpu_timed(fn, cpu[k]) for k, fn in arms.items()}, reps, warmup=2)
    med = {k: statistics.median(v[2:]) for k, v in cpu.items()}
    for k in arms:
        print(f"  {k:36s} median {1e3 * med[k]:8.3f} ms CPU  (min {1e3 * min(cpu[k][2:]):8.3f})")
    print(f"  load average 1-min: {load0:.2f} → {os.getloadavg()[0]:.2f}")
    tr = min(med["transpose cᵀ, torch"], med["transpose cᵀ, NumPy"])
    fh = med["from_half"] - med["copy of F (inside from_half's arm)"]
    for name, engine, conv in (
        ("synthesis", med["engine synthesis"], med["to_half"]),
        ("analysis", med["engine analysis"], fh),
    ):
        print(
            f"  {name:9s}: 1 + conversion/engine {1 + conv / engine:.3f}, "
            f"floor 1 + transpose/engine {1 + tr / engine:.3f}"
        )
    gc = med["gather + combine, signal-outer"] / med["engine synthesis"]
    print(f"  synthesis: floor without transposition 1 + (gather + combine)/engine {1 + gc:.3f}")


def main(argv: list[str] | None = None) -> None:
    def run(reps: int) -> None:
        for kind, b, n in CASES:
            run_case(kind, b, n, reps)

    one_thread_main("spherical_pack", __doc__, 30, run, argv)


if __name__ == "__main__":
    main()
