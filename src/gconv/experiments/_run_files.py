# SPDX-License-Identifier: MIT
"""File names of a run folder, in one place for the Lightning side (``_checkpoint``, ``_train``)
and the readers that must not import Lightning (the study's dry run, ``_study``); and who may
write them (:func:`rank_zero`)."""

from __future__ import annotations

__all__ = ["LAST", "PREVIOUS", "RECIPE", "RESUME_ORDER", "UNREADABLE", "rank_zero"]

#: ``checkpoints/``: written every epoch and every few minutes inside one; what a resume takes
LAST = "last.ckpt"
#: ``checkpoints/``: the previous ``LAST``, what a resume falls back to when ``LAST`` is unreadable
PREVIOUS = "last.prev.ckpt"
#: ``checkpoints/``: an unreadable ``LAST`` set aside by the resume that fell back to ``PREVIOUS``
UNREADABLE = "last.ckpt.unreadable"
#: beside ``checkpoints/``: the run's settings, checked on resume
RECIPE = "recipe.json"
#: the files a resume tries, in order
RESUME_ORDER = (LAST, PREVIOUS)


def rank_zero() -> bool:
    """False in the extra processes of a multi-process (DDP) run: only rank 0 writes files.
    Reads Lightning's rank (set on ``rank_zero_only`` at its import) where it is installed."""
    try:
        from lightning.pytorch.utilities import rank_zero_only
    except ImportError:
        return True
    return getattr(rank_zero_only, "rank", 0) == 0
