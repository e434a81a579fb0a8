"""A classifier checkpoint's test error with its batch norms in evaluation mode (running
statistics, as every evaluation in gconv), with batch statistics (each batch norm normalises
by the statistics of the evaluated batch) and with running statistics recomputed at the
checkpoint's weights over ``--recompute`` training batches (as ``gconv train --bn-recompute``
does before each validation: the first samples, rotated as in the checkpoint's epoch): a large
gap says the running statistics, not the weights, make the error. Used on `public-60`'s epochs
with validation jumps (results/ico-plan.md). ``--offsets K`` also prints, per batch norm, how
far the mean input of its channels on the first K digits lies from the running mean.

The digits are the first N of the run's data's test split (``--split train``: of the training
split, with fixed rotations under ``--rotate R``, not the ones of any epoch; spherical data: NR
unless ``--rotate``); the batch-statistics arm sees them in batches of ``--batch``, so its result
depends on the batch size (each batch is one sample of the statistics).

    python scripts/bn_stats.py <run>/checkpoints/last.ckpt --data spherical-mnist --n 5000
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import torch

from gconv.data import dataset_spec
from gconv.experiments import (
    batches_as_in_run,
    get_datamodule,
    load_checkpoint,
    load_classifier,
)
from gconv.nn import batch_norms, recompute_batch_norm


def _error(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int) -> float:
    """Error (fraction) of ``model`` as it stands on ``x`` in batches of ``batch``."""
    with torch.no_grad():
        pred = torch.cat([model(x[i : i + batch]).argmax(1) for i in range(0, len(x), batch)])
    return (pred != y).double().mean().item()


def errors(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int) -> dict:
    """Error (fraction) with running statistics (``eval``) and with batch statistics
    (``batch``); the model's state (its running statistics included) is left as it was."""
    state = {k: v.clone() for k, v in model.state_dict().items()}
    out = {"eval": _error(model.eval(), x, y, batch)}
    for m in batch_norms(model):
        m.train()
    out["batch"] = _error(model, x, y, batch)
    model.load_state_dict(state)
    model.eval()
    return out


def recomputed_error(
    model: torch.nn.Module, batches: Iterable[torch.Tensor], x: torch.Tensor, y: torch.Tensor,
    batch: int,
) -> float:  # fmt: skip
    """Error (fraction) with the running statistics recomputed over ``batches``
    (``gconv.nn.recompute_batch_norm``); the model's state is left as it was."""
    state = {k: v.clone() for k, v in model.state_dict().items()}
    recompute_batch_norm(model, batches)
    err = _error(model.eval(), x, y, batch)
    model.load_state_dict(state)
    return err


def offsets(model: torch.nn.Module, x: torch.Tensor) -> list[tuple[str, float, float]]:
    """For each batch norm of ``model`` (evaluation mode, one forward pass over ``x``): its
    name, the largest offset of a channel's mean input from its running mean in running
    standard deviations ``|mean − running_mean| / √(running_var + eps)`` (statistics over every
    axis but the channel, the icosahedral corners included) and its smallest running variance."""
    norms = set(batch_norms(model))
    out, hooks = [], []

    def hook(name: str):  # noqa: ANN202
        def record(mod: torch.nn.Module, inp: tuple, _: torch.Tensor) -> None:
            a = inp[0].detach().transpose(0, 1).reshape(inp[0].shape[1], -1)
            sd = (mod.running_var + mod.eps).sqrt()
            z = ((a.mean(1) - mod.running_mean) / sd).abs().max().item()
            out.append((name, z, mod.running_var.min().item()))

        return record

    for name, mod in model.named_modules():
        if mod in norms:
            hooks.append(mod.register_forward_hook(hook(name)))
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in hooks:
            h.remove()
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--data", default="spherical-mnist")
    p.add_argument("--rotate", default="NR", help="spherical data: NR or R digits")
    p.add_argument(
        "--split",
        default="test",
        choices=("test", "train", "valid"),
        help="the split evaluated (train: how well the training digits are fitted)",
    )
    p.add_argument("--n", type=int, default=5000, help="first N digits of the split")
    p.add_argument("--batch", type=int, default=500)
    p.add_argument(
        "--recompute",
        type=int,
        default=10,
        help="training batches to recompute the statistics over (0: skip that arm)",
    )
    p.add_argument("--train-batch", type=int, default=256, help="their size (public-60: 256)")
    p.add_argument("--limit-train", type=int, default=None, help="the run's --limit-train")
    p.add_argument(
        "--offsets",
        type=int,
        default=0,
        metavar="K",
        help="also print each batch norm's largest offset on the first K digits",
    )
    args = p.parse_args(argv)
    module = load_classifier(args.checkpoint)
    hp = dict(module.hparams)
    spherical = dataset_spec(args.data).input_kind == "s2"  # registered sphere data
    kw = {"test_rotate": (args.rotate,)} if spherical else {}
    dm = get_datamodule(args.data, model=hp["model"], model_kwargs=hp.get("model_kwargs"),
                        limit_test=args.n, limit_val=args.n, limit_train=args.n,
                        seed=hp["seed"], **kw)  # fmt: skip
    split = dm.split(args.split, args.rotate) if spherical else dm.split(args.split)
    x, y = (t[: args.n] for t in split.tensors[:2])
    e = errors(module, x, y, args.batch)
    what = f"{args.split} digits ({args.rotate})" if spherical else f"{args.split} samples"
    print(f"{args.checkpoint}: first {len(y)} {what}; "
          f"running statistics {100 * e['eval']:.2f} %, batch statistics (batches of "
          f"{args.batch}) {100 * e['batch']:.2f} %")  # fmt: skip
    if args.offsets:
        for name, z, var in offsets(module, x[: args.offsets]):
            print(f"  {name}: largest channel-mean offset {z:.2f} running sd, "
                  f"smallest running variance {var:.2g}")  # fmt: skip
    if args.recompute:
        epoch = int(load_checkpoint(args.checkpoint)["epoch"])
        batches = batches_as_in_run(module, args.data, args.recompute, args.train_batch, epoch,
                                    args.limit_train)  # fmt: skip
        err = recomputed_error(module, batches, x, y, args.batch)
        print(f"{args.checkpoint}: recomputed over {args.recompute} training batches of "
              f"{args.train_batch} (epoch {epoch}'s rotations) {100 * err:.2f} %")  # fmt: skip


if __name__ == "__main__":
    main()
