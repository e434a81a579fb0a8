# SPDX-License-Identifier: MIT
"""The figures of a study tested on a non-rotated (NR) and a rotated (R) test set (issue 15):

- ``<study>-samples.png``: the R test metric against the number of rotated training samples
  the model saw (0 without augmentation; ``rotate-p``: epochs × n × p/100; ``copies-k``:
  epochs × k × n), one line per model, models trained without rotations as horizontal lines;
- ``<study>-params.png``: the R test metric against the parameter count, one line per
  augmentation;
- ``<study>-nr-r.png``: NR against R test metric, one point per (model, augmentation), with the
  diagonal (equal on both test sets).

Points are means over seeds with ±1 sample std as error bars. Which two CSV columns hold the NR
and R metric is the study's ``nr_r`` (``StudySpec``). A model keeps its colour in every figure
of a study (matplotlib's 10-colour cycle, ``tab20`` beyond 10 models) and an augmentation its
marker, so no two points of ``-nr-r.png`` look alike.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

from ._plots import _pyplot, save_figure
from ._report import _mean_std, _num, figure_file

__all__ = ["plot_nr_r_figures", "rotated_samples"]

Point = tuple[float, float, float]  # x, mean, std (nan: one seed)

#: marker per augmentation, in this order; others take the remaining ones in order of appearance
_MARKERS = {"none": "o", "rotate-25": "s", "rotate-50": "D", "rotate-100": "^", "copies-4": "v"}
_SPARE_MARKERS = ("P", "X", "*", "h", "<", ">", "p", "d")


def _model_colours(rows: Sequence[dict]) -> dict[str, object]:
    """One colour per model in order of first appearance: ``C0``–``C9`` for up to 10 models,
    else ``tab20`` (distinct up to 20, then repeating)."""
    models = list(dict.fromkeys(str(r.get("model", "")) for r in rows))
    if len(models) <= 10:
        return {m: f"C{i}" for i, m in enumerate(models)}
    cmap = _pyplot().get_cmap("tab20")
    return {m: cmap(i % 20) for i, m in enumerate(models)}


def _aug_markers(rows: Sequence[dict]) -> dict[str, str]:
    """One marker per augmentation (``_MARKERS``, then spares in order of appearance), in the
    order of ``_MARKERS`` and then of appearance."""
    seen = dict.fromkeys(str(r.get("augment", "")) for r in rows)
    augs = [a for a in _MARKERS if a in seen] + [a for a in seen if a not in _MARKERS]
    spare = iter(m for m in _SPARE_MARKERS if m not in _MARKERS.values())
    return {a: _MARKERS[a] if a in _MARKERS else next(spare, "o") for a in augs}


def rotated_samples(row: dict, train_size: int | None = None) -> float:
    """Rotated training samples one run saw: 0 (``none``), epochs × n × p/100 (``rotate-p``),
    epochs × k × n (``copies-k``), where n is the row's ``limit_train`` or, for a run on the
    whole training split (no ``limit_train``), ``train_size``; nan for an unknown augmentation
    or when n is unknown."""
    aug = str(row.get("augment", ""))
    if aug == "none":
        return 0.0
    limit = str(row.get("limit_train", "") or "")
    try:
        epochs = int(row["epochs"])
        n = int(limit) if limit not in ("", "None") else int(train_size)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):  # no epochs, or the whole split of unknown size
        return math.nan
    kind, _, value = aug.partition("-")
    if kind == "rotate":
        return epochs * n * (float(value) / 100 if value else 1.0)
    if kind == "copies" and value:
        return epochs * n * float(value)
    return math.nan


def _by(rows: Sequence[dict], *keys: str) -> dict[tuple[str, ...], list[dict]]:
    out: dict[tuple[str, ...], list[dict]] = {}
    for r in rows:
        out.setdefault(tuple(str(r.get(k, "")) for k in keys), []).append(r)
    return out


def _errorbar(ax, pts: list[Point], label: str, **kw) -> None:  # noqa: ANN001, ANN003
    pts = sorted(p for p in pts if not math.isnan(p[1]))
    if pts:
        xs, ms, ss = zip(*pts, strict=True)
        yerr = [0.0 if math.isnan(s) else s for s in ss]
        ax.errorbar(xs, ms, yerr=yerr, ms=4, capsize=3, label=label, **{"marker": "o", **kw})


def _samples_figure(
    rows: Sequence[dict], r_col: str, label: str, path: Path, title: str, train_size: int | None
) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    colours = _model_colours(rows)
    for (model,), rs in _by(rows, "model").items():
        pts = [(rotated_samples(g[0], train_size), *_mean_std([_num(r.get(r_col)) for r in g]))
               for g in _by(rs, "augment", "epochs", "limit_train").values()]  # fmt: skip
        if all(p[0] == 0 for p in pts):  # trained without rotations only: a reference line
            m, _ = _mean_std([_num(r.get(r_col)) for r in rs])
            if not math.isnan(m):
                ax.axhline(
                    m, ls="--", lw=1.2, label=f"{model} (no rotations)", color=colours[model]
                )
            continue
        _errorbar(ax, [p for p in pts if not math.isnan(p[0])], model, color=colours[model])
    ax.set_xscale("symlog", linthresh=1e4)
    ax.set_xlabel("rotated training samples seen (0 = no augmentation)")
    ax.set_ylabel(label)
    ax.set_title(title)
    ax.grid(color="0.92")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return save_figure(fig, path)


def _params_figure(rows: Sequence[dict], r_col: str, label: str, path: Path, title: str) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    markers = _aug_markers(rows)
    for (aug,), rs in _by(rows, "augment").items():
        pts = [(_num(g[0].get("params")), *_mean_std([_num(r.get(r_col)) for r in g]))
               for g in _by(rs, "model").values()]  # fmt: skip
        _errorbar(ax, [p for p in pts if not math.isnan(p[0])], aug, marker=markers[aug])
    ax.set_xscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel(label)
    ax.set_title(title)
    ax.grid(color="0.92")
    ax.legend(title="augmentation", fontsize=8, frameon=False)
    return save_figure(fig, path)


def _nr_r_figure(rows: Sequence[dict], cols: tuple[str, str], labels: tuple[str, str],
                 path: Path, title: str) -> Path:  # fmt: skip
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 5.0))
    lo, hi = math.inf, -math.inf
    colours, markers = _model_colours(rows), _aug_markers(rows)
    rank_m, rank_a = ({k: i for i, k in enumerate(d)} for d in (colours, markers))
    groups = sorted(  # the legend by model, then augmentation
        _by(rows, "model", "augment").items(), key=lambda kv: (rank_m[kv[0][0]], rank_a[kv[0][1]])
    )
    for (model, aug), g in groups:
        (x, sx), (y, sy) = (_mean_std([_num(r.get(c)) for r in g]) for c in cols)
        if math.isnan(x) or math.isnan(y):
            continue
        lo, hi = min(lo, x, y), max(hi, x, y)
        err = {k: 0.0 if math.isnan(s) else s for k, s in (("xerr", sx), ("yerr", sy))}
        style = {"color": colours[model], "marker": markers[aug]}
        ax.errorbar(x, y, ms=5, capsize=2, label=f"{model}, {aug}", **style, **err)
    if lo < hi:
        ax.plot([lo, hi], [lo, hi], color="0.6", lw=0.8, ls=":", zorder=0)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title)
    ax.grid(color="0.92")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    return save_figure(fig, path)


def plot_nr_r_figures(
    study: str,
    rows: Sequence[dict],
    cols: tuple[str, str],
    labels: tuple[str, str],
    out: str | os.PathLike,
    train_size: int | None = None,
) -> list[Path]:
    """Write the three figures of the module doc for ``rows`` (a study CSV's rows) whose NR and
    R metrics are the columns ``cols`` (axis labels ``labels``) into ``out``; returns the paths
    (none when no row has both metrics). ``train_size``: the training split's size, for runs
    on all of it (rows without ``limit_train``)."""
    if len(cols) != 2 or len(labels) != 2:
        raise ValueError(f"cols and labels must be (NR, R) pairs, got {cols!r} and {labels!r}")
    rows = [r for r in rows if not math.isnan(_num(r.get(cols[1])))]
    if not rows:
        return []
    out = Path(out)
    note = "mean ± std over seeds"
    return [
        _samples_figure(rows, cols[1], labels[1], out / figure_file(study, "samples"),
                        f"{study}: R test metric against rotated samples seen ({note})",
                        train_size),
        _params_figure(rows, cols[1], labels[1], out / figure_file(study, "params"),
                       f"{study}: R test metric against parameters ({note})"),
        _nr_r_figure(rows, cols, labels, out / figure_file(study, "nr-r"),
                     f"{study}: NR against R test metric ({note})"),
    ]  # fmt: skip
