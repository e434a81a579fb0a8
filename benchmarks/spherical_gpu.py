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
  cast and moved as the layers hold them (``spherical_fft``'s arms and sizes: b = 10, batch 640;
  b = 30, batch 32), float32, real signals; their relative differences printed first; medians
  and ratios.

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
from spherical_fft import CASES, _arms, _check

#: (model, batch, model kwargs) at the issue's sizes, and with --small
MODELS = (("s2cnn", 32, {}), ("s2cnn-deep", 32, {}), ("s2cnn-seg", 8, {}))
SMALL_MODELS = (
    ("s2cnn", 4, {"bandwidth": 8, "bandwidths": (4, 3)}),
    ("s2cnn-deep", 4, {"bandwidth": 6}),
    ("s2cnn-seg", 2, {"bandwidth": 6}),
)
#: (kind, b, batch) with --small (else ``spherical_fft.CASES``, the acceptance target's)
SMALL_CASES = (("s2", 4, 8), ("so3", 4, 8))
#: the arms of ``spherical_fft._arms`` timed here: public and engine, analysis and real synthesis
TIMED = ("fft public", "fft engine", "ifft real public", "ifft real engine")


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


def _ffts(cases: tuple, dev: torch.device, reps: int) -> None:
    sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else None
    rows = ["transform | b | batch | public (ms) | engine (ms) | public / engine"]
    for kind, b, n in cases:
        arms, outs = _arms(kind, b, n, None, dev)
        torch.testing.assert_close(*outs["ifft"], rtol=1e-4, atol=1e-4)  # public = engine
        print(f"{kind} b={b} batch {n}, max relative difference to the public result: "
              f"{_check(outs)}")  # fmt: skip
        arms = {k: arms[k] for k in TIMED}
        t = {k: statistics.median(v) for k, v in time_interleaved(arms, reps, 3, sync).items()}
        for op in ("fft", "ifft real"):
            pub, eng = t[f"{op} public"], t[f"{op} engine"]
            rows.append(f"{kind} {op} | {b} | {n} | {1e3 * pub:.3f} | {1e3 * eng:.3f} | "
                        f"{pub / eng:.2f}")  # fmt: skip
    print("\n".join(rows))


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
