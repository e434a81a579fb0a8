# SPDX-License-Identifier: MIT
"""Shared helpers of the benchmark scripts (not a benchmark itself): interleaved timing and
the raw-output record, both from :mod:`gconv.benchmark`."""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from gconv.benchmark import Environment, environment, record, time_interleaved

#: where the scripts write their raw output: results/bench of this checkout
RESULTS = Path(__file__).resolve().parents[1] / "results" / "bench"


def builder_args(items: list[str], what: str) -> dict:
    """``KEY=VALUE`` strings as model-builder arguments: Python literals where they parse
    (ints, floats, booleans, None), strings otherwise; ``what`` names the option in errors."""
    out: dict = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not (key and eq and value):
            raise SystemExit(f"{what}: expected KEY=VALUE, got {item!r}")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def interleaved(
    arms: dict[str, Callable[[], None]], repeats: int, warmup: int = 3
) -> dict[str, list[float]]:
    """Seconds per call of each arm (sorted), the arms run in turn within every repeat, so
    that load changes on a shared machine hit every arm alike (:func:`time_interleaved`)."""
    return time_interleaved(arms, repeats, warmup)


def add_record_args(parser: argparse.ArgumentParser) -> None:
    """``--out DIR`` (default results/bench) and ``--no-record``."""
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder of the raw output")
    parser.add_argument("--no-record", action="store_true", help="print only, write no file")


class _Tee(io.TextIOBase):
    def __init__(self, *streams: io.TextIOBase) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


@contextlib.contextmanager
def recorded(name: str, args: argparse.Namespace) -> Iterator[Environment]:
    """Print as usual and, unless ``--no-record``, write what was printed under the
    environment record to ``<--out>/<name>-<date>-<commit>.txt`` when the block succeeds.
    Enter it after setting torch's threads: the record notes them."""
    env = environment()
    buf = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, buf)):
        yield env
    if not args.no_record:
        print(f"raw output: {record(name, buf.getvalue(), env, args.out)}")


def one_thread_main(
    name: str, doc: str, reps: int, run: Callable[[int], None], argv: list[str] | None
) -> None:
    """The main of a one-thread CPU-time benchmark: ``--reps`` (default ``reps``) and the
    record options, one torch thread, the header, then ``run(reps)`` inside :func:`recorded`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--reps", type=int, default=reps, help="timed calls per arm")
    add_record_args(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    with recorded(name, args):
        print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, CPU time per call")
        print(f"medians of {args.reps} interleaved calls")
        run(args.reps)


def train_step(
    model: torch.nn.Module, sample_shape: tuple[int, ...], batch: int, seed: int = 0
) -> Callable[[], None]:
    """One Adam step (lr 1e-3) with cross-entropy over 10 classes on a fixed random batch
    ``(batch, *sample_shape)``: the training step the model benchmarks time."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, *sample_shape, generator=g)
    y = torch.randint(0, 10, (batch,), generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step


#: Lightning's precision names the step benchmarks take → the autocast dtype (None: float32)
AUTOCAST: dict[str, torch.dtype | None] = {"32-true": None, "bf16-mixed": torch.bfloat16}


def step_and_eval(
    model: torch.nn.Module,
    x: torch.Tensor,
    labels: torch.Tensor,
    autocast: torch.dtype | None = None,
    accumulate: int = 1,
) -> dict:
    """Arms ``train`` (one Adam step, lr 1e-3, cross-entropy of ``model(x)`` against ``labels``,
    per pixel where ``labels`` has pixel axes; train mode) and ``eval`` (a forward pass in eval
    mode without grad) on a fixed batch: the study step-time benchmarks time both. ``autocast``
    (e.g. ``torch.bfloat16``): forward and loss under ``torch.autocast`` in that dtype, the
    backward outside it, as Lightning's ``bf16-mixed`` does. ``accumulate`` K: the step's
    forward and backward run on K equal parts of the batch in turn (each loss divided by K),
    then one Adam step, as ``gconv train --optim accumulate=K`` at batch B/K."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    device = x.device.type
    if accumulate < 1 or x.shape[0] % accumulate:
        raise SystemExit(f"accumulate must divide the batch {x.shape[0]}, got {accumulate}")
    parts = list(zip(x.chunk(accumulate), labels.chunk(accumulate), strict=True))

    def train() -> None:
        model.train()
        opt.zero_grad(set_to_none=True)
        for xi, yi in parts:
            with torch.autocast(device, dtype=autocast, enabled=autocast is not None):
                loss = torch.nn.functional.cross_entropy(model(xi), yi) / accumulate
            loss.backward()
        opt.step()

    def evaluate() -> None:
        model.eval()
        with torch.no_grad(), torch.autocast(device, dtype=autocast, enabled=autocast is not None):
            model(x)

    return {"train": train, "eval": evaluate}


def cpu_timed(fn: Callable[[], None], out: list[float]) -> Callable[[], None]:
    """``fn`` that appends the CPU seconds of this process (all its threads) to ``out``."""

    def run() -> None:
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)

    return run
