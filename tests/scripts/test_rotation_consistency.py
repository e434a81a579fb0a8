# SPDX-License-Identifier: MIT
"""scripts/rotation_consistency.py: the counts of digits wrong in every copy, in some copies,
and the majority vote, on predictions built to have known answers."""

from __future__ import annotations

import torch


def test_summary_counts(script) -> None:
    m = script("rotation_consistency")
    labels = torch.tensor([0, 1, 2, 3, 6])
    preds = labels.repeat(4, 1)  # 4 copies, all right
    preds[:, 4] = 9  # digit 4 (a 6) is a 9 in every copy
    preds[0, 1] = 7  # digit 1 wrong in one copy of four: the vote is right
    preds[:3, 2] = 5  # digit 2 wrong in three copies: the vote is wrong
    lines = m.summary(preds, labels)
    text = "\n".join(lines)
    assert lines[0] == "5 digits x 4 rotations"
    assert lines[1] == "error per copy (%): 60.00 40.00 40.00 20.00"
    assert "mean error per copy: 40.00 % (8 of 20)" in text
    assert "wrong in all 4 copies: 1 digits (20.00 %)" in text
    assert "wrong in some, right in others: 2 digits (40.00 %), 4 of the 8" in text
    assert "majority vote over the 4 copies: 40.00 %" in text
    assert "all copies: 6->9: 4" in text and "some copies: 2->5: 3, 1->7: 1" in text
