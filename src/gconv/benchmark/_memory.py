# SPDX-License-Identifier: MIT
"""Building a registered model with its inputs and measured calls; peak memory of a call."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ._timing import _int

__all__ = ["PeakMemory", "peak_memory"]

_SRC = Path(__file__).resolve().parents[2]  # the folder holding the gconv package


def _model_info(name: str) -> tuple[tuple[int, ...], bool]:
    """(input shape of one sample, whether the output is logits) of a registered model."""
    from .. import models

    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a registered model name, got {name!r}")
    spec = models.model_spec(name)  # ValueError naming the known models
    return tuple(spec.input_shape), str(spec.output_kind).endswith("logits")


def _device(device: str | torch.device) -> torch.device:
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}") from err
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but CUDA is not available here")
    return dev


def _build(name: str, seed: int, dev: torch.device, kwargs: dict[str, Any]) -> nn.Module:
    from ..models import get_model

    torch.manual_seed(seed)
    return get_model(name, **kwargs).to(dev)


def _inputs(shape: tuple[int, ...], batch: int, seed: int, dev: torch.device) -> torch.Tensor:
    return torch.randn(batch, *shape, generator=torch.Generator().manual_seed(seed)).to(dev)


def _forward(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    model.eval()

    def run() -> None:
        with torch.inference_mode():
            model(x)

    return run


def _train_step(model: nn.Module, x: torch.Tensor, logits: bool) -> Callable[[], None]:
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters; a training step needs some")
    opt = torch.optim.Adam(params, lr=1e-3)
    model.train()
    targets: list[torch.Tensor] = []  # fixed random target, drawn at the first call

    def target(out: torch.Tensor) -> torch.Tensor:
        if not targets:
            g = torch.Generator().manual_seed(1)
            if logits:  # class axis 1, as F.cross_entropy expects
                shape = (out.shape[0], *out.shape[2:])
                targets.append(torch.randint(0, out.shape[1], shape, generator=g).to(out.device))
            else:
                targets.append(torch.randn(out.shape, generator=g).to(out.device, out.dtype))
        return targets[0]

    loss = F.cross_entropy if logits else F.mse_loss

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        out = model(x)
        loss(out, target(out)).backward()
        opt.step()

    return step


@contextlib.contextmanager
def _threads(threads: int | None) -> Iterator[int]:
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(_int("threads", threads, 1))
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


# --------------------------------------------------------------------------- memory


@dataclasses.dataclass(frozen=True)
class PeakMemory:
    """Peak memory of one call (see the module docstring for the method)."""

    mode: str  # "train" or "infer"
    peak_bytes: int  # CPU: peak RSS of the process; CUDA: max_memory_allocated
    above_baseline_bytes: int  # peak minus what was held just before the first call
    method: str

    def __post_init__(self) -> None:
        if self.mode not in ("train", "infer"):
            raise ValueError(f"PeakMemory: mode must be 'train' or 'infer', got {self.mode!r}")


def _status_bytes(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024  # the file says kB
    raise RuntimeError(f"{field} not in /proc/self/status")


def _memory_worker(spec: str) -> None:
    """Run in a fresh process by :func:`peak_memory`; prints one JSON line."""
    a = json.loads(spec)
    torch.set_num_threads(a["threads"])
    dev = torch.device("cpu")
    shape, logits = _model_info(a["name"])
    model = _build(a["name"], a["seed"], dev, a["kwargs"])
    x = _inputs(shape, a["batch"], a["seed"], dev)
    call = _train_step(model, x, logits) if a["mode"] == "train" else _forward(model, x)
    gc.collect()
    try:  # "5" resets the peak RSS to the current RSS (Linux ≥ 4.0)
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    base = _status_bytes("VmRSS")
    for _ in range(a["steps"]):
        call()
    print(json.dumps({"peak": _status_bytes("VmHWM"), "base": base, "reset": reset}))


def peak_memory(
    name: str,
    batch: int = 64,
    *,
    mode: str = "train",
    threads: int | None = None,
    device: str | torch.device = "cpu",
    seed: int = 0,
    **model_kwargs: Any,
) -> PeakMemory:
    """Peak memory of a training step (``mode="train"``) or a forward pass (``"infer"``)."""
    if mode not in ("train", "infer"):
        raise ValueError(f"mode must be 'train' or 'infer', got {mode!r}")
    batch, dev = _int("batch", batch, 1), _device(device)
    shape, logits = _model_info(name)
    if dev.type == "cuda":
        model = _build(name, seed, dev, model_kwargs)
        x = _inputs(shape, batch, seed, dev)
        call = _train_step(model, x, logits) if mode == "train" else _forward(model, x)
        torch.cuda.synchronize(dev)
        base = torch.cuda.memory_allocated(dev)
        torch.cuda.reset_peak_memory_stats(dev)
        for _ in range(2):
            call()
        torch.cuda.synchronize(dev)
        peak = torch.cuda.max_memory_allocated(dev)
        how = (
            "torch.cuda.max_memory_allocated over 2 calls; above baseline = peak − allocated "
            "after building model and inputs"
        )
        return PeakMemory(mode, peak, peak - base, how)
    if not Path("/proc/self/status").exists():
        raise RuntimeError("peak memory on CPU needs Linux's /proc/self/status")
    threads = torch.get_num_threads() if threads is None else _int("threads", threads, 1)
    spec = dict(name=name, batch=batch, mode=mode, threads=threads, seed=seed, steps=2)
    try:
        arg = json.dumps({**spec, "kwargs": model_kwargs})
    except TypeError as err:
        raise TypeError(f"model arguments must be JSON values for the probe: {err}") from err
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_SRC), env.get("PYTHONPATH")) if p)
    code = "import sys; from gconv.benchmark._memory import _memory_worker as w; w(sys.argv[1])"
    out = subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"the memory probe failed:\n{out.stderr[-3000:]}")
    r = json.loads(out.stdout.strip().splitlines()[-1])
    how = "" if r["reset"] else " (the peak could not be reset: it includes import peaks)"
    method = (
        "peak RSS (VmHWM) of a fresh process over 2 calls; above baseline = peak − RSS after "
        f"building model and inputs{how}"
    )
    return PeakMemory(mode, r["peak"], max(0, r["peak"] - r["base"]), method)
