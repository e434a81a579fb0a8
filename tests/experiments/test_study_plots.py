# SPDX-License-Identifier: MIT
"""The NR/R figures of the spherical studies from fake CSV rows: samples seen, files, report."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gconv.experiments import get_study, plan
from gconv.experiments._report import render_report, write_report
from gconv.experiments._study_plots import (
    _aug_markers,
    _model_colours,
    plot_nr_r_figures,
    rotated_samples,
)


@pytest.mark.parametrize(
    ("augment", "want"),
    [("none", 0.0), ("rotate-25", 10 * 1000 * 0.25), ("rotate-100", 10_000.0),
     ("copies-4", 40_000.0), ("batch-angle", math.nan)],
)  # fmt: skip
def test_rotated_samples(augment: str, want: float) -> None:
    got = rotated_samples({"augment": augment, "epochs": "10", "limit_train": "1000"})
    assert (math.isnan(got) and math.isnan(want)) or got == want


def test_rotated_samples_of_a_whole_split() -> None:
    """A run on the whole training split (empty ``limit_train`` in its CSV row) counts the
    split's size when it is given, and nan when not."""
    row = {"augment": "rotate-100", "epochs": "60", "limit_train": ""}
    assert rotated_samples(row, 55_000) == 60 * 55_000
    assert math.isnan(rotated_samples(row))
    assert rotated_samples({**row, "limit_train": "1000"}, 55_000) == 60 * 1000
    assert rotated_samples({**row, "augment": "none"}) == 0.0


def _rows(study: str, r_col: str, nr_col: str) -> list[dict]:
    spec = get_study(study)
    b = spec.budget("cpu")
    rows = []
    for run in plan(spec, None, b.epochs_scale, b.limit_train, b.limit_test, None, b):
        row = {k: str(getattr(run, k)) for k in ("model", "seed", "epochs", "augment")}
        row |= {"limit_train": str(run.limit_train), "params": str(1000 + len(run.model))}
        row |= {nr_col: str(0.1 + 0.01 * run.seed), r_col: str(0.5 - 0.1 * (run.augment != "none"))}
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    ("study", "nr", "r"),
    [("spherical-cls", "test_error", "test_r_error"), ("spherical-seg", "test_miou", "test_r_miou")],
)  # fmt: skip
def test_report_writes_the_three_figures(tmp_path: Path, study: str, nr: str, r: str) -> None:
    rows = _rows(study, r, nr)
    written = write_report(study, rows, tmp_path)
    # it returns exactly the files it wrote (these rows have no per-angle errors: no -angle.png)
    assert written[0] == tmp_path / f"{study}.md"
    assert sorted(written) == sorted(tmp_path.iterdir())
    assert not (tmp_path / f"{study}-angle.png").exists()
    for name in ("samples", "params", "nr-r"):
        png = tmp_path / f"{study}-{name}.png"
        assert png.stat().st_size > 5_000 and png.read_bytes()[:4] == b"\x89PNG"
    md = render_report(get_study(study), rows)
    assert f"({study}-nr-r.png)" in md and "R test" in md
    assert all(f"]({png.name})" in md for png in written[1:])  # each figure drawn is linked


def test_whole_training_set_has_no_sample_count() -> None:
    assert math.isnan(rotated_samples({"augment": "rotate-50", "epochs": "3", "limit_train": ""}))
    assert rotated_samples({"augment": "none", "epochs": "3"}) == 0.0


def test_no_rotated_metric_no_figures(tmp_path: Path) -> None:
    rows = [{"model": "cnn", "seed": "0", "epochs": "1", "augment": "none", "test_error": "0.1"}]
    assert plot_nr_r_figures("x", rows, ("test_error", "test_r_error"), ("NR", "R"), tmp_path) == []
    assert not list(tmp_path.iterdir())
    with pytest.raises(ValueError, match="pairs"):
        plot_nr_r_figures("x", rows, ("test_error",), ("NR", "R"), tmp_path)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("study", "n_models"),
    [("spherical-cls", 0), ("spherical-seg", 0), (None, 3), (None, 13), (None, 20), (None, 25)],
)
def test_every_point_has_its_own_colour_and_marker(study: str | None, n_models: int) -> None:
    """No two (model, augmentation) points of the NR–R figure share colour and marker, in the
    registered studies and in made-up ones past the 10-colour cycle (distinct up to 20 models)."""
    if study is None:
        augs = ["none", "rotate-100", "copies-4", "batch-angle"]
        rows = [{"model": f"m{i}", "augment": a} for i in range(n_models) for a in augs]
    else:
        rows = _rows(study, "r", "nr")
    colours, markers = _model_colours(rows), _aug_markers(rows)
    looks = {(str(colours[r["model"]]), markers[r["augment"]]) for r in rows}
    pairs = {(r["model"], r["augment"]) for r in rows}
    if len(colours) <= 20:
        assert len(looks) == len(pairs)
        assert len({str(c) for c in colours.values()}) == len(colours)
    assert len(set(markers.values())) == len(markers)
    known = [
        a for a in ("none", "rotate-25", "rotate-50", "rotate-100", "copies-4") if a in markers
    ]
    assert list(markers)[: len(known)] == known  # the legend's order of augmentations


def test_no_angle_figure_from_a_single_bin(tmp_path: Path) -> None:
    """Spherical runs record the test error in bin 0 only (no planar angle): the report draws
    no angle figure and links none; with two bins holding errors it draws and links one."""
    rows = _rows("spherical-cls", "test_r_error", "test_error")
    bins = [f"err_deg_{15 * k:03d}" for k in range(24)]
    for row in rows:
        row |= {c: "nan" for c in bins} | {bins[0]: row["test_error"]}
    written = write_report("spherical-cls", rows, tmp_path)
    assert not (tmp_path / "spherical-cls-angle.png").exists()
    assert tmp_path / "spherical-cls-angle.png" not in written
    assert "-angle.png" not in render_report(get_study("spherical-cls"), rows)
    for row in rows:
        row[bins[1]] = "0.2"
    written = write_report("spherical-cls", rows, tmp_path)
    assert tmp_path / "spherical-cls-angle.png" in written
    assert "(spherical-cls-angle.png)" in render_report(get_study("spherical-cls"), rows)


def test_a_figure_the_rows_no_longer_support_is_removed(tmp_path: Path) -> None:
    """Rewriting a report from rows without a second angle bin, or without R metrics, deletes
    the figures an earlier call drew from richer rows; a file the report does not own stays."""
    rows = _rows("spherical-cls", "test_r_error", "test_error")
    bins = [f"err_deg_{15 * k:03d}" for k in range(24)]
    for row in rows:
        row |= {c: "nan" for c in bins} | {bins[0]: "0.1", bins[1]: "0.2"}
    own = tmp_path / "spherical-cls-notes.png"
    own.write_bytes(b"kept")
    first = write_report("spherical-cls", rows, tmp_path)
    assert tmp_path / "spherical-cls-angle.png" in first
    assert sorted(tmp_path.iterdir()) == sorted([*first, own])  # nothing just drawn is removed
    for row in rows:
        row[bins[1]] = "nan"
        row["test_r_error"] = "nan"
    written = write_report("spherical-cls", rows, tmp_path)
    assert written == [tmp_path / "spherical-cls.md"]
    assert sorted(tmp_path.iterdir()) == sorted([*written, own])
    assert own.read_bytes() == b"kept"


def test_angle_figure_gives_every_model_its_own_style(tmp_path: Path) -> None:
    """Up to 20 models of the angle figure: no two lines share colour and line style."""
    from gconv.experiments._plots import plot_angle_error

    curves = {f"m{i}": ([7.5, 22.5], [1.0 + i, 2.0], None) for i in range(20)}
    curves["p4cnn"] = ([7.5, 22.5], [3.0, 3.0], None)
    plt = pytest.importorskip("matplotlib.pyplot")
    seen = []
    real_close = plt.close

    def keep(fig) -> None:  # noqa: ANN001
        seen.extend((ln.get_color(), ln.get_linestyle()) for ln in fig.axes[0].get_lines())
        real_close(fig)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plt, "close", keep)
        plot_angle_error(curves, tmp_path / "a.png")
    styles = [s for s in seen if s[0] != "0.8"]  # drop the quarter-turn guides
    assert len(styles) == 21 and len(set(styles)) == 21
