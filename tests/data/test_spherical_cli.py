# SPDX-License-Identifier: MIT
"""CLI of spherical data through ``gconv``: ``render``, ``data make``, and the cached splits
that ``data list`` / ``data verify`` report through the dataset registry."""

from __future__ import annotations

import argparse

import pytest

from gconv.cli import build_parser, main
from gconv.data import dataset_spec
from gconv.data._spherical_cli import parse_digits


def _parser() -> argparse.ArgumentParser:
    return build_parser()


def test_parse_digits():
    assert parse_digits("1") == 1 and parse_digits("3") == 3 and parse_digits("1-4") == (1, 4)
    with pytest.raises(argparse.ArgumentTypeError, match="LO-HI"):
        parse_digits("one")


def test_make_then_list(data_root, capsys):
    args = _parser().parse_args(["data", "make", "-b", "4", "--split", "valid", "--rotate", "R"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "5,000" in out and "spherical-mnist-b4-R-d1-seed0-valid-v1.npz" in out
    names = [p.name for p in dataset_spec("spherical-mnist").cache_files()]
    assert "spherical-mnist-b4-R-d1-seed0-valid-v1.npz" in names
    assert main(["data", "list", "--dataset", "spherical-mnist"]) == 0
    assert "spherical-mnist-b4-R-d1-seed0-valid-v1.npz" in capsys.readouterr().out


def test_render_command(data_root, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "r.png"
    argv = ["render", "-b", "6", "--split", "valid", "--digits", "1-2", "-n", "2", "-o", str(out)]
    args = _parser().parse_args(argv)
    assert args.func(args) == 0
    assert out.read_bytes()[:4] == b"\x89PNG" and "wrote" in capsys.readouterr().out


def test_bad_values_exit_2(data_root, capsys):
    args = _parser().parse_args(["render", "-b", "0", "--split", "valid"])
    assert args.func(args) == 2
    assert "bandwidth" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        _parser().parse_args(["render", "--rotate", "X"])
    assert e.value.code == 2


def test_verify_detects_corruption(data_root, capsys):
    args = _parser().parse_args(["data", "make", "-b", "3", "--split", "valid"])
    assert args.func(args) == 0
    name = "spherical-mnist-b3-NR-d1-seed0-valid-v1.npz"
    spec = dataset_spec("spherical-mnist")
    path = next(p for p in spec.cache_files() if p.name == name)
    spec.verify_cache(path)  # intact: no error
    with open(path, "r+b") as f:
        f.seek(-2000, 2)
        byte = f.read(1)
        f.seek(-2000, 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    capsys.readouterr()
    assert main(["data", "verify", "--dataset", "spherical-mnist"]) == 1
    out = capsys.readouterr().out
    assert any(name in line and "CORRUPT" in line for line in out.splitlines())
