# SPDX-License-Identifier: MIT
"""Confusion matrices of a classifier's test sets, as ``gconv evaluate --confusion`` prints
them: the counts ``[true, predicted]`` and the most frequent confusions."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["confusion_tables", "top_confusions"]

Table = tuple[list[str], list[list[str]], str]


def _check(matrix: Sequence[Sequence[float]]) -> int:
    n = len(matrix)
    if n == 0 or any(len(row) != n for row in matrix):
        shape = [len(row) for row in matrix]
        raise ValueError(
            f"a confusion matrix must be square and non-empty, got row lengths {shape}"
        )
    return n


def top_confusions(
    matrix: Sequence[Sequence[float]], k: int = 5
) -> list[tuple[int, int, int, float]]:
    """The ``k`` largest off-diagonal cells as ``(true, predicted, count, share)``, where share
    is the count over all samples of the true class; ties in class order; zero cells left out."""
    n = _check(matrix)
    if not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise ValueError(f"k must be a non-negative int, got {k!r}")
    cells = [(int(matrix[t][p]), t, p) for t in range(n) for p in range(n) if t != p]
    cells = sorted((c for c in cells if c[0] > 0), key=lambda c: (-c[0], c[1], c[2]))[:k]
    return [(t, p, c, c / sum(matrix[t])) for c, t, p in cells]


def confusion_tables(confusion: dict[str, Sequence[Sequence[float]]], k: int = 5) -> list[Table]:
    """Per test set two tables ``(headers, rows, title)``: the matrix (rows: true class,
    columns: predicted) and its ``k`` most frequent confusions."""
    tables: list[Table] = []
    for name, m in confusion.items():
        n, label = _check(m), name.upper() if name != "test" else "test"
        rows = [[str(t), *(str(int(v)) for v in m[t]), str(int(sum(m[t])))] for t in range(n)]
        tables.append((["true \\ predicted", *map(str, range(n)), "total"], rows,
                       f"confusion matrix ({label})"))  # fmt: skip
        top = [[f"{t} → {p}", str(c), f"{100 * s:.2f} %"] for t, p, c, s in top_confusions(m, k)]
        tables.append((["true → predicted", "count", "of the true class"], top,
                       f"most frequent confusions ({label})"))  # fmt: skip
    return tables
