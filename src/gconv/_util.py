# SPDX-License-Identifier: MIT
"""One of each: the cache folder, the atomic writer, the table printer, the argument validators
and ``ShapeError``. Standard library only at import time (rich is used when installed, never
required; the tensor validators import torch when called), so every package — the core
included — may import it.

Cache folder (``$GCONV_CACHE``), one meaning everywhere:

- unset: ``~/.cache/gconv``;
- a path: that folder (``~`` expanded);
- the empty string: **no on-disk cache at all** — tables are recomputed, derived data sets are
  generated in memory, nothing is written, and what can only come from the cache (a download)
  fails with a message that says so.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sys
import tempfile
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Generic, Protocol, TypeVar

__all__ = [
    "cached_tensors",
    "Registry",
    "ShapeError",
    "atomic_write",
    "atomic_write_text",
    "cache_dir",
    "file_lock",
    "check_choice",
    "check_positive_int",
    "check_probability",
    "check_rotation",
    "check_subparsers",
    "check_tensor",
    "DTypeError",
    "format_duration",
    "format_table",
    "print_table",
]


class ShapeError(ValueError):
    """A tensor of the wrong shape; a ValueError so ordinary handlers catch it."""


class DTypeError(TypeError, ValueError):
    """Not a tensor, or a tensor of the wrong dtype: a TypeError, and a ValueError too so that
    handlers written for the older ValueError keep catching it."""


def cached_tensors(maxsize: int) -> Any:
    """``functools.lru_cache(maxsize)`` for builders of constant tensors (tables, index plans),
    which also runs the builder outside ``torch.inference_mode``: a tensor first built under
    that mode would be an inference tensor, which autograd refuses to save later."""

    def decorate(fn: Any) -> Any:
        @functools.wraps(fn)
        def build(*args: Any, **kwargs: Any) -> Any:
            import torch

            with torch.inference_mode(False):
                return fn(*args, **kwargs)

        return functools.lru_cache(maxsize=maxsize)(build)

    return decorate


def cache_dir(*parts: str) -> Path | None:
    """``$GCONV_CACHE/<parts…>`` (default ``~/.cache/gconv``), or None when the variable is set
    to the empty string (cache disabled; see the module docstring). Nothing is created.

    >>> import os; old = os.environ.pop("GCONV_CACHE", None)
    >>> cache_dir("data") == Path.home() / ".cache" / "gconv" / "data"
    True
    >>> os.environ["GCONV_CACHE"] = ""; cache_dir("data") is None
    True
    >>> _ = os.environ.pop("GCONV_CACHE") if old is None else os.environ.update(GCONV_CACHE=old)
    """
    value = os.environ.get("GCONV_CACHE")
    if value == "":
        return None
    root = Path(value).expanduser() if value is not None else Path.home() / ".cache" / "gconv"
    return root.joinpath(*parts)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path`` for binary writing; on success it is flushed,
    fsynced and renamed onto ``path`` (``os.replace``); on any error it is removed, so a
    half-written file never appears under ``path``. Parent folders are created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_write`; returns the path."""
    with atomic_write(path) as f:
        f.write(text.encode("utf-8"))
    return Path(path)


@contextlib.contextmanager
def file_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` (POSIX ``flock``; where there is none, no lock)
    for a read-modify-write of ``path``: processes that take it do their updates in turn."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    lock = Path(f"{os.fspath(path)}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (/proc/self/status),
    so that no other thread ever creates a file under a zero umask; else os.umask twice."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def format_table(headers: Sequence[object], rows: Sequence[Sequence[object]]) -> str:
    """Aligned plain-text table, columns two spaces apart, trailing blanks stripped.

    >>> print(format_table(["a", "bb"], [[1, 2], [333, 4]]))
    a    bb
    1    2
    333  4
    """
    cells = [[str(c) for c in r] for r in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
    )


def print_table(
    headers: Sequence[object], rows: Sequence[Sequence[object]], title: str = ""
) -> None:
    """A rich table on a terminal when rich is installed, :func:`format_table` otherwise
    (pipes and log files get plain text)."""
    if sys.stdout.isatty():
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            pass
        else:
            table = Table(*(str(h) for h in headers), title=title or None)
            for r in rows:
                table.add_row(*(str(c) for c in r))
            Console().print(table)
            return
    if title:
        print(title)
    print(format_table(headers, rows))


def format_duration(seconds: float) -> str:
    """A wall time as reports print it: ``"4m12s"`` under an hour, ``"1h05m"`` from one; NaN
    (not recorded) as ``"—"``."""
    if math.isnan(seconds):
        return "—"
    h, rem = divmod(int(round(seconds)), 3600)
    return f"{h}h{rem // 60:02d}m" if h else f"{rem // 60}m{rem % 60:02d}s"


def check_positive_int(owner: str, name: str, value: Any) -> int:
    """``value`` if it is an int ≥ 1 (not a bool), else ValueError naming owner and argument.

    >>> check_positive_int("P4CNN", "channels", 0)
    Traceback (most recent call last):
    ...
    ValueError: P4CNN: channels must be a positive int, got 0
    """
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")
    return value


def check_probability(owner: str, name: str, value: Any) -> float:
    """``value`` if it is a number in [0, 1), else ValueError (dropout rates and the like)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1), got {value!r}")
    return float(value)


def check_choice(owner: str, name: str, value: Any, choices: Collection[Any]) -> Any:
    """``value`` if it is one of ``choices``, else ValueError listing them.

    >>> check_choice("augment", "mode", "flip", ("none", "rot90"))
    Traceback (most recent call last):
    ...
    ValueError: augment: mode must be one of ('none', 'rot90'), got 'flip'
    """
    if value not in choices:
        shown = tuple(choices) if not isinstance(choices, tuple) else choices
        raise ValueError(f"{owner}: {name} must be one of {shown}, got {value!r}")
    return value


def check_tensor(name: str, x: Any, floating: bool = True, complex_ok: bool = False) -> Any:
    """``x`` if it is a ``torch.Tensor`` (floating point when ``floating``; complex allowed only
    with ``complex_ok``), else :class:`DTypeError` saying what was expected and what came.
    Shape is not looked at; this costs two attribute reads (cheap in forward passes).

    >>> import numpy as np
    >>> check_tensor("LiftConv2d: x", np.zeros(3))
    Traceback (most recent call last):
    ...
    gconv._util.DTypeError: LiftConv2d: x: expected a floating torch.Tensor, got numpy.ndarray
    """
    import torch  # the one import of torch here: the rest of this module is standard library

    kind = ("floating or complex" if complex_ok else "floating") if floating else ""
    want = f"a {kind} torch.Tensor" if kind else "a torch.Tensor"
    if not isinstance(x, torch.Tensor):
        got = type(x)
        shown = got.__name__ if got.__module__ == "builtins" else f"{got.__module__}.{got.__name__}"
        raise DTypeError(f"{name}: expected {want}, got {shown}")
    if floating and not (x.is_floating_point() or (complex_ok and x.is_complex())):
        raise DTypeError(f"{name}: expected {want}, got a tensor of dtype {x.dtype}")
    return x


def check_subparsers(owner: str, subparsers: Any) -> Any:
    """``subparsers`` if it is what ``argparse.ArgumentParser.add_subparsers()`` returns (has
    ``add_parser``), else TypeError."""
    if not callable(getattr(subparsers, "add_parser", None)):
        raise TypeError(
            f"{owner}: expected the result of ArgumentParser.add_subparsers(), "
            f"got {type(subparsers).__name__}"
        )
    return subparsers


#: tolerance of :func:`check_rotation`: max |RᵀR − I| and |det R − 1| (float32 products of
#: three rotations are off by ~1e-6; anything not a rotation is off by far more)
ROTATION_ATOL = 1e-5


def check_rotation(name: str, R: Any, *, batched: bool = False) -> Any:
    """``R`` if it is a floating ``(3, 3)`` tensor (``(..., 3, 3)`` with ``batched``) with finite
    entries, ``RᵀR = I`` and ``det R = +1`` within :data:`ROTATION_ATOL` (1e-5), else
    DTypeError/ValueError saying which condition failed and by how much (the worst matrix).

    >>> import torch
    >>> check_rotation("rotate_s2: R", 2 * torch.eye(3))
    Traceback (most recent call last):
    ...
    ValueError: rotate_s2: R: expected a rotation matrix (RᵀR = I within 1e-05), got max |RᵀR − I| = 3
    """
    import torch

    check_tensor(name, R)
    if (R.shape[-2:] != (3, 3)) if batched else (R.shape != (3, 3)):
        want = "(..., 3, 3) rotation matrices" if batched else "a (3, 3) rotation matrix"
        raise ShapeError(f"{name}: expected {want}, got shape {tuple(R.shape)}")
    if R.numel() == 0:
        return R
    if not bool(torch.isfinite(R).all()):
        what = "rotation matrices" if batched else "a rotation matrix"
        got = "non-finite entries" if batched else R.tolist()
        raise ValueError(f"{name}: expected {what} with finite entries, got {got}")
    R64 = R.detach().to(dtype=torch.float64)
    eye = torch.eye(3, dtype=torch.float64, device=R.device)
    err = float((R64.mT @ R64 - eye).abs().max())
    if err > ROTATION_ATOL:
        raise ValueError(
            f"{name}: expected a rotation matrix (RᵀR = I within {ROTATION_ATOL:g}), "
            f"got max |RᵀR − I| = {err:.3g}"
        )
    dets = torch.linalg.det(R64).reshape(-1)
    det = float(dets[(dets - 1.0).abs().argmax()])
    if abs(det - 1.0) > ROTATION_ATOL:
        raise ValueError(
            f"{name}: expected a rotation matrix (det R = +1 within {ROTATION_ATOL:g}), "
            f"got det R = {det:.6g} (a reflection)"
            if det < 0
            else f"{name}: expected det R = +1 within {ROTATION_ATOL:g}, got det R = {det:.6g}"
        )
    return R


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_Spec = TypeVar("_Spec", bound=_Named)


class Registry(Generic[_Spec]):
    """Name → spec in registration order, for the model, data, task and study registries.
    Names are looked up case-insensitively; registering a taken name is an error.

    >>> from collections import namedtuple
    >>> Widget = namedtuple("Widget", "name size")
    >>> r = Registry("widget", Widget)
    >>> r.register(Widget("a", 3)); r.get("A").size
    Widget(name='a', size=3)
    3
    >>> r.get("b")
    Traceback (most recent call last):
    ...
    ValueError: unknown widget 'b'; known widgets: a
    """

    def __init__(self, kind: str, spec_type: type, plural: str | None = None) -> None:
        self.kind, self.spec_type, self.plural = kind, spec_type, plural or f"{kind}s"
        self._specs: dict[str, _Spec] = {}

    def register(self, spec: _Spec) -> _Spec:
        """Add ``spec`` under ``spec.name``; returns it."""
        if not isinstance(spec, self.spec_type):
            raise TypeError(
                f"register_{self.kind} expects a {self.spec_type.__name__}, got {type(spec).__name__}"
            )
        name = spec.name
        if name.lower() in self._specs:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._specs[name.lower()] = spec
        return spec

    def get(self, name: str) -> _Spec:
        spec = self._specs.get(str(name).lower())
        if spec is None:
            raise ValueError(
                f"unknown {self.kind} {name!r}; known {self.plural}: {', '.join(self._specs)}"
            )
        return spec

    def items(self) -> list[tuple[str, _Spec]]:
        return list(self._specs.items())

    def names(self) -> list[str]:
        return list(self._specs)

    def copy(self) -> Registry[_Spec]:
        """An independent registry with the same entries (tests register into copies)."""
        twin: Registry[_Spec] = Registry(self.kind, self.spec_type, self.plural)
        twin._specs = dict(self._specs)
        return twin
