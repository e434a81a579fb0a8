# SPDX-License-Identifier: MIT
"""Peak memory of one training step of the segmentation S2CNN (``s2cnn-seg``, b = 50).

Each figure comes from :func:`gconv.benchmark.peak_memory` (a fresh process per measurement:
peak resident set size of two training steps — forward, loss, backward, Adam — above the
size after building model and inputs). With and without ``checkpoint=True`` (each spherical
layer recomputed in backward).

    PYTHONPATH=src python benchmarks/spherical_memory.py [--batch 8] [--threads 1] [--checkpoint]
"""

from __future__ import annotations

import argparse

import torch

from _timing import add_record_args, recorded
from gconv.benchmark import peak_memory


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--checkpoint", action="store_true", help="also with checkpoint=True")
    add_record_args(ap)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    with recorded("spherical_memory", args):
        print(
            f"# python benchmarks/spherical_memory.py --batch {args.batch} "
            f"--threads {args.threads}{' --checkpoint' if args.checkpoint else ''}"
        )
        for ckpt in (False, True) if args.checkpoint else (False,):
            kw = {"checkpoint": True} if ckpt else {}
            m = peak_memory("s2cnn-seg", args.batch, mode="train", threads=args.threads, **kw)
            print(
                f"s2cnn-seg training step, batch {args.batch}, checkpoint={ckpt}: "
                f"peak {m.peak_bytes / 2**30:.2f} GiB, above baseline "
                f"{m.above_baseline_bytes / 2**30:.2f} GiB ({m.method})",
                flush=True,
            )


if __name__ == "__main__":
    main()
