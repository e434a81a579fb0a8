# SPDX-License-Identifier: MIT
"""Decision rules of a study, stated in its report and decided from its CSV rows alone.

A :class:`DecisionRule` compares a reference configuration (model, augmentation) with candidate
configurations on one metric column (e.g. the rotated test set's mIoU), with the margin
``2 × pooled seed std`` of each pair: ``s_p = √(((n₁−1)s₁² + (n₂−1)s₂²) / (n₁+n₂−2))`` over the
two groups' seeds (sample std). Two modes:

- ``"beats-all"``: the claim holds if the reference is better than every candidate by more than
  the margin (Gerken et al.'s segmentation claim: ``s2cnn-seg`` trained NR against each CNN of
  up to 1M parameters trained with full augmentation);
- ``"first-within"``: the first candidate, in the order given (smallest model first, then the
  augmentations in order), that comes within the margin of the reference (or is better), or
  "none" (the classification question: which CNN and augmentation reach the S2CNN).

A CSV with no run of the reference or of any compared configuration (e.g. a folder of
icosahedral runs only) gets one line saying so instead of an empty table.
Configurations with fewer than 2 seeds on either side cannot be decided and say so; nor can
rows where one configuration was trained at two settings (epochs × samples, e.g. two budgets
in one CSV): their seeds are not pooled.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DecisionRule", "render_decision"]


@dataclass(frozen=True)
class DecisionRule:
    """See the module docstring. ``candidates`` are ``(model, augment)`` pairs in the order of
    ``"first-within"``; ``extra`` pairs are compared and shown but outside the rule."""

    mode: str
    column: str
    label: str
    higher_is_better: bool
    reference: tuple[str, str]
    candidates: tuple[tuple[str, str], ...]
    extra: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in ("beats-all", "first-within"):
            raise ValueError(
                f"DecisionRule: mode must be 'beats-all' or 'first-within', got {self.mode!r}"
            )
        if not self.candidates:
            raise ValueError("DecisionRule: needs at least one candidate")


def _values(rows: Sequence[dict], model: str, augment: str, column: str) -> list[float]:
    """The column's values over the seeds of one configuration; ValueError where its rows
    were trained at more than one setting (epochs × training samples): never pool those."""
    out, settings = [], set()
    for r in rows:
        if r.get("model") == model and r.get("augment") == augment:
            try:
                v = float(r.get(column, ""))
            except (TypeError, ValueError):
                continue
            if not math.isnan(v):
                out.append(v)
                settings.add((r.get("epochs", ""), r.get("limit_train", "") or "all"))
    if len(settings) > 1:
        shown = ", ".join(f"{e} epochs × {n}" for e, n in sorted(settings))
        raise ValueError(f"{model} ({augment}) has runs at different settings ({shown})")
    return out


def _pooled(a: Sequence[float], b: Sequence[float]) -> float:
    if len(a) < 2 or len(b) < 2:
        return math.nan
    num = (len(a) - 1) * statistics.variance(a) + (len(b) - 1) * statistics.variance(b)
    return math.sqrt(num / (len(a) + len(b) - 2))


def _compare(rule: DecisionRule, ref: list[float], vals: list[float]) -> tuple[float, float]:
    """(advantage of the reference, margin): advantage > 0 where the reference is better."""
    if not ref or not vals:
        return math.nan, math.nan
    diff = statistics.fmean(ref) - statistics.fmean(vals)
    return (diff if rule.higher_is_better else -diff), 2 * _pooled(ref, vals)


def _pct(v: float) -> str:
    return "—" if math.isnan(v) else f"{100 * v:.2f}"


def render_decision(rule: DecisionRule, rows: Sequence[dict]) -> list[str]:
    """Markdown lines: the rule, one table row per compared configuration, the verdict."""
    if not isinstance(rule, DecisionRule):
        raise TypeError(f"render_decision: expected a DecisionRule, got {type(rule).__name__}")
    head = f"reference `{rule.reference[0]}` ({rule.reference[1]})"
    lines = ["## Decision rule", ""]
    pairs = (*rule.candidates, *rule.extra)
    try:
        ref = _values(rows, *rule.reference, rule.column)
        values = {pair: _values(rows, *pair, rule.column) for pair in pairs}
    except ValueError as err:
        return [*lines, f"**Not decided:** {err}; a rule compares runs of one budget, so write "
                "each budget to its own `--out` folder.", ""]  # fmt: skip
    if not ref and not any(values.values()):
        return [*lines, f"Not applied: none of these runs is the {head} or one of the "
                f"{len(pairs)} configurations it is compared with.", ""]  # fmt: skip
    if rule.mode == "beats-all":
        lines.append(f"The claim holds if the {head} is better on {rule.label} than each of the "
                     "candidates below by more than twice the pooled seed standard deviation.")  # fmt: skip
    else:
        lines.append(f"The first candidate below (smallest model first, then least augmentation) "
                     f"whose {rule.label} comes within twice the pooled seed standard deviation "
                     f"of the {head}, or is better, answers the question.")  # fmt: skip
    lines += ["", f"| configuration | seeds | {rule.label} (%) | reference better by (points) "
              "| margin 2·s_p (points) | in the rule |", "|---|---|---|---|---|---|"]  # fmt: skip
    m_ref = statistics.fmean(ref) if ref else math.nan
    lines.append(
        f"| {rule.reference[0]} ({rule.reference[1]}) | {len(ref)} | {_pct(m_ref)} | | | reference |"
    )
    results = []
    for pair, vals in values.items():
        adv, margin = _compare(rule, ref, vals)
        mean = statistics.fmean(vals) if vals else math.nan
        inside = pair in rule.candidates
        lines.append(f"| {pair[0]} ({pair[1]}) | {len(vals)} | {_pct(mean)} | {_pct(adv)} | "
                     f"{_pct(margin)} | {'yes' if inside else 'no (shown)'} |")  # fmt: skip
        if inside:
            results.append((pair, adv, margin))
    lines += ["", "**Verdict:** " + _verdict(rule, results), ""]
    return lines


def _verdict(rule: DecisionRule, results: list[tuple[tuple[str, str], float, float]]) -> str:
    undecided = [p for p, a, m in results if math.isnan(a) or math.isnan(m)]
    if rule.mode == "beats-all":
        if undecided:
            return ("not decidable yet: fewer than 2 seeds (or no run) for "
                    + ", ".join(f"{m} ({a})" for m, a in undecided) + " or the reference.")  # fmt: skip
        losers = [p for p, a, m in results if not a > m]
        if not losers:
            return (
                "the claim **holds**: the reference beats every candidate by more than the margin."
            )
        return (
            "the claim **does not hold** against "
            + ", ".join(f"{m} ({a})" for m, a in losers)
            + "."
        )
    for pair, adv, margin in results:
        if math.isnan(adv) or math.isnan(margin):
            return (f"not decidable yet: {pair[0]} ({pair[1]}) has fewer than 2 seeds (or no run), "
                    "or the reference has.")  # fmt: skip
        if adv <= margin:
            return f"**{pair[0]} ({pair[1]})** is the first candidate within the margin."
    return "**none** of the candidates comes within the margin of the reference."
