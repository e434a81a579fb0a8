# SPDX-License-Identifier: MIT
"""The bad-input table: every public callable of the packages below (classes and functions in
``__all__``, exception classes excepted) has at least one row in ``rows_<package>.py`` (or in a
``rows_<package>_<part>.py`` beside it, where one file would grow long) that calls it with a bad
argument and expects a ValueError/TypeError whose message says what was expected and what came.
A new public name without a row fails ``test_every_public_callable_has_a_row``
(see docs/extending.md)."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from pathlib import Path

import pytest

PACKAGES = (
    "groups",
    "nn",
    "spherical",
    "equivariance",
    "models",
    "data",
    "experiments",
    "benchmark",
)
_HERE = Path(__file__).parent


def _table(package: str):
    """The rows of ``rows_<package>.py`` and of any ``rows_<package>_<part>.py``."""
    rows = []
    for path in [_HERE / f"rows_{package}.py", *sorted(_HERE.glob(f"rows_{package}_*.py"))]:
        spec = importlib.util.spec_from_file_location(f"_bad_rows_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert module.PACKAGE == f"gconv.{package}", path
        rows += module.ROWS
    return rows


TABLES = {p: _table(p) for p in PACKAGES}
CASES = [
    pytest.param(p, row, id=f"{p}.{row.name}[{i}]")
    for p, rows in TABLES.items()
    for i, row in enumerate(rows)
]


def public_callables(package: str) -> set[str]:
    """Names in ``gconv.<package>.__all__`` that are functions or classes, not exceptions."""
    module = importlib.import_module(f"gconv.{package}")
    names = set()
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            continue
        if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
            names.add(name)
    return names


@pytest.mark.parametrize(("package", "row"), CASES)
def test_bad_input_is_refused(package, row, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # rows that touch files touch only this folder
    monkeypatch.setenv("GCONV_CACHE", "")
    assert issubclass(row.exc, (ValueError, TypeError)), row.exc
    with pytest.raises(row.exc, match=row.match):
        row.call()


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_callable_has_a_row(package):
    covered = {row.name for row in TABLES[package]}
    missing = sorted(public_callables(package) - covered)
    assert not missing, (
        f"gconv.{package}: public callables without a bad-input row in "
        f"tests/bad_inputs/rows_{package}.py: {', '.join(missing)}"
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_rows_name_public_callables(package):
    stale = sorted({row.name for row in TABLES[package]} - public_callables(package))
    assert not stale, f"rows_{package}.py names what gconv.{package} does not export: {stale}"
