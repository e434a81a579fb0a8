# SPDX-License-Identifier: MIT
"""The GAN scores: the eigen-based Fréchet distance against scipy's sqrtm formula and known
Gaussian cases; the decision rule; the sample grid."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from gconv.experiments import frechet_distance, sample_grid
from gconv.experiments._gan_report import current_recipe, decide, fd_table, gan_report_sections


def _sqrtm_reference(a: np.ndarray, b: np.ndarray) -> float:
    """The usual formula with scipy.linalg.sqrtm of the (non-symmetric) product Σ_a Σ_b."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    cross = scipy.linalg.sqrtm(ca @ cb).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(ca + cb - 2 * cross))


def test_frechet_matches_sqrtm_formula():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 0.5
    ours = frechet_distance(torch.from_numpy(a), b)
    assert ours == pytest.approx(_sqrtm_reference(a, b), rel=1e-8)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)


def test_frechet_of_shifted_and_scaled_gaussians():
    """Same covariance, mean shift m: d² = ‖m‖²; covariance σ²I vs I: d² = D(σ − 1)²."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1000, 4))
    assert frechet_distance(x, x + np.array([1.0, 2.0, 0.0, 0.0])) == pytest.approx(5.0)
    assert frechet_distance(x, 3.0 * x) == pytest.approx(
        4 * (3.0 - 1.0) ** 2 * np.var(x, 0, ddof=1).mean(), rel=0.05
    )
    assert frechet_distance(x, x) < 1e-9


def test_decision_rule():
    assert decide((10.0, 1.0), (7.0, 1.0)) == "p4 better"  # 3 > 2·1
    assert decide((10.0, 1.0), (8.5, 1.0)) == "undecided"  # 1.5 < 2
    assert decide((7.0, 0.5), (10.0, 0.5)) == "z2 better"
    assert decide((10.0, math.nan), (7.0, 1.0)).startswith("undecided (needs")


def test_report_table_and_verdict():
    rows = [{"model": m, "limit_train": lt, "seed": str(s), "test_fd": str(v), "test_gen_acc": "0.5"}
            for m, base in (("gan-d-z2", 10.0), ("gan-d-p4", 6.0))
            for lt in ("1000", "")
            for s, v in enumerate((base - 0.1, base, base + 0.1))]  # fmt: skip
    table = fd_table(rows)
    assert sorted(table) == [0.1, 1.0]
    assert table[0.1]["gan-d-p4"][0] == pytest.approx(6.0) and table[1.0]["gan-d-z2"][2] == 3
    text = "\n".join(gan_report_sections(rows))
    assert "NOT the Inception FID" in text and text.count("p4 better") >= 2
    assert "confirms where decided" in text


def test_sample_grid_writes_a_png(tmp_path):
    path = sample_grid(torch.rand(20, 1, 28, 28), 10, tmp_path / "g.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in tmp_path.iterdir() if p.name != "g.png"]  # no temporary left


def test_report_leaves_out_rows_of_an_earlier_recipe():
    """Old-recipe rows (the first ones, say z2 much worse) change neither means nor verdicts."""
    old = {"lr": "0.0004", "batch_size": "64", "model_kwargs": "(('lr_g', 0.0001),)"}
    new = {"lr": "0.0008", "batch_size": "32", "model_kwargs": "(('lr_g', 0.0008),)"}
    rows = [{"model": m, "limit_train": "1000", "seed": str(s), "test_fd": str(v),
             "test_gen_acc": "0.5", **recipe}
            for recipe, fds in ((old, (300.0, 5.0)), (new, (10.0, 10.0)))
            for m, base in zip(("gan-d-z2", "gan-d-p4"), fds, strict=True)
            for s, v in enumerate((base - 0.1, base, base + 0.1))]  # fmt: skip
    kept, dropped = current_recipe(rows)
    assert dropped == 6 and all(r["lr"] == "0.0008" for r in kept) and len(kept) == 6
    text = "\n".join(gan_report_sections(rows))
    assert "6 CSV row(s) of an earlier recipe left out" in text
    assert "p4 better" not in text.split("Here:")[0] and "| 10 ± 0.1 | 10 ± 0.1 |" in text


def test_an_unreadable_scorer_cache_is_rebuilt_not_fatal(tmp_path):
    from gconv.experiments._gan_score import _cached

    bad = tmp_path / "scorer.pt"
    bad.write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.warns(UserWarning, match=r"scorer.pt: unreadable scorer cache .*training it again"):
        assert _cached(bad) is None
    torch.save({"something": 1}, bad)  # loads, but is not a scorer
    with pytest.warns(UserWarning, match=r"expected a dict with 'state_dict' and 'val_acc'"):
        assert _cached(bad) is None
    torch.save({"state_dict": {}, "val_acc": 0.9}, bad)
    assert _cached(bad)["val_acc"] == 0.9
    assert _cached(tmp_path / "absent.pt") is None and _cached(None) is None
