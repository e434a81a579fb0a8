# SPDX-License-Identifier: MIT
"""Bad inputs for the studies of ``gconv.experiments``: their specs, budgets, decision rules,
planning, shards, merging and reports (the rest: ``rows_experiments.py``)."""

from __future__ import annotations

from _bad_row import Row

from gconv import experiments as x

PACKAGE = "gconv.experiments"


def _study(**kw):
    spec = x.get_study("rotmnist")
    return x.StudySpec(**{**{f: getattr(spec, f) for f in spec.__dataclass_fields__}, **kw})


ROWS = [
    Row("Arm", lambda: x.Arm("p4cnn", 0), ValueError, r"epochs must be a positive int, got 0"),
    Row(
        "Budget",
        lambda: x.Budget(epochs_scale=-1.0),
        ValueError,
        r"epochs_scale must be positive, got -1.0",
    ),
    Row(
        "RunSpec",
        lambda: x.RunSpec(0, "p4cnn", 0, epochs=0),
        ValueError,
        r"epochs must be a positive int, got 0",
    ),
    Row("StudySpec", lambda: _study(arms=()), ValueError, r"needs at least one arm"),
    Row(
        "DecisionRule",
        lambda: x.DecisionRule("best", "c", "l", True, ("a", "none"), (("b", "none"),)),
        ValueError,
        r"mode must be 'beats-all' or 'first-within', got 'best'",
    ),
    Row(
        "DecisionRule",
        lambda: x.DecisionRule("beats-all", "c", "l", True, ("a", "none"), ()),
        ValueError,
        r"needs at least one candidate",
    ),
    Row(
        "render_decision",
        lambda: x.render_decision("rule", []),
        TypeError,
        r"render_decision: expected a DecisionRule, got str",
    ),
    Row(
        "StudySpec",
        lambda: _study(budgets={"full": x.Budget()}),
        ValueError,
        r"budgets need the full one and 'smoke', got \['full'\]",
    ),
    Row(
        "Budget",
        lambda: x.Budget(precision="half"),  # type: ignore[arg-type]
        ValueError,
        r"Budget: precision must be one of .*, got 'half'",
    ),
    Row("get_study", lambda: x.get_study("nope"), ValueError, r"unknown study 'nope'; known"),
    Row("list_studies", lambda: x.list_studies("all"), TypeError, r"takes 0 positional arguments"),
    Row(
        "merge",
        lambda: x.merge(None, "."),
        TypeError,
        r"study must be a study name \(str\), got NoneType",
    ),
    Row("parse_shard", lambda: x.parse_shard("3/2"), ValueError, r"0 <= K < N, got '3/2'"),
    Row("plan", lambda: x.plan("nope"), ValueError, r"unknown study 'nope'; known"),
    Row(
        "plan",
        lambda: x.plan("rotmnist", epochs_scale=0),
        ValueError,
        r"epochs_scale must be positive, got 0",
    ),
    Row(
        "register_study",
        lambda: x.register_study("rotmnist"),
        TypeError,
        r"expects a StudySpec, got str",
    ),
    Row(
        "render_report",
        lambda: x.render_report("rotmnist", []),
        TypeError,
        r"expected a StudySpec \(get_study\(name\)\), got str",
    ),
    Row(
        "split_recipes",
        lambda: x.split_recipes([{"model": "p4cnn", "seed": "0"}]),
        ValueError,
        r"expected study CSV rows \(dicts with 'model' and 'epochs'\), got \['model', 'seed'\]",
    ),
    Row(
        "run_study",
        lambda: x.run_study("rotmnist", [], ".", lambda run: {}, shard=(2, 2)),
        ValueError,
        r"shard K/N needs ints 0 <= K < N, got K=2, N=2",
    ),
    Row(
        "select_shard",
        lambda: x.select_shard([], 2, 2),
        ValueError,
        r"shard K/N needs ints 0 <= K < N, got K=2, N=2",
    ),
    Row(
        "write_report", lambda: x.write_report("nope", [], "."), ValueError, r"unknown study 'nope'"
    ),
]
