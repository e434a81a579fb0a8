# SPDX-License-Identifier: MIT
"""Decision rules of the study reports, decided from synthetic CSV rows with known answers."""

from __future__ import annotations

import math

import pytest

from gconv.experiments import DecisionRule, get_study, render_decision
from gconv.experiments._decision import _pooled


def _rows(values: dict[tuple[str, str], list[float]], column: str) -> list[dict]:
    return [{"model": m, "augment": a, "seed": str(i), column: str(v)}
            for (m, a), vs in values.items() for i, v in enumerate(vs)]  # fmt: skip


SEG = DecisionRule("beats-all", "miou", "R mIoU", True, ("s2", "none"),
                   (("c1", "rotate-100"), ("c2", "rotate-100")), extra=(("c3", "rotate-100"),))  # fmt: skip


def test_pooled_std_matches_the_formula() -> None:
    a, b = [1.0, 2.0, 4.0], [3.0, 3.5]
    want = math.sqrt((2 * 7 / 3 + 1 * 0.125) / 3)
    assert _pooled(a, b) == pytest.approx(want, rel=1e-12)
    assert math.isnan(_pooled([1.0], b))


@pytest.mark.parametrize(
    ("c2", "verdict"),
    [([0.60, 0.61, 0.62], "**holds**"),  # 9 points below, margin 2 points
     ([0.69, 0.70, 0.71], "**does not hold** against c2 (rotate-100)"),  # within the margin
     ([0.60], "not decidable yet")],
)  # fmt: skip
def test_beats_all(c2: list[float], verdict: str) -> None:
    rows = _rows({("s2", "none"): [0.70, 0.71, 0.72], ("c1", "rotate-100"): [0.50, 0.52, 0.51],
                  ("c2", "rotate-100"): c2, ("c3", "rotate-100"): [0.9, 0.9, 0.9]}, "miou")  # fmt: skip
    text = "\n".join(render_decision(SEG, rows))
    assert verdict in text
    assert "c3 (rotate-100) | 3 | 90.00" in text and "no (shown)" in text  # shown, not ruled


def test_first_within_picks_the_first_candidate_in_order() -> None:
    rule = DecisionRule("first-within", "err", "R error", False, ("s2", "none"),
                        (("small", "none"), ("small", "rotate-100"), ("big", "rotate-100")))  # fmt: skip
    base = {("s2", "none"): [0.05, 0.06, 0.07], ("small", "none"): [0.6, 0.62, 0.61]}
    hit = _rows(base | {("small", "rotate-100"): [0.08, 0.07, 0.075],
                        ("big", "rotate-100"): [0.04, 0.05, 0.045]}, "err")  # fmt: skip
    assert "**small (rotate-100)** is the first" in "\n".join(render_decision(rule, hit))
    miss = _rows(base | {("small", "rotate-100"): [0.3, 0.31, 0.32],
                         ("big", "rotate-100"): [0.2, 0.21, 0.22]}, "err")  # fmt: skip
    assert "**none**" in "\n".join(render_decision(rule, miss))


def test_runs_at_two_settings_are_not_pooled() -> None:
    rows = _rows({("s2", "none"): [0.70, 0.71, 0.72], ("c1", "rotate-100"): [0.50, 0.52, 0.51],
                  ("c2", "rotate-100"): [0.6, 0.6], ("c3", "rotate-100"): [0.9]}, "miou")  # fmt: skip
    for r in rows:
        r |= {"epochs": "10", "limit_train": "2000"}
    rows.append({"model": "s2", "augment": "none", "seed": "0", "epochs": "20",
                 "limit_train": "", "miou": "0.9"})  # fmt: skip
    text = "\n".join(render_decision(SEG, rows))
    assert "**Not decided:** s2 (none) has runs at different settings" in text
    assert "10 epochs × 2000, 20 epochs × all" in text and "Verdict" not in text
    assert "**holds**" in "\n".join(render_decision(SEG, rows[:-1]))


def test_a_csv_without_the_rules_configurations_gets_one_line() -> None:
    rows = _rows({("ico", "rotate-100"): [0.98, 0.97]}, "miou")
    text = "\n".join(render_decision(SEG, rows))
    assert "Not applied: none of these runs is the reference `s2` (none)" in text
    assert "3 configurations" in text and "|" not in text and "Verdict" not in text
    rows += _rows({("c3", "rotate-100"): [0.9]}, "miou")  # one compared run: the table is back
    text = "\n".join(render_decision(SEG, rows))
    assert "c3 (rotate-100) | 1 | 90.00" in text and "not decidable yet" in text


def test_the_spherical_studies_state_their_rules() -> None:
    seg = get_study("spherical-seg").decisions[0]
    assert seg.mode == "beats-all" and seg.reference == ("s2cnn-seg", "none")
    assert {m for m, _ in seg.candidates} == {"cnn-seg-218k", "cnn-seg-1m"}
    assert ("cnn-seg-5.5m", "rotate-100") in seg.extra
    cls = get_study("spherical-cls").decisions[0]
    assert cls.mode == "first-within" and cls.candidates[0] == ("cnn", "none")
