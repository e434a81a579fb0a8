# SPDX-License-Identifier: MIT
"""The gconv command line (core commands; sub-packages test their own commands)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gconv.cli import main
from gconv.models import list_models


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "check-equivariance" in out and "demo" in out


def test_version_names_the_package_and_torch(capsys):
    import importlib.metadata

    import torch

    import gconv

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"gconv {gconv.__version__} (torch {torch.__version__}")
    # pyproject reads the version from gconv.__version__: the installed metadata agrees
    installed = importlib.metadata.version("gconv")
    assert installed == gconv.__version__, f"installed metadata {installed}: reinstall (make venv)"


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


def test_check_equivariance_reads_the_registry(capsys):
    with pytest.raises(SystemExit):
        main(["check-equivariance", "--help"])
    out = re.sub(r"-\s+", "-", capsys.readouterr().out)  # argparse wraps after hyphens
    for name in list_models():
        assert name in out
    assert main(["check-equivariance", "resnet"]) == 2
    err = capsys.readouterr().err
    assert ", ".join(list_models()) in err


def test_check_equivariance_defaults_to_the_models_group(capsys):
    # p4mcnn is registered as exact for p4m: its mirrors are tested without --group
    assert main(["check-equivariance", "p4mcnn", "--angles"]) == 0
    out = capsys.readouterr().out
    assert "mirror, rot 270°" in out and "verdict: equivariant" in out
    # z2cnn claims no group: p4 is tested; its plain filters declare themselves inexact, so
    # nothing is checkable exactly (exit 3)
    assert main(["check-equivariance", "z2cnn", "--angles"]) == 3
    assert "mirror" not in capsys.readouterr().out


def test_check_equivariance_s2cnn_at_a_small_bandwidth(capsys):
    assert main(["check-equivariance", "s2cnn", "--size", "6", "--batch", "1"]) == 0
    out = capsys.readouterr().out
    assert "input bandwidth 6" in out and "S2CNN" in out and "verdict: equivariant" in out


def test_command_packages_are_optional(monkeypatch):
    """A package listed for commands that does not exist (e.g. gconv.benchmark before it is
    written) adds nothing; every existing one adds its commands."""
    from gconv import cli

    monkeypatch.setattr(cli, "_COMMAND_PACKAGES", ("gconv.data", "gconv.no_such_package"))
    names = set(cli.build_parser()._subparsers._group_actions[0].choices)
    assert {"data", "demo", "check-equivariance"} <= names and "train" not in names


def test_core_commands_work_without_the_extras():
    """`gconv --help`, check-equivariance and a study's dry run import no extra."""
    code = (
        "import sys\n"
        "for m in ('lightning', 'torchmetrics', 'matplotlib', 'rich'): sys.modules[m] = None\n"
        "from gconv.cli import main\n"
        "assert main(['check-equivariance', 'lift', '--size', '9']) == 0\n"
        "assert main(['study', 'rotmnist', '--dry-run', '--budget', 'smoke']) == 0\n"
    )
    src = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "verdict: equivariant" in done.stdout and "p4mcnn-coset-seed0-e1" in done.stdout
