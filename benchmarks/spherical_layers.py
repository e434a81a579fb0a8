# SPDX-License-Identifier: MIT
"""Speed, memory and size of the spherical layers on the original S2CNN for MNIST.

Model (Cohen et al. 2018, s2cnn ``examples/mnist/run.py``): S2Conv 1→20 (b 30→10, default S²
grid), ReLU, SO3Conv 20→40 (b 10→6, default SO(3) grid), ReLU, so3_integrate, Linear 40→10.
Prints forward (inference, and with autograd recording) and forward+backward times at batch 32
(2 threads; median and min over the repetitions, after a warm-up), each in a fresh process:
with glibc's default allocator settings, the same with ``ReLU(inplace=True)``, and with glibc
told to keep freed memory (the difference is the cost of page faults on fresh grid-sized
blocks); then the time per stage (harmonic transforms vs spectral products vs filter spectra),
activation and table sizes per layer, and parameter counts.
The comparison with s2cnn itself, in one process: ``benchmarks/spherical_peers.py``.

    PYTHONPATH=src python benchmarks/spherical_layers.py [--batch 32] [--reps 20] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import torch
from torch import nn

from _timing import interleaved
from gconv.nn import S2Conv, SO3Conv, so3_integrate, so3_near_identity_grid
from gconv.nn import _spectral as sp
from gconv.nn.spherical import _tables
from gconv.spherical import engine as hm

#: glibc told to keep freed memory instead of handing it back to the OS (both are documented
#: glibc tunables; 32 MiB is the largest mmap threshold it accepts)
KEEP_MEMORY_ENV = {"MALLOC_TRIM_THRESHOLD_": "2147483647", "MALLOC_MMAP_THRESHOLD_": "33554432"}


class Integrate(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return so3_integrate(x)


def s2cnn_mnist(so3_grid=None, inplace: bool = False) -> nn.Sequential:
    """The original S2CNN for spherical MNIST (bandwidth 30 input, 60×60 grid)."""
    return nn.Sequential(
        S2Conv(1, 20, 30, 10),
        nn.ReLU(inplace=inplace),
        SO3Conv(20, 40, 10, 6, grid=so3_grid),
        nn.ReLU(inplace=inplace),
        Integrate(),
        nn.Linear(40, 10),
    )


def timings_ms(fn: Callable[[], object], reps: int, warmup: int = 3) -> list[float]:
    return [1e3 * t for t in interleaved({"fn": fn}, reps, warmup)["fn"]]


def median_ms(fn: Callable[[], object], reps: int, warmup: int = 3) -> float:
    return statistics.median(timings_ms(fn, reps, warmup))


def model_times(model: nn.Module, x: torch.Tensor, reps: int) -> dict[str, list[float]]:
    def fwd() -> None:
        with torch.no_grad():
            model(x)

    def fwd_grad() -> None:
        model(x)

    def fwd_bwd() -> None:
        model.zero_grad(set_to_none=True)
        model(x).sum().backward()

    # the first calls of a fresh process are several times slower (allocator, thread pool;
    # observed up to ~0.7 s), hence the long warm-up
    return {
        "forward": timings_ms(fwd, reps, warmup=10),
        "forward (grad on)": timings_ms(fwd_grad, reps, warmup=10),
        "forward+backward": timings_ms(fwd_bwd, reps, warmup=10),
    }


def stage_times(model: nn.Sequential, x: torch.Tensor, reps: int) -> list[tuple[str, float]]:
    """Forward time of each stage, replaying the layers' pipelines (no grad)."""
    s2, so3 = model[0], model[2]
    L1, L2, B = s2.degrees, so3.degrees, x.shape[0]
    a1, r1 = _tables(s2, "ana", x.dtype), _tables(s2, "ring", x.dtype)
    a2, y2 = _tables(so3, "ana", x.dtype), _tables(so3, "syn", x.dtype)
    with torch.no_grad():
        fh = hm.s2_analysis(x.reshape(-1, 60, 60), a1)
        w_hat = s2._filter_spectrum().view(1, 20, s2.rings, L1)
        h = torch.relu(hm.s2_ring_synthesis(fh, w_hat, s2.bias, r1, B))
        Fh = hm.so3_analysis_channels(h, a2)
        psi3 = so3._filter_spectrum()
        Gh = sp.so3_so3_product(Fh, psi3).reshape(L2, 2 * L2 - 1, 2, -1, L2)
        stages = [
            (
                "S2Conv  S² analysis (b 30→10)",
                "fft",
                lambda: hm.s2_analysis(x.reshape(-1, 60, 60), a1),
            ),
            (
                "S2Conv  filter spectrum",
                "filter",
                lambda: (s2.clear_filter_cache(), s2._filter_spectrum()),
            ),
            (
                "S2Conv  ring synthesis, product included (→ b 10)",
                "fft",
                lambda: hm.s2_ring_synthesis(fh, w_hat, s2.bias, r1, B),
            ),
            ("SO3Conv SO(3) analysis (b 10→6)", "fft", lambda: hm.so3_analysis_channels(h, a2)),
            (
                "SO3Conv filter spectrum",
                "filter",
                lambda: (so3.clear_filter_cache(), so3._filter_spectrum()),
            ),
            ("SO3Conv spectral product", "product", lambda: sp.so3_so3_product(Fh, psi3)),
            ("SO3Conv SO(3) synthesis (→ b 6)", "fft", lambda: hm.so3_synthesis(Gh, y2)),
        ]
        out = [(f"{name} [{kind}]", median_ms(fn, reps)) for name, kind, fn in stages]
    return out


def activation_sizes(model: nn.Sequential, x: torch.Tensor) -> list[tuple[str, tuple, float]]:
    """(layer, output shape, MiB) of every layer's output at this batch size."""
    rows = [("input", tuple(x.shape), x.numel() * x.element_size() / 2**20)]
    with torch.no_grad():
        for layer in model:
            x = layer(x)
            rows.append(
                (type(layer).__name__, tuple(x.shape), x.numel() * x.element_size() / 2**20)
            )
    return rows


def table_sizes(model: nn.Sequential) -> list[tuple[str, float]]:
    """(layer, MiB) of the constant tables (non-persistent buffers) of each spherical layer."""
    return [
        (type(m).__name__, sum(b.numel() * b.element_size() for b in m.buffers()) / 2**20)
        for m in model
        if any(True for _ in m.buffers())
    ]


def parameter_counts() -> dict[str, int]:
    counts = {}
    for name, grid in (
        ("default grids (S² 24, SO(3) 192 points)", None),
        ("SO(3) grid n_gamma=3 (72 points)", so3_near_identity_grid(n_gamma=3)),
    ):
        counts[name] = sum(p.numel() for p in s2cnn_mnist(grid).parameters())
    return counts


def child_times(
    args: argparse.Namespace, env: dict[str, str], inplace: bool = False
) -> dict[str, list[float]]:
    """Model times measured in a fresh process with extra environment variables."""
    cmd = [sys.executable, __file__, "--times-json", f"--batch={args.batch}",
           f"--reps={args.reps}", f"--threads={args.threads}"]  # fmt: skip
    cmd += ["--inplace-relu"] if inplace else []
    out = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--times-json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--inplace-relu", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    model = s2cnn_mnist()
    build = time.perf_counter() - t0
    x = torch.randn(args.batch, 1, 60, 60)
    if args.times_json:
        model = s2cnn_mnist(inplace=args.inplace_relu)
        print(json.dumps(model_times(model, x, args.reps)))
        return
    print(
        f"S2CNN MNIST, batch {args.batch}, {args.threads} threads, float32 "
        f"(machine shared with other jobs: numbers as measured)"
    )
    print(f"  model construction (tables incl.): {1e3 * build:.1f} ms")
    runs = {
        "glibc defaults": child_times(args, {}),
        "defaults, ReLU in place": child_times(args, {}, inplace=True),
        "glibc keeps freed memory": child_times(args, KEEP_MEMORY_ENV),
    }
    print(f"  {'':<26}{'':<20}{'median ms':>10}{'min ms':>8}")
    for alloc, times in runs.items():
        for key, ts in times.items():
            print(f"  {alloc:<26}{key:<20}{statistics.median(ts):>10.1f}{min(ts):>8.1f}")
    env = " ".join(f"{k}={v}" for k, v in KEEP_MEMORY_ENV.items())
    print("  (each allocator setting in a fresh process; 'keeps freed memory':")
    print(f"   {env}: freed blocks are reused, not faulted in again on every call)")
    print("  (min = least disturbed run on a shared machine)")
    stages = stage_times(model, x, args.reps)
    total = sum(ms for _, ms in stages)
    print("  forward stages (median ms, share of their sum; 'fft' = harmonic transforms):")
    for name, ms in stages:
        print(f"    {name:<42}{ms:8.2f}  {100 * ms / total:5.1f} %")
    for kind in ("fft", "product", "filter"):
        share = sum(ms for n, ms in stages if n.endswith(f"[{kind}]")) / total
        print(f"    share {kind:<8}{100 * share:5.1f} %")
    print("  activations (output of each layer):")
    for name, shape, mib in activation_sizes(model, x):
        print(f"    {name:<12}{str(shape):<28}{mib:8.2f} MiB")
    print("  constant tables (buffers, float64 masters):")
    for name, mib in table_sizes(model):
        print(f"    {name:<12}{mib:8.2f} MiB")
    print("  parameters (REFERENCES.md 2c, from s2cnn's code: 154,550 and 58,550):")
    for name, n in parameter_counts().items():
        print(f"    {name:<42}{n:>9,}")


if __name__ == "__main__":
    main()
