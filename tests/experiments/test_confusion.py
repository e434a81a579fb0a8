# SPDX-License-Identifier: MIT
"""The confusion summaries `gconv evaluate --confusion` prints."""

from __future__ import annotations

import random

import pytest

from gconv.experiments._confusion import confusion_tables, top_confusions


def test_top_confusions_orders_by_count_then_class_and_skips_zeros() -> None:
    m = [[50, 3, 0], [0, 40, 7], [3, 1, 46]]
    assert top_confusions(m, k=10) == [
        (1, 2, 7, 7 / 47),
        (0, 1, 3, 3 / 53),  # the tie with (2, 0) goes to the lower true class
        (2, 0, 3, 3 / 50),
        (2, 1, 1, 1 / 50),
    ]
    assert top_confusions(m, k=1) == [(1, 2, 7, 7 / 47)]
    assert top_confusions([[5, 0], [0, 5]]) == []


def test_top_confusions_match_a_brute_force_search() -> None:
    rng = random.Random(0)
    m = [[rng.randrange(20) for _ in range(10)] for _ in range(10)]
    got = top_confusions(m, k=5)
    off = sorted(((m[t][p], t, p) for t in range(10) for p in range(10) if t != p), reverse=True)
    assert [c for _, _, c, _ in got] == [c for c, _, _ in off[:5]]
    for t, p, c, share in got:
        assert m[t][p] == c and share == pytest.approx(c / sum(m[t]))


@pytest.mark.parametrize("bad", [[], [[1, 2]], [[1, 2], [3]]])
def test_non_square_matrices_are_refused(bad: list) -> None:
    with pytest.raises(ValueError, match="square and non-empty, got row lengths"):
        top_confusions(bad)


def test_tables_per_test_set() -> None:
    tables = confusion_tables({"nr": [[9, 1], [0, 10]], "r": [[8, 2], [3, 7]]}, k=1)
    assert [t for _, _, t in tables] == [
        "confusion matrix (NR)",
        "most frequent confusions (NR)",
        "confusion matrix (R)",
        "most frequent confusions (R)",
    ]
    headers, rows, _ = tables[2]
    assert headers == ["true \\ predicted", "0", "1", "total"]
    assert rows == [["0", "8", "2", "10"], ["1", "3", "7", "10"]]
    assert tables[3][1] == [["1 → 0", "3", "30.00 %"]]
