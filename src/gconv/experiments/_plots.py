# SPDX-License-Identifier: MIT
"""Plots (matplotlib, Agg backend), saved atomically: test error against input angle, and the
predicted probability of the true class as one digit is rotated through 360°."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import torch
    from matplotlib.figure import Figure

__all__ = ["bin_centres", "plot_angle_error", "plot_rotation_curve", "save_figure"]

#: one colour per model, stable across plots
_COLOURS = {
    "z2cnn": "#d62728",
    "p4cnn": "#1f77b4",
    "p4cnn-rp": "#2ca02c",
    "p4mcnn": "#9467bd",
    "p4mcnn-coset": "#ff7f0e",
}
#: the other models' colours (dashed lines), in order of appearance: never one of the above;
#: the rest of matplotlib's ``tab10``, then ``tab20``'s light shades (beyond 15 models the
#: colours repeat with dotted, then dash-dotted lines)
_MORE_COLOURS = (
    "#8c564b", "#17becf", "#e377c2", "#7f7f7f", "#bcbd22", "#aec7e8", "#ffbb78", "#98df8a",
    "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
)  # fmt: skip
_MORE_STYLES = ("--", ":", "-.")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Save ``fig`` to ``path`` via a temporary file and ``os.replace`` (atomic), close it."""
    if not callable(getattr(fig, "savefig", None)):
        raise TypeError(f"save_figure: expected a matplotlib Figure, got {type(fig).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=150, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        _pyplot().close(fig)
    return path


def _quarter_turns(ax) -> None:  # noqa: ANN001
    for deg in (90, 180, 270):
        ax.axvline(deg, color="0.8", lw=0.8, zorder=0)
    ax.set_xlim(0, 360)
    ax.set_xticks(range(0, 361, 45))
    ax.grid(axis="y", color="0.92")


def plot_angle_error(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float] | None]],
    path: str | os.PathLike,
    title: str = "Test error against input angle",
) -> Path:
    """One line per model: ``curves[model] = (bin centres in degrees, error in %, std or None)``;
    the std (over seeds) is drawn as a band."""
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError(
            f"plot_angle_error: expected a non-empty mapping model -> curve, got {curves!r}"
        )
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    others = iter(
        (c, ls) for ls in _MORE_STYLES * (1 + len(curves) // len(_MORE_COLOURS))
        for c in _MORE_COLOURS
    )  # fmt: skip
    for name, (deg, err, std) in curves.items():
        colour, ls = (_COLOURS[name], "-") if name in _COLOURS else next(others)
        ax.plot(deg, err, marker="o", ms=3, lw=1.5, ls=ls, label=name, color=colour)
        if std is not None:
            lo = [e - s for e, s in zip(err, std, strict=True)]
            hi = [e + s for e, s in zip(err, std, strict=True)]
            ax.fill_between(deg, lo, hi, alpha=0.15, color=colour, lw=0)
    _quarter_turns(ax)
    ax.set_xlabel("rotation of the test digit (degrees, binned)")
    ax.set_ylabel("test error (%)")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    return save_figure(fig, path)


def plot_rotation_curve(
    degrees: Sequence[float],
    probs: Mapping[str, Sequence[float]],
    path: str | os.PathLike,
    title: str,
    image: np.ndarray | torch.Tensor | None = None,  # (H, W) digit, shown as an inset
) -> Path:
    """Probability of the true class against the rotation angle, one line per model."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for name, p in probs.items():
        ax.plot(degrees, p, marker="o", ms=2.5, lw=1.5, label=name, color=_COLOURS.get(name))
    _quarter_turns(ax)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("rotation of the input digit (degrees, counter-clockwise)")
    ax.set_ylabel("predicted probability of the true class")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=9, framealpha=0.9)
    if image is not None:
        inset = ax.inset_axes((1.01, 0.7, 0.28, 0.28))
        inset.imshow(image, cmap="gray_r")
        inset.set_xticks([])
        inset.set_yticks([])
        inset.set_title("digit at 0°", fontsize=8)
    return save_figure(fig, path)


def bin_centres(bins: int) -> list[float]:
    """Centres, in degrees, of ``bins`` equal bins over [0°, 360°)."""
    return [(k + 0.5) * 360.0 / bins for k in range(bins)]
