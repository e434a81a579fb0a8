# SPDX-License-Identifier: MIT
"""Reference values of the GAN study's score (issue 19): the Fréchet distance on our Z2CNN
scorer's features (NOT the Inception FID) between real digits, to read the study's numbers
against: two disjoint sets of 10,000 real test digits (the floor at the study's sample size),
the same with the second set turned by 90° (RotatedMNIST is a uniformly rotated distribution,
so this should stay near the floor), and uniform noise. Also the scorer's accuracy.

    GCONV_DATA=/work/shared/data PYTHONPATH=src OMP_NUM_THREADS=1 python scripts/gan_fd_reference.py
"""

from __future__ import annotations

import torch

from gconv.data import get_dataset
from gconv.experiments import as_tensors, frechet_distance, load_scorer, scorer_features


def _features(net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([scorer_features(net, x[i : i + 1000]) for i in range(0, len(x), 1000)])


def main() -> None:
    torch.set_num_threads(1)
    net, acc = load_scorer()  # the study's recipe: 10 epochs on the 10,000 training digits
    x, y, _ = as_tensors(get_dataset("rotmnist", "test"), 20_000).tensors
    with torch.no_grad():
        pred = torch.cat([net(x[i : i + 1000]).argmax(1) for i in range(0, 10_000, 1000)])
    f = _features(net, x)
    turned = _features(net, torch.rot90(x[10_000:], 1, dims=(-2, -1)))
    noise = _features(
        net, torch.rand(10_000, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    )
    print(
        f"scorer accuracy: validation {acc:.4f}, test[:10000] {(pred == y[:10_000]).double().mean():.4f}"
    )
    print("Fréchet distance on the scorer's features (not the Inception FID), vs test[:10000]:")
    print(f"  test[10000:20000]            {frechet_distance(f[:10_000], f[10_000:]):.4f}")
    print(f"  test[10000:20000] turned 90° {frechet_distance(f[:10_000], turned):.4f}")
    print(f"  uniform noise in [0, 1]      {frechet_distance(f[:10_000], noise):.4f}")


if __name__ == "__main__":
    main()
