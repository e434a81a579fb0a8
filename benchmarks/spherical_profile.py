# SPDX-License-Identifier: MIT
"""Per-layer, per-stage profile of the three spherical models, against a computed floor.

Models: the MNIST S2CNN (batch 32), s2cnn's deep S2CNN (``S2CNNDeep``, batch 32) and Gerken et
al.'s segmentation net (``S2CNNSeg``, batch 1). For every spherical layer, each forward stage is
replayed on its own (no grad): analysis (harmonic transform of the input), filter spectrum
(weights × table), spectral product, synthesis; then the layer's forward+backward as a whole.
Next to each stage: the FLOPs its matmuls do (counted from the shapes the engine uses, dense
zero-padded layout included) and the bytes it must at least read and write (input, output and
operand tables once, in the signal's dtype); the floor is ``max(FLOPs / GEMM peak, bytes /
copy bandwidth)`` with both rates measured here first, in the same process.

The machine is shared (2 cores, other sessions running): absolute times move by 2–4× between
runs, shares within one run are the figure to read. ``--clock cpu`` times everything (rates
included) in this process's CPU time, which load from other processes inflates less.

    PYTHONPATH=src python benchmarks/spherical_profile.py [--reps 3] [--threads 2] [--deep-batch 32]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from _timing import add_record_args, cpu_timed, interleaved, recorded
from gconv.models.spherical_deep import S2CNNDeep, S2CNNSeg
from gconv.nn import S2Conv, SO3Conv, SO3ToS2Conv
from gconv.nn import _spectral as sp
from gconv.nn.spherical import _tables
from gconv.spherical import engine as hm

#: "wall" (perf_counter) or "cpu" (process CPU time, all threads): set by --clock
CLOCK = {"kind": "wall"}


def _timed(arms: dict, reps: int, warmup: int) -> dict[str, list[float]]:
    """Seconds per call of each arm, interleaved, on the clock :data:`CLOCK` names."""
    if CLOCK["kind"] == "wall":
        return interleaved(arms, reps, warmup)
    cpu: dict[str, list[float]] = {k: [] for k in arms}
    interleaved({k: cpu_timed(f, cpu[k]) for k, f in arms.items()}, reps, warmup)
    return {k: sorted(v[warmup:]) for k, v in cpu.items()}


def _ms(fn, reps: int) -> float:
    return 1e3 * statistics.median(_timed({"f": fn}, reps, warmup=1)["f"])


def machine_rates(threads: int) -> tuple[float, float]:
    """(GEMM GFLOP/s of a float32 1024² matmul, copy GB/s of a 64 MiB tensor), median of 5."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    t = statistics.median(_timed({"mm": lambda: a @ b}, 5, 2)["mm"])
    x = torch.randn(16 * 2**20)
    y = torch.empty_like(x)
    c = statistics.median(_timed({"cp": lambda: y.copy_(x)}, 5, 2)["cp"])
    return 2 * 1024**3 / t / 1e9, 2 * x.numel() * 4 / c / 1e9


def _stage_flops(layer: nn.Module, B: int) -> dict[str, float]:
    """FLOPs of each stage's matmuls as the engine does them (real arithmetic)."""
    C, O, L = layer.in_channels, layer.out_channels, layer.degrees
    M, K, N = L, 2 * L - 1, B * C
    bi, bo = 2 * layer.b_in, 2 * layer.b_out
    G = layer.weight.shape[-1]
    f = {"filter": 2.0 * C * O * G * layer.filter_table.shape[1] * 2}
    if isinstance(layer, S2Conv):
        f["analysis"] = 2.0 * 2 * M * bi * N * bi + 2.0 * M * 2 * N * bi * L
        f["product"] = 2.0 * 2 * C * M * K * 2 * B * O * L
        if hasattr(layer, "ring_syn_b"):  # engine.s2_ring_synthesis: product folded in
            n = C * layer.rings
            f["product"] = 0.0
            syn = 2.0 * 2 * L * M * 2 * B * n * L * bo + 2.0 * L * 2 * bo * 4 * M * B * n * bo
            if (n - 1) * layer.b_out <= 15:
                syn += 2.0 * bo * O * 2 * L * n * B * bo * bo
            else:
                syn += 2.0 * bo * L * 2 * O * 2 * n * B * bo + 2.0 * bo * bo * 2 * L * O * B * bo
            f["synthesis"] = syn
            return f
    else:
        f["analysis"] = 2.0 * 2 * M * bi**3 * N + 2.0 * M * 2 * K * 2 * bi * N * bi
        f["analysis"] += 2.0 * M * K * 2 * N * bi * L
        if isinstance(layer, SO3Conv):
            f["product"] = sum(
                2.0 * (l + 1) * (2 * l + 1) ** 2 * 2 * B * O * 2 * C for l in range(L)
            )
        else:
            f["product"] = 2.0 * M * 2 * B * O * K * 2 * C * L
    No = B * O
    if isinstance(layer, SO3ToS2Conv):
        f["synthesis"] = 2.0 * M * 2 * No * L * bo + 2.0 * bo * 2 * M * No * bo
    else:
        f["synthesis"] = 2.0 * M * K * 2 * No * L * bo + 2.0 * M * 2 * bo * 2 * K * No * bo
        f["synthesis"] += 2.0 * bo * 2 * M * bo**2 * No
    return f


def _operand_numbers(layer: nn.Module) -> int:
    """Complex numbers of the filter operand the product reads: per run of degrees the padded
    ``(n_l, d·C, d·O)`` matrices for SO3Conv, the filter spectrum otherwise."""
    C, O, L = layer.in_channels, layer.out_channels, layer.degrees
    if isinstance(layer, SO3Conv):
        return C * O * sum((l1 - l0) * (2 * l1 - 1) ** 2 for l0, l1 in sp.degree_buckets(L))
    return C * O * layer.filter_table.shape[1]


def _stage_bytes(layer: nn.Module, B: int, itemsize: int = 4) -> dict[str, float]:
    C, O, L = layer.in_channels, layer.out_channels, layer.degrees
    bi, bo = 2 * layer.b_in, 2 * layer.b_out
    so3_in = not isinstance(layer, S2Conv)
    so3_out = not isinstance(layer, SO3ToS2Conv)
    spec_in = L * (2 * L - 1 if so3_in else 1) * 2 * B * C * L
    spec_out = L * (2 * L - 1 if so3_out else 1) * 2 * B * O * L
    grid_in = B * C * bi ** (3 if so3_in else 2)
    grid_out = B * O * bo ** (3 if so3_out else 2)
    op = 2 * _operand_numbers(layer)
    return {
        "analysis": itemsize * (grid_in + spec_in),
        "filter": itemsize * (layer.weight.numel() + layer.filter_table.numel() + op),
        "product": itemsize * (spec_in + spec_out + op),
        "synthesis": itemsize * (spec_out + grid_out),
    }


def _stages(layer: nn.Module, x: torch.Tensor) -> dict[str, object]:
    """Callables replaying the layer's forward stages on input x (no grad)."""
    B, C, L = x.shape[0], layer.in_channels, layer.degrees
    ana, syn = _tables(layer, "ana", x.dtype), _tables(layer, "syn", x.dtype)
    xs = x.reshape(B * C, *x.shape[2:])
    if isinstance(layer, S2Conv) and hasattr(layer, "ring_syn_b"):  # product inside synthesis
        fh = hm.s2_analysis(xs, ana)
        w_hat = layer._filter_spectrum().view(C, -1, layer.rings, L)
        ring = _tables(layer, "ring", x.dtype)
        return {
            "analysis": lambda: hm.s2_analysis(xs, ana),
            "filter": lambda: (layer.clear_filter_cache(), layer._filter_spectrum()),
            "product": lambda: None,
            "synthesis": lambda: hm.s2_ring_synthesis(fh, w_hat, layer.bias, ring, B),
        }
    if isinstance(layer, S2Conv):
        fh = hm.s2_analysis(xs, ana)
        psi = layer._filter_spectrum().reshape(C, -1, 2 * L - 1, L)
        f_ana = lambda: hm.s2_analysis(xs, ana)  # noqa: E731
        f_prod = lambda: sp.s2_so3_product(fh.view(L, 2, B, C, L), psi)  # noqa: E731
    else:
        Fh = hm.so3_analysis_channels(x, ana)
        psi = layer._filter_spectrum()
        f_ana = lambda: hm.so3_analysis_channels(x, ana)  # noqa: E731
        if isinstance(layer, SO3Conv):
            f_prod = lambda: sp.so3_so3_product(Fh, psi)  # noqa: E731
        else:
            psi = psi.reshape(C, -1, 2 * L - 1, L)
            f_prod = lambda: sp.so3_s2_product(Fh, psi)  # noqa: E731
    gh = f_prod().contiguous()
    if isinstance(layer, SO3ToS2Conv):
        g2 = gh.reshape(L, 2, -1, L)
        f_syn = lambda: hm.s2_synthesis(g2, syn)  # noqa: E731
    else:
        g3 = gh.reshape(L, 2 * L - 1, 2, -1, L)
        f_syn = lambda: hm.so3_synthesis(g3, syn)  # noqa: E731
    return {
        "analysis": f_ana,
        "filter": lambda: (layer.clear_filter_cache(), layer._filter_spectrum()),
        "product": f_prod,
        "synthesis": f_syn,
    }


def _stage_rows(
    layer: nn.Module, tag: str, h: torch.Tensor, reps: int, rates: tuple, totals: dict[str, float]
) -> tuple[list[str], float, float]:
    """One row per forward stage of ``layer`` on input h (ms, GFLOP, MB, the floor from the
    measured rates, ms/floor); adds each stage's ms to ``totals``. Returns the rows, the
    layer's floor and the filter stage's floor (ms)."""
    peak, bw = rates
    stages = _stages(layer, h)
    flops, nbytes = _stage_flops(layer, h.shape[0]), _stage_bytes(layer, h.shape[0])
    rows, floor_sum, floor_filter = [], 0.0, 0.0
    for st, fn in stages.items():
        ms = _ms(fn, reps)
        floor = 1e3 * max(flops[st] / (peak * 1e9), nbytes[st] / (bw * 1e9))
        totals[st] = totals.get(st, 0.0) + ms
        floor_sum += floor
        floor_filter += floor if st == "filter" else 0.0
        rows.append(
            f"  {tag:<34}{st:<11}{ms:9.2f}{flops[st] / 1e9:9.3f}{nbytes[st] / 1e6:9.1f}"
            f"{floor:10.2f}{ms / max(floor, 1e-9):8.1f}"
        )
    return rows, floor_sum, floor_filter


def _whole_model(
    model: nn.Module, x: torch.Tensor, reps: int, backward: bool, ops: bool
) -> list[str]:
    """The whole model's forward (no grad) and, with ``backward``, forward+backward time; with
    ``ops`` one forward+backward by operator (torch.profiler)."""

    def whole_fwd() -> None:
        with torch.no_grad():
            model(x)

    def whole_fb() -> None:
        model.zero_grad(set_to_none=True)
        model(x).sum().backward()

    if not backward:
        t = _timed({"fwd": whole_fwd}, reps, warmup=1)
        ms = 1e3 * statistics.median(t["fwd"])
        return [f"  whole model: forward (no grad) {ms:.1f} ms (median of {reps})"]
    t = _timed({"fwd": whole_fwd, "fb": whole_fb}, reps, warmup=1)
    lines = [
        f"  whole model: forward (no grad) {1e3 * statistics.median(t['fwd']):.1f} ms, "
        f"forward+backward {1e3 * statistics.median(t['fb']):.1f} ms (medians of {reps})"
    ]
    if ops:  # where one forward+backward spends its time, by operator and autograd node
        with torch.profiler.profile() as prof:
            whole_fb()
        table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20)
        lines += ["  one forward+backward by operator (torch.profiler, self CPU time):", table]
    return lines


def profile_model(
    name: str,
    model: nn.Module,
    x: torch.Tensor,
    reps: int,
    rates,
    backward: bool = True,
    ops: bool = False,
) -> list[str]:
    lines = [f"== {name}: input {tuple(x.shape)}, float32 =="]
    hdr = f"  {'layer':<34}{'stage':<11}{'ms':>9}{'GFLOP':>9}{'MB':>9}{'floor ms':>10}{'×floor':>8}"
    lines.append(hdr)
    totals: dict[str, float] = {}
    fb_total = floor_total = floor_filter = 0.0
    layers = [m for m in model.modules() if isinstance(m, (S2Conv, SO3Conv, SO3ToS2Conv))]
    h = x
    for layer in layers:
        tag = f"{type(layer).__name__}({layer.in_channels},{layer.out_channels},{layer.b_in},{layer.b_out})"
        with torch.no_grad():
            rows, floor, floor_f = _stage_rows(layer, tag, h, reps, rates, totals)
            lines += rows
            floor_total, floor_filter = floor_total + floor, floor_filter + floor_f
            out = layer(h)
        hin = h.detach().requires_grad_(True)

        def fb(layer=layer, hin=hin) -> None:
            layer.zero_grad(set_to_none=True)
            layer(hin).sum().backward()

        if backward:
            ms_fb = _ms(fb, reps)
            fb_total += ms_fb
            lines.append(f"  {tag:<34}{'fwd+bwd':<11}{ms_fb:9.2f}")
        h = torch.relu(out)
    fwd = sum(totals.values())
    lines.append(f"  forward stage sum {fwd:.1f} ms; computed floor {floor_total:.1f} ms")
    lines.append(
        f"  without the filter stage (cached for inference): {fwd - totals['filter']:.1f} ms; "
        f"floor {floor_total - floor_filter:.1f} ms"
    )
    for st, ms in totals.items():
        lines.append(f"    share {st:<10}{100 * ms / fwd:6.1f} %")
    lines.append(f"  layers' forward+backward sum {fb_total:.1f} ms")
    return lines + _whole_model(model, x, reps, backward, ops)


def mnist_s2cnn() -> nn.Module:
    return nn.Sequential(S2Conv(1, 20, 30, 10), nn.ReLU(), SO3Conv(20, 40, 10, 6))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--deep-batch", type=int, default=32, help="batch of the two MNIST nets")
    ap.add_argument("--seg-batch", type=int, default=1, help="batch of the segmentation net")
    add_record_args(ap)
    ap.add_argument("--models", default="mnist,deep,seg", help="comma-separated subset")
    ap.add_argument("--no-backward", action="store_true", help="forward stages only")
    ap.add_argument("--ops", action="store_true", help="operator table of one forward+backward")
    ap.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="time (and measure the GEMM and copy rates) in wall or process CPU time",
    )
    args = ap.parse_args(argv)
    CLOCK["kind"] = args.clock
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with recorded("spherical_profile", args):
        rates = machine_rates(args.threads)
        print(
            f"# python benchmarks/spherical_profile.py --reps {args.reps} --threads {args.threads} "
            f"--deep-batch {args.deep_batch} --seg-batch {args.seg_batch} --models {args.models}"
            f"{' --no-backward' if args.no_backward else ''}{' --ops' if args.ops else ''} --clock {args.clock}"
        )
        print(
            f"measured: float32 GEMM {rates[0]:.1f} GFLOP/s, copy {rates[1]:.1f} GB/s "
            f"({args.threads} threads, {args.clock} clock)",
            flush=True,
        )
        db = args.deep_batch
        builders = {
            "mnist": ("MNIST S2CNN", mnist_s2cnn, (db, 1, 60, 60)),
            "deep": ("S2CNNDeep", lambda: S2CNNDeep().convolutional, (db, 1, 60, 60)),
            "seg": ("S2CNNSeg", S2CNNSeg, (args.seg_batch, 1, 100, 100)),
        }
        for key in args.models.split(","):
            name, build, shape = builders[key]
            t0 = time.perf_counter()
            part = profile_model(
                name, build(), torch.randn(shape), args.reps, rates, not args.no_backward, args.ops
            )
            part.append(f"  (profiled in {time.perf_counter() - t0:.0f} s)")
            print("\n".join(part), flush=True)


if __name__ == "__main__":
    main()
