# SPDX-License-Identifier: MIT
"""gconv's spherical CNNs against s2cnn (Cohen et al. 2018's code), side by side in one process.

Run it with a Python that has s2cnn installed (``make bench-venv``: s2cnn goes into
``.venv-bench`` from ../shared/peers) and gconv on the path::

    PYTHONPATH=src .venv-bench/bin/python benchmarks/spherical_peers.py --reps 5

Both sides build the same architecture from their own layers — the MNIST S2CNN (S2Conv 1→20
b 30→10, SO3Conv 20→40 b 10→6, Haar integral, Linear 40→10) and s2cnn's deep MNIST net (layout
``gconv.models.spherical_deep.DEEP_LAYOUT``, grids n_alpha 6, n_beta 1, n_gamma 6) — and are
timed forward and forward+backward, interleaved, on the same random batch. The ratio gconv/s2cnn
is printed and the raw output recorded in ``results/bench/``. s2cnn needs three shims on today's
NumPy/Python/torch (../shared/peers/README.md); they are applied here, before it is imported.
"""

from __future__ import annotations

import argparse
import collections
import collections.abc
import math
import os
import statistics
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from _timing import add_record_args, recorded
from gconv.benchmark import time_interleaved
from gconv.models import get_model
from gconv.models.spherical_deep import DEEP_LAYOUT


def apply_shims() -> None:
    """The three changes s2cnn needs today (peers/README.md), and the working directory.

    s2cnn caches its Wigner tables in ``./cache`` (hundreds of MB at b = 50): run it from
    ``benchmarks/``, whose ``cache/`` git ignores. Resolve relative paths before calling this.
    """
    os.chdir(Path(__file__).resolve().parent)
    np.float = float  # type: ignore[attr-defined]  # noqa: NPY001 (removed in NumPy 1.24)
    collections.Iterable = collections.abc.Iterable  # type: ignore[attr-defined]
    rfftn = torch.fft.rfftn

    def rfftn_any(x: torch.Tensor, *args: object, **kwargs: object) -> torch.Tensor:
        return (torch.fft.fftn if x.is_complex() else rfftn)(x, *args, **kwargs)

    torch.fft.rfftn = rfftn_any


class _Integrate(nn.Module):
    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


def peer_mnist() -> nn.Module:
    """The MNIST S2CNN from s2cnn's layers (default grids: 24 S² and 192 SO(3) points)."""
    import s2cnn as s

    return nn.Sequential(
        s.S2Convolution(1, 20, 30, 10, s.s2_near_identity_grid()),
        nn.ReLU(),
        s.SO3Convolution(20, 40, 10, 6, s.so3_near_identity_grid()),
        nn.ReLU(),
        _Integrate(s.so3_integrate),
        nn.Linear(40, 10),
    )


def peer_deep() -> nn.Module:
    """s2cnn's deep MNIST net from s2cnn's layers, following gconv's DEEP_LAYOUT table."""
    import s2cnn as s

    layers: list[nn.Module] = []
    for kind, cin, cout, b_in, b_out, beta in DEEP_LAYOUT:
        if kind == "S2Conv":
            grid = s.s2_near_identity_grid(max_beta=beta * math.pi, n_alpha=6, n_beta=1)
            layers.append(s.S2Convolution(cin, cout, b_in, b_out, grid))
        else:
            grid = s.so3_near_identity_grid(
                max_beta=beta * math.pi, n_alpha=6, n_beta=1, max_gamma=2 * math.pi, n_gamma=6
            )
            layers.append(s.SO3Convolution(cin, cout, b_in, b_out, grid))
        layers.append(nn.ReLU())
    head = [nn.BatchNorm1d(64), nn.Linear(64, 64), nn.ReLU(), nn.BatchNorm1d(64)]
    head += [nn.Linear(64, 32), nn.ReLU(), nn.BatchNorm1d(32), nn.Linear(32, 10)]
    return nn.Sequential(*layers, _Integrate(s.so3_integrate), *head)


def _arms(ours: nn.Module, peer: nn.Module, x: torch.Tensor) -> dict[str, Callable[[], None]]:
    def fwd(m: nn.Module) -> Callable[[], None]:
        def run() -> None:
            with torch.no_grad():
                m(x)

        return run

    def fwd_bwd(m: nn.Module) -> Callable[[], None]:
        def run() -> None:
            m.zero_grad(set_to_none=True)
            m(x).sum().backward()

        return run

    return {
        "gconv forward": fwd(ours),
        "s2cnn forward": fwd(peer),
        "gconv forward+backward": fwd_bwd(ours),
        "s2cnn forward+backward": fwd_bwd(peer),
    }


def compare(name: str, ours: nn.Module, peer: nn.Module, batch: int, reps: int) -> None:
    n_ours = sum(p.numel() for p in ours.parameters())
    n_peer = sum(p.numel() for p in peer.parameters())
    x = torch.randn(batch, 1, 60, 60)
    times = time_interleaved(_arms(ours.train(), peer.train(), x), reps, warmup=1)
    print(f"\n{name}: batch {batch}, 60×60 (b = 30), parameters gconv {n_ours:,}, s2cnn {n_peer:,}")
    for what in ("forward", "forward+backward"):
        g = statistics.median(times[f"gconv {what}"])
        s = statistics.median(times[f"s2cnn {what}"])
        print(f"  {what:<18} gconv {1e3 * g:9.1f} ms   s2cnn {1e3 * s:9.1f} ms   ratio {g / s:.3f}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--reps", type=int, default=5, help="interleaved repeats (median)")
    p.add_argument("--deep-reps", type=int, default=3, help="repeats for the deep net")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--skip-deep", action="store_true", help="time only the MNIST S2CNN")
    add_record_args(p)
    args = p.parse_args(argv)
    args.out = args.out.resolve()
    torch.set_num_threads(args.threads)
    apply_shims()
    try:
        import s2cnn  # noqa: F401
    except ImportError:
        print(
            "s2cnn is not importable here: build it with `make bench-venv` (from ../shared/peers)"
        )
        print("and run this script with .venv-bench/bin/python; nothing timed")
        return
    with recorded(f"spherical_peers-t{args.threads}", args):
        print(f"torch {torch.__version__}, {args.threads} threads, medians of interleaved repeats")
        torch.manual_seed(0)
        compare("MNIST S2CNN", get_model("s2cnn"), peer_mnist(), args.batch, args.reps)
        if not args.skip_deep:
            compare("deep S2CNN", get_model("s2cnn-deep"), peer_deep(), args.batch, args.deep_reps)


if __name__ == "__main__":
    main()
