# SPDX-License-Identifier: MIT
"""The public packed S² FFTs on small batches, against the engine call each one wraps.

``benchmarks/spherical_fft.py`` times the acceptance sizes (batch 640 at b = 10, 32 at b = 30),
where the conversion between the packed layout and the engine's costs a share of the work.
On a batch of one or a few signals the per-call cost of the public wrapper (the sparse
product, about twenty small ops and views) dominates instead. This prints, interleaved in one
process (float32, one thread, CPU seconds per call, medians), ``s2_fft`` against
``engine.s2_analysis`` and ``s2_ifft(real=True)`` against ``engine.s2_synthesis`` (tables cast
as the layers cast them), and the ratios.

    PYTHONPATH=src python benchmarks/spherical_small.py [--reps 300]
"""

from __future__ import annotations

import statistics

import torch

from _timing import cpu_timed, interleaved, one_thread_main
from gconv.spherical import engine as hm
from gconv.spherical import s2_fft, s2_ifft

#: (b, batch)
CASES = ((10, 1), (10, 8), (30, 1), (30, 8))


def run_case(b: int, n: int, reps: int) -> None:
    g = torch.Generator().manual_seed(1000 * b + n)
    x = torch.randn(n, 2 * b, 2 * b, generator=g)
    T = {k: hm.cast_table(v, x.dtype) for k, v in hm.s2_tables(b, b).items()}
    c, F = s2_fft(x), hm.s2_analysis(x, T)
    arms = {
        "fft public": lambda: s2_fft(x),
        "fft engine": lambda: hm.s2_analysis(x, T),
        "ifft real public": lambda: s2_ifft(c, real=True),
        "ifft real engine": lambda: hm.s2_synthesis(F, T),
    }
    cpu: dict[str, list[float]] = {k: [] for k in arms}
    interleaved({k: cpu_timed(fn, cpu[k]) for k, fn in arms.items()}, reps, warmup=20)
    med = {k: statistics.median(v) * 1e3 for k, v in cpu.items()}
    print(f"== s2 b={b} batch={n} (float32) ==")
    for k, v in med.items():
        print(f"  {k:18s} median {v:8.3f} ms CPU  (min {min(cpu[k]) * 1e3:8.3f})")
    for op in ("fft", "ifft real"):
        print(f"  {op:9s}: public/engine {med[f'{op} public'] / med[f'{op} engine']:.2f}")


def main(argv: list[str] | None = None) -> None:
    def run(reps: int) -> None:
        for b, n in CASES:
            run_case(b, n, reps)

    one_thread_main("spherical_small", __doc__, 300, run, argv)


if __name__ == "__main__":
    main()
