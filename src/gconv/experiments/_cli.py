# SPDX-License-Identifier: MIT
"""``gconv train``, ``gconv evaluate``, ``gconv study``. Registering them imports nothing heavy;
each command imports Lightning when it runs."""

from __future__ import annotations

import argparse
import math

from .._util import check_subparsers, print_table
from ..data import dataset_spec, list_datasets
from ..models import list_models, model_spec
from ._augment import list_augmentations
from ._cli_evaluate import add_evaluate
from ._cli_evaluate import pct as _pct
from ._spec import DEFAULT_PRECISION, PRECISIONS, Budget, StudySpec, get_study, list_studies
from ._tasks import get_task, list_tasks

__all__ = ["add_commands"]


def _trainable() -> list[str]:
    """Registered models with a task (not the single layers the checker demonstrates)."""
    return [n for n in list_models() if model_spec(n).task != "layer"]


def _float(v: object) -> float:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--devices", type=int, default=1, help="processes per node (default 1)")
    p.add_argument("--num-nodes", type=int, default=1, help="nodes (default 1)")
    p.add_argument("--accelerator", default="cpu", help="cpu (default), gpu, auto")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train``, ``evaluate`` and ``study`` to the ``gconv`` parser, and the training
    options to ``demo`` (which runs the training demo when the experiments extras import).
    Choices come from the registries (models, data sets, augmentations, studies)."""
    check_subparsers("add_commands", subparsers)
    _add_train(subparsers)
    add_evaluate(subparsers)
    _add_study(subparsers)
    demo = subparsers.choices.get("demo")
    if demo is not None:
        demo.add_argument("--out", default="demo-out", help="where the PNG and runs go")
        demo.add_argument("--epochs", type=int, help="override the demo's epochs per model")
        demo.add_argument("--limit-train", type=int, help="override the demo's training subset")
        demo.add_argument("--limit-test", type=int, help="override the demo's test subset")
        demo.add_argument("--no-progress", action="store_true", help="no progress bar")


def _minutes(text: str) -> float | None:
    """``--checkpoint-minutes``: a number >= 0, or ``off``."""
    if text == "off":
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected minutes >= 0 or 'off', got {text!r}")
    return value


def _add_train(subparsers: argparse._SubParsersAction) -> None:
    t = subparsers.add_parser(
        "train",
        help="train one model (checkpoints, logs, resume, DDP)",
        description="Train a registered model on a registered data set; select the epoch by "
        "the task's validation metric, report its test metrics. Checkpoints in "
        "OUT/checkpoints (last.ckpt every epoch and every --checkpoint-minutes inside one).",
    )
    t.add_argument("--model", default="p4cnn", choices=_trainable(), metavar="MODEL",
                   help=f"a registered model (default p4cnn): {', '.join(_trainable())}")  # fmt: skip
    t.add_argument("--data", default="rotmnist", choices=list_datasets())
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=1e-3, help="learning rate (default 1e-3)")
    t.add_argument("--optim", nargs="+", metavar="KEY=VALUE", type=_optim_item,
                   help="optimiser options (default: Adam; optimizer=adam|adamw|sgd), e.g. "
                   "optimizer=sgd momentum=0.9 weight_decay=1e-3 lr_decay=0.8 lr_decay_from=15; "
                   "ema=0.999 validates, checkpoints and tests a moving average of the weights; "
                   "label_smoothing=0.1 trains on smoothed targets; accumulate=8 steps "
                   "once per 8 batches on their mean gradient")  # fmt: skip
    t.add_argument("--model-arg", nargs="+", metavar="KEY=VALUE", type=_model_arg,
                   help="arguments of the model's builder over its defaults, e.g. r=5 or "
                   "channels=12,24,24,36,36,48,96 (a comma list is a tuple)")  # fmt: skip
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--augment", choices=list_augmentations(None),
                   help="default: batch-angle for grey-scale images, none otherwise")  # fmt: skip
    t.add_argument("--limit-train", type=int, help="use the first N training digits")
    t.add_argument("--limit-val", type=int, help="use the first N validation digits")
    t.add_argument("--limit-test", type=int, help="use the first N test digits")
    t.add_argument("--out", help="run directory (default runs/<model>-seed<seed>)")
    t.add_argument("--strategy", default="auto", help="Lightning strategy (auto → ddp if >1)")
    t.add_argument("--resume", action="store_true", help="continue from OUT/checkpoints/last.ckpt")
    t.add_argument("--checkpoint-minutes", type=_minutes, default=10.0, metavar="M",
                   help="also write last.ckpt inside an epoch every M minutes of training "
                   "(0: after every batch; 'off': at epoch ends only; default 10)")  # fmt: skip
    t.add_argument("--no-test", action="store_true", help="skip the final test")
    t.add_argument("--bn-recompute", type=int, default=0, metavar="N",
                   help="before each validation, recompute the batch norms' statistics at the "
                   "current weights over N training batches (default 0: running averages)")  # fmt: skip
    t.add_argument("--precision", default=DEFAULT_PRECISION, choices=PRECISIONS,
                   help="Lightning's precision (default 32-true; bf16-mixed: autocast, where "
                   "the spherical layers keep float32; 16-mixed: GPUs only)")  # fmt: skip
    t.add_argument("--task", choices=list_tasks(), help="default: the data set's task")
    t.add_argument("--bandwidth", type=int, help="spherical data: grid bandwidth b (model too)")
    t.add_argument("--rotate", choices=("NR", "R"), help="spherical data: train/valid rotations")
    t.add_argument("--test-rotate", nargs="+", choices=("NR", "R"), help="spherical test sets")
    t.add_argument("--val-size", type=int, help="cifar10: training images held out (5000)")
    _run_args(t)
    t.set_defaults(func=_cmd_train)


def _add_study(subparsers: argparse._SubParsersAction) -> None:
    s = subparsers.add_parser(
        "study",
        help="run a registered study → CSV, markdown table, plot",
        description="Run the study's runs (models × augmentations × data sizes × seeds) at a "
        "budget (default: the full one), skipping runs already in its CSV and resuming "
        "interrupted ones. --shard K/N runs runs with index i mod N = K (e.g. one SLURM array "
        "task per shard); --merge combines shards.",
    )
    s.add_argument("study", choices=list_studies())
    s.add_argument("--seeds", type=int, nargs="+", help="seeds (default: the study's)")
    s.add_argument("--models", nargs="+", choices=_trainable(), metavar="MODEL",
                   help="only these models (of the study's; names as gconv train --model)")  # fmt: skip
    s.add_argument("--augments", nargs="+", help="only these augmentations (default: all)")
    s.add_argument("--shard", help="K/N: run only runs with index mod N == K")
    s.add_argument("--merge", action="store_true", help="combine shard CSVs and write the report")
    s.add_argument("--report", action="store_true",
                   help="rewrite the report and figures from OUT/<study>.csv, running nothing "
                   "(e.g. after upgrading gconv)")  # fmt: skip
    s.add_argument("--budget", help="a budget of the study (e.g. paper, smoke; default the first)")
    s.add_argument(
        "--epochs-scale", type=float,
        help="scale epochs (default: the budget's; not for models whose epochs it fixes)",
    )  # fmt: skip
    s.add_argument("--limit-train", type=int, help="use the first N training samples")
    s.add_argument("--limit-test", type=int, help="use the first N test samples")
    s.add_argument("--out", default="results", help="output directory (default results/)")
    s.add_argument("--dry-run", action="store_true", help="list the runs and exit")
    _run_args(s)
    s.set_defaults(func=_cmd_study)


def _cmd_train(args: argparse.Namespace) -> int:
    from ._run_files import rank_zero
    from ._train import TrainConfig, train

    cfg = TrainConfig(
        model=args.model, data=args.data, task=args.task, epochs=args.epochs, batch_size=args.batch_size,
        lr=args.lr, augment=args.augment or _default_augment(args.model, args.data),
        seed=args.seed, optim=_optim(args.optim),
        model_kwargs=_model_kwargs(args.model, args.model_arg),
        limit_train=args.limit_train,
        limit_val=args.limit_val, limit_test=args.limit_test,
        out=args.out or f"runs/{args.model}-seed{args.seed}", devices=args.devices,
        num_nodes=args.num_nodes, accelerator=args.accelerator, strategy=args.strategy,
        resume=args.resume, progress=not args.no_progress, test=not args.no_test,
        checkpoint_minutes=args.checkpoint_minutes, bn_recompute=args.bn_recompute,
        precision=args.precision,
        data_kwargs={k: v for k in ("bandwidth", "rotate", "test_rotate", "val_size")
                     if (v := getattr(args, k)) is not None},
    )  # fmt: skip
    rec = train(cfg)
    if not rank_zero():
        return 0
    print_table(
        ["model", "params", "epochs", "best epoch", "val error", "test error", "wall", "img/s"],
        [[rec["model"], f"{rec['params']:,}", rec["epochs_done"], rec["best_epoch"],
          _pct(rec["val_error"]), _pct(rec.get("test_error", math.nan)),
          f"{rec['wall_s']:.0f} s", f"{rec['images_per_s']:.0f}"]],
        title=f"gconv train: {rec['model']} on {rec['data']}, seed {rec['seed']}",
    )  # fmt: skip
    print(f"best checkpoint: {rec['best_checkpoint']}  (last: {cfg.out}/checkpoints/last.ckpt)")
    return 0


def _default_augment(model: str, data: str) -> str:
    """batch-angle for grey-scale images (the rotated-MNIST recipe), else none."""
    grey = dataset_spec(data).sample_shape[:1] == (1,)
    return "batch-angle" if model_spec(model).input_kind == "image" and grey else "none"


def _optim_item(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` of ``--optim``: VALUE an int, a float, or a name."""
    key, eq, value = text.partition("=")
    if not (key and eq and value):
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    for kind in (int, float):
        try:
            return key, kind(value)
        except ValueError:
            pass
    return key, value


def _model_arg(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` of ``--model-arg``: VALUE as ``--optim``'s, or a comma list of them (a
    tuple)."""
    key, eq, value = text.partition("=")
    if not (key and eq and value):
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    if "," in value:
        return key, tuple(_optim_item(f"{key}={v}")[1] for v in value.split(",") if v)
    return _optim_item(text)


def _model_kwargs(model: str, items: list[tuple[str, object]] | None) -> dict[str, object]:
    """``--model-arg``'s items as the builder's keyword arguments; ValueError for a name the
    model's builder does not take."""
    kwargs = dict(items or ())
    params = model_spec(model).arguments()
    unknown = [] if params is None else sorted(set(kwargs) - set(params))
    if unknown and params is not None:  # unknown is empty without params
        raise ValueError(f"--model-arg: model {model!r} takes {sorted(params)}, got {unknown}")
    return kwargs


def _optim(items: list[tuple[str, object]] | None) -> dict[str, object]:
    """The task module's optimiser options from ``--optim`` (recipe keys but lr and
    batch_size, which have their own flags); ValueError naming a bad key or value."""
    from ._spec import OPTIM_KEYS, check_recipe

    optim = dict(items or ())
    own = sorted(set(optim) & {"lr", "batch_size"})
    if own:
        raise ValueError(f"--optim: set {own} with their own flags (--lr, --batch-size)")
    keys = list(OPTIM_KEYS)
    if set(optim) - set(keys):
        raise ValueError(f"--optim: keys must be in {keys}, got {sorted(optim)}")
    check_recipe("--optim", optim)
    return optim


def _plan(args: argparse.Namespace) -> list:
    from ._shards import parse_shard, select_shard
    from ._study import plan

    shard = parse_shard(args.shard) if args.shard else None
    spec = get_study(args.study)
    budget = spec.budget(args.budget)
    runs = plan(
        spec,
        args.seeds,
        budget.epochs_scale if args.epochs_scale is None else args.epochs_scale,
        budget.limit_train if args.limit_train is None else args.limit_train,
        budget.limit_test if args.limit_test is None else args.limit_test,
        args.models,
        budget,
        args.augments,
    )
    _check_overrides_apply(args, spec, budget, runs)
    return select_shard(runs, *shard) if shard else runs


def _check_overrides_apply(
    args: argparse.Namespace, spec: StudySpec, budget: Budget, runs: list
) -> None:
    """ValueError when --epochs-scale, --limit-train or --limit-test would not reach some
    runs: those whose budget (``per_model``) or arm fixes that value."""
    models, where = {r.model for r in runs}, f"budget {args.budget or 'default'!r}"
    pick = (
        f"pick another budget of study {args.study!r} ({', '.join(spec.budgets)}) or other --models"
    )
    for flag, key in (("epochs_scale", "epochs"), ("limit_train", "limit_train"),
                      ("limit_test", "limit_test")):  # fmt: skip
        value = getattr(args, flag)
        fixed = {m for m in models if key in budget.per_model.get(m, {})}
        if flag == "limit_train":
            fixed |= {a.model for a in spec.arms if a.limit_train is not None} & models
        if value is None or not fixed:
            continue
        names = ", ".join(sorted(fixed))
        if flag == "epochs_scale":
            raise ValueError(
                f"--epochs-scale {value:g}: {where} fixes the epochs (and lr schedule) of "
                f"{names}, so it cannot scale them; {pick}"
            )
        raise ValueError(
            f"--{flag.replace('_', '-')} {value}: {where} or the study's arms fix it for "
            f"{names}, so it would not apply there; {pick}"
        )


def _statuses(study: str, out: str, runs: list) -> list[list]:
    """``[index, name, status]`` of each run: in a CSV of ``out`` (the study's or a shard's:
    skipped), resumable from its checkpoint (epochs and batches done) or new."""
    from pathlib import Path

    from ._shards import csv_path, shard_paths
    from ._study import _row_key, checkpoint_progress, read_rows

    files = [csv_path(out, study), *shard_paths(out, study)]
    done = {_row_key(r): f.name for f in files for r in read_rows(f)}
    rows = []
    for r in runs:
        if r.key in done:
            status = f"done (in {done[r.key]})"
        elif at := checkpoint_progress(Path(out) / "runs" / study / r.name / "checkpoints"):
            status = f"resumes after {at[0]} of {r.epochs} epochs"
            status += f" and {at[1]} batches" if at[1] else ""
        else:
            status = "new"
        rows.append([r.index, r.name, status])
    return rows


def _rewrite_report(study: str, out: str) -> int:
    """``--report``: the report and figures of ``out/<study>.csv`` written anew."""
    from ._report import write_report
    from ._shards import csv_path, shard_paths
    from ._study import _log_report, read_rows

    path = csv_path(out, study)
    if not path.is_file():
        hint = " (shard files are there: join them with --merge)" if shard_paths(out, study) else ""
        raise FileNotFoundError(f"--report: no study CSV {path}{hint}")
    _log_report(write_report(study, read_rows(path), out), print)
    return 0


def _cmd_study(args: argparse.Namespace) -> int:
    if args.merge and args.report:
        raise ValueError("--merge already writes the report: give --merge or --report, not both")
    if args.report:
        return _rewrite_report(args.study, args.out)
    if args.merge:
        from ._study import merge

        path = merge(args.study, args.out)
        print(f"wrote {path}")
        return 0
    runs = _plan(args)
    if args.dry_run:
        print_table(["index", "run", "status"], _statuses(args.study, args.out, runs),
                    title=f"planned runs (status from {args.out})")  # fmt: skip
        return 0
    from ._run_files import rank_zero
    from ._shards import csv_path, parse_shard
    from ._study import default_runner, run_study

    shard = parse_shard(args.shard) if args.shard else None
    spec = get_study(args.study)
    dataset_spec(spec.data)  # a clear error before any run starts
    runner = default_runner(spec.data, not args.no_progress, args.devices, args.num_nodes,
                            spec.task, getattr(args, "command_line", None),
                            args.accelerator)  # fmt: skip
    rows = run_study(args.study, runs, args.out, runner, shard)
    if not rank_zero():
        return 0
    path = csv_path(args.out, args.study, shard)
    metrics = spec.metrics or get_task(spec.task).report
    print_table(
        ["model", "seed", "epochs", "params", *(h for _, h in metrics), "wall", "img/s"],
        [[r["model"], r["seed"], r["epochs"], r.get("params", ""),
          *(_pct(_float(r.get(c))) for c, _ in metrics), f"{_float(r.get('wall_s')):.0f} s",
          f"{_float(r.get('images_per_s')):.0f}"] for r in rows],
        title=f"study {args.study}: {path}",
    )  # fmt: skip
    return 0
