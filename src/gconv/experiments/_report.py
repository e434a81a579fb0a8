# SPDX-License-Identifier: MIT
"""A study's report: ``<study>.md`` (mean ± std over seeds per model and budget, the reference
figures beside ours) and ``<study>-angle.png`` (test error against input angle). The markdown
is a function of the study spec and the CSV rows alone (:func:`render_report`)."""

from __future__ import annotations

import functools
import math
import os
import statistics
from collections.abc import Sequence
from pathlib import Path

from .._util import atomic_write_text, format_duration
from ._conditions import NOT_RECORDED, is_recorded
from ._decision import render_decision
from ._spec import DEFAULT_PRECISION, StudySpec, get_study, recipe_digest
from ._tasks import get_task

__all__ = ["render_report", "split_recipes", "write_report"]

Curves = dict[str, tuple[list[float], list[float], list[float] | None]]


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


#: the table's own columns and the seed: the run key's other columns make a recipe
_NOT_RECIPE = ("model", "seed", "epochs", "augment", "limit_train")
#: recipe columns shown by a short digest (the run folder's ``-k<digest>`` for model_kwargs)
_DIGESTED = ("optim", "data_kwargs", "model_kwargs")


def _table_key(r: dict) -> tuple[str, ...]:
    return (r["model"], r["epochs"], r.get("limit_train", ""), r.get("augment", ""))


def _recipe_cell(k: str, v: str) -> str:
    if k in _DIGESTED and v:
        return f"{k} {recipe_digest(v)}"
    return f"{k} {v or '—'}"


def split_recipes(rows: Sequence[dict]) -> list[dict]:
    """``rows`` with every run of an earlier recipe renamed, so that no table, plot or decision
    rule pools two recipes. Rows sharing (model, epochs, training-set size, augmentation) but
    not the other run-key columns (lr, batch size, optimiser, data and model arguments, test
    size) are different recipes; the recipe of the group's last row keeps the model's name,
    the others become ``"model [lr 0.0004]"`` (the columns that differ from the last row's).

    >>> rows = [{"model": "m", "epochs": "4", "lr": lr} for lr in ("0.0004", "0.0008")]
    >>> [r["model"] for r in split_recipes(rows)]
    ['m [lr 0.0004]', 'm']
    """
    bad = next((r for r in rows if not isinstance(r, dict) or not {"model", "epochs"} <= set(r)), 0)
    if bad != 0:
        got = sorted(bad) if isinstance(bad, dict) else type(bad).__name__
        raise ValueError(
            f"split_recipes: expected study CSV rows (dicts with 'model' and 'epochs'), got {got}"
        )
    from ._study import _KEY  # lazily: _study imports this module

    recipe = [k for k in _KEY if k not in _NOT_RECIPE]
    last = {_table_key(r): r for r in rows}
    out = []
    for r in rows:
        ref = last[_table_key(r)]
        diff = [_recipe_cell(k, r.get(k) or "") for k in recipe
                if (r.get(k) or "") != (ref.get(k) or "")]  # fmt: skip
        out.append({**r, "model": f"{r['model']} [{', '.join(diff)}]"} if diff else r)
    return out


def _groups(rows: Sequence[dict]) -> dict[tuple[str, ...], list[dict]]:
    """Rows by (model, epochs, training-set size, augmentation), in order of first appearance."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for r in rows:
        groups.setdefault(_table_key(r), []).append(r)
    return groups


def _curves(groups: dict[tuple[str, ...], list[dict]]) -> Curves:
    """Per group: (bin centres in degrees, mean test error per bin in %, std or None). Groups
    with fewer than two bins holding an error are left out: one bin is no curve over the angle
    (spherical test digits have no planar angle, so all of them fall in bin 0)."""
    from ._plots import bin_centres

    curves: Curves = {}
    plain = len(groups) == len({g[0] for g in groups})
    for (model, epochs, _, _), rs in groups.items():
        cols = sorted(k for k in rs[0] if k.startswith("err_deg_"))
        if sum(any(not math.isnan(_num(r.get(c))) for r in rs) for c in cols) < 2:
            continue
        per_bin = [_mean_std([_num(r.get(c)) for r in rs]) for c in cols]
        std = [s * 100 for _, s in per_bin] if len(rs) > 1 else None
        label = model if plain else f"{model} e{epochs}"
        curves[label] = (bin_centres(len(cols)), [m * 100 for m, _ in per_bin], std)
    return curves


#: what the table's "best epoch" column means
BEST_EPOCH_NOTE = (
    "Best epoch: per seed, the epoch (1 to the epochs column) whose checkpoint the test metrics "
    "come from, chosen on validation. A run whose best epoch is its last may still have been "
    "improving."
)


def _best_epochs(rs: Sequence[dict]) -> str:
    """Per seed, the selected epoch counted from 1 (the CSV's ``best_epoch`` counts from 0;
    "—" where a run recorded none).

    >>> _best_epochs([{"best_epoch": "9"}, {"best_epoch": "5"}, {"best_epoch": "-1"}, {}])
    '10, 6, —, —'
    """
    out = []
    for r in rs:
        e = _num(r.get("best_epoch"))
        out.append("—" if math.isnan(e) or e < 0 else str(int(e) + 1))
    return ", ".join(out)


def render_report(spec: StudySpec, rows: Sequence[dict]) -> str:
    """The markdown report of ``rows`` (a study CSV's rows, as strings)."""
    if not isinstance(spec, StudySpec):
        raise TypeError(
            f"render_report: expected a StudySpec (get_study(name)), got {type(spec).__name__}"
        )
    metrics = spec.metrics or get_task(spec.task).report
    rows = split_recipes(rows)
    groups = _groups(rows)
    show_aug = len({k[3] for k in groups}) > 1
    heads = ["model", "epochs", "train", *(["augment"] if show_aug else []), "params", "seeds",
             "best epoch"]  # fmt: skip
    heads += [h for _, h in metrics]
    heads += [spec.reference_label, "wall-clock / run", "total", "train img/s"]
    recorded = any(is_recorded(r.get("load_mean")) or is_recorded(r.get("torch_threads"))
                   for r in rows)  # fmt: skip
    if recorded:  # only studies with recorded runs get these columns (older CSVs render as before)
        heads += ["threads", "load mean / max"]
    mixed = any(r.get("precision") for r in rows)  # a budget's precision (empty: float32)
    heads += ["precision"] if mixed else []
    lines = [f"# Study `{spec.name}`", ""]
    if spec.intro:
        lines += [spec.intro, ""]
    lines += ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for (model, epochs, limit, aug), rs in groups.items():
        walls = [_num(r.get("wall_s")) for r in rs]
        ref = spec.reference.get(f"{model}|{aug}", spec.reference.get(model))
        cells = [model, epochs, limit or "all", *([aug] if show_aug else [])]
        cells += [rs[0].get("params", ""), f"{len(rs)} ({', '.join(r['seed'] for r in rs)})"]
        cells += [_best_epochs(rs)]
        cells += [_pm([_num(r.get(col)) for r in rs]) for col, _ in metrics]
        cells += ["" if ref is None else f"{ref:.2f}", format_duration(_mean_std(walls)[0])]
        cells += [format_duration(sum(w for w in walls if not math.isnan(w)))]
        cells += [_pm([_num(r.get("images_per_s")) for r in rs], 1.0, 0)]
        cells += _condition_cells(rs) if recorded else []
        used = {r.get("precision") or DEFAULT_PRECISION for r in rs}
        cells += [", ".join(sorted(used))] if mixed else []
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    samples = ", ".join(sorted({r.get("test_n", "") for r in rows}))
    fields = getattr(spec, "note_fields", None)  # a study's own placeholders (spherical-seg)
    lines += ["", spec.notes.format(samples=samples, **(fields(rows) if fields else {})), ""]
    lines += [BEST_EPOCH_NOTE, ""]
    if recorded:
        lines += [_conditions_note(rows), ""]
    if spec.angle_spread:
        lines += _spread_section(groups)
    if _curves(groups):  # the figure write_report draws
        lines += [
            f"![test error against input angle]({figure_file(spec.name, 'angle')})",
            "",
        ]
    for rule in spec.decisions:
        lines += render_decision(rule, rows)
    if spec.nr_r and any(not math.isnan(_num(r.get(spec.nr_r[1][0]))) for r in rows):
        links = [f"![{alt}]({figure_file(spec.name, n)})" for n, alt in NR_R_FIGURES.items()]
        lines += [*links, ""]
    sections = getattr(spec, "report_sections", None)  # a study's own sections (e.g. gan)
    if callable(sections):
        lines += sections(rows)
    return "\n".join(lines)


@functools.lru_cache
def _expected_range(k: int) -> float:
    """E[max − min] of k independent standard normal samples (∫ 1 − Φᵏ − (1 − Φ)ᵏ dx).

    >>> round(_expected_range(2), 4)  # 2/√π
    1.1284
    """
    step = 1e-3
    xs = [-10.0 + step * i for i in range(20_001)]
    cdf = [0.5 * (1.0 + math.erf(x / math.sqrt(2.0))) for x in xs]
    return step * sum(1.0 - c**k - (1.0 - c) ** k for c in cdf)


def _spread_section(groups: dict[tuple[str, ...], list[dict]]) -> list[str]:
    """Per group: max − min of the test error over the input-angle bins of each run (mean ±
    std over seeds) and, for scale, the expected max − min if the error did not depend on the
    angle: each bin a binomial sample of test_n / bins digits at the run's test error (normal
    approximation; the test angles are uniform, so bins hold about test_n / bins digits)."""
    rows_out = []
    for (model, epochs, limit, aug), rs in groups.items():
        cols = sorted(k for k in rs[0] if k.startswith("err_deg_"))
        if not cols:
            continue
        spreads, noise = [], []
        for r in rs:
            errs = [_num(r.get(c)) for c in cols]
            p, n = _num(r.get("test_error")), _num(r.get("test_n")) / len(cols)
            spreads.append(max(errs) - min(errs) if not any(map(math.isnan, errs)) else math.nan)
            sd = math.sqrt(p * (1 - p) / n) if n > 0 and 0 <= p <= 1 else math.nan
            noise.append(sd * _expected_range(len(cols)))
        width = 360 // len(cols)
        cells = [model, epochs, limit or "all", aug, f"{len(rs)}", f"{width}° × {len(cols)}"]
        cells += [_pm(spreads), _pm(noise)]
        rows_out.append("| " + " | ".join(str(c) for c in cells) + " |")
    if not rows_out:
        return []
    heads = ["model", "epochs", "train", "augment", "seeds", "bins", "spread (pp)",
             "from noise alone (pp)"]  # fmt: skip
    return [
        "## Spread of test error over input angle",
        "",
        "Per run, max − min of the test error over the bins of input angle (percentage "
        "points), then mean ± std over seeds. Beside it, the spread binomial noise alone "
        "would give if the error did not depend on the angle (each bin about test digits / "
        "bins at the run's test error; normal approximation). Equivariance to finer rotations "
        "should bring the first towards the second.",
        "",
        "| " + " | ".join(heads) + " |",
        "|" + "---|" * len(heads),
        *rows_out,
        "",
    ]


def _condition_cells(rs: Sequence[dict]) -> list[str]:
    """Threads (distinct values) and the 1-minute load average (mean of the runs' means / max
    of their maxima) over a group's recorded runs; "not recorded" where none is."""
    threads = sorted({str(r["torch_threads"]) for r in rs if is_recorded(r.get("torch_threads"))})
    means = [_num(r["load_mean"]) for r in rs if is_recorded(r.get("load_mean"))]
    maxima = [_num(r["load_max"]) for r in rs if is_recorded(r.get("load_max"))]
    load = f"{statistics.fmean(means):.1f} / {max(maxima):.1f}" if means and maxima else None
    part = f" ({len(means)} of {len(rs)} runs)" if load and len(means) < len(rs) else ""
    return [", ".join(threads) or NOT_RECORDED, (load or NOT_RECORDED) + part]


def _conditions_note(rows: Sequence[dict]) -> str:
    """The footnote of the condition columns: what was sampled, and the commands."""
    commands = sorted({r["command"] for r in rows if is_recorded(r.get("command"))})
    cpus = sorted({str(r["cpu_count"]) for r in rows if is_recorded(r.get("cpu_count"))})
    shown = "; ".join(f"`{c}`" for c in commands) or NOT_RECORDED
    return (
        "Threads: torch threads per process. Load: the machine's 1-minute load average sampled "
        f"at the start, every 30 s and at the end of each run (CPUs: {', '.join(cpus) or '?'}); "
        f"each run's command, start time and samples are in the CSV. Commands: {shown}."
    )


def write_report(study: str, rows: Sequence[dict], out: str | os.PathLike) -> list[Path]:
    """Write ``out/<study>.md`` (:func:`render_report`); when the rows hold per-angle errors in
    two bins or more, ``out/<study>-angle.png`` (test error against input angle, mean over
    seeds); for studies with ``nr_r``, the figures of ``_study_plots.py``. Those of its figures
    that an earlier call left and these rows do not support are deleted. Returns the files
    written, markdown first."""
    from ._plots import plot_angle_error

    spec = get_study(study)
    rows = split_recipes(rows)
    md = atomic_write_text(Path(out) / f"{study}.md", render_report(spec, rows))
    written = [md]
    if spec.nr_r:
        from ..data import dataset_spec
        from ._study_plots import plot_nr_r_figures

        (nr, nr_label), (r, r_label) = spec.nr_r
        n = dataset_spec(spec.data).split_sizes.get("train")
        written += plot_nr_r_figures(study, rows, (nr, r), (nr_label, r_label), out, n)
    curves = _curves(_groups(rows))
    if curves:
        title = f"{study}: test error against input angle (mean over seeds, band ±1 std)"
        written.append(
            plot_angle_error(curves, Path(out) / figure_file(study, "angle"), title=title)
        )
    figures = getattr(spec, "write_figures", None)  # a study's own plots (e.g. gan)
    if callable(figures):
        written += figures(rows, out)
    _remove_stale_figures(study, out, written)
    return written


#: the NR/R figures ``_study_plots.plot_nr_r_figures`` draws, by name, with the report's alt text
NR_R_FIGURES = {
    "samples": "R test metric against rotated training samples",
    "params": "R test metric against parameters",
    "nr-r": "NR against R test metric",
}
#: the figures write_report itself may draw, ``<study>-<name>.png``
_OWN_FIGURES = ("angle", *NR_R_FIGURES)


def figure_file(study: str, name: str) -> str:
    """``<study>-<name>.png``: the one spelling of the file names of write_report's own figures
    (the paths drawn, linked from the report, and removed when stale)."""
    if name not in _OWN_FIGURES:
        raise ValueError(f"figure name must be one of {_OWN_FIGURES}, got {name!r}")
    return f"{study}-{name}.png"


def _remove_stale_figures(study: str, out: str | os.PathLike, written: list[Path]) -> None:
    """Delete this report's own figures that an earlier call drew and these rows no longer
    support (e.g. an angle figure after the rows lost their second angle bin), so that the
    folder never shows a figure beside a report that does not link it."""
    kept = {Path(p).resolve() for p in written}
    for name in _OWN_FIGURES:
        png = Path(out) / figure_file(study, name)
        if png.resolve() not in kept:
            png.unlink(missing_ok=True)
