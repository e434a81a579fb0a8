# SPDX-License-Identifier: MIT
"""Issue 12's GPU figures in one run: the three spherical models, and the public packed FFTs
against the engine call they wrap, on one CUDA device with TF32 off (float32 matmuls and
convolutions in full precision, as on the CPU).

- Models (``gconv.benchmark.bench_model``, arms interleaved, the device synchronised around
  every call): the MNIST S2CNN (``s2cnn``) and ``s2cnn-deep`` at batch 32, ``s2cnn-seg``
  (Gerken et al., b = 50) at batch 8; latency is a forward pass at batch 1 (eval, inference
  mode), "train" one Adam step at the batch; peak memory is ``torch.cuda.max_memory_allocated``
  above the baseline (a training step and a forward pass at the batch).
- FFTs: ``s2_fft``/``s2_ifft(real=True)``/``so3_fft``/``so3_ifft(real=True)`` against
  ``engine.s2_analysis``/``s2_synthesis``/``so3_analysis``/``so3_synthesis`` with the tables
  cast and moved as the layers hold them, at the issue's sizes (b = 10, batch 640; b = 30,
  batch 32), float32, real signals; outputs checked to agree first; medians and ratios.

Wall-clock seconds (``time.perf_counter`` between synchronisations); the record names the
device. A GPU session runs it as one command; ``--device cpu --small`` is the script's own
check (tiny bandwidths, no figures worth recording).

    PYTHONPATH=src python benchmarks/spherical_gpu.py [--reps 20] [--device cuda:0]
"""

from __future__ import annotations

import argparse
import statistics

import torch

from _timing import add_record_args, recorded
from gconv.benchmark import bench_model, time_interleaved
from gconv.spherical import engine as hm
from gconv.spherical import s2_fft, s2_ifft, so3_fft, so3_ifft

#: (model, batch, model kwargs) at the issue's sizes, and with --small
MODELS = (("s2cnn", 32, {}), ("s2cnn-deep", 32, {}), ("s2cnn-seg", 8, {}))
SMALL_MODELS = (
    ("s2cnn", 4, {"bandwidth": 8, "bandwidths": (4, 3)}),
    ("s2cnn-deep", 4, {"bandwidth": 6}),
    ("s2cnn-seg", 2, {"bandwidth": 6}),
)
#: (kind, b, batch) of the acceptance target, and with --small
CASES = (("s2", 10, 640), ("s2", 30, 32), ("so3", 10, 640), ("so3", 30, 32))
SMALL_CASES = (("s2", 4, 8), ("so3", 4, 8))


def _device(name: str) -> torch.device:
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(
            f"spherical_gpu: device {name!r} asked for but torch {torch.__version__} sees no "
            "CUDA device; run it on a GPU machine, or --device cpu --small to check the script"
        )
    return dev


def _models(cases: tuple, dev: torch.device, reps: int) -> None:
    print("model | batch | params | latency b=1 (ms) | forward b=B (ms) | train step b=B (ms) "
          "| peak train (MiB) | peak forward (MiB)")  # fmt: skip
    for name, batch, kw in cases:
        shape = None if not kw else (1, 2 * kw["bandwidth"], 2 * kw["bandwidth"])
        memory = dev.type == "cuda" and shape is None
        r = bench_model(name, batch, reps=reps, device=dev, memory=memory, input_shape=shape, **kw)
        ms = [1e3 * statistics.median(t) for t in (r.latency, r.forward, r.train)]
        mem = [f"{r.memory[m].above_baseline_bytes / 2**20:.0f}" if memory else "—"
               for m in ("train", "infer")]  # fmt: skip
        print(f"{name} | {batch} | {r.parameters:,} | " + " | ".join(f"{v:.2f}" for v in ms)
              + " | " + " | ".join(mem))  # fmt: skip


def _fft_arms(kind: str, b: int, n: int, dev: torch.device) -> dict:
    g = torch.Generator().manual_seed(b * 1000 + n)
    shape = (n, 2 * b, 2 * b) if kind == "s2" else (n, 2 * b, 2 * b, 2 * b)
    x = torch.randn(shape, generator=g).to(dev)
    tables = hm.s2_tables(b, b) if kind == "s2" else hm.so3_tables(b, b)
    T = {k: hm.cast_table(v, x.dtype).to(dev) for k, v in tables.items()}
    if kind == "s2":
        fft, ifft, ana, syn = s2_fft, s2_ifft, hm.s2_analysis, hm.s2_synthesis
    else:
        fft, ifft, ana, syn = so3_fft, so3_ifft, hm.so3_analysis, hm.so3_synthesis
    c, F = fft(x), ana(x, T)
    torch.testing.assert_close(ifft(c, real=True), syn(F, T), rtol=1e-4, atol=1e-4)
    return {
        "fft public": lambda: fft(x),
        "fft engine": lambda: ana(x, T),
        "ifft real public": lambda: ifft(c, real=True),
        "ifft real engine": lambda: syn(F, T),
    }


def _ffts(cases: tuple, dev: torch.device, reps: int) -> None:
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else None
    print("transform | b | batch | public (ms) | engine (ms) | public / engine")
    for kind, b, n in cases:
        t = {k: statistics.median(v)
             for k, v in time_interleaved(_fft_arms(kind, b, n, dev), reps, 3, sync).items()}  # fmt: skip
        for op in ("fft", "ifft real"):
            pub, eng = t[f"{op} public"], t[f"{op} engine"]
            print(f"{kind} {op} | {b} | {n} | {1e3 * pub:.3f} | {1e3 * eng:.3f} | {pub / eng:.2f}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda", help="cuda (default), cuda:N, or cpu")
    p.add_argument("--reps", type=int, default=20, help="timed calls per arm")
    p.add_argument("--small", action="store_true", help="tiny sizes: the script's own check")
    add_record_args(p)
    args = p.parse_args(argv)
    dev = _device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    with recorded("spherical_gpu", args):  # the record's header has the command (--small)
        gpu = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
        print(f"device {dev} ({gpu}); torch {torch.__version__}; TF32 off; float32; "
              f"medians of {args.reps} interleaved calls, wall-clock")  # fmt: skip
        _models(SMALL_MODELS if args.small else MODELS, dev, args.reps)
        _ffts(SMALL_CASES if args.small else CASES, dev, args.reps)


if __name__ == "__main__":
    main()
