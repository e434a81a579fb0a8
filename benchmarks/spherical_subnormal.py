# SPDX-License-Identifier: MIT
"""SO(3) synthesis and analysis with float32 tables cast plainly (subnormal Wigner entries
kept) against ``engine.cast_table`` (entries below eps² of the largest zeroed), interleaved.

    PYTHONPATH=src python benchmarks/spherical_subnormal.py [--b 42] [--L 35] [--signals 11]
"""

from __future__ import annotations

import argparse
import statistics

import torch

from _timing import add_record_args, interleaved, recorded
from gconv.spherical import engine as hm


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--b", type=int, default=42)
    ap.add_argument("--L", type=int, default=35)
    ap.add_argument("--signals", type=int, default=11)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    add_record_args(ap)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    b, L, N = args.b, args.L, args.signals
    with recorded("spherical_subnormal", args):
        print(f"# python benchmarks/spherical_subnormal.py --b {b} --L {L} --signals {N} "
              f"--reps {args.reps} --threads {args.threads}")  # fmt: skip
        tables = hm.so3_tables(b, L)
        plain = {k: v.float() for k, v in tables.items()}
        clean = {k: hm.cast_table(v, torch.float32) for k, v in tables.items()}
        tiny = torch.finfo(torch.float32).tiny
        sub = sum(int(((v != 0) & (v.abs() < tiny)).sum()) for v in plain.values())
        print(f"subnormal entries in the plain float32 tables: {sub}")
        G = torch.randn(L, 2 * L - 1, 2, N, L, generator=torch.Generator().manual_seed(0))
        x = torch.randn(N, 2 * b, 2 * b, 2 * b, generator=torch.Generator().manual_seed(1))
        arms = {}
        for name, T in (("plain", plain), ("cast_table", clean)):
            arms[f"synthesis {name}"] = lambda T=T: hm.so3_synthesis(G, T)
            arms[f"analysis {name}"] = lambda T=T: hm.so3_analysis(x, T)
        with torch.no_grad():
            t = interleaved(arms, args.reps, warmup=1)
        for k, v in t.items():
            print(f"  {k:<24}{1e3 * statistics.median(v):10.1f} ms (median of {args.reps})")
        for stage in ("synthesis", "analysis"):
            r = statistics.median(t[f"{stage} cast_table"]) / statistics.median(t[f"{stage} plain"])
            print(f"  {stage}: cast_table / plain = {r:.3f}")


if __name__ == "__main__":
    main()
