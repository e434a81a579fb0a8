# SPDX-License-Identifier: MIT
"""Command-line hooks for spherical data: ``gconv render`` and ``gconv data make``/``list``.

``register_cli(subparsers)`` adds ``render`` to the ``gconv`` parser;
``register_data_actions(data_subparsers)`` adds ``make`` to ``gconv data``; ``cached_rows()``
gives the rows ``gconv data list`` prints for the cached spherical splits. Only argparse and
this package are imported at module level; matplotlib only when rendering.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ._files import cache_dir

__all__ = [
    "SPHERICAL_DATASETS",
    "add_dataset_arguments",
    "build",
    "cache_files",
    "cmd_make",
    "cmd_render",
    "parse_digits",
    "register_cli",
    "register_data_actions",
    "verify_cache",
]

#: registry names of the spherical datasets -> class name in gconv.data
SPHERICAL_DATASETS = {
    "spherical-mnist": "SphericalMNIST",
    "spherical-fashion-mnist": "SphericalFashionMNIST",
}
_CACHED = re.compile(r"spherical-(?:mnist|fashion-mnist)-.+-v\d+\.npz")


def parse_digits(text: str) -> int | tuple[int, int]:
    """``"1"`` → 1 (single digit), ``"3"`` → 3, ``"1-4"`` → (1, 4) (canvas)."""
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", text.strip())
    if m is None:
        raise argparse.ArgumentTypeError(
            f"digits must be K or LO-HI (e.g. 1, 3, 1-4), got {text!r}"
        )
    return int(m[1]) if m[2] is None else (int(m[1]), int(m[2]))


def add_dataset_arguments(p: argparse.ArgumentParser) -> None:
    """The dataset's parameters as options (shared by ``render`` and ``data make``)."""
    p.add_argument("dataset", choices=sorted(SPHERICAL_DATASETS), nargs="?",
                   default="spherical-mnist", help="dataset (default spherical-mnist)")  # fmt: skip
    p.add_argument("--bandwidth", "-b", type=int, default=30, help="SOFT grid bandwidth b (30)")
    p.add_argument("--rotate", choices=("NR", "R"), default="NR", help="rotations (NR)")
    p.add_argument("--chunk", type=int, default=None, help="with R: one rotation per CHUNK")
    p.add_argument("--task", choices=("classification", "segmentation"), default=None,
                   help="default: classification for 1 digit, else segmentation")  # fmt: skip
    p.add_argument("--digits", type=parse_digits, default=1, help="K or LO-HI digits (1)")
    p.add_argument("--seed", type=int, default=0, help="recipe seed (0)")


def build(args: argparse.Namespace, split: str):
    """The dataset object the options describe, for ``split``."""
    from . import spherical

    cls = getattr(spherical, SPHERICAL_DATASETS[args.dataset])
    task = args.task or ("classification" if args.digits == 1 else "segmentation")
    return cls(split, bandwidth=args.bandwidth, rotate=args.rotate, task=task,
               digits=args.digits, seed=args.seed, chunk=args.chunk)  # fmt: skip


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``render`` to the ``gconv`` parser."""
    text = "write a PNG of spherical samples (both hemispheres) and their masks"
    p = subparsers.add_parser("render", help=text, description=text)
    add_dataset_arguments(p)
    p.add_argument("--split", choices=("train", "valid", "test"), default="test")
    p.add_argument("-n", type=int, default=8, help="number of samples (8)")
    p.add_argument("--indices", type=int, nargs="+", default=None, help="these samples")
    p.add_argument("--resolution", type=int, default=128, help="pixels per disc (128)")
    p.add_argument("--out", "-o", type=Path, default=Path("spherical.png"), help="PNG path")
    p.set_defaults(func=cmd_render)


def register_data_actions(data_subparsers: argparse._SubParsersAction) -> None:
    """Add ``make`` to ``gconv data`` (generate and cache spherical splits)."""
    text = "generate and cache a spherical dataset's splits (all three by default)"
    p = data_subparsers.add_parser("make", help=text, description=text)
    add_dataset_arguments(p)
    p.add_argument("--split", choices=("train", "valid", "test"), action="append",
                   help="only these splits (repeatable)")  # fmt: skip
    p.set_defaults(func=cmd_make)


def _fail(message: str) -> int:
    print(f"gconv: error: {message}", file=sys.stderr)
    return 2


def cmd_render(args: argparse.Namespace) -> int:
    from ._render import render_samples

    try:
        ds = build(args, args.split)
        path = render_samples(ds, args.out, indices=args.indices, n=args.n,
                              resolution=args.resolution)  # fmt: skip
    except (ValueError, ImportError) as e:
        return _fail(str(e))
    print(f"wrote {path} ({path.stat().st_size:,} bytes): {ds!r}")
    return 0


def cmd_make(args: argparse.Namespace) -> int:
    rows = []
    for split in args.split or ("train", "valid", "test"):
        t0 = time.perf_counter()
        try:
            ds = build(args, split)
        except ValueError as e:
            return _fail(str(e))
        where = str(ds.path or "(not cached: GCONV_CACHE is empty)")
        rows.append((split, f"{len(ds):,}", f"{time.perf_counter() - t0:.1f}", where))
    widths = [max(len(r[i]) for r in rows + [("split", "n", "s", "path")]) for i in range(4)]
    for r in [("split", "n", "s", "path"), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0


def cache_files(base: str) -> Callable[[], list[Path]]:
    """The cached splits of spherical ``base`` ("mnist" | "fashion-mnist"), for the registry."""

    def files() -> list[Path]:
        cache = cache_dir()
        if cache is None:
            return []
        from ._spherical_gen import VERSION  # files of other versions are not this code's

        pattern = f"spherical-{base}-*-v{VERSION}.npz"
        return [p for p in sorted(cache.glob(pattern)) if _CACHED.fullmatch(p.name)]

    return files


def verify_cache(path: Path) -> None:
    """Read a cached split and check it against the parameters in its metadata and its arrays'
    sha256; CorruptFileError naming the file otherwise."""
    import json

    import numpy as np

    from ._idx import CorruptFileError
    from ._spherical_gen import Spec, load

    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
        fields = {k: meta[k] for k in Spec.__dataclass_fields__}
    except Exception as e:  # noqa: BLE001 - numpy's header parser raises many kinds
        raise CorruptFileError(f"{path}: unreadable spherical-data cache ({e})") from None
    spec = Spec(**fields)
    if f"{spec.name()}.npz" != Path(path).name:
        raise CorruptFileError(
            f"{path}: its metadata describe {spec.name()}.npz (a renamed or copied file); "
            f"delete it and it is regenerated on next use"
        )
    load(Path(path), spec)
