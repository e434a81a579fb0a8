# SPDX-License-Identifier: MIT
"""``gconv evaluate``: a checkpoint's test error (per test set; per input-angle bin on planar
data), its confusion matrices, and the record as JSON. Lightning is imported when it runs."""

from __future__ import annotations

import argparse
import math
import sys
from typing import cast

from .._util import print_table
from ..data import dataset_spec, list_datasets

__all__ = ["add_evaluate", "pct"]


def pct(v: float | None) -> str:
    """A fraction as a percentage with two decimals; an em dash for None or NaN."""
    return "—" if v is None or math.isnan(v) else f"{100 * v:.2f} %"


def add_evaluate(subparsers: argparse._SubParsersAction) -> None:
    e = subparsers.add_parser(
        "evaluate",
        help="test error (overall and per input-angle bin) of a checkpoint",
        description="Load CHECKPOINT (weights_only) and report its test error.",
    )
    e.add_argument("checkpoint")
    e.add_argument("--data", default="rotmnist", choices=list_datasets())
    e.add_argument("--limit-test", type=int, help="use the first N test digits")
    e.add_argument("--batch-size", type=int, default=500)
    e.add_argument(
        "--test-rotate",
        nargs="+",
        choices=("NR", "R"),
        metavar="NR|R",
        help="spherical data: the test sets (default: NR), e.g. NR R",
    )
    e.add_argument(
        "--bandwidth",
        type=int,
        help="spherical data: the run's grid bandwidth "
        "(default: the data set's; icosahedral models read their own vertices)",
    )
    e.add_argument("--accelerator", default="cpu", help="cpu (default), gpu, auto (one device)")
    e.add_argument(
        "--confusion",
        action="store_true",
        help="print each test set's confusion matrix and its most frequent confusions",
    )
    e.add_argument(
        "--json",
        metavar="PATH",
        help="write the record (errors, counts, confusion matrices) to PATH as JSON",
    )
    e.add_argument(
        "--bn-recompute",
        type=int,
        metavar="N",
        help="first recompute the batch norms' statistics over N training batches, the samples "
        "and augmentation a run with --bn-recompute N validates the checkpoint's epoch with",
    )
    e.add_argument(
        "--bn-batch-size",
        type=int,
        help="with --bn-recompute: the run's training batch size (default: gconv train's)",
    )
    e.add_argument(
        "--limit-train",
        type=int,
        help="with --bn-recompute: the run's --limit-train (its first N training samples)",
    )
    e.add_argument(
        "--live",
        action="store_true",
        help="a run with --optim ema=D: test the weights the optimiser stepped (the "
        "checkpoint's current_model_state), not their moving average",
    )
    e.add_argument("--no-progress", action="store_true", help="no progress bar")
    e.set_defaults(func=_cmd_evaluate)


def _spherical(data: str) -> bool:
    """Whether the registered data set ``data`` lives on the sphere (its samples carry no
    planar input angle; its data module takes ``test_rotate`` and ``bandwidth``)."""
    return dataset_spec(data).input_kind == "s2"


def _evaluate_data_kwargs(args: argparse.Namespace) -> dict:
    """``--test-rotate`` / ``--bandwidth`` for the data module; ValueError naming the data set
    where it is not spherical."""
    given: dict = {}
    if args.test_rotate:
        given["test_rotate"] = tuple(args.test_rotate)
    if args.bandwidth is not None:
        given["bandwidth"] = args.bandwidth
    if given and not _spherical(args.data):
        flags = " and ".join("--" + k.replace("_", "-") for k in given)
        sph = [d for d in list_datasets() if _spherical(d)]
        raise ValueError(
            f"{flags} {'apply' if len(given) > 1 else 'applies'} only to the "
            f"spherical data sets ({', '.join(sph)}); got --data {args.data}"
        )
    return given


def _bn_recompute(args: argparse.Namespace) -> tuple[int, int, int | None] | None:
    """``(batches, batch size, limit_train)`` for ``evaluate``, or None without --bn-recompute;
    ValueError for a count below 1, or --bn-batch-size / --limit-train without it."""
    if args.bn_recompute is None:
        if args.limit_train is not None or args.bn_batch_size is not None:
            raise ValueError("--bn-batch-size and --limit-train apply only with --bn-recompute N")
        return None
    from ._train import TrainConfig

    size = TrainConfig.batch_size if args.bn_batch_size is None else args.bn_batch_size
    for flag, v in (("--bn-recompute", args.bn_recompute), ("--bn-batch-size", size),
                    ("--limit-train", args.limit_train)):  # fmt: skip
        if v is not None and v < 1:
            raise ValueError(f"{flag} must be a positive integer, got {v}")
    return args.bn_recompute, size, args.limit_train


def _finite(v: object) -> object:
    """``v`` with every NaN float (an empty angle bin) as None, so the file is standard JSON."""
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_finite(x) for x in v]
    return v


def _write_record(args: argparse.Namespace, rec: dict) -> int:
    """``gconv evaluate --json PATH``: the record with the checkpoint and data set (empty angle
    bins as null; no angle bins on spherical data), written to a temporary name and renamed; 2
    with a message where PATH cannot be written."""
    import json

    from .._util import atomic_write_text

    raw = {"checkpoint": str(args.checkpoint), "data": args.data, **rec}
    record = cast(dict[str, object], _finite(raw))  # _finite maps a dict to a dict
    if _spherical(args.data):  # no input angle: one bin holding every sample
        del record["angle_error"]
    try:
        atomic_write_text(args.json, json.dumps(record, indent=1, allow_nan=False) + "\n")
    except OSError as err:
        print(f"gconv evaluate: cannot write --json {args.json}: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.json}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from ._checkpoint import CheckpointError
    from ._evaluate import evaluate

    try:
        rec = evaluate(
            args.checkpoint,
            args.data,
            args.limit_test,
            args.batch_size,
            not args.no_progress,
            data_kwargs=_evaluate_data_kwargs(args),
            accelerator=args.accelerator,
            bn_recompute=_bn_recompute(args),
            live=args.live,
        )
    except (CheckpointError, FileNotFoundError, ValueError) as err:
        print(f"gconv evaluate: {err}", file=sys.stderr)
        return 2
    names = rec["test_names"] or [""]
    errors = [rec["test_error"], *(rec.get(f"test_{n}_error") for n in names[1:])]
    print_table(
        ["model", "params", "test images",
         *(f"test error ({n.upper()})" if n else "test error" for n in names), "img/s"],
        [[rec["model"], f"{rec['params']:,}", rec["test_n"], *map(pct, errors),
          f"{rec['images_per_s']:.0f}"]],
        title=f"gconv evaluate: {args.checkpoint}" + (" (live weights)" if args.live else ""),
    )  # fmt: skip
    if rec.get("bn_recompute"):
        b = rec["bn_recompute"]
        print(f"batch-norm statistics recomputed over {b['batches']} training batches of "
              f"{b['batch_size']} (epoch {b['epoch']}'s samples and augmentation)")  # fmt: skip
    if args.confusion:
        from ._confusion import confusion_tables

        for headers, rows, title in confusion_tables(rec["confusion"]):
            print_table(headers, rows, title=title)
    if not _spherical(args.data):  # spherical samples carry no input angle
        _print_angle_bins(rec["angle_error"])
    return _write_record(args, rec) if args.json else 0


def _print_angle_bins(bins: list[float]) -> None:
    """The test error per input-angle bin (planar data)."""
    from ._plots import bin_centres

    width = 360 / len(bins)
    print_table(
        ["input angle", "test error"],
        [[f"{c - width / 2:5.1f}°–{c + width / 2:5.1f}°", pct(v)]
         for c, v in zip(bin_centres(len(bins)), bins, strict=True)],
        title="per input-angle bin",
    )  # fmt: skip
