# SPDX-License-Identifier: MIT
"""``gconv data list|verify|where``: every registered data set, its original files and derived
cache files — what is found where, whether it verifies, how to get it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .._util import check_subparsers, print_table
from ._checksums import DATASETS, spec_of
from ._files import cache_dir, locate, lookup_dirs, verify_file
from ._idx import CorruptFileError
from ._registry import DataSpec, dataset_spec, list_datasets
from ._spherical_cli import register_cli as register_render_cli
from ._spherical_cli import register_data_actions

__all__ = ["add_commands"]


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``data`` (list, verify, where, make) and ``render`` to the ``gconv`` parser."""
    check_subparsers("add_commands", subparsers)
    p = subparsers.add_parser("data", help="list, verify and locate datasets")
    sub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    for name, func, text in (
        ("list", _cmd_list, "registered data sets; each file: where it was found, its size"),
        ("verify", _cmd_verify, "check the sha256 of every file found (exit 1 on failure)"),
        ("where", _cmd_where, "the lookup order, with paths"),
    ):
        s = sub.add_parser(name, help=text, description=text)
        s.add_argument(
            "--dataset",
            choices=sorted(set(DATASETS) | set(list_datasets())),
            action="append",
            help="only these (repeatable): original file sets and registered data sets",
        )
        s.set_defaults(func=func)
    register_data_actions(sub)  # gconv data make (spherical splits)
    register_render_cli(subparsers)  # gconv render


def _selected(args: argparse.Namespace) -> tuple[list[str], list[DataSpec]]:
    """(original file sets, registered data sets) that ``--dataset`` selects: a registered
    set brings its sources; an original set brings the registered sets built from it."""
    names = args.dataset or sorted(set(DATASETS) | set(list_datasets()))
    specs = [dataset_spec(n) for n in list_datasets()]
    chosen = [s for s in specs if s.name in names]
    sources = {n for n in names if n in DATASETS} | {src for s in chosen for src in s.sources}
    chosen += [s for s in specs if s not in chosen and set(s.sources) & sources]
    return sorted(sources), chosen


def _derived(specs: Sequence[DataSpec]) -> list[tuple[str, Path]]:
    """(data set, path) of the derived cache files of ``specs``."""
    return [(s.name, p) for s in specs if s.cache_files for p in s.cache_files()]


def _registered_table(specs: Sequence[DataSpec]) -> None:
    rows = [
        (s.name, s.input_kind, s.task, "/".join(s.splits), "×".join(map(str, s.sample_shape)),
         s.num_classes or "-", ", ".join(s.sources) or "-", s.description)
        for s in specs
    ]  # fmt: skip
    print_table(
        ("dataset", "input", "task", "splits", "sample", "classes", "from", "description"),
        rows,
        title="registered data sets",
    )
    print()


def _cmd_list(args: argparse.Namespace) -> int:
    sources, specs = _selected(args)
    _registered_table(specs)
    rows = []
    for ds in sources:
        for spec in spec_of(ds).files.values():
            hit = locate(spec)
            if hit is None:
                rows.append((ds, spec.name, "MISSING", "-", "-"))
            else:
                rows.append((ds, spec.name, hit[0], str(hit[1]), f"{hit[1].stat().st_size:,}"))
    for name, p in _derived(specs):
        rows.append((name, p.name, "cache", str(p), f"{p.stat().st_size:,}"))
    print_table(("dataset", "file", "found in", "path", "bytes"), rows)
    if any(r[2] == "MISSING" for r in rows):
        print("\nmissing files: `gconv data where` shows where they are looked for; to get them:")
        for ds in sorted({r[0] for r in rows if r[2] == "MISSING"}):
            print(f"  {ds}: {spec_of(ds).how_to_get}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    rows, failures = [], []
    sources, specs = _selected(args)
    for ds in sources:
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
    rows += _verify_derived(specs, failures)
    print_table(("dataset", "file", "status", "path"), rows)
    for f in failures:
        print(f"\n{f}", file=sys.stderr)
    return 1 if failures else 0


def _verify_derived(
    specs: Sequence[DataSpec], failures: list[str]
) -> list[tuple[str, str, str, str]]:
    rows = []
    for s in specs:
        if s.cache_files is None or s.verify_cache is None:
            continue
        for p in s.cache_files():
            try:
                s.verify_cache(p)
                rows.append((s.name, p.name, "ok", str(p)))
            except CorruptFileError as e:
                rows.append((s.name, p.name, "CORRUPT", str(p)))
                failures.append(str(e))
    return rows


def _cmd_where(args: argparse.Namespace) -> int:
    sources, specs = _selected(args)
    for ds in sources:
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
        cache = cache_dir()
        target = "(none: GCONV_CACHE is empty)" if cache is None else cache / ds
        print(f"  {n}. download   {mirrors} -> {target}")
        print(f"  to get it: {spec.how_to_get}")
    derived = ", ".join(s.name for s in specs if s.cache_files)
    cache = cache_dir()
    if cache is None:
        print(f"derived sets ({derived}) are not cached: GCONV_CACHE is empty; built in memory")
    else:
        print(f"derived sets ({derived}) are cached in {cache}")
    print("GCONV_DATA (read-only input) and GCONV_CACHE (default ~/.cache/gconv; empty: no cache)")
    print("set the folders.")
    return 0
