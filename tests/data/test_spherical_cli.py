# SPDX-License-Identifier: MIT
"""CLI hooks of spherical data: ``render`` and ``data make`` on a parser of their own (the
lead wires them into ``gconv``), and the rows ``data list`` prints."""

from __future__ import annotations

import argparse

import pytest

from gconv.data._spherical_cli import (
    cached_rows,
    parse_digits,
    register_cli,
    register_data_actions,
    verify_rows,
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gconv")
    sub = p.add_subparsers(dest="command", required=True)
    register_cli(sub)
    data = sub.add_parser("data").add_subparsers(dest="data_command", required=True)
    register_data_actions(data)
    return p


def test_parse_digits():
    assert parse_digits("1") == 1 and parse_digits("3") == 3 and parse_digits("1-4") == (1, 4)
    with pytest.raises(argparse.ArgumentTypeError, match="LO-HI"):
        parse_digits("one")


def test_make_then_list(data_root, capsys):
    args = _parser().parse_args(["data", "make", "-b", "4", "--split", "valid", "--rotate", "R"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "5,000" in out and "spherical-mnist-b4-R-d1-seed0-valid-v1.npz" in out
    names = [r[1] for r in cached_rows()]
    assert "spherical-mnist-b4-R-d1-seed0-valid-v1.npz" in names


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


def test_hooks_are_public_in_gconv_data():
    import gconv.data as data

    assert data.register_render_cli is register_cli
    assert data.register_spherical_data_actions is register_data_actions
    assert data.spherical_cached_rows is cached_rows


def test_verify_rows_detects_corruption(data_root):
    args = _parser().parse_args(["data", "make", "-b", "3", "--split", "valid"])
    assert args.func(args) == 0
    failures: list[str] = []
    rows = {r[1]: r for r in verify_rows(failures)}
    name = "spherical-mnist-b3-NR-d1-seed0-valid-v1.npz"
    assert rows[name][2] == "ok" and failures == []
    path = rows[name][3]
    with open(path, "r+b") as f:
        f.seek(-2000, 2)
        byte = f.read(1)
        f.seek(-2000, 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    rows = {r[1]: r for r in verify_rows(failures)}
    assert rows[name][2] == "CORRUPT" and len(failures) == 1
