"""How a spherical classifier's errors depend on the rotation: the first N digits of a split,
each under K Haar-random rotations (``gconv.data.SphericalAugment``, rotations keyed by
(seed, k, index); on the training split with the run's seed, copy k has the rotations of
training epoch k), classified by a checkpoint with its batch norms in evaluation mode.

Prints the error of each copy, how many digits are wrong in every copy (the digit, not its
rotation, is hard), in some but not all (the prediction depends on the rotation: the network
is not invariant enough), the error of the majority vote over the K copies, and the most
frequent confusions of each kind. Used on `public-60`'s selected state (results/ico-plan.md).

    python scripts/rotation_consistency.py <ckpt> --data spherical-mnist --split test --n 2000 --k 8

``--bn-recompute N --bn-batch-size B --limit-train M`` first recomputes the batch norms'
statistics as ``gconv evaluate`` does with the same flags.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import torch

from gconv.data import SphericalAugment
from gconv.experiments import (
    batches_as_in_run,
    get_datamodule,
    load_checkpoint,
    load_classifier,
)
from gconv.nn import recompute_batch_norm


def predictions(
    model: torch.nn.Module, data: SphericalAugment, n: int, k: int, batch: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(preds (k, n), labels (n,))``: the model's class for digit i under rotation copy j."""
    preds, labels = [], None
    with torch.no_grad():
        for j in range(k):
            data.set_epoch(j)
            out, ys = [], []
            for start in range(0, n, batch):
                items = data.__getitems__(list(range(start, min(start + batch, n))))
                x = torch.stack([torch.as_tensor(it[0]) for it in items]).float()
                out.append(model(x).argmax(1))
                if labels is None:  # the same digits in every copy
                    ys.append(torch.tensor([int(it[1]) for it in items]))
            preds.append(torch.cat(out))
            labels = torch.cat(ys) if labels is None else labels
    return torch.stack(preds), labels


def summary(preds: torch.Tensor, labels: torch.Tensor) -> list[str]:
    """The lines printed (see module doc)."""
    k, n = preds.shape
    wrong = preds != labels
    per_copy = wrong.double().mean(1)
    always, some = wrong.all(0), wrong.any(0) & ~wrong.all(0)
    vote = torch.mode(preds, 0).values
    lines = [
        f"{n} digits x {k} rotations",
        "error per copy (%): " + " ".join(f"{100 * e:.2f}" for e in per_copy.tolist()),
        f"mean error per copy: {100 * per_copy.mean():.2f} % ({wrong.sum()} of {k * n})",
        f"wrong in all {k} copies: {int(always.sum())} digits ({100 * always.double().mean():.2f} %)",
        f"wrong in some, right in others: {int(some.sum())} digits "
        f"({100 * some.double().mean():.2f} %), {int(wrong[:, some].sum())} of the "
        f"{int(wrong.sum())} wrong predictions",
        f"majority vote over the {k} copies: {100 * (vote != labels).double().mean():.2f} %",
    ]
    for name, mask in (("all copies", always), ("some copies", some)):
        pairs = Counter()
        for i in mask.nonzero().flatten().tolist():
            for j in range(k):
                if wrong[j, i]:
                    pairs[(int(labels[i]), int(preds[j, i]))] += 1
        top = ", ".join(f"{a}->{b}: {c}" for (a, b), c in pairs.most_common(8))
        lines.append(f"confusions (true->predicted: wrong predictions), {name}: {top}")
    return lines


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--data", default="spherical-mnist")
    p.add_argument("--split", default="test", choices=("test", "train", "valid"))
    p.add_argument("--n", type=int, default=2000, help="first N digits of the split")
    p.add_argument("--k", type=int, default=8, help="rotations per digit")
    p.add_argument("--batch", type=int, default=250)
    p.add_argument("--seed", type=int, default=None, help="rotation seed (default: the run's)")
    p.add_argument(
        "--bn-recompute",
        type=int,
        default=0,
        metavar="N",
        help="first recompute the batch norms as a run with --bn-recompute N does "
        "before validating the checkpoint's epoch (gconv evaluate --bn-recompute)",
    )
    p.add_argument("--bn-batch-size", type=int, default=32, help="the run's batch size")
    p.add_argument("--limit-train", type=int, default=None, help="the run's --limit-train")
    args = p.parse_args(argv)
    module = load_classifier(args.checkpoint)
    hp = dict(module.hparams)
    if args.bn_recompute:
        epoch = int(load_checkpoint(args.checkpoint)["epoch"])
        inputs = batches_as_in_run(module, args.data, args.bn_recompute, args.bn_batch_size,
                                   epoch, args.limit_train)  # fmt: skip
        recompute_batch_norm(module, inputs)
        print(f"batch norms recomputed over {args.bn_recompute} training batches of "
              f"{args.bn_batch_size} (epoch {epoch})")  # fmt: skip
    module.eval()
    dm = get_datamodule(args.data, model=hp["model"], model_kwargs=hp.get("model_kwargs"),
                        test_rotate=("NR",), seed=hp["seed"])  # fmt: skip
    base = dm.dataset(args.split, "NR")
    seed = hp["seed"] if args.seed is None else args.seed
    n = min(args.n, len(base))
    preds, labels = predictions(module, SphericalAugment(base, 1.0, seed), n, args.k, args.batch)
    print(f"{args.checkpoint}: {args.split} split, rotation seed {seed}")
    print("\n".join(summary(preds, labels)))


if __name__ == "__main__":
    main()
