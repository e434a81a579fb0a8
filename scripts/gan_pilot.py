# SPDX-License-Identifier: MIT
"""One pilot run of the GAN of issue 19 through the study's own harness (``train``), timed in
CPU time of this process (user + system; one torch thread), and one JSON line appended to
``--log`` with the recipe, the generator steps, the CPU-minutes and the test scores (Fréchet
distance on our Z2CNN's features — not the Inception FID — and that Z2CNN's accuracy on
generated digits).

    GCONV_DATA=/work/shared/data PYTHONPATH=src OMP_NUM_THREADS=1 python scripts/gan_pilot.py \
        --model gan-d-z2 --limit-train 1000 --epochs 40 --lr 4e-4 \
        --kw '{"lr_g": 4e-4, "val_digits": 1000}' --out /tmp/pilot/a
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shlex
import sys
import time
from pathlib import Path


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="gan-d-z2")
    p.add_argument("--limit-train", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--lr", type=float, default=4e-4, help="the discriminator's lr")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit-test", type=int, default=10_000)
    p.add_argument("--kw", default="{}", help="model_kwargs (GAN settings) as JSON")
    p.add_argument("--out", required=True)
    p.add_argument("--log", default="results/bench/gan-pilots.jsonl")
    p.add_argument("--tag", default="")
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from gconv.experiments import TrainConfig, train

    kw = json.loads(args.kw)
    cfg = TrainConfig(
        model=args.model, task="generative", epochs=args.epochs, batch_size=args.batch,
        lr=args.lr, augment="none", seed=args.seed, limit_train=args.limit_train,
        limit_test=args.limit_test, out=args.out, progress=False, model_kwargs=kw,
    )  # fmt: skip
    load0, cpu0, t0 = os.getloadavg()[0], _cpu_s(), time.perf_counter()
    rec = train(cfg)
    cpu, wall = _cpu_s() - cpu0, time.perf_counter() - t0
    steps = args.epochs * math.ceil(args.limit_train / args.batch)
    line = {
        "tag": args.tag, "model": args.model, "limit_train": args.limit_train,
        "epochs": args.epochs, "batch": args.batch, "lr_d": args.lr, "kw": kw,
        "g_steps": steps, "seed": args.seed,
        "cpu_min": round(cpu / 60, 2), "wall_min": round(wall / 60, 2),
        "load_start": load0, "load_end": os.getloadavg()[0],
        "best_epoch": rec["best_epoch"], "val_fd": rec["val_error"],
        "test_fd": rec["test_fd"], "test_gen_acc": rec["test_gen_acc"],
        "test_gen_acc_k": [round(rec[f"test_gen_acc_{k}"], 3) for k in range(10)],
        "test_n": rec["test_n"], "threads": torch.get_num_threads(),
        "command": "python " + shlex.join(sys.argv),
    }  # fmt: skip
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    with open(args.log, "a") as f:
        f.write(json.dumps(line) + "\n")
    print(json.dumps(line, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
