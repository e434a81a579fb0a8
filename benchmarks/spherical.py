# SPDX-License-Identifier: MIT
"""Spherical harmonic analysis benchmark: Wigner tables and S²/SO(3) FFTs on the CPU.

Run: ``python benchmarks/spherical.py`` (2 threads; medians of repeats). Prints
- cold build time and size of the S² table (d^l_{m0}, b²·2b entries) at b = 256 and of the
  SO(3) table (Σ(2l+1)²·2b entries) at b = 64 (disk cache disabled for the timing);
- the stored-vs-streamed trade-off at b = 128 (a full table would not fit; degrees are built
  one at a time, peak memory one d^l block);
- forward/inverse transform times at a few (b, batch);
- our ``s2_fft`` against torch-harmonics' ``RealSHT`` on the same grid, when installed.
"""

from __future__ import annotations

import argparse
import os
import statistics

import torch

from _timing import add_record_args, interleaved, recorded
from gconv.groups import _wigner, s2_grid, wigner_d_iter
from gconv.spherical import s2_fft, s2_ifft, so3_fft, so3_ifft, so3_size


def median_time(fn, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds."""
    return _times(fn, repeats, warmup)[0]


def _times(fn, repeats: int = 5, warmup: int = 1) -> tuple[float, float]:
    """(median, min) wall time of ``fn()`` in seconds."""
    times = interleaved({"fn": fn}, repeats, warmup)["fn"]
    return statistics.median(times), times[0]


def bench_tables() -> None:
    print("== Wigner-d tables (float64, cold: no memory or disk cache) ==")
    for name, builder, b, entries in [
        ("S²  d^l_m0", _wigner._s2_table, 256, 256**2 * 512),
        ("SO3 d^l_mn", _wigner._so3_table, 64, so3_size(64) * 128),
    ]:
        t = median_time(lambda: builder.__wrapped__(b, b), repeats=3, warmup=0)  # noqa: B023
        builder.cache_clear()
        print(
            f"{name} b={b:4d}: {t:6.2f} s   {entries / 1e6:7.1f} M entries  {entries * 8 / 2**20:8.1f} MiB"
        )


def bench_streaming(b: int = 128) -> None:
    print(f"== SO(3) at b={b}: stored vs streamed per degree ==")
    stored = so3_size(b) * 2 * b
    beta = s2_grid(b)[0]

    def stream() -> None:
        for _ in wigner_d_iter(beta, b - 1, reuse=True):
            pass

    t = median_time(stream, repeats=3, warmup=0)
    peak = 2 * b * (2 * b - 1) ** 2 * 8 * 3  # d^{l−1}, d^l, d^{l+1} at the last degree
    print(f"full table: {stored / 1e6:.0f} M entries = {stored * 8 / 2**30:.1f} GiB (not built)")
    print(f"streamed:   {t:.2f} s per pass over all degrees, peak ≈ {peak / 2**20:.0f} MiB")


def bench_transforms() -> None:
    print("== transforms, float32, ms, median (min): forward / inverse / inverse real=True ==")
    cases = [("s2", 30, 32), ("s2", 64, 8), ("so3", 6, 1280), ("so3", 10, 640), ("so3", 16, 64)]
    cases += [("so3", 30, 8)]
    for kind, b, n in cases:
        if kind == "s2":
            x = torch.randn(n, 2 * b, 2 * b)
            fwd, inv = s2_fft, s2_ifft
        else:
            x = torch.randn(n, 2 * b, 2 * b, 2 * b)
            fwd, inv = so3_fft, so3_ifft
        c = fwd(x)
        cols = [
            _times(f, repeats=9)
            for f in (lambda: fwd(x), lambda: inv(c), lambda: inv(c, real=True))  # noqa: B023
        ]
        text = " / ".join(f"{m * 1e3:7.2f} ({t * 1e3:7.2f})" for m, t in cols)
        print(f"{kind:3s} b={b:3d} batch={n:5d}: {text}")


#: (b, maps) compared with torch-harmonics: small and large batches at b = 16, 32, 64
SHT_SIZES = ((16, 32), (32, 8), (32, 128), (64, 8), (64, 32))


def bench_torch_harmonics(reps: int = 20) -> None:
    """``s2_fft`` against torch-harmonics' ``RealSHT`` on the same 2b × 2b equiangular grid,
    interleaved in one process, several (b, number of maps)."""
    print("== s2_fft vs torch_harmonics.RealSHT (same 2b × 2b grid, interleaved) ==")
    try:
        import torch_harmonics as th
    except ImportError:
        print("torch_harmonics not importable: skipped (optional; never in the main venv)")
        return
    print(f"torch_harmonics {th.__version__}; medians of {reps} interleaved repeats")
    for b, n in SHT_SIZES:
        x = torch.randn(n, 2 * b, 2 * b)
        sht = th.RealSHT(2 * b, 2 * b, lmax=b, mmax=b, grid="equiangular")
        t = interleaved({"gconv": lambda x=x: s2_fft(x), "th": lambda x=x, f=sht: f(x)}, reps)
        ours, theirs = (1e3 * statistics.median(t[k]) for k in ("gconv", "th"))
        print(
            f"b={b:3d} maps={n:4d}: gconv {ours:8.3f} ms, RealSHT {theirs:8.3f} ms, "
            f"gconv/RealSHT {ours / theirs:.2f}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only-sht", action="store_true", help="only the torch-harmonics part")
    add_record_args(parser)
    args = parser.parse_args(argv)
    os.environ["GCONV_CACHE"] = ""  # cold tables: no disk cache while timing
    torch.set_num_threads(args.threads)
    with recorded("spherical", args):
        print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
        if not args.only_sht:
            bench_tables()
            bench_streaming()
            bench_transforms()
        bench_torch_harmonics()


if __name__ == "__main__":
    main()
