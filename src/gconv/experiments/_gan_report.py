# SPDX-License-Identifier: MIT
"""The GAN study's own report sections: the Fréchet distance per discriminator and data
fraction with the decision rule, and its plot against the data fraction.

Decision rule (issue 19): at a data fraction, p4 is better if its mean score beats z2's by more
than twice the pooled seed standard deviation, ``mean_z2 − mean_p4 > 2·s_pooled`` with
``s_pooled = √((s_z2² + s_p4²) / 2)`` (sample stds over seeds; equal seed counts), lower being
better for the Fréchet distance; z2 is better under the mirrored rule; otherwise undecided.
The Fréchet distance is computed on our own RotatedMNIST Z2CNN's features: **not the Inception
FID**, and not comparable with the paper's numbers.
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Sequence
from pathlib import Path

__all__ = ["current_recipe", "decide", "fd_table", "gan_report_sections", "plot_fd"]

#: training digits of RotatedMNIST (the 100 % fraction)
TRAIN_DIGITS = 10_000
_MODELS = ("gan-d-z2", "gan-d-p4")
_LABELS = {"gan-d-z2": "z2", "gan-d-p4": "p4"}
#: what makes a recipe besides the model, data fraction and seed (CSV columns)
_RECIPE_COLUMNS = ("lr", "batch_size", "model_kwargs")


def current_recipe(rows: Sequence[dict]) -> tuple[list[dict], int]:
    """The rows of the last row's recipe (D's lr, batch size, GAN settings) and how many rows
    of other recipes were left out: a CSV that still holds runs of an earlier recipe never mixes
    them into one mean.

    >>> rows = [{"lr": "0.0004", "batch_size": "64"}, {"lr": "0.0008", "batch_size": "32"}]
    >>> current_recipe(rows)
    ([{'lr': '0.0008', 'batch_size': '32'}], 1)
    """
    if not rows:
        return [], 0
    want = tuple(str(rows[-1].get(c, "")) for c in _RECIPE_COLUMNS)
    kept = [r for r in rows if tuple(str(r.get(c, "")) for c in _RECIPE_COLUMNS) == want]
    return kept, len(rows) - len(kept)


def _num(v: object) -> float:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _fraction(row: dict) -> float:
    n = _num(row.get("limit_train"))
    return 1.0 if math.isnan(n) else n / TRAIN_DIGITS


def _stats(values: Sequence[float]) -> tuple[float, float, int]:
    vals = [v for v in values if not math.isnan(v)]
    if not vals:
        return math.nan, math.nan, 0
    return statistics.fmean(vals), statistics.stdev(vals) if len(vals) > 1 else math.nan, len(vals)


def decide(z2: tuple[float, float], p4: tuple[float, float]) -> str:
    """``"p4 better"``, ``"z2 better"`` or ``"undecided"`` for (mean, std) of a lower-is-better
    score under the rule above; ``"undecided (needs ≥ 2 seeds)"`` without stds.

    >>> decide((10.0, 1.0), (7.0, 1.0)), decide((10.0, 1.0), (9.0, 1.0))
    ('p4 better', 'undecided')
    """
    (mz, sz), (mp, sp) = z2, p4
    if any(math.isnan(v) for v in (mz, sz, mp, sp)):
        return "undecided (needs ≥ 2 seeds)"
    pooled = math.sqrt((sz**2 + sp**2) / 2)
    if mz - mp > 2 * pooled:
        return "p4 better"
    if mp - mz > 2 * pooled:
        return "z2 better"
    return "undecided"


def fd_table(rows: Sequence[dict], column: str = "test_fd") -> dict[float, dict[str, tuple]]:
    """fraction → model → (mean, std, seeds) of ``column`` over the rows."""
    out: dict[float, dict[str, tuple]] = {}
    for frac in sorted({_fraction(r) for r in rows}):
        out[frac] = {
            m: _stats(
                [_num(r.get(column)) for r in rows if r["model"] == m and _fraction(r) == frac]
            )  # fmt: skip
            for m in _MODELS
        }
    return out


def _fmt(m: float, s: float) -> str:
    if math.isnan(m):
        return "—"
    return f"{m:.4g}" + ("" if math.isnan(s) else f" ± {s:.2g}")


def gan_report_sections(rows: Sequence[dict], name: str = "gan") -> list[str]:
    """Markdown lines: the Fréchet-distance table with the decision per fraction, the scorer
    accuracy on generated digits, the plot's link; only the rows of the latest recipe
    (:func:`current_recipe`)."""
    rows, dropped = current_recipe(rows)
    table = fd_table(rows)
    acc = fd_table(rows, "test_gen_acc")
    lines = [
        "## Fréchet distance (our RotatedMNIST Z2CNN's features — NOT the Inception FID)",
        "",
        "Lower is better. Test digits against as many generated ones (same labels); mean ± "
        "sample std over seeds. Decision rule: p4 is better at a fraction if mean(z2) − "
        "mean(p4) > 2 × pooled std, pooled std = √((s_z2² + s_p4²)/2); z2 better if mirrored; "
        "otherwise undecided."
        + (f" ({dropped} CSV row(s) of an earlier recipe left out.)" if dropped else ""),
        "",
        "| data fraction | z2 FD | p4 FD | z2 − p4 | 2 × pooled std | decision "
        "| Z2CNN acc. on generated z2 / p4 (%) |",
        "|---|---|---|---|---|---|---|",
    ]
    for frac, by in table.items():
        (mz, sz, nz), (mp, sp, np_) = by["gan-d-z2"], by["gan-d-p4"]
        pooled = math.sqrt((sz**2 + sp**2) / 2) if nz > 1 and np_ > 1 else math.nan
        a = [acc[frac][m] for m in _MODELS]
        cells = [f"{frac:.0%} ({round(frac * TRAIN_DIGITS):,} digits)", _fmt(mz, sz),
                 _fmt(mp, sp), _fmt(mz - mp, math.nan), _fmt(2 * pooled, math.nan),
                 decide((mz, sz), (mp, sp)),
                 " / ".join(_fmt(m * 100, s * 100) for m, s, _ in a)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    verdicts = [decide(by["gan-d-z2"][:2], by["gan-d-p4"][:2]) for by in table.values()]
    lines += ["", "Dey et al. (2021) report the p4 discriminator better, most so with little "
              f"data. Here: {_claim(list(table), verdicts)}", "",
              f"![Fréchet distance against data fraction]({name}-fd.png)", ""]  # fmt: skip
    return lines


def _claim(fracs: list[float], verdicts: list[str]) -> str:
    better = [f"{f:.0%}" for f, v in zip(fracs, verdicts, strict=True) if v == "p4 better"]
    worse = [f"{f:.0%}" for f, v in zip(fracs, verdicts, strict=True) if v == "z2 better"]
    if better and not worse:
        return f"p4 better at {', '.join(better)}; undecided elsewhere (confirms where decided)."
    if worse and not better:
        return f"z2 better at {', '.join(worse)} (refutes it there); undecided elsewhere."
    if better and worse:
        return f"p4 better at {', '.join(better)}, z2 better at {', '.join(worse)} (mixed)."
    return "undecided at every fraction (neither confirmed nor refuted at these budgets)."


def plot_fd(rows: Sequence[dict], path: str | os.PathLike, title: str = "") -> Path:
    """Mean test Fréchet distance (± seed std) against data fraction, one line per
    discriminator (rows of the latest recipe); saved atomically."""
    from ._plots import _pyplot, save_figure

    table = fd_table(current_recipe(rows)[0])
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for m, colour in zip(_MODELS, ("#d62728", "#1f77b4"), strict=True):
        pts = [(f * 100, by[m][0], by[m][1]) for f, by in table.items() if by[m][2]]
        if pts:
            x, y, s = zip(*pts, strict=True)
            err = [0.0 if math.isnan(v) else v for v in s]
            ax.errorbar(x, y, yerr=err, marker="o", capsize=3, color=colour, label=_LABELS[m])
    ax.set_xscale("log")
    ax.set_xlabel("training digits used (%)")
    ax.set_ylabel("Fréchet distance (Z2CNN features)")
    ax.set_title(title or "GAN: FD on our Z2CNN features (NOT Inception FID)", fontsize=9)
    ax.legend()
    return save_figure(fig, path)
