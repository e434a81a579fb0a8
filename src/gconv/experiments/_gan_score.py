# SPDX-License-Identifier: MIT
"""Scores of generated digits without downloaded networks: a Fréchet distance on the features of
our own Z2CNN trained on rotated MNIST, and that classifier's accuracy on generated digits.

**This is not the Inception FID**: the features are the 320 penultimate activations (the output
of ``Z2CNN.features``, ``(B, 20, 4, 4)`` flattened) of a Z2CNN (Cohen & Welling 2016) trained
here on RotatedMNIST; numbers are comparable only with each other (same scorer recipe), never
with FIDs in papers. The Z2CNN is not rotation-invariant, so digits in wrong orientations count
against a generator.

Fréchet distance between Gaussians fitted to feature sets a and b (float64):
``d² = ‖μ_a − μ_b‖² + tr Σ_a + tr Σ_b − 2 tr (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2}``, the last trace
from the eigenvalues of the symmetric PSD matrix ``Σ_a^{1/2} Σ_b Σ_a^{1/2}`` (eigen-based, no
``sqrtm`` of a non-symmetric product).

The scorer is trained once per recipe (epochs, training digits, seed: Adam lr 1e-3, batch 128,
no augmentation, the rotated training digits) and cached as
``$GCONV_CACHE/gan-scorer/z2cnn-rotmnist-seed<s>-e<epochs>-n<digits>-v1.pt`` (atomic write,
loaded with ``weights_only=True``); with the cache disabled it is trained in memory.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
import torch.nn.functional as F

from .._util import atomic_write, cache_dir, check_positive_int
from ._augment import derive_seed, seeded_generator

if TYPE_CHECKING:
    from ..models import MNISTRotCNN

__all__ = ["frechet_distance", "load_scorer", "scorer_features"]

_VERSION = 1
_STREAM = 11  # derive_seed stream of the scorer's init and shuffling


def frechet_distance(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray) -> float:
    """Fréchet distance d² between Gaussian fits of two feature sets ``(N, D)``, ``(M, D)``.

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 3))
    >>> frechet_distance(x, x) < 1e-9, round(frechet_distance(x, x + 1.0), 6)
    (True, 3.0)
    """
    arrays = []
    for name, v in (("a", a), ("b", b)):
        if not isinstance(v, (torch.Tensor, np.ndarray)):
            raise TypeError(f"frechet_distance: {name} must be a tensor or array, got {type(v)}")
        v = v.detach().cpu().double().numpy() if isinstance(v, torch.Tensor) else v
        if v.ndim != 2 or v.shape[0] < 2:
            raise ValueError(f"frechet_distance: {name} must be (N ≥ 2, D), got {v.shape}")
        arrays.append(np.asarray(v, dtype=np.float64))
    if arrays[0].shape[1] != arrays[1].shape[1]:
        raise ValueError(
            f"frechet_distance: a and b need the same feature size, got {arrays[0].shape[1]} "
            f"and {arrays[1].shape[1]}"
        )
    (mu_a, cov_a), (mu_b, cov_b) = ((x.mean(0), np.cov(x, rowvar=False)) for x in arrays)
    w, v = np.linalg.eigh(cov_a)
    root_a = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    middle = root_a @ cov_b @ root_a
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum()
    d2 = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross)
    return max(d2, 0.0)


def scorer_features(scorer: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The scorer's penultimate features ``(B, 320)`` of images ``(B, 1, 28, 28)``."""
    if not hasattr(scorer, "features"):
        raise TypeError(f"scorer_features: expected a Z2CNN scorer, got {type(scorer).__name__}")
    features = cast(Callable[[torch.Tensor], torch.Tensor], scorer.features)  # checked above
    return features(x).flatten(1)


def _path(epochs: int, limit: int | None, seed: int) -> Path | None:
    n = "all" if limit is None else str(limit)
    name = f"z2cnn-rotmnist-seed{seed}-e{epochs}-n{n}-v{_VERSION}.pt"
    return cache_dir("gan-scorer", name)


def _train(epochs: int, limit: int | None, seed: int, root: str | None) -> dict[str, Any]:
    """Train the Z2CNN scorer; returns its state dict and validation accuracy."""
    from ..data import get_dataset
    from ..models import Z2CNN
    from ._datamodule import as_tensors

    torch.manual_seed(derive_seed(seed, _STREAM))
    net = Z2CNN()
    train = as_tensors(get_dataset("rotmnist", "train", root=root), limit).tensors
    valid = as_tensors(get_dataset("rotmnist", "valid", root=root)).tensors
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    n = train[0].shape[0]
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(n, generator=seeded_generator(seed, _STREAM, epoch))
        for i in range(0, n, 128):
            idx = order[i : i + 128]
            loss = F.cross_entropy(net(train[0][idx]), train[1][idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(valid[0][i : i + 500]).argmax(1) for i in range(0, 2000, 500)])
    acc = float((pred == valid[1][: pred.shape[0]]).double().mean())
    return {"state_dict": net.state_dict(), "val_acc": acc, "epochs": epochs, "seed": seed,
            "limit": -1 if limit is None else limit, "version": _VERSION}  # fmt: skip


def _cached(path: Path | None) -> dict | None:
    """The cached scorer state at ``path``, or None when there is none or it is unreadable (a
    truncated or foreign file is retrained and rewritten, with a warning)."""
    if path is None or not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or not {"state_dict", "val_acc"} <= set(state):
            raise ValueError(f"expected a dict with 'state_dict' and 'val_acc', got {type(state)}")
        return state
    except Exception as e:  # noqa: BLE001 - any unreadable cache file is rebuilt
        warnings.warn(f"{path}: unreadable scorer cache ({e}); training it again", stacklevel=3)
        return None


def load_scorer(
    epochs: int = 10,
    limit: int | None = None,
    seed: int = 0,
    root: str | os.PathLike | None = None,
) -> tuple[MNISTRotCNN, float]:
    """The Z2CNN scorer of this recipe (eval mode) and its accuracy on the 2,000 validation
    digits: from the cache, else trained now (and cached when the cache is enabled).
    ``root``: where MNIST is (default ``$GCONV_DATA``)."""
    check_positive_int("load_scorer", "epochs", epochs)
    if limit is not None:
        check_positive_int("load_scorer", "limit", limit)
    from ..models import Z2CNN

    path = _path(epochs, limit, seed)
    root = str(root) if root is not None else os.environ.get("GCONV_DATA")
    state = _cached(path)
    if state is None:
        with torch.inference_mode(False), torch.enable_grad():  # may be called from eval loops
            state = _train(epochs, limit, seed, root)
        if path is not None:
            buf = io.BytesIO()
            torch.save(state, buf)
            with atomic_write(path) as f:
                f.write(buf.getvalue())
    net = Z2CNN()
    net.load_state_dict(state["state_dict"])
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval(), float(state["val_acc"])
