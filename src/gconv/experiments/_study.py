# SPDX-License-Identifier: MIT
"""Studies: sweeps of independent runs → one tidy CSV, a markdown table and plots.

A registered study (:class:`StudySpec`, ``_spec.py``) is planned into a list of :class:`RunSpec`
(arm × augmentation × training-set size × seed, at a budget); run ``i`` belongs to shard
``K/N`` when ``i mod N = K``. Each run writes its checkpoints under ``out/runs/<name>/`` and
resumes from its last epoch checkpoint; a run whose key is already in the CSV is skipped. The
CSV is rewritten atomically after every run, so a killed study loses at most the run in flight.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .._util import atomic_write_text, check_positive_int, file_lock
from ._conditions import CONDITION_COLUMNS
from ._report import write_report
from ._run_files import RESUME_ORDER, rank_zero
from ._shards import check_shard, csv_path, shard_paths
from ._spec import (
    DEFAULT_PRECISION,
    PER_MODEL_DATA,
    RECIPE_KEYS,
    Arm,
    Budget,
    Precision,
    StudySpec,
    get_study,
    recipe_digest,
)

__all__ = [
    "RunSpec",
    "checkpoint_progress",
    "merge",
    "plan",
    "read_rows",
    "run_study",
    "write_report",
    "write_rows",
]

#: leading CSV columns (others follow in sorted order)
COLUMNS = (
    "model",
    "seed",
    "epochs",
    "augment",
    "lr",
    "batch_size",
    "limit_train",
    "limit_test",
    "params",
    "best_epoch",
    "val_error",
    "test_error",
    "test_n",
    "wall_s",
    "images_per_s",
)
_KEY = (
    "model", "seed", "epochs", "augment", "limit_train", "limit_test", "data_kwargs", "lr", "optim",
    "batch_size", "model_kwargs", "precision",
)  # fmt: skip


@dataclass(frozen=True)
class RunSpec:
    """One independent run of a study."""

    index: int
    model: str
    seed: int
    epochs: int
    augment: str = "batch-angle"
    lr: float = 1e-3
    batch_size: int = 128
    limit_train: int | None = None
    limit_test: int | None = None
    #: the budget's data-module and model arguments, as sorted (key, value) pairs
    data_kwargs: tuple[tuple[str, Any], ...] = ()
    model_kwargs: tuple[tuple[str, Any], ...] = ()
    #: the recipe's task-module options (lr schedule, weight decay), as sorted pairs
    optim: tuple[tuple[str, Any], ...] = ()
    #: training batches the batch norms' statistics are recomputed over before each
    #: validation (0: none); not in :attr:`key` or :attr:`name`: it leaves the weights alone
    bn_recompute: int = 0
    #: Lightning's precision (None: float32, "32-true"; an empty cell, as in older CSVs)
    precision: Precision | None = None

    def __post_init__(self) -> None:
        where = f"RunSpec {self.index}"
        for name in ("epochs", "batch_size"):
            check_positive_int(where, name, getattr(self, name))
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ValueError(f"{where}: lr must be a positive number, got {self.lr!r}")

    @property
    def key(self) -> tuple[str, ...]:
        """What makes two runs the same run (as CSV strings)."""
        return tuple(_cell(getattr(self, k)) for k in _KEY)

    @property
    def name(self) -> str:
        """Folder name of the run's checkpoints and logs."""
        data = dict(self.data_kwargs)
        lr = None if self.lr == 1e-3 else f"{self.lr:g}"  # the default keeps older names
        digits = data.get("digits", 1)  # canvases of several digits: "c1to4" (1: older names)
        many = isinstance(digits, tuple | list)
        canvas = None if digits == 1 else "to".join(map(str, digits)) if many else str(digits)
        pairs = (("n", self.limit_train), ("t", self.limit_test), ("b", data.get("bandwidth")),
                 ("lr", lr), ("c", canvas), ("p", self.precision))  # fmt: skip
        tail = "".join(f"-{t}{v}" for t, v in pairs if v)
        if self.model_kwargs:  # another recipe of the model: another folder (never resumed)
            tail += f"-k{recipe_digest(_cell(self.model_kwargs))}"
        return f"{self.model}-seed{self.seed}-e{self.epochs}-{self.augment}{tail}"


def _cell(v: object) -> str:
    return "" if v is None or v == () else str(v)


def plan(
    study: str | StudySpec,
    seeds: Sequence[int] | None = None,
    epochs_scale: float = 1.0,
    limit_train: int | None = None,
    limit_test: int | None = None,
    models: Sequence[str] | None = None,
    budget: Budget | None = None,
    augments: Sequence[str] | None = None,
) -> list[RunSpec]:
    """The study's runs, seed-major (then training-set size, augmentation, arm), indexed 0, 1,
    …, each run once (an arm with its own augmentation or size is not repeated per value of
    that axis); epochs are ``max(1, round(full epochs × epochs_scale))``. ``seeds`` default to the
    study's; ``limit_train`` (when given) replaces its training-set-size axis; ``models``
    keeps only those arms; ``augments`` only those values of the augmentation axis (arms with
    their own augmentation are kept when it is listed). ``budget`` adds its ``data_kwargs``/``model_kwargs`` to the runs and
    applies its ``per_model`` epochs, training-set sizes, data arguments and recipe entries
    (over the arm's ``recipe``: lr and batch size become run fields, the rest ``optim``)."""
    spec = get_study(study) if isinstance(study, str) else study
    if not epochs_scale > 0:
        raise ValueError(f"epochs_scale must be positive, got {epochs_scale}")
    arms = [a for a in spec.arms if models is None or a.model in models]
    if budget is not None and budget.models is not None:
        arms = [a for a in arms if a.model in budget.models]
    if models is not None and set(models) - set(spec.models):
        raise ValueError(f"unknown model in {list(models)}; study {spec.name!r} has {spec.models}")
    if augments is not None and set(augments) - set(spec.augments) - {a.augment for a in arms}:
        raise ValueError(
            f"unknown augmentation in {list(augments)}; study {spec.name!r} has "
            f"{list(spec.augments)}"
        )
    sizes = spec.train_sizes if limit_train is None else (limit_train,)
    runs: list[RunSpec] = []
    seen: set[tuple[str, ...]] = set()  # an arm that fixes an axis runs once, not per value
    for seed in spec.seeds if seeds is None else seeds:
        for size in sizes:
            for aug in spec.augments:
                for arm in arms:
                    over = budget.per_model.get(arm.model, {}) if budget else {}
                    run = RunSpec(
                        len(runs), arm.model, seed,
                        over.get("epochs", max(1, round(arm.epochs * epochs_scale))),
                        augment=arm.augment or aug,
                        limit_train=over.get("limit_train",
                            arm.limit_train if arm.limit_train is not None else size),
                        limit_test=over.get("limit_test", limit_test),
                        bn_recompute=over.get("bn_recompute", 0),
                        **{**_recipe_kwargs(arm, over), **_budget_kwargs(budget, arm.model)},
                    )  # fmt: skip
                    if augments is not None and run.augment not in augments:
                        continue
                    if run.key not in seen:
                        seen.add(run.key)
                        runs.append(run)
    return runs


def _recipe_kwargs(arm: Arm, over: Mapping[str, Any]) -> dict[str, Any]:
    """The arm's recipe, updated by the budget's ``per_model`` entries: lr and batch size as
    run fields, the rest as ``optim`` (the budget's ``batch_size`` still wins over the arm's,
    and its ``per_model`` one over both)."""
    recipe = {**arm.recipe, **{k: v for k, v in over.items() if k in RECIPE_KEYS}}
    run: dict[str, Any] = {k: recipe.pop(k) for k in ("lr", "batch_size") if k in recipe}
    return {**run, "optim": tuple(sorted(recipe.items()))}


def _budget_kwargs(budget: Budget | None, model: str) -> dict[str, Any]:
    if budget is None:
        return {}
    over = budget.per_model.get(model, {})
    data = {**budget.data_kwargs, **{k: over[k] for k in PER_MODEL_DATA if k in over}}
    batch = over.get("batch_size", budget.batch_size)  # the model's own entry is the narrower
    return {
        **({"batch_size": batch} if batch else {}),
        **({"precision": budget.precision} if budget.precision else {}),
        "data_kwargs": tuple(sorted(data.items())),
        "model_kwargs": tuple(sorted(budget.model_kwargs.get(model, {}).items())),
    }


def read_rows(path: str | os.PathLike) -> list[dict[str, str]]:
    """Rows of a study CSV (strings); ``[]`` if the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def checkpoint_progress(folder: str | os.PathLike) -> tuple[int, int] | None:
    """Where a resume from ``folder`` (``last.ckpt``, else ``last.prev.ckpt``) would continue:
    ``(epochs completed, batches done in the next epoch)``, from Lightning's loop counters;
    None when no checkpoint loads. Reads only (no clean-up, unlike ``_checkpoint.resume_path``)
    and imports no Lightning (the dry run works without the extras)."""
    import torch  # (the dry run's only use of it)

    for name in RESUME_ORDER:
        path = Path(folder) / name
        if not path.is_file():
            continue
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
            loop = ckpt["loops"]["fit_loop"]
            epochs = int(loop["epoch_progress"]["current"]["processed"])  # trained through
            batches = loop["epoch_loop.batch_progress"]
            # a checkpoint inside an epoch is saved in the batch-end hook: processed, not yet
            # counted completed
            return epochs, 0 if batches["is_last_batch"] else int(batches["current"]["processed"])
        except Exception:  # noqa: BLE001 - any unreadable or foreign file: try the next one
            continue
    return None


def write_rows(path: str | os.PathLike, rows: Sequence[dict]) -> Path:
    """Write rows (leading :data:`COLUMNS`, then the rest sorted, then the run's recorded
    conditions in the order of ``CONDITION_COLUMNS``) atomically."""
    path = Path(path)
    names = {k for r in rows for k in r}
    tail = [c for c in CONDITION_COLUMNS if c in names]
    fields = [c for c in COLUMNS if c in names] + sorted(names - set(COLUMNS) - set(tail)) + tail
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(r.get(k)) for k in fields})
    return atomic_write_text(path, buf.getvalue())


def _row_key(row: dict) -> tuple[str, ...]:
    return tuple(_cell(row.get(k)) for k in _KEY)


Runner = Callable[[RunSpec, Path], dict]


def _add_row(path: Path, row: dict) -> list[dict]:
    """Add ``row`` to the CSV as it is on disk now, under a lock, and return its rows: another
    process writing the same file since this one read it (two studies' shards with the same
    K/N in one folder) keeps its rows. A row with the same run key is replaced."""
    with file_lock(path):
        rows = [r for r in read_rows(path) if _row_key(r) != _row_key(row)]
        write_rows(path, [*rows, row])
    return [*rows, row]


def run_study(
    study: str,
    runs: Sequence[RunSpec],
    out: str | os.PathLike,
    runner: Runner,
    shard: tuple[int, int] | None = None,
    log: Callable[[str], None] = print,
) -> list[dict[str, str]]:
    """Run ``runs`` (already sharded by the caller) not yet in the study CSV, appending one row
    per run; unsharded studies then write the report. Returns the CSV's rows."""
    if shard is not None:
        check_shard("run_study", *shard)
    if not callable(runner):
        raise TypeError(f"run_study: runner must be callable, got {type(runner).__name__}")
    path = csv_path(out, study, shard)
    rows: list[dict] = read_rows(path)
    done = {_row_key(r) for r in rows}
    for spec in runs:
        if spec.key in done:
            log(f"[{spec.index}] {spec.name}: in {path.name}, skipped")
            continue
        log(f"[{spec.index}] {spec.name}: running")
        result = runner(spec, Path(out) / "runs" / study / spec.name)
        row = {k: v for k, v in asdict(spec).items() if k != "index" and v != ()}
        row.update(result)
        done.add(spec.key)
        rows = _add_row(path, row) if rank_zero() else [*rows, row]
    if shard is None and rows and rank_zero():
        _log_report(write_report(study, read_rows(path), out), log)
    return rows if not rank_zero() else read_rows(path)


def merge(study: str, out: str | os.PathLike, log: Callable[[str], None] = print) -> Path:
    """Combine ``<study>.csv`` and every ``<study>.shard-*-of-*.csv`` in ``out`` into
    ``<study>.csv`` (one row per run key, first seen wins) and write the report."""
    if not isinstance(study, str) or not study:
        raise TypeError(f"merge: study must be a study name (str), got {type(study).__name__}")
    out = Path(out)
    shards = shard_paths(out, study)
    if not shards:
        raise FileNotFoundError(f"no {study}.shard-K-of-N.csv files in {out}")
    merged: dict[tuple[str, ...], dict] = {}
    for p in [csv_path(out, study), *shards]:
        for r in read_rows(p):
            merged.setdefault(_row_key(r), r)
    log(f"merged {len(shards)} shard file(s) → {len(merged)} runs")
    path = write_rows(csv_path(out, study), list(merged.values()))
    _log_report(write_report(study, read_rows(path), out), log)
    return path


def _log_report(files: Sequence[Path], log: Callable[[str], None]) -> None:
    log("report: " + ", ".join(str(f) for f in files))


def default_runner(
    data: str = "rotmnist",
    progress: bool = True,
    devices: int = 1,
    num_nodes: int = 1,
    task: str | None = None,
    command: Sequence[str] | str | None = None,
    accelerator: str = "cpu",
) -> Runner:
    """Train with :func:`gconv.experiments.train` (resuming); the row is the task's
    (``TaskSpec.row``: for classification the metrics and ``err_deg_<lo>`` columns) and the
    conditions of the run (``_conditions.RunConditions``: ``command`` — default this process's
    command line —, torch threads, CPU count, load average sampled during the run); runs on
    ``accelerator`` (Lightning's name: "cpu", "gpu", "auto")."""

    def run(spec: RunSpec, run_dir: Path) -> dict:
        from ._conditions import RunConditions
        from ._tasks import get_task
        from ._train import TrainConfig, train

        cfg = TrainConfig(
            model=spec.model, data=data, task=task, epochs=spec.epochs,
            batch_size=spec.batch_size, lr=spec.lr, augment=spec.augment, seed=spec.seed,
            limit_train=spec.limit_train, limit_test=spec.limit_test, out=str(run_dir),
            devices=devices, num_nodes=num_nodes, accelerator=accelerator, resume=True,
            progress=progress,
            data_kwargs=dict(spec.data_kwargs), model_kwargs=dict(spec.model_kwargs),
            optim=dict(spec.optim), bn_recompute=spec.bn_recompute,
            precision=spec.precision or DEFAULT_PRECISION,
        )  # fmt: skip
        with RunConditions(command) as conditions:
            rec = train(cfg)
        return {**get_task(rec["task"]).row(rec), **conditions.record()}

    return run
