# SPDX-License-Identifier: MIT
"""The environment record of a benchmark run, and the writer of its raw output."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import platform
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

__all__ = ["Environment", "environment", "record"]

_ROOT = Path(__file__).resolve().parents[3]  # the checkout holding src/gconv, if any
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclasses.dataclass(frozen=True)
class Environment:
    """Conditions of one benchmark run; ``load_after`` is filled by :meth:`finished`."""

    date: str  # UTC, ISO 8601 to the second
    commit: str  # full hash, or "unknown"
    dirty: bool | None  # tracked files differ from the commit (None: no git checkout)
    python: str
    torch: str
    numpy: str
    scipy: str
    threads: int  # torch.get_num_threads() when the record was taken
    interop_threads: int
    omp_num_threads: str  # the environment variable, or "unset"
    cpu: str  # model name from /proc/cpuinfo
    cpus: int  # logical CPUs
    device: str  # CUDA device name, or "no CUDA"
    platform: str
    memory: str  # the allocator's settings from the environment, transparent huge pages
    command: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] | None = None
    #: versions of the peer libraries installed in this Python (``PEERS``), e.g. "escnn 1.0.11"
    peers: str = "none installed"

    @property
    def short_commit(self) -> str:
        return self.commit[:7]

    def finished(self) -> Environment:
        """A copy with the load average of now as ``load_after``."""
        return dataclasses.replace(self, load_after=_load())

    def header(self) -> str:
        """The record as ``# key: value`` lines."""
        dirty = {True: "yes (tracked files differ from it)", False: "no", None: "n/a"}
        after = self.load_after
        rows = [
            ("date (UTC)", self.date),
            ("commit", f"{self.commit}, dirty: {dirty[self.dirty]}"),
            ("python", self.python),
            ("torch", self.torch),
            ("numpy", self.numpy),
            ("scipy", self.scipy),
            ("torch threads", f"{self.threads} (interop {self.interop_threads})"),
            ("OMP_NUM_THREADS", self.omp_num_threads),
            ("cpu", f"{self.cpu} ({self.cpus} logical CPUs)"),
            ("cuda", self.device),
            ("platform", self.platform),
            ("memory", self.memory),
            ("peers", self.peers),
            ("command", self.command),
            ("load average 1/5/15 min, before", " ".join(f"{v:.2f}" for v in self.load_before)),
            ("load average 1/5/15 min, after", "not taken" if after is None else
             " ".join(f"{v:.2f}" for v in after)),
        ]  # fmt: skip
        return "\n".join(f"# {k}: {v}" for k, v in rows)


#: libraries that benchmarks time gconv against, reported with their version when installed
PEERS = ("escnn", "e3nn", "s2cnn", "torch-harmonics", "lie_learn", "torchvision")


def _peers() -> str:
    """``"escnn 1.0.11, s2cnn 1.0.0"``: the installed peers' versions (read from their
    metadata, nothing imported)."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in PEERS:
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{name} {version(name)}")
    return ", ".join(found) or "none installed"


def _load() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:  # not available on this platform
        return (float("nan"),) * 3


def _git(*args: str) -> str | None:
    """Output of git in the checkout holding this gconv, or None where there is none."""
    root = _ROOT
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Model")):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    """glibc malloc's settings from the environment (``MALLOC_*``, ``GLIBC_TUNABLES``) and the
    kernel's transparent-huge-page mode: on the CPU they decide whether large temporaries are
    faulted in afresh on every call, which can cost as much as the arithmetic."""
    env = sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("MALLOC_"))
    if "GLIBC_TUNABLES" in os.environ:
        env.append(f"GLIBC_TUNABLES={os.environ['GLIBC_TUNABLES']}")
    thp = "unknown"
    with contextlib.suppress(OSError):
        text = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
        found = re.search(r"\[(\w+)\]", text)
        thp = found.group(1) if found else text.strip()
    malloc = ", ".join(env) if env else "allocator defaults (no MALLOC_*, GLIBC_TUNABLES)"
    return f"{malloc}; transparent huge pages: {thp}"


def environment() -> Environment:
    """The environment now (call it after setting threads, before measuring).

    >>> env = environment()
    >>> env.threads == torch.get_num_threads() and len(env.load_before) == 3
    True
    """
    try:
        import scipy

        scipy_version = scipy.__version__
    except ImportError:
        scipy_version = "not installed"
    head = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no") if head else None
    cuda = torch.cuda.get_device_name() if torch.cuda.is_available() else "no CUDA"
    return Environment(
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        commit=head.strip() if head else "unknown",
        dirty=None if status is None else bool(status.strip()),
        python=platform.python_version(),
        torch=torch.__version__,
        numpy=np.__version__,
        scipy=scipy_version,
        threads=torch.get_num_threads(),
        interop_threads=torch.get_num_interop_threads(),
        omp_num_threads=os.environ.get("OMP_NUM_THREADS", "unset"),
        cpu=_cpu_model(),
        cpus=os.cpu_count() or 0,
        device=cuda,
        platform=platform.platform(),
        memory=_memory(),
        command=shlex.join([Path(sys.executable).name, *sys.argv]),
        load_before=_load(),
        peers=_peers(),
    )


def record(
    name: str, text: str, env: Environment, directory: str | os.PathLike = "results/bench"
) -> Path:
    """Write ``text`` under ``env``'s header to ``directory/<name>-<date>-<commit>.txt``.

    The date is the day (UTC) ``env`` was taken, the commit its first 7 hex digits. The file is
    written to a temporary name beside it and renamed, so a reader never sees half of it; an
    existing file of the same name is replaced. ``load_after`` is taken now if still empty.
    """
    from .._util import atomic_write  # the package's one atomic writer

    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"name must be letters, digits, '.', '_' or '-' (no path), got {name!r}")
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not isinstance(env, Environment):
        raise TypeError(
            f"env must be an Environment (from environment()), got {type(env).__name__}"
        )
    if env.load_after is None:
        env = env.finished()
    path = Path(directory) / f"{name}-{env.date[:10]}-{env.short_commit}.txt"
    with atomic_write(path) as f:
        f.write((env.header() + "\n" + text.rstrip("\n") + "\n").encode())
    return path
