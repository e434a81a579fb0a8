# SPDX-License-Identifier: MIT
"""Bad inputs for ``gconv.benchmark``. ``BenchResult`` and ``Environment`` are records filled
by the library itself; their row is a call missing the required fields."""

from __future__ import annotations

from _bad_row import Row

from gconv import benchmark as bm

PACKAGE = "gconv.benchmark"

ROWS = [
    Row("BenchResult", lambda: bm.BenchResult("p4cnn"), TypeError, r"missing 9 required"),
    Row("Environment", lambda: bm.Environment(), TypeError, r"missing \d+ required"),
    Row(
        "PeakMemory",
        lambda: bm.PeakMemory("eval", 1, 1, "rss"),
        ValueError,
        r"mode must be 'train' or 'infer', got 'eval'",
    ),
    Row(
        "add_cli",
        lambda: bm.add_cli(None),
        TypeError,
        r"expected the result of ArgumentParser.add_subparsers\(\), got NoneType",
    ),
    Row(
        "add_commands",
        lambda: bm.add_commands("bench"),
        TypeError,
        r"expected the result of ArgumentParser.add_subparsers\(\), got str",
    ),
    Row(
        "bench_model",
        lambda: bm.bench_model("p4cnn", batch=0),
        ValueError,
        r"batch must be ≥ 1, got 0",
    ),
    Row("bench_model", lambda: bm.bench_model("nope"), ValueError, r"unknown model 'nope'; known"),
    Row(
        "bench_model",
        lambda: bm.bench_model("s2cnn", input_shape=(1, 0, 60), memory=False),
        ValueError,
        r"input_shape must be a tuple of positive ints, got \(1, 0, 60\)",
    ),
    Row(
        "bench_model",
        lambda: bm.bench_model("s2cnn", input_shape=(1, 24, 24)),
        ValueError,
        r"memory probes use the registered input shape",
    ),
    Row("environment", lambda: bm.environment("now"), TypeError, r"takes 0 positional arguments"),
    Row(
        "peak_memory",
        lambda: bm.peak_memory("p4cnn", mode="eval"),
        ValueError,
        r"mode must be 'train' or 'infer', got 'eval'",
    ),
    Row(
        "record",
        lambda: bm.record("a/b", "text", None),
        ValueError,
        r"name must be letters, digits.*got 'a/b'",
    ),
    Row(
        "time_interleaved",
        lambda: bm.time_interleaved({"a": lambda: 0}, reps=0),
        ValueError,
        r"reps must be ≥ 1, got 0",
    ),
]
