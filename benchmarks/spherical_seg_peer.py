# SPDX-License-Identifier: MIT
"""gconv's segmentation S2CNN against sem_seg_s2cnn's ``S2ConvNet_sem_seg``, in one process.

Gerken et al.'s 204k net at bandwidth 50 (REFERENCES.md §2d: channels 11, 12, 13, 14, 13, 12,
11; b 50 → 42, 35, 27, 20, 27, 35, 42 → 50; 11 classes; no skips): gconv's ``s2cnn-seg``
against the peer's own class, loaded from its source snapshot in ../shared/peers (run, never
copied) and built with the paper's configuration. First the two nets' layers are listed and
checked to agree (kind, channels, bandwidths, kernel grid size and max β), with both parameter
counts. Then, interleaved on the same random input, medians of:

- forward+backward at batch ``--batch`` (both sides): per-pixel cross-entropy against fixed
  random labels, then backward (no optimizer step), train mode;
- inference at batch 1: eval mode, no grad.

``--memory 1 2 4 8`` adds the peak memory of one training step (forward, loss, backward, Adam)
at those batches, each side in a fresh process (peak RSS, VmHWM, after a batch-1 warm-up step
that builds the tables, reset just before the step) under an address-space limit
(``--mem-limit-gib``) so that an oversize step fails in the probe instead of starving the
machine. Needs ``make bench-venv`` (sem_seg_s2cnn goes into ``.venv-bench-seg``)::

    PYTHONPATH=src .venv-bench-seg/bin/python benchmarks/spherical_seg_peer.py --batch 2 --reps 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import types
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from _timing import add_record_args, recorded
from gconv.benchmark import time_interleaved
from gconv.models import get_model
from spherical_peers import apply_shims

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT.parent / "shared" / "peers"
#: the paper's configuration of S2ConvNet_sem_seg (REFERENCES.md §2d; README of the peer)
PAPER = dict(
    b_in=50,
    f_in=1,
    fs=[11, 12, 13, 14, 13, 12, 11],
    b_ls=[42, 35, 27, 20, 27, 35, 42],
    b_out=50,
    f_out=11,
    kernel_max_beta=[0.1238, 0.1474, 0.1768, 0.2292, 0.3095, 0.2292, 0.1768, 0.1474],
    use_skips=False,
)
#: the peer's layer classes → gconv's
KINDS = {"S2Convolution": "S2Conv", "SO3Convolution": "SO3Conv", "SO3ToS2": "SO3SumToS2Conv"}


def peer_models(peers: Path) -> types.ModuleType:
    """sem_seg_s2cnn's ``examples/mnist_sem_seg/models.py``, executed from the snapshot."""
    tars = sorted(peers.glob("sem_seg_s2cnn-*.tar.gz"))
    if not tars:
        raise FileNotFoundError(f"no sem_seg_s2cnn-*.tar.gz in {peers}")
    with tarfile.open(tars[-1]) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("mnist_sem_seg/models.py"))
        source = tar.extractfile(member).read().decode()
    module = types.ModuleType("sem_seg_models")
    exec(compile(source, f"{tars[-1].name}/{member.name}", "exec"), module.__dict__)  # noqa: S102
    return module


def build(side: str, peers: Path) -> nn.Module:
    torch.manual_seed(0)
    if side == "gconv":
        return get_model("s2cnn-seg")
    return peer_models(peers).S2ConvNet_sem_seg(**PAPER)


def layers_gconv(model: nn.Module) -> list[tuple]:
    return [
        (type(m).__name__, m.in_channels, m.out_channels, m.b_in, m.b_out, m.weight.shape[-1],
         round(m.grid_max_beta / math.pi, 4))
        for m in model.layers
    ]  # fmt: skip


def layers_peer(model: nn.Module) -> list[tuple]:
    mods = [model.input_layer, *model.hidden_layers, model.output_layer]
    return [
        (KINDS[type(m).__name__], m.nfeature_in, m.nfeature_out, m.b_in, m.b_out, len(m.grid),
         round(max(g[0] for g in m.grid) / math.pi, 4))
        for m in mods
    ]  # fmt: skip


def check_layers(ours: nn.Module, peer: nn.Module) -> bool:
    a, b = layers_gconv(ours), layers_peer(peer)
    print("layer  kind             C_in C_out  b_in b_out  |grid|  max_beta/π   (gconv | peer)")
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        mark = "" if x == y else "   <-- differs: " + str(y)
        print(
            f"{i:>5}  {x[0]:<16} {x[1]:>4} {x[2]:>5} {x[3]:>5} {x[4]:>5} {x[5]:>7}  {x[6]:>10}{mark}"
        )
    same = a == b
    print(f"layers agree: {same} ({len(a)} gconv, {len(b)} peer)")
    return same


def _labels(batch: int, classes: int, side: int) -> torch.Tensor:
    return torch.randint(
        0, classes, (batch, side, side), generator=torch.Generator().manual_seed(1)
    )


def fwd_bwd(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        model.train()
        model.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x), y).backward()

    return run


def infer(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        model.eval()
        with torch.no_grad():
            model(x)

    return run


# --------------------------------------------------------------------------- memory probe


def _rss(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _probe(side: str, batch: int, threads: int, peers: Path) -> None:
    """In a fresh process: one training step at ``batch``, prints peak and base RSS (JSON)."""
    torch.set_num_threads(threads)
    apply_shims()
    model = build(side, peers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(b: int) -> None:
        x = torch.randn(b, 1, 100, 100, generator=torch.Generator().manual_seed(0))
        opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x), _labels(b, 11, 100)).backward()
        opt.step()

    step(1)  # tables, Adam state, allocator
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to VmRSS (Linux ≥ 4.0)
    base = _rss("VmRSS")
    step(batch)
    print(json.dumps({"peak": _rss("VmHWM"), "base": base}))


def memory(side: str, batch: int, threads: int, peers: Path, limit_gib: float) -> str:
    limit = int(limit_gib * 2**30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--probe",
        side,
        str(batch),
        "--threads",
        str(threads),
    ]
    cmd += ["--peers", str(peers)]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, preexec_fn=cap)  # noqa: PLW1509
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["?"])[-1][:160]
        return f"failed under the {limit_gib:g} GiB address-space limit: {last}"
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return (
        f"peak RSS {r['peak'] / 2**30:.2f} GiB, above the warmed-up baseline "
        f"{(r['peak'] - r['base']) / 2**30:.2f} GiB"
    )


# --------------------------------------------------------------------------- main


def compare(args: argparse.Namespace) -> None:
    ours, peer = build("gconv", args.peers), build("peer", args.peers)
    n_ours = sum(p.numel() for p in ours.parameters())
    n_peer = sum(p.numel() for p in peer.parameters())
    print(f"parameters: gconv {n_ours:,}, sem_seg_s2cnn {n_peer:,}")
    check_layers(ours, peer)
    g = torch.Generator().manual_seed(0)
    xb = torch.randn(args.batch, 1, 100, 100, generator=g)
    x1 = xb[:1].clone()
    yb = _labels(args.batch, 11, 100)
    arms = {
        "gconv forward+backward": fwd_bwd(ours, xb, yb),
        "peer forward+backward": fwd_bwd(peer, xb, yb),
        "gconv inference b1": infer(ours, x1),
        "peer inference b1": infer(peer, x1),
    }
    times = time_interleaved(arms, args.reps, warmup=1)
    print(f"\nmedians of {args.reps} interleaved repeats (after 1 warm-up call each)")
    for what, batch in (("forward+backward", args.batch), ("inference b1", 1)):
        t_g = statistics.median(times[f"gconv {what}"])
        t_p = statistics.median(times[f"peer {what}"])
        print(
            f"  {what:<17} batch {batch}: gconv {t_g:8.3f} s   sem_seg_s2cnn {t_p:8.3f} s   "
            f"ratio {t_g / t_p:.3f}   (gconv all: {', '.join(f'{t:.3f}' for t in times[f'gconv {what}'])};"
            f" peer all: {', '.join(f'{t:.3f}' for t in times[f'peer {what}'])})"
        )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=2, help="batch of forward+backward (both)")
    p.add_argument("--reps", type=int, default=2, help="interleaved repeats (median)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--peers", type=Path, default=PEERS, help="folder of the peer snapshots")
    p.add_argument("--memory", type=int, nargs="*", default=[], help="batches of the memory probe")
    p.add_argument("--memory-sides", nargs="+", default=["gconv", "peer"])
    p.add_argument("--mem-limit-gib", type=float, default=12.0)
    p.add_argument("--no-timing", action="store_true", help="only layers, parameters, memory")
    p.add_argument("--probe", nargs=2, metavar=("SIDE", "BATCH"), help=argparse.SUPPRESS)
    add_record_args(p)
    args = p.parse_args(argv)
    args.out, args.peers = args.out.resolve(), args.peers.resolve()
    torch.set_num_threads(args.threads)
    if args.probe:
        _probe(args.probe[0], int(args.probe[1]), args.threads, args.peers)
        return
    apply_shims()
    try:
        import s2cnn

        s2cnn.SO3ToS2  # noqa: B018  (sem_seg_s2cnn's s2cnn, not plain s2cnn)
    except (ImportError, AttributeError):
        print("sem_seg_s2cnn's s2cnn is not importable here: build it with `make bench-venv`")
        print("and run this script with .venv-bench-seg/bin/python; nothing timed")
        return
    what = "memory" if args.no_timing else f"batch{args.batch}"
    with recorded(f"spherical_seg_peer-{what}-t{args.threads}", args):
        print(f"# {' '.join(['benchmarks/spherical_seg_peer.py', *sys.argv[1:]])}")
        print(f"torch {torch.__version__}, {args.threads} threads, float32, b = 50 (100×100)")
        print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        if args.no_timing:
            ours, peer = build("gconv", args.peers), build("peer", args.peers)
            print(f"parameters: gconv {sum(q.numel() for q in ours.parameters()):,}, "
                  f"sem_seg_s2cnn {sum(q.numel() for q in peer.parameters()):,}")  # fmt: skip
            check_layers(ours, peer)
        else:
            compare(args)
        for batch in args.memory:
            for side in args.memory_sides:
                res = memory(side, batch, args.threads, args.peers, args.mem_limit_gib)
                print(f"memory, training step, batch {batch}, {side}: {res}", flush=True)
        print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
