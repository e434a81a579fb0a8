# SPDX-License-Identifier: MIT
"""``bench_model``: the interleaved measures of one registered model, and ``gconv bench``."""

from __future__ import annotations

import argparse
import copy
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._util import check_subparsers
from ._memory import (
    PeakMemory,
    _build,
    _device,
    _forward,
    _inputs,
    _model_info,
    _threads,
    _train_step,
    peak_memory,
)
from ._record import environment, record
from ._timing import _int, time_interleaved

__all__ = ["BenchResult", "add_cli", "bench_model"]


@dataclasses.dataclass(frozen=True)
class BenchResult:
    """What :func:`bench_model` measured; times are sorted seconds per call."""

    name: str
    batch: int
    threads: int
    device: str
    parameters: int
    input_shape: tuple[int, ...]
    latency: list[float]  # forward, batch 1
    forward: list[float]  # forward, batch ``batch``
    train: list[float]  # training step, batch ``batch``
    memory: dict[str, PeakMemory]

    @property
    def throughput(self) -> float:
        """Images per second at ``batch`` (from the median forward time)."""
        return self.batch / float(np.median(self.forward))

    def table(self) -> str:
        """One plain-text table: median and fastest of every measure, then peak memory."""
        b, ms = self.batch, (lambda sec: f"{sec * 1e3:11.2f} ms")
        shape = ", ".join(map(str, self.input_shape))
        lines = [
            f"{self.name}: {self.parameters:,} parameters, input (B, {shape}), {self.device}, "
            f"{self.threads} threads, {len(self.train)} interleaved repeats",
            _row("measure", "median", "fastest"),
            _row("latency, batch 1", ms(np.median(self.latency)), ms(self.latency[0])),
            _row(f"throughput, batch {b}", f"{self.throughput:8.0f} img/s",
                 f"{b / self.forward[0]:8.0f} img/s"),
            _row(f"training step, batch {b}", ms(np.median(self.train)), ms(self.train[0])),
        ]  # fmt: skip
        if self.memory:
            lines.append(_row("peak memory", "above baseline", "peak"))
        for mode, m in self.memory.items():
            what = "training step" if mode == "train" else "forward"
            above, peak = (f"{n / 2**20:10.1f} MiB" for n in (m.above_baseline_bytes, m.peak_bytes))
            lines.append(_row(f"{what}, batch {b}", above, peak))
        if self.memory:
            lines.append(f"  (memory: {next(iter(self.memory.values())).method})")
        return "\n".join(lines)


def _row(label: str, first: str, second: str) -> str:
    return f"  {label:<28} {first:>14} {second:>14}"


def bench_model(
    name: str,
    batch: int = 64,
    *,
    threads: int | None = None,
    reps: int = 20,
    warmup: int = 3,
    device: str | torch.device = "cpu",
    memory: bool = True,
    seed: int = 0,
    input_shape: tuple[int, ...] | None = None,
    **model_kwargs: Any,
) -> BenchResult:
    """Latency, throughput, training-step time and (``memory``) peak memory of the registered
    model ``name`` built with ``model_kwargs``, on random inputs (see the module docstring) of
    the registered shape or ``input_shape`` (per sample, e.g. ``(1, 30, 30)`` for a spherical
    model built with ``bandwidth=15``; the memory probes need the registered shape)."""
    batch, reps, warmup = _int("batch", batch, 1), _int("reps", reps, 1), _int("warmup", warmup, 0)
    dev = _device(device)
    shape, logits = _model_info(name)
    if input_shape is not None:
        if not (
            isinstance(input_shape, tuple)
            and all(isinstance(n, int) and n > 0 for n in input_shape)
        ):
            raise ValueError(f"input_shape must be a tuple of positive ints, got {input_shape!r}")
        if memory:
            raise ValueError(
                "bench_model: the memory probes use the registered input shape; "
                "pass memory=False with input_shape"
            )
        shape = input_shape
    with _threads(threads) as used:
        model = _build(name, seed, dev, model_kwargs)
        frozen = copy.deepcopy(model)
        arms = {
            "latency": _forward(frozen, _inputs(shape, 1, seed, dev)),
            "forward": _forward(frozen, _inputs(shape, batch, seed, dev)),
            "train": _train_step(model, _inputs(shape, batch, seed, dev), logits),
        }
        sync = (lambda: torch.cuda.synchronize(dev)) if dev.type == "cuda" else None
        times = time_interleaved(arms, reps, warmup, sync)
        modes = ("train", "infer") if memory else ()
        mem = {
            m: peak_memory(name, batch, mode=m, threads=used, device=dev, seed=seed, **model_kwargs)
            for m in modes
        }
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return BenchResult(
        name, batch, used, str(dev), count, shape, times["latency"], times["forward"],
        times["train"], mem,
    )  # fmt: skip


# --------------------------------------------------------------------------- CLI


def _cli_int(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer ≥ {minimum}, got {value}")
        return value

    return parse


def add_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``gconv bench MODEL [--batch N --threads N --reps N --out DIR]``."""
    check_subparsers("add_cli", subparsers)
    p = subparsers.add_parser(
        "bench", help="latency, throughput, training step and peak memory of a registered model"
    )
    p.add_argument("model", help="a registered model name")
    p.add_argument("--batch", type=_cli_int(1), default=64, help="batch of throughput and training")
    p.add_argument(
        "--threads", type=_cli_int(1), default=None, help="torch threads (default: torch's)"
    )
    p.add_argument("--reps", type=_cli_int(1), default=20, help="interleaved repeats")
    p.add_argument("--warmup", type=_cli_int(0), default=3, help="untimed calls of each arm first")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory probes")
    p.add_argument("--out", type=Path, default=None, help="also write the raw record to DIR")
    p.set_defaults(func=_cmd_bench)
    return p


def _cmd_bench(args: argparse.Namespace) -> int:
    try:
        if args.threads is not None:
            torch.set_num_threads(args.threads)
        env = environment()
        result = bench_model(
            args.model, args.batch, reps=args.reps, warmup=args.warmup, device=args.device,
            memory=not args.no_memory,
        )  # fmt: skip
    except (ValueError, TypeError) as err:
        print(f"gconv bench: error: {err}", file=sys.stderr)
        return 2
    text = result.table()
    print(text)
    if args.out is not None:
        print(f"raw record: {record(f'bench-{args.model}', text, env, args.out)}")
    return 0
