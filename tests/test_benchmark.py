# SPDX-License-Identifier: MIT
"""gconv.benchmark: interleaved timing, bench_model, peak memory, the environment record, the
atomic writer of raw output, and ``gconv bench``."""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import re
import subprocess
import time
import types
from pathlib import Path

import numpy as np
import pytest
import scipy
import torch

from gconv import benchmark, models
from gconv.benchmark import (
    BenchResult,
    Environment,
    add_cli,
    bench_model,
    environment,
    peak_memory,
    record,
    time_interleaved,
)

SMALL = {"channels": 4}  # a P4CNN of 5,558 parameters


def test_time_interleaved_rotates_and_sorts():
    calls: list[str] = []
    arms = {k: (lambda k=k: calls.append(k)) for k in "abc"}
    t = time_interleaved(arms, reps=3, warmup=2)
    # warm-up: each arm twice in turn; then repeat r starts at arm r (mod 3)
    assert calls == list("aabbcc") + list("abc") + list("bca") + list("cab")
    assert all(len(v) == 3 and v == sorted(v) and v[0] >= 0 for v in t.values())


def test_time_interleaved_measures_the_call():
    t = time_interleaved({"sleep": lambda: time.sleep(0.02), "none": lambda: None}, 3, 0)
    assert t["sleep"][0] >= 0.02 > t["none"][-1]


def test_bench_model_small():
    r = bench_model("p4cnn", batch=3, reps=2, warmup=1, threads=1, memory=False, **SMALL)
    assert isinstance(r, BenchResult)
    assert r.parameters == models.get_model("p4cnn", **SMALL).num_parameters()
    assert (r.batch, r.threads, r.device, r.input_shape, r.memory) == (3, 1, "cpu", (1, 28, 28), {})
    for times in (r.latency, r.forward, r.train):
        assert len(times) == 2 and times == sorted(times) and all(s > 0 for s in times)
    assert math.isclose(r.throughput, 3 / np.median(r.forward))
    table = r.table()
    for word in ("p4cnn", "5,558 parameters", "latency, batch 1", "throughput, batch 3"):
        assert word in table
    assert "peak memory" not in table


def test_bench_model_trains_the_model(monkeypatch):
    """The training arm changes the weights (an optimizer step happens), the inference arms use
    a separate copy in eval mode."""
    built = []
    real = models.get_model

    def get_model(*args, **kwargs):
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(models, "get_model", get_model)
    torch.manual_seed(0)
    before = {k: v.clone() for k, v in real("p4cnn", **SMALL).state_dict().items()}
    bench_model("p4cnn", batch=2, reps=2, warmup=0, memory=False, **SMALL)
    after = built[0].state_dict()
    assert built[0].training
    assert any(not torch.equal(before[k], after[k]) for k in before if after[k].is_floating_point())


def test_registry_spec_is_used(monkeypatch):
    """With gconv.models.model_spec present (the registry), its input shape is what is fed."""
    spec = types.SimpleNamespace(input_shape=(1, 32, 32), output_kind="logits")
    monkeypatch.setattr(models, "model_spec", lambda name: spec, raising=False)
    r = bench_model("p4cnn", batch=2, reps=1, warmup=0, memory=False, **SMALL)
    assert r.input_shape == (1, 32, 32)


@pytest.mark.slow  # two fresh processes that import torch
def test_peak_memory_grows_with_batch():
    """The probe sees activations: a training step at batch 64 needs more than at batch 1.
    P4CNN (10 channels) keeps ≥ 6 activations of 64·10·4·26²·4 B ≈ 6.6 MiB for backward."""
    small = peak_memory("p4cnn", 1, mode="train", threads=1)
    large = peak_memory("p4cnn", 64, mode="train", threads=1)
    assert 0 < small.above_baseline_bytes <= small.peak_bytes
    assert large.above_baseline_bytes > small.above_baseline_bytes + 30 * 2**20
    assert "VmHWM" in large.method


def test_environment_has_every_field():
    env = environment()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", env.date)
    assert (env.torch, env.numpy, env.scipy) == (
        torch.__version__,
        np.__version__,
        scipy.__version__,
    )
    assert env.threads == torch.get_num_threads() and env.interop_threads >= 1
    assert env.cpu and env.cpu != "unknown" and env.cpus == os.cpu_count()
    assert len(env.load_before) == 3 and env.load_after is None
    assert env.python and env.platform and env.command and env.device
    root = Path(benchmark.__file__).resolve().parents[3]
    if not (root / ".git").exists():
        pytest.skip("gconv is not imported from a git checkout")
    head = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True)
    assert env.commit == head.stdout.strip() and isinstance(env.dirty, bool)
    done = env.finished()
    assert len(done.load_after) == 3 and done.load_before == env.load_before
    header = done.header()
    for field in dataclasses.fields(Environment):
        value = getattr(done, field.name)
        shown = value if isinstance(value, str | int) and not isinstance(value, bool) else None
        if shown is not None:
            assert str(shown) in header, field.name
    assert "not taken" not in header and "not taken" in env.header()


def _body(text: str) -> str:
    """A record without its ``# key: value`` header lines."""
    lines = text.split("\n")
    return "\n".join(lines[next(i for i, x in enumerate(lines) if not x.startswith("# ")) :])


def test_environment_records_the_allocator_settings(monkeypatch):
    # malloc's thresholds decide whether large temporaries are faulted in on every call, so a
    # record must say which were set; unset, it says so
    for key in [k for k in os.environ if k.startswith("MALLOC_") or k == "GLIBC_TUNABLES"]:
        monkeypatch.delenv(key)
    assert environment().memory.startswith("allocator defaults")
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "1073741824")
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=4294967295")
    memory = environment().memory
    assert memory.startswith("MALLOC_MMAP_THRESHOLD_=1073741824, GLIBC_TUNABLES=glibc.malloc")
    assert re.search(r"transparent huge pages: \w+", memory)


def test_record_names_and_contents(tmp_path):
    env = environment()
    path = record("planar_layers", "line 1\nline 2\n", env, tmp_path)
    assert path == tmp_path / f"planar_layers-{env.date[:10]}-{env.commit[:7]}.txt"
    text = path.read_text()
    assert text.startswith("# date (UTC): " + env.date)
    assert text.endswith("line 1\nline 2\n")
    assert "load average 1/5/15 min, after: not taken" not in text
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left
    # a second record of the same day and commit replaces the first
    assert record("planar_layers", "other", env, tmp_path) == path
    assert path.read_text().endswith("other\n")


def test_record_is_atomic(tmp_path, monkeypatch):
    """The text goes to a temporary file in the same folder, renamed onto the name; when the
    rename fails the old file is untouched and no temporary file remains."""
    env = environment().finished()
    path = record("x", "old", env, tmp_path)
    renames = []
    real_replace = os.replace

    def replace(src, dst):
        renames.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    record("x", "new", env, tmp_path)
    ((src, dst),) = renames
    assert dst == path and src.parent == tmp_path and src != path

    def fail(a, b):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        record("x", "newer", env, tmp_path)
    assert path.read_text().endswith("new\n")
    assert os.listdir(tmp_path) == [path.name]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: bench_model("p4cnn", batch=0), ValueError, r"batch must be ≥ 1, got 0"),
        (lambda: bench_model("p4cnn", reps=0), ValueError, r"reps must be ≥ 1, got 0"),
        (lambda: bench_model("p4cnn", warmup=-1), ValueError, r"warmup must be ≥ 0, got -1"),
        (
            lambda: bench_model("p4cnn", threads=0, memory=False),
            ValueError,
            r"threads must be ≥ 1, got 0",
        ),
        (lambda: bench_model("no-such-model"), ValueError, r"unknown model 'no-such-model'"),
        (lambda: bench_model("", memory=False), ValueError, r"registered model name, got ''"),
        (lambda: bench_model("p4cnn", device="tpu"), ValueError, r"device must be .*got 'tpu'"),
        (
            lambda: bench_model("p4cnn", device="not a device"),
            ValueError,
            r"device must be 'cpu', 'cuda' or 'cuda:N', got 'not a device'",
        ),
        (lambda: bench_model("p4cnn", batch=2.5), TypeError, r"batch must be an int, got float"),
        (lambda: bench_model("p4cnn", batch=True), TypeError, r"batch must be an int, got bool"),
        (lambda: peak_memory("p4cnn", mode="eval"), ValueError, r"'train' or 'infer', got 'eval'"),
        (lambda: peak_memory("no-such-model"), ValueError, r"unknown model 'no-such-model'"),
        (lambda: time_interleaved({}, 3), ValueError, r"non-empty mapping.*got \{\}"),
        (lambda: time_interleaved({"a": 1}, 3), TypeError, r"arm 'a' must be callable, got int"),
        (lambda: time_interleaved({"a": lambda: None}, 0), ValueError, r"reps must be ≥ 1"),
        (lambda: record("a/b", "t", environment()), ValueError, r"\(no path\), got 'a/b'"),
        (lambda: record("", "t", environment()), ValueError, r"\(no path\), got ''"),
        (lambda: record("../up", "t", environment()), ValueError, r"\(no path\), got '\.\./up'"),
        (
            lambda: record("ok", b"bytes", environment()),
            TypeError,
            r"text must be a str, got bytes",
        ),
        (
            lambda: record("ok", "t", {"commit": "abc"}),
            TypeError,
            r"env must be an Environment \(from environment\(\)\), got dict",
        ),
    ],
)
def test_bad_arguments(call, error, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written, but if it were, not in the repo
    with pytest.raises(error, match=match):
        call()
    assert not any(tmp_path.iterdir())


def test_bad_cuda_device_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="CUDA is not available"):
        bench_model("p4cnn", device="cuda")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gconv")
    add_cli(p.add_subparsers(dest="command", required=True))
    return p


def test_cli_bench_prints_one_table_and_records(tmp_path, capsys):
    args = _parser().parse_args(
        ["bench", "z2cnn", "--batch", "2", "--threads", "1", "--reps", "2", "--no-memory",
         "--out", str(tmp_path)]
    )  # fmt: skip
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert out.count("interleaved repeats") == 1 and "training step, batch 2" in out
    (path,) = tmp_path.iterdir()
    assert re.fullmatch(r"bench-z2cnn-\d{4}-\d\d-\d\d-(\w{7}|unknown)\.txt", path.name)
    assert _body(path.read_text()).strip() in out


@pytest.mark.parametrize(
    "argv", [["bench", "p4cnn", "--batch", "0"], ["bench", "p4cnn", "--reps", "x"]]
)
def test_cli_bench_rejects_bad_numbers(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        _parser().parse_args(argv)
    assert exit_.value.code == 2 and "expected an integer" in capsys.readouterr().err


def test_cli_bench_unknown_model(capsys):
    args = _parser().parse_args(["bench", "no-such-model", "--no-memory"])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("gconv bench: error: unknown model") and err.count("\n") == 1


@pytest.fixture
def scripts(monkeypatch):
    """The benchmarks/ folder on sys.path, as when a script runs from it."""
    folder = Path(__file__).resolve().parents[1] / "benchmarks"
    if not folder.is_dir():
        pytest.skip("no benchmarks/ folder beside tests/")
    monkeypatch.syspath_prepend(str(folder))
    return folder


@pytest.mark.parametrize(
    "script, argv",
    [
        ("planar_layers", ["--repeats", "1", "--batch", "1", "--size", "8", "--threads", "1"]),
        ("mnist_rot_models", ["--repeats", "20", "--batch", "1", "--threads", "1", "--no-memory"]),
        ("spherical_small", ["--reps", "1"]),
        ("spherical_gpu", ["--device", "cpu", "--small", "--reps", "1"]),
    ],
)
def test_scripts_record_themselves(script, argv, scripts, tmp_path, capsys):
    import importlib

    module = importlib.import_module(script)
    threads = torch.get_num_threads()
    try:
        module.main([*argv, "--out", str(tmp_path)])
    finally:
        torch.set_num_threads(threads)
    printed = capsys.readouterr().out
    (path,) = tmp_path.iterdir()
    assert re.fullmatch(rf"{script}-\d{{4}}-\d\d-\d\d-(\w{{7}}|unknown)\.txt", path.name)
    text = path.read_text()
    assert text.startswith("# date (UTC): ") and "# load average 1/5/15 min, after: " in text
    body = _body(text)
    assert body and body in printed and f"raw output: {path}" in printed


def test_the_record_names_installed_peers_with_their_versions(monkeypatch):
    from gconv.benchmark import _record

    monkeypatch.setattr(_record, "PEERS", ("numpy", "no-such-peer-library"))
    env = benchmark.environment()
    assert env.peers == f"numpy {np.__version__}", env.peers
    assert f"# peers: numpy {np.__version__}" in env.header()
    monkeypatch.setattr(_record, "PEERS", ("no-such-peer-library",))
    assert benchmark.environment().peers == "none installed"


def test_ico_steps_plan_reads_the_registered_budget(scripts, tmp_path):
    """``ico_steps --plan`` takes samples, epochs and batch from the study's budget (a
    hand-kept copy once lacked a model), scales the record's times to the budget's batch and
    names what it cannot plan."""
    import json

    import ico_steps
    from gconv.experiments import get_study

    budget = get_study("spherical-seg").budgets["cpu-10k"]
    cfg = ico_steps.protocol("ico-cnn-seg-deep", "cpu-10k")
    assert cfg["train"] == budget.limit_train and cfg["test"] == budget.limit_test
    assert cfg["val"] == budget.data_kwargs["limit_val"] and cfg["batch"] == budget.batch_size
    assert cfg["epochs"] == round(100 * budget.epochs_scale) and cfg["study"] == "spherical-seg"
    assert ico_steps.protocol("ico-cnn", "cpu")["study"] == "spherical-cls"
    raw = tmp_path / "raw.txt"
    row = {"model": "ico-cnn-seg", "r": 4, "batch": 16, "train_cpu": 1.0, "eval_cpu": 0.5}
    raw.write_text("header\njson: " + json.dumps([row]) + "\n")
    steps, evals = 10 * 313, 10 * 16 + 2 * 32  # 10,000 / 32, 500 / 32, 1,000 / 32 rounded up
    hours = (steps * 2.0 + evals * 1.0) / 3600  # batch 32 from a batch-16 record: ×2
    assert f"| {hours:.2f} | {3 * hours:.2f} |" in ico_steps.plan(str(raw), 2, "cpu-10k")
    with pytest.raises(SystemExit, match="no spherical study has the model 'z2cnn'"):
        ico_steps.protocol("z2cnn", "cpu")
    with pytest.raises(SystemExit, match="spherical-seg has .*got 'nope'"):
        ico_steps.protocol("ico-cnn-seg", "nope")
