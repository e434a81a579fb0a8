# SPDX-License-Identifier: MIT
"""The gconv command line (core commands; sub-packages test their own commands)."""

from __future__ import annotations

import pytest

from gconv.cli import main


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "check-equivariance" in out and "demo" in out


@pytest.mark.parametrize(
    "model,group,size", [("lift", "p4", "9"), ("group-conv", "p4m", "9"), ("stack", "p4", "28")]
)
def test_check_equivariance_command(model, group, size, capsys):
    assert main(["check-equivariance", model, "--group", group, "--size", size]) == 0
    out = capsys.readouterr().out
    assert "verdict: equivariant" in out and "rot 270°" in out


def test_check_equivariance_unknown_model(capsys):
    assert main(["check-equivariance", "resnet"]) == 2
    assert "known:" in capsys.readouterr().err


@pytest.mark.parametrize("model", ["s2conv", "so3conv", "so3tos2"])
def test_check_equivariance_spherical(model, capsys):
    assert main(["check-equivariance", model, "--size", "4"]) == 0
    out = capsys.readouterr().out
    assert "Ry(π)" in out and "verdict: equivariant" in out


@pytest.mark.parametrize(
    "model,group,code,verdict",
    [
        ("p4cnn", "p4", 0, "verdict: equivariant"),
        ("p4cnn", "d2", 0, "verdict: equivariant"),  # 180° exact; mirrors measured
        ("z2cnn", "p4", 3, "verdict: nothing checkable exactly"),
        ("lift", "c2", 0, "verdict: equivariant"),
    ],
)
def test_check_equivariance_exit_status(model, group, code, verdict, capsys):
    """Exit 0 / 3 by verdict (exit 1, a failed exact row, is tested on the report)."""
    assert main(["check-equivariance", model, "--group", group, "--size", "28"]) == code
    assert verdict in capsys.readouterr().out
