# SPDX-License-Identifier: MIT
"""Spherical MNIST generation benchmark: 70,000 samples (train 55,000 + valid 5,000 + test
10,000) at bandwidth 30, from the planar idx files to the cached uint8 arrays.

Run: ``PYTHONPATH=src GCONV_DATA=../shared/data python benchmarks/spherical_data.py``.
Arms, each in a fresh temporary cache, one after another in this process:
- NR single digits, R single digits (one Haar rotation per sample), R canvases of 1-4 digits
  with masks: wall time and CPU time of the process (on a shared machine the CPU time is the
  steadier figure). Since 91f4bf9 generation always runs single-threaded (``_one_thread`` in
  ``_spherical_gen``: at 2 threads on the loaded machine it was 3-11× slower); ``--threads``
  sets torch's threads for everything else (the on-the-fly timing);
- loading the cached R split again (reading and checking the sha256);
- on-the-fly augmentation: one batch of 32 rotated afresh (``SphericalAugment``, fraction 1)
  and 32 rotated copies (``RotatedCopies``), median of 20.
Prints a table and writes it with the environment to
``results/bench/spherical_data-<date>-<commit>[-t<threads>].txt``. The machine may be
shared: the load average before and after each arm is recorded beside its time.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from gconv.data import RotatedCopies, SphericalAugment, SphericalMNIST, atomic_write

SPLITS = ("train", "valid", "test")
ARMS = [
    ("NR, 1 digit, classification", dict(rotate="NR")),
    ("R, 1 digit, classification", dict(rotate="R")),
    ("R, canvas 1-4 digits, masks", dict(rotate="R", task="segmentation", digits=(1, 4))),
]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _generate(kwargs: dict, threads: int) -> tuple[float, float, int, list]:
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GCONV_CACHE"] = tmp
        t0, c0 = time.perf_counter(), time.process_time()
        sets = [SphericalMNIST(s, bandwidth=30, progress=False, **kwargs) for s in SPLITS]
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        n = sum(len(d) for d in sets)
        size = sum(d.path.stat().st_size for d in sets)
        t0 = time.perf_counter()
        SphericalMNIST("train", bandwidth=30, progress=False, **kwargs)
        reload = time.perf_counter() - t0
    return seconds, cpu, n, [size, reload]


def _augment_ms(threads: int) -> tuple[float, float]:
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GCONV_CACHE"] = tmp
        ds = SphericalMNIST("valid", bandwidth=30, progress=False)
        aug, copies = SphericalAugment(ds, fraction=1.0, seed=0), RotatedCopies(ds, 4, seed=0)
        rng = np.random.default_rng(0)
        out = []
        for wrapper in (aug, copies):
            times = []
            for _ in range(20):
                idx = rng.integers(0, len(wrapper), 32)
                t0 = time.perf_counter()
                wrapper.__getitems__(idx.tolist())
                times.append(time.perf_counter() - t0)
            out.append(statistics.median(times) * 1e3)
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads (2)")
    parser.add_argument("--arms", type=int, nargs="+", help="only these arms (0-based)")
    parser.add_argument("--no-augment", action="store_true", help="skip the on-the-fly timing")
    args = parser.parse_args()
    arms = [ARMS[i] for i in args.arms] if args.arms else ARMS
    lines = [
        f"# PYTHONPATH=src python benchmarks/spherical_data.py, {datetime.date.today()}, "
        f"code at {_commit()}",
        f"# torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}, "
        f"CPU {_cpu()} ({os.cpu_count()} logical), float64 sampling coordinates, float32 "
        "interpolation, batches of 128",
        "# machine shared with other sessions: times are as measured, load average (1/5/15 min)"
        " before and after each arm",
        "",
        f"{'arm (70,000 samples, b = 30)':30s} {'gen thr':>7s} {'wall s':>7s} {'CPU s':>7s}"
        f" {'samples/s':>9s} {'MiB':>5s} {'reload train s':>14s}  load before -> after",
    ]
    print("\n".join(lines))
    for name, kwargs in arms:
        threads = 1  # generation runs single-threaded (_one_thread in _spherical_gen)
        before = _load()
        seconds, cpu, n, (size, reload) = _generate(kwargs, threads)
        row = (
            f"{name:30s} {threads:7d} {seconds:7.1f} {cpu:7.1f} {n / seconds:9.0f} "
            f"{size / 2**20:5.0f} {reload:14.2f}  {before} -> {_load()}"
        )
        print(row, flush=True)
        lines.append(row)
    if args.no_augment:
        _write(lines, f"-t{args.threads}")
        return
    before = _load()
    aug, copies = _augment_ms(args.threads)
    for text in (
        "",
        f"on the fly, batch of 32 at b = 30, {args.threads} threads, median of 20 "
        f"(load {before} -> {_load()}):",
        f"  SphericalAugment (fraction 1, fresh rotation per sample) {aug:7.1f} ms per batch",
        f"  RotatedCopies (k = 4)                                    {copies:7.1f} ms per batch",
    ):
        print(text)
        lines.append(text)
    _write(lines, f"-t{args.threads}")


def _write(lines: list[str], suffix: str = "") -> None:
    name = f"spherical_data-{datetime.date.today()}-{_commit()}{suffix}.txt"
    out = Path("results/bench") / name
    with atomic_write(out) as f:
        f.write(("\n".join(lines) + "\n").encode())
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
