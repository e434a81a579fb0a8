# SPDX-License-Identifier: MIT
"""The public API is typed: every function, and every class's ``__init__``/``forward``, in the
``__all__`` of gconv's packages annotates its parameters (``*args``/``**kwargs`` aside) and
functions their return. A new public name without hints fails here, naming it."""

from __future__ import annotations

import importlib
import inspect

import pytest

PACKAGES = (
    "groups", "nn", "spherical", "equivariance", "models", "data", "experiments", "benchmark",
)  # fmt: skip


def _callables(package: str) -> list[tuple[str, object]]:
    module = importlib.import_module(f"gconv.{package}")
    out = []
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isfunction(obj):
            out.append((name, obj))
        elif inspect.isclass(obj):
            out += [
                (f"{name}.{attr}", obj.__dict__[attr])
                for attr in ("__init__", "forward")
                if inspect.isfunction(obj.__dict__.get(attr))
            ]
    return out


def _unannotated(name: str, fn: object) -> list[str]:
    sig = inspect.signature(fn)
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    bad = [
        p.name
        for p in sig.parameters.values()
        if p.name not in ("self", "cls") and p.kind not in skip and p.annotation is p.empty
    ]
    if not name.endswith("__init__") and sig.return_annotation is sig.empty:
        bad.append("return")
    return bad


@pytest.mark.parametrize("package", PACKAGES)
def test_public_callables_are_annotated(package: str) -> None:
    missing = {n: b for n, fn in _callables(package) if (b := _unannotated(n, fn))}
    assert not missing, f"gconv.{package}: public callables without type hints: {missing}"


def test_the_check_sees_a_missing_hint() -> None:
    def f(x, y: int):  # noqa: ANN001, ANN202
        return x

    assert _unannotated("f", f) == ["x", "return"]


def test_the_package_ships_its_hints() -> None:
    """PEP 561: a ``py.typed`` marker beside gconv's modules, listed as package data so that
    wheels carry it (type checkers ignore the hints of an installed package without it)."""
    import importlib.resources
    from pathlib import Path

    assert importlib.resources.files("gconv").joinpath("py.typed").is_file()
    tomllib = pytest.importorskip("tomllib")  # Python ≥ 3.11
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["gconv"]
