# SPDX-License-Identifier: MIT
"""gconv._util: one cache folder (and what an empty GCONV_CACHE means), the atomic writer,
the table printer, the duration format, the validators."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gconv import _util


def test_cache_dir_unset_path_and_empty(monkeypatch, tmp_path):
    monkeypatch.delenv("GCONV_CACHE", raising=False)
    assert _util.cache_dir("data") == Path.home() / ".cache" / "gconv" / "data"
    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))
    assert _util.cache_dir() == tmp_path and _util.cache_dir("a", "b") == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()  # nothing is created
    monkeypatch.setenv("GCONV_CACHE", "")
    assert _util.cache_dir() is None and _util.cache_dir("data") is None


def test_data_cache_follows_the_one_meaning(monkeypatch, tmp_path):
    from gconv import data
    from gconv.data import DATASETS, MissingFileError, find_file, lookup_dirs

    monkeypatch.setenv("GCONV_CACHE", str(tmp_path))
    assert data.cache_dir() == tmp_path / "data"
    assert lookup_dirs("mnist")[-1] == ("cache", tmp_path / "data" / "mnist")
    monkeypatch.setenv("GCONV_CACHE", "")
    monkeypatch.setenv("GCONV_DATA", str(tmp_path / "nothing"))
    monkeypatch.setattr("gconv.data._files.SYSTEM_ROOTS", ())
    assert data.cache_dir() is None
    assert [label for label, _ in lookup_dirs("mnist")] == ["GCONV_DATA"]
    with pytest.raises(MissingFileError, match='GCONV_CACHE="" disables the cache'):
        find_file(DATASETS["mnist"].files["test-labels"])


def test_atomic_write_text_replaces_whole_files(tmp_path):
    target = tmp_path / "sub" / "report.md"
    assert _util.atomic_write_text(target, "first\n") == target
    _util.atomic_write_text(target, "second — ü\n")
    assert target.read_text(encoding="utf-8") == "second — ü\n"
    with pytest.raises(RuntimeError), _util.atomic_write(target) as f:
        f.write(b"half")
        raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == "second — ü\n"
    assert [p.name for p in target.parent.iterdir()] == ["report.md"]  # no temporary left


def test_print_table_plain_when_not_a_terminal(capsys):
    _util.print_table(["name", "n"], [["a", 1], ["longer", 22]], title="t")
    assert capsys.readouterr().out == "t\nname    n\na       1\nlonger  22\n"


def test_format_duration_minutes_then_hours():
    got = [_util.format_duration(s) for s in (0, 59.6, 252, 3599, 3600, 3900, 90061)]
    assert got == ["0m00s", "1m00s", "4m12s", "59m59s", "1h00m", "1h05m", "25h01m"]
    assert _util.format_duration(float("nan")) == "—"  # not recorded


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_check_positive_int(bad):
    with pytest.raises(ValueError, match="M: width must be a positive int"):
        _util.check_positive_int("M", "width", bad)
    assert _util.check_positive_int("M", "width", 3) == 3


def test_check_probability_and_choice():
    assert _util.check_probability("M", "dropout", 0.0) == 0.0
    for bad in (1.0, -0.1, True, "0.3"):
        with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
            _util.check_probability("M", "dropout", bad)
    assert _util.check_choice("M", "mode", "b", ["a", "b"]) == "b"
    with pytest.raises(ValueError, match=r"mode must be one of \('a', 'b'\), got 'c'"):
        _util.check_choice("M", "mode", "c", ["a", "b"])


def test_shape_error_is_a_value_error_everywhere():
    import gconv.data
    import gconv.experiments
    import gconv.models

    for package in (gconv.data, gconv.experiments, gconv.models):
        assert package.ShapeError is _util.ShapeError
    assert issubclass(_util.ShapeError, ValueError)


def test_cached_tensors_builds_outside_inference_mode_once() -> None:
    import torch

    from gconv._util import cached_tensors

    calls = []

    @cached_tensors(4)
    def table(n: int) -> torch.Tensor:
        calls.append(n)
        return torch.arange(n, dtype=torch.float64)

    with torch.inference_mode():
        first = table(3)
    assert not first.is_inference() and table(3) is first and calls == [3]
    w = torch.ones(3, dtype=torch.float64, requires_grad=True)
    (w * table(3)).sum().backward()  # autograd may save it
    assert torch.equal(w.grad, first)
    table.cache_clear()
    table(3)
    assert calls == [3, 3]


def test_atomic_write_gives_the_umask_mode_without_changing_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        seen = []
        real = os.umask
        with pytest.MonkeyPatch.context() as mp:  # a umask change would be seen here
            mp.setattr(os, "umask", lambda m: seen.append(m) or real(m))
            path = _util.atomic_write_text(tmp_path / "f.txt", "x")
        assert (path.stat().st_mode & 0o777) == 0o640
        assert seen == [] or not os.path.exists("/proc/self/status")
    finally:
        os.umask(old)


def test_file_lock_excludes_another_process(tmp_path):
    """While one process holds ``file_lock(path)``, another cannot take the lock (it would wait);
    once released, it can."""
    pytest.importorskip("fcntl")
    import subprocess
    import sys

    target = tmp_path / "rows.csv"
    probe = (
        "import fcntl, sys\n"
        "with open(sys.argv[1], 'a') as f:\n"
        "    try:\n"
        "        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "    except BlockingIOError:\n"
        "        sys.exit(3)\n"
    )

    def other_process_can_lock() -> bool:
        rc = subprocess.run([sys.executable, "-c", probe, f"{target}.lock"]).returncode
        assert rc in (0, 3), rc
        return rc == 0

    with _util.file_lock(target):
        assert not other_process_can_lock()
    assert other_process_can_lock()
