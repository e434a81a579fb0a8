# SPDX-License-Identifier: MIT
"""``gconv data list|verify|where``: what is found where, whether it verifies, how to get it."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence

from ._checksums import DATASETS, spec_of
from ._files import cache_dir, locate, lookup_dirs, verify_file
from ._idx import CorruptFileError

__all__ = ["register"]

_ROT = re.compile(r"rotmnist-(?P<base>[a-z-]+)-seed(?P<seed>\d+)-v(?P<v>\d+)\.npz")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``data`` with its sub-commands to the ``gconv`` parser."""
    p = subparsers.add_parser("data", help="find, verify and locate datasets")
    sub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    for name, func, text in (
        ("list", _cmd_list, "each known file: where it was found (or missing) and its size"),
        ("verify", _cmd_verify, "check the sha256 of every file found (exit 1 on failure)"),
        ("where", _cmd_where, "the lookup order, with paths"),
    ):
        s = sub.add_parser(name, help=text, description=text)
        s.add_argument(
            "--dataset", choices=sorted(DATASETS), action="append", help="only these (repeatable)"
        )
        s.set_defaults(func=func)


def _names(args: argparse.Namespace) -> list[str]:
    return args.dataset or sorted(DATASETS)


def _print_table(headers: Sequence[str], rows: list[Sequence[str]]) -> None:
    """A rich table on a terminal when rich is installed, aligned plain text otherwise."""
    if sys.stdout.isatty():
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            pass
        else:
            table = Table(*headers)
            for row in rows:
                table.add_row(*row)
            Console().print(table)
            return
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for r in [headers, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _derived(names: Sequence[str]) -> list:
    """Derived cache files whose base dataset is in ``names``."""
    found = []
    for p in sorted(cache_dir().glob("rotmnist-*.npz")):
        m = _ROT.fullmatch(p.name)
        if m is not None and m["base"] in names:
            found.append(p)
    return found


def _cmd_list(args: argparse.Namespace) -> int:
    rows = []
    for ds in _names(args):
        for spec in spec_of(ds).files.values():
            hit = locate(spec)
            if hit is None:
                rows.append((ds, spec.name, "MISSING", "-", "-"))
            else:
                rows.append((ds, spec.name, hit[0], str(hit[1]), f"{hit[1].stat().st_size:,}"))
    for p in _derived(_names(args)):
        rows.append(("derived", p.name, "cache", str(p), f"{p.stat().st_size:,}"))
    _print_table(("dataset", "file", "found in", "path", "bytes"), rows)
    if any(r[2] == "MISSING" for r in rows):
        print("\nmissing files: `gconv data where` shows where they are looked for; to get them:")
        for ds in sorted({r[0] for r in rows if r[2] == "MISSING"}):
            print(f"  {ds}: {spec_of(ds).how_to_get}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    rows, failures = [], []
    for ds in _names(args):
        missing = []
        for spec in spec_of(ds).files.values():
            hit = locate(spec)
            if hit is None:
                rows.append((ds, spec.name, "MISSING", "-"))
                missing.append(spec.gz_name)
                continue
            try:
                verify_file(hit[1], spec)
                rows.append((ds, spec.name, "ok", str(hit[1])))
            except CorruptFileError as e:
                rows.append((ds, spec.name, "CORRUPT", str(hit[1])))
                failures.append(str(e))
        if missing:
            how = spec_of(ds).how_to_get
            failures.append(f"{ds}: missing {', '.join(missing)}; to get it: {how}")
    rows += _verify_derived(_names(args), failures)
    _print_table(("dataset", "file", "status", "path"), rows)
    for f in failures:
        print(f"\n{f}", file=sys.stderr)
    return 1 if failures else 0


def _verify_derived(names: Sequence[str], failures: list[str]) -> list[tuple[str, str, str, str]]:
    from .rotated import VERSION, _load  # checks parameters and the arrays' sha256

    rows = []
    for p in _derived(names):
        m = _ROT.fullmatch(p.name)
        if m is None or int(m["v"]) != VERSION:
            continue
        try:
            _load(p, m["base"], int(m["seed"]))
            rows.append(("derived", p.name, "ok", str(p)))
        except CorruptFileError as e:
            rows.append(("derived", p.name, "CORRUPT", str(p)))
            failures.append(str(e))
    return rows


def _cmd_where(args: argparse.Namespace) -> int:
    for ds in _names(args):
        spec = spec_of(ds)
        names = [f.gz_name for f in spec.files.values()]
        if spec.archive is not None:
            names = [
                f"{spec.archive.name} (members {', '.join(f.name for f in spec.files.values())})"
            ]
        print(f"{ds}: files {', '.join(names)}")
        for i, (label, folder) in enumerate(lookup_dirs(ds), 1):
            state = "exists" if folder.is_dir() else "absent"
            print(f"  {i}. {label:<10} {folder}  ({state})")
        n = len(lookup_dirs(ds)) + 1
        mirrors = ", ".join(spec.mirrors)
        print(f"  {n}. download   {mirrors} -> {cache_dir() / ds}")
        print(f"  to get it: {spec.how_to_get}")
    print(f"derived sets (rotated MNIST, …) are cached in {cache_dir()}")
    print("GCONV_DATA (read-only input) and GCONV_CACHE (default ~/.cache/gconv) set the folders.")
    return 0
