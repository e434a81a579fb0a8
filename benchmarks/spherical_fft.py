# SPDX-License-Identifier: MIT
"""The public packed FFTs against the engine the layers call, and against a baseline commit.

``s2_fft``/``s2_ifft``/``so3_fft``/``so3_ifft`` of ``gconv.spherical`` run on
``gconv.spherical.engine``; this times, in one process and interleaved, each public transform
against the engine call it wraps (``s2_analysis``, ``s2_synthesis``, ``so3_analysis``,
``so3_synthesis`` with the tables cast as the layers cast them), and against the same public
function of a baseline commit (``git archive`` of its ``src/gconv`` as package ``gconv_base``;
default: the last commit with the separate ``_fft``/``_plan``/``_dft`` machinery). Float32,
real signals, one thread, CPU seconds of this process per call (the machine is shared: the load
average is printed per case and in the record). ``ifft real`` is ``real=True`` (one real
synthesis, the engine's work); ``ifft`` is the complex synthesis (two). Outputs are checked to
agree first. ``copy of the packed spectrum`` (``c.clone()``) is one pass over the packed
spectrum: any conversion between the packed and the engine's layout costs at least that, so
``1 + copy/engine`` bounds the ratio public/engine from below.

The arms run in a fixed cyclic order, so every public arm follows a foreign arm (a baseline,
the complex synthesis or the copy, which free megabytes and evict the input from the caches)
while every engine arm follows its public twin, which has just read the same input and
tables; and glibc may hand freed blocks back to the kernel depending on what ran before, so
that the next large allocation is faulted in again page by page (the page-fault column shows
where). ``--prewarm`` precedes each timed call by an untimed call of the same arm, which takes
the predecessor out of the comparison (recorded under its own name; the default keeps the
method of the earlier records, so that they compare).

    PYTHONPATH=src python benchmarks/spherical_fft.py [--reps 15] [--baseline f463592]
        [--prewarm]  (recorded as spherical_fft-prewarm-<date>-<commit>.txt)
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
from pathlib import Path

import torch

from _timing import add_record_args, cpu_timed, interleaved, recorded
from gconv.spherical import engine as hm
from gconv.spherical import s2_fft, s2_ifft, so3_fft, so3_ifft

#: (kind, b, batch): the sizes of the acceptance target (issue 12)
CASES = (("s2", 10, 640), ("s2", 30, 32), ("so3", 10, 640), ("so3", 30, 32))
BASELINE = "f463592"  # main before the FFTs moved onto the engine


def _load_baseline(commit: str, where: Path):  # noqa: ANN202
    from spherical_ab import load_baseline  # the same extraction as the layer A/B benchmark

    load_baseline(commit, where)
    import gconv_base.spherical as base

    return base


def _arms(kind: str, b: int, n: int, base, device: str | torch.device = "cpu") -> tuple[dict, dict]:  # noqa: ANN001
    """Closures per arm, and the outputs to compare (public vs engine vs baseline); the signal
    and the engine's tables on ``device``."""
    g = torch.Generator().manual_seed(b * 1000 + n)
    shape = (n, 2 * b, 2 * b) if kind == "s2" else (n, 2 * b, 2 * b, 2 * b)
    x = torch.randn(shape, generator=g).to(device)
    tables = hm.s2_tables(b, b) if kind == "s2" else hm.so3_tables(b, b)
    T = {k: hm.cast_table(v, x.dtype).to(device) for k, v in tables.items()}
    if kind == "s2":
        fft, ifft, ana, syn = s2_fft, s2_ifft, hm.s2_analysis, hm.s2_synthesis
    else:
        fft, ifft, ana, syn = so3_fft, so3_ifft, hm.so3_analysis, hm.so3_synthesis
    c, F = fft(x), ana(x, T)
    arms = {
        "fft public": lambda: fft(x),
        "fft engine": lambda: ana(x, T),
        "ifft real public": lambda: ifft(c, real=True),
        "ifft real engine": lambda: syn(F, T),
        "ifft public (complex)": lambda: ifft(c),
        "copy of the packed spectrum": lambda: c.clone(),  # one pass: the floor of a conversion
    }
    outs = {"fft": [fft(x)], "ifft": [ifft(c, real=True), syn(F, T)]}
    if base is not None:
        bfft, bifft = (base.s2_fft, base.s2_ifft) if kind == "s2" else (base.so3_fft, base.so3_ifft)
        arms["fft baseline"] = lambda: bfft(x)
        arms["ifft real baseline"] = lambda: bifft(c, real=True)
        arms["ifft baseline (complex)"] = lambda: bifft(c)
        outs["fft"].append(bfft(x))
        outs["ifft"].append(bifft(c, real=True))
    return arms, outs


def _check(outs: dict) -> str:
    errs = []
    for key, vals in outs.items():
        ref = vals[0]
        scale = ref.abs().max().item()
        errs += [f"{key} {(v - ref).abs().max().item() / scale:.1e}" for v in vals[1:]]
    return ", ".join(errs) if errs else "nothing to compare"


def _faults_counted(fn, out: list[int]):  # noqa: ANN001, ANN202
    """``fn`` that appends the minor page faults of its call to ``out``: glibc hands freed
    blocks of ~1 MB back to the kernel depending on what ran before, and faulting them in again
    costs about as much as an S² transform at b = 10, so the record shows where that happened."""

    def run() -> None:
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        fn()
        out.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)

    return run


def _prewarmed_call(warm, timed):  # noqa: ANN001, ANN202
    """An untimed call of ``warm`` (the arm itself), then ``timed`` (its timed wrapper)."""

    def run() -> None:
        warm()
        timed()

    return run


def run_case(  # noqa: ANN001
    kind: str, b: int, n: int, reps: int, base, prewarm: bool = False
) -> None:
    arms, outs = _arms(kind, b, n, base)
    print(f"\n== {kind} b={b} batch={n} (float32) ==")
    print(f"max relative difference to the public result: {_check(outs)}")
    cpu: dict[str, list[float]] = {k: [] for k in arms}
    faults: dict[str, list[int]] = {k: [] for k in arms}
    timed = {k: _faults_counted(cpu_timed(fn, cpu[k]), faults[k]) for k, fn in arms.items()}
    if prewarm:
        timed = {k: _prewarmed_call(arms[k], fn) for k, fn in timed.items()}
    load0 = os.getloadavg()[0]
    interleaved(timed, reps, warmup=2)
    load1 = os.getloadavg()[0]
    med = {k: statistics.median(v[2:]) for k, v in cpu.items()}  # warm-up calls dropped
    for k in arms:
        v = sorted(cpu[k][2:])
        flt = statistics.mean(faults[k][2:])
        print(
            f"  {k:24s} median {1e3 * med[k]:9.2f} ms CPU  (min {1e3 * v[0]:8.2f}, n={len(v)})"
            f"  page faults/call {flt:6.0f}"
        )
    print(f"  load average 1-min: {load0:.2f} → {load1:.2f}")
    for op in ("fft", "ifft real"):
        line = f"  {op:9s}: public/engine {med[f'{op} public'] / med[f'{op} engine']:.3f}"
        if f"{op} baseline" in med:
            line += f", public/baseline {med[f'{op} public'] / med[f'{op} baseline']:.3f}"
        print(line)
    copy = med["copy of the packed spectrum"]
    print(
        f"  one copy of the packed spectrum / engine: fft {copy / med['fft engine']:.3f}, "
        f"ifft real {copy / med['ifft real engine']:.3f}"
    )
    if base is not None:
        r = med["ifft public (complex)"] / med["ifft baseline (complex)"]
        print(f"  ifft complex: public/baseline {r:.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15, help="timed calls per arm")
    parser.add_argument("--baseline", default=BASELINE, help="commit ('' = none)")
    parser.add_argument(
        "--prewarm", action="store_true", help="an untimed call before each timed one"
    )
    add_record_args(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    name = "spherical_fft-prewarm" if args.prewarm else "spherical_fft"
    with tempfile.TemporaryDirectory() as tmp, recorded(name, args):
        base = _load_baseline(args.baseline, Path(tmp)) if args.baseline else None
        print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, CPU time per call")
        print(f"baseline: {args.baseline or 'none'}; medians of {args.reps} interleaved calls")
        print(f"each timed call preceded by an untimed call of the same arm: {args.prewarm}")
        for kind, b, n in CASES:
            run_case(kind, b, n, args.reps, base, prewarm=args.prewarm)


if __name__ == "__main__":
    main()
