# SPDX-License-Identifier: MIT
"""Pictures of spherical samples: orthographic views of both hemispheres, masks by class.

View conventions (right-handed, looking at the sphere from outside): the *south* view looks
from −z with +x to the right and −y up, so a projected digit reads as printed; the *north*
view looks from +z with +x to the right and +y up. Each disc pixel shows the value at the
nearest sample: on the SOFT grid the ring and meridian containing the point, for other point
sets the point of largest dot product. matplotlib (the ``experiments`` extra) is imported only
here, lazily, and without pyplot (no global backend is touched).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ._files import atomic_write

if TYPE_CHECKING:
    from .spherical import SphericalMNIST

__all__ = ["render", "render_samples", "orthographic_points", "nearest_index"]

#: class colours: background black, then matplotlib's tab10 for classes 1..10
_COLORS = [
    "#000000", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]  # fmt: skip


def orthographic_points(resolution: int, side: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit vectors ``(r, r, 3)`` seen at the pixels of an orthographic view of hemisphere
    ``side`` ("south" or "north"), and the disc mask ``(r, r)``. Row 0 is the top."""
    if side not in ("south", "north"):
        raise ValueError(f'side must be "south" or "north", got {side!r}')
    t = (torch.arange(resolution, dtype=torch.float64) + 0.5) / resolution * 2 - 1
    up, right = torch.meshgrid(-t, t, indexing="ij")
    inside = right**2 + up**2 <= 1
    depth = torch.sqrt(torch.clamp(1 - right**2 - up**2, min=0))
    if side == "south":
        pts = torch.stack([right, -up, -depth], -1)
    else:
        pts = torch.stack([right, up, depth], -1)
    return pts, inside


def nearest_index(query: torch.Tensor, points: torch.Tensor | None, b: int | None) -> torch.Tensor:
    """Flat index of the sample nearest to each unit vector of ``query (..., 3)``: on the SOFT
    grid of bandwidth ``b`` (``points`` None) the containing ring and nearest meridian,
    otherwise the row of ``points (P, 3)`` with the largest dot product."""
    if points is None:
        if b is None:
            raise TypeError("nearest_index: b is needed when points is None")
        beta = torch.arccos(query[..., 2].clamp(-1, 1))
        alpha = torch.atan2(query[..., 1], query[..., 0]) % (2 * math.pi)
        j = torch.clamp((beta * (2 * b) / math.pi).long(), 0, 2 * b - 1)
        k = torch.round(alpha * b / math.pi).long() % (2 * b)
        return j * (2 * b) + k
    q = query.reshape(-1, 3)
    out = torch.cat([(c @ points.T).argmax(-1) for c in q.split(4096)])
    return out.reshape(query.shape[:-1])


def _grid_of(signals: torch.Tensor, points: torch.Tensor | None):
    if points is not None:
        pts = points.detach().to("cpu", torch.float64).reshape(-1, 3)
        if signals[0].numel() != pts.shape[0]:
            raise ValueError(
                f"signals have {signals[0].numel()} values per sample, points {pts.shape[0]}"
            )
        return pts, None
    if signals.ndim != 3 or signals.shape[1] != signals.shape[2] or signals.shape[1] % 2:
        raise ValueError(
            "without points, signals must be (N, 2b, 2b) on the SOFT grid, got "
            f"{tuple(signals.shape)}"
        )
    return None, signals.shape[1] // 2


def _panel(ax, img: np.ndarray, kind: str, label: str | None) -> None:
    """One hemisphere view: the signal in grey on [0, 1] or the mask in class colours."""
    from matplotlib.colors import ListedColormap

    ax.set_axis_off()
    if kind == "signal":
        ax.imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(img, cmap=ListedColormap(_COLORS), vmin=-0.5, vmax=10.5, interpolation="nearest")
    if label is not None:
        ax.text(-0.05, 0.5, label, transform=ax.transAxes, fontsize=7, ha="right", va="center")


def render(
    signals: torch.Tensor,
    path: str | os.PathLike,
    *,
    masks: torch.Tensor | None = None,
    points: torch.Tensor | None = None,
    titles: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    resolution: int = 128,
    suptitle: str | None = None,
) -> Path:
    """Write a PNG: one column per sample; rows show the south and north hemispheres of the
    signal (grey) and, with ``masks``, of the mask (class colours, legend below).

    ``signals`` ``(N, 2b, 2b)`` on the SOFT grid (``[β, α]``) or ``(N, P)`` with ``points``
    ``(P, 3)``; ``masks`` the same shape, classes 0..10. Written atomically; returns the path.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError("render needs matplotlib: pip install 'gconv[experiments]'") from e
    if not isinstance(signals, torch.Tensor) or signals.ndim < 2 or signals.shape[0] < 1:
        raise ValueError("signals must be a tensor (N, 2b, 2b) or (N, P) with N >= 1")
    if masks is not None and tuple(masks.shape) != tuple(signals.shape):
        raise ValueError(f"masks {tuple(masks.shape)} must match signals {tuple(signals.shape)}")
    pts, b = _grid_of(signals, points)
    n = signals.shape[0]
    flat = signals.reshape(n, -1).double()
    flat = flat / max(float(flat.max()), 1e-12)
    views = {side: orthographic_points(resolution, side) for side in ("south", "north")}
    near = {side: nearest_index(q, pts, b) for side, (q, _) in views.items()}
    rows = [("signal", side) for side in views] + (
        [("mask", s) for s in views] if masks is not None else []
    )
    fig = Figure(figsize=(1.6 * n, 1.7 * len(rows) + (0.5 if masks is not None else 0)), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(rows), n, squeeze=False)
    for r, (kind, side) in enumerate(rows):
        for c in range(n):
            if kind == "signal":
                src = flat[c]
            else:
                assert masks is not None  # mask rows exist only with masks
                src = masks[c].reshape(-1).long()
            img = np.ma.masked_array(src[near[side]].numpy(), mask=~views[side][1].numpy())
            _panel(axes[r, c], img, kind, f"{kind}\n{side}" if c == 0 else None)
            if r == 0 and titles is not None:
                axes[r, c].set_title(str(titles[c]), fontsize=8)
    if masks is not None:
        _legend(fig, class_names)
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    path = Path(path)
    with atomic_write(path) as f:
        f.write(buf.getvalue())
    return path


def _legend(fig: Any, class_names: Sequence[str] | None) -> None:
    """The mask colours below the panels: background and the 10 classes."""
    from matplotlib.patches import Patch

    names = list(class_names) if class_names is not None else [str(i) for i in range(10)]
    handles = [Patch(color=_COLORS[0], label="background")]
    handles += [Patch(color=_COLORS[i + 1], label=names[i]) for i in range(10)]
    fig.legend(handles=handles, loc="lower center", ncol=6, fontsize=7, frameon=False)


def render_samples(
    dataset: SphericalMNIST,
    path: str | os.PathLike,
    indices: Sequence[int] | None = None,
    n: int = 8,
    **kw,
) -> Path:
    """:func:`render` for samples of a :class:`~gconv.data.SphericalMNIST` (the first ``n`` or
    ``indices``), with their labels as titles and, for segmentation, their masks."""
    if not hasattr(dataset, "signals") or not hasattr(dataset, "digit_labels"):
        raise TypeError(
            f"render_samples expects a SphericalMNIST-like dataset (.signals, .digit_labels), "
            f"got {type(dataset).__name__}"
        )
    idx = list(range(min(n, len(dataset)))) if indices is None else list(indices)
    if not idx or min(idx) < 0 or max(idx) >= len(dataset):
        raise ValueError(f"indices must lie in 0..{len(dataset) - 1}, got {idx}")
    t = torch.tensor(idx)
    signals = dataset.signals[t]
    names = getattr(dataset, "classes", None)
    labels = dataset.digit_labels[t]
    titles = [
        " ".join(str(names[d] if names else d) for d in row.tolist() if d >= 0) for row in labels
    ]
    masks = dataset.masks_of(t) if dataset.task == "segmentation" else None
    kw.setdefault("suptitle", repr(dataset))
    kw.setdefault("class_names", names)
    return render(signals, path, masks=masks, points=dataset.points_arg, titles=titles, **kw)
