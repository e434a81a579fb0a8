# SPDX-License-Identifier: MIT
"""Studies: sweeps of independent runs → one tidy CSV, a markdown table and plots.

A study is a list of :class:`RunSpec` (model × seed, at a budget); run ``i`` belongs to shard
``K/N`` when ``i mod N = K``. Each run writes its checkpoints under ``out/runs/<name>/`` and
resumes from its last epoch checkpoint; a run whose key is already in the CSV is skipped. The
CSV is rewritten atomically after every run, so a killed study loses at most the run in flight.
"""

from __future__ import annotations

import csv
import io
import math
import os
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "PAPER",
    "STUDIES",
    "RunSpec",
    "csv_path",
    "merge",
    "parse_shard",
    "plan",
    "read_rows",
    "run_study",
    "select_shard",
    "write_report",
    "write_rows",
]

#: study name -> ((model, epochs at the paper's budget), ...): Cohen & Welling (2016), §8.1
STUDIES: dict[str, tuple[tuple[str, int], ...]] = {
    "rotmnist": (
        ("z2cnn", 300),
        ("p4cnn", 100),
        ("p4cnn-rp", 100),
        ("p4mcnn", 100),
        ("p4mcnn-coset", 100),
    ),
}
#: the paper's test error (%) on MNIST-rot, Table 1 (REFERENCES.md 2a)
PAPER: dict[str, float] = {"z2cnn": 5.03, "p4cnn-rp": 3.21, "p4cnn": 2.28}
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
_KEY = ("model", "seed", "epochs", "augment", "limit_train", "limit_test")


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

    @property
    def key(self) -> tuple[str, ...]:
        """What makes two runs the same run (as CSV strings)."""
        return tuple(_cell(getattr(self, k)) for k in _KEY)

    @property
    def name(self) -> str:
        """Folder name of the run's checkpoints and logs."""
        tail = "".join(
            f"-{t}{v}" for t, v in (("n", self.limit_train), ("t", self.limit_test)) if v
        )
        return f"{self.model}-seed{self.seed}-e{self.epochs}-{self.augment}{tail}"


def _cell(v: object) -> str:
    return "" if v is None else str(v)


def plan(
    study: str,
    seeds: Sequence[int] = (0,),
    epochs_scale: float = 1.0,
    limit_train: int | None = None,
    limit_test: int | None = None,
    models: Sequence[str] | None = None,
) -> list[RunSpec]:
    """The study's runs, seed-major (all models of seed 0 first), indexed 0, 1, …; epochs are
    ``max(1, round(paper epochs × epochs_scale))``."""
    if study not in STUDIES:
        raise ValueError(f"unknown study {study!r}; known: {sorted(STUDIES)}")
    if not epochs_scale > 0:
        raise ValueError(f"epochs_scale must be positive, got {epochs_scale}")
    budget = [(m, e) for m, e in STUDIES[study] if models is None or m in models]
    if models is not None and len(budget) != len(set(models)):
        known = [m for m, _ in STUDIES[study]]
        raise ValueError(f"unknown model in {list(models)}; study {study!r} has {known}")
    runs = []
    for seed in seeds:
        for model, epochs in budget:
            n = max(1, round(epochs * epochs_scale))
            runs.append(RunSpec(len(runs), model, seed, n, limit_train=limit_train,
                                limit_test=limit_test))  # fmt: skip
    return runs


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` → ``(K, N)`` with ``0 <= K < N``.

    >>> parse_shard("1/4")
    (1, 4)
    """
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ValueError(f"shard must look like K/N (e.g. 0/4), got {text!r}") from None
    if not 0 <= k < n:
        raise ValueError(f"shard K/N needs 0 <= K < N, got {text!r}")
    return k, n


def select_shard(runs: Iterable[RunSpec], k: int, n: int) -> list[RunSpec]:
    """The runs with ``index mod n == k``."""
    return [r for r in runs if r.index % n == k]


def csv_path(out: str | os.PathLike, study: str, shard: tuple[int, int] | None = None) -> Path:
    """``out/<study>.csv`` or ``out/<study>.shard-K-of-N.csv``."""
    tail = f".shard-{shard[0]}-of-{shard[1]}" if shard else ""
    return Path(out) / f"{study}{tail}.csv"


def read_rows(path: str | os.PathLike) -> list[dict[str, str]]:
    """Rows of a study CSV (strings); ``[]`` if the file does not exist."""
    path = Path(path)
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path: str | os.PathLike, rows: Sequence[dict]) -> Path:
    """Write rows (leading :data:`COLUMNS`, then the rest sorted) atomically."""
    path = Path(path)
    names = {k for r in rows for k in r}
    fields = [c for c in COLUMNS if c in names] + sorted(names - set(COLUMNS))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(r.get(k)) for k in fields})
    _atomic_text(path, buf.getvalue())
    return path


def _atomic_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _row_key(row: dict) -> tuple[str, ...]:
    return tuple(_cell(row.get(k)) for k in _KEY)


Runner = Callable[[RunSpec, Path], dict]


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
    path = csv_path(out, study, shard)
    rows: list[dict] = read_rows(path)
    done = {_row_key(r) for r in rows}
    for spec in runs:
        if spec.key in done:
            log(f"[{spec.index}] {spec.name}: in {path.name}, skipped")
            continue
        log(f"[{spec.index}] {spec.name}: running")
        result = runner(spec, Path(out) / "runs" / study / spec.name)
        row = {k: v for k, v in asdict(spec).items() if k != "index"}
        row.update(result)
        rows.append(row)
        done.add(spec.key)
        if _rank_zero():
            write_rows(path, rows)
    if shard is None and rows and _rank_zero():
        write_report(study, read_rows(path), out)
    return rows if not _rank_zero() else read_rows(path)


def _rank_zero() -> bool:
    """False in the extra processes of a multi-process (DDP) run: only rank 0 writes files."""
    try:
        from lightning.pytorch.utilities import rank_zero_only
    except ImportError:
        return True
    return getattr(rank_zero_only, "rank", 0) == 0


def merge(study: str, out: str | os.PathLike, log: Callable[[str], None] = print) -> Path:
    """Combine ``<study>.csv`` and every ``<study>.shard-*-of-*.csv`` in ``out`` into
    ``<study>.csv`` (one row per run key, first seen wins) and write the report."""
    out = Path(out)
    shards = sorted(out.glob(f"{study}.shard-*-of-*.csv"))
    if not shards:
        raise FileNotFoundError(f"no {study}.shard-K-of-N.csv files in {out}")
    merged: dict[tuple[str, ...], dict] = {}
    for p in [csv_path(out, study), *shards]:
        for r in read_rows(p):
            merged.setdefault(_row_key(r), r)
    log(f"merged {len(shards)} shard file(s) → {len(merged)} runs")
    path = write_rows(csv_path(out, study), list(merged.values()))
    write_report(study, read_rows(path), out)
    return path


def _num(v: object) -> float:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    vals = [v for v in values if not math.isnan(v)]
    if not vals:
        return math.nan, math.nan
    return statistics.fmean(vals), statistics.stdev(vals) if len(vals) > 1 else math.nan


def _pm(values: Sequence[float], scale: float = 100.0, digits: int = 2) -> str:
    m, s = _mean_std(values)
    if math.isnan(m):
        return "—"
    return f"{m * scale:.{digits}f}" + ("" if math.isnan(s) else f" ± {s * scale:.{digits}f}")


def _hms(seconds: float) -> str:
    if math.isnan(seconds):
        return "—"
    h, rem = divmod(int(round(seconds)), 3600)
    return f"{h}h{rem // 60:02d}m" if h else f"{rem // 60}m{rem % 60:02d}s"


def write_report(study: str, rows: Sequence[dict], out: str | os.PathLike) -> tuple[Path, Path]:
    """``out/<study>.md`` (mean ± std over seeds per model and budget) and
    ``out/<study>-angle.png`` (test error against input angle, mean over seeds)."""
    from ._plots import bin_centres, plot_angle_error

    groups: dict[tuple[str, ...], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["model"], r["epochs"], r.get("limit_train", "")), []).append(r)
    lines = [
        f"# Study `{study}`",
        "",
        "Test error of the epoch with the lowest validation error (never selected on test); "
        "mean ± std over seeds. Adam, batch-angle augmentation (lr, batch size per row's CSV).",
        "",
        "| model | epochs | train | params | seeds | val error (%) | test error (%) | paper (%) "
        "| wall-clock / run | total | train img/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    curves = {}
    for (model, epochs, limit), rs in groups.items():
        walls = [_num(r.get("wall_s")) for r in rs]
        paper = PAPER.get(model)
        lines.append(
            f"| {model} | {epochs} | {limit or 'all'} | {rs[0].get('params', '')} "
            f"| {len(rs)} ({', '.join(r['seed'] for r in rs)}) "
            f"| {_pm([_num(r.get('val_error')) for r in rs])} "
            f"| {_pm([_num(r.get('test_error')) for r in rs])} "
            f"| {'' if paper is None else f'{paper:.2f}'} "
            f"| {_hms(_mean_std(walls)[0])} | {_hms(sum(w for w in walls if not math.isnan(w)))} "
            f"| {_pm([_num(r.get('images_per_s')) for r in rs], 1.0, 0)} |"
        )
        cols = sorted(k for k in rs[0] if k.startswith("err_deg_"))
        if cols:
            per_bin = [_mean_std([_num(r.get(c)) for r in rs]) for c in cols]
            label = model if len(groups) == len({g[0] for g in groups}) else f"{model} e{epochs}"
            std = [s * 100 for _, s in per_bin] if len(rs) > 1 else None
            curves[label] = (bin_centres(len(cols)), [m * 100 for m, _ in per_bin], std)
    test_n = sorted({r.get("test_n", "") for r in rows})
    lines += [
        "",
        f"Test digits per run: {', '.join(test_n)}. Paper: Cohen & Welling (2016), Table 1, "
        "on the original MNIST-rot files (ours is the same recipe on a fresh draw); "
        "empty where the paper has no such model. Std is the sample std over seeds.",
        "",
        f"![test error against input angle]({study}-angle.png)",
        "",
    ]
    md = Path(out) / f"{study}.md"
    _atomic_text(md, "\n".join(lines))
    png = Path(out) / f"{study}-angle.png"
    if curves:
        title = f"{study}: test error against input angle (mean over seeds, band ±1 std)"
        plot_angle_error(curves, png, title=title)
    return md, png


def default_runner(
    data: str = "rotmnist", progress: bool = True, devices: int = 1, num_nodes: int = 1
) -> Runner:
    """Train with :func:`gconv.experiments.train` (resuming), flatten the per-angle errors into
    ``err_deg_<lo>`` columns."""

    def run(spec: RunSpec, run_dir: Path) -> dict:
        from ._train import TrainConfig, train

        cfg = TrainConfig(
            model=spec.model, data=data, epochs=spec.epochs, batch_size=spec.batch_size,
            lr=spec.lr, augment=spec.augment, seed=spec.seed, limit_train=spec.limit_train,
            limit_test=spec.limit_test, out=str(run_dir), devices=devices, num_nodes=num_nodes,
            resume=True, progress=progress,
        )  # fmt: skip
        rec = train(cfg)
        bins = rec.pop("angle_error", [])
        row = {k: rec[k] for k in ("params", "best_epoch", "val_error", "test_error", "test_n",
                                   "wall_s", "images_per_s") if k in rec}  # fmt: skip
        row.update({f"err_deg_{round(k * 360 / len(bins)):03d}": v for k, v in enumerate(bins)})
        return row

    return run
