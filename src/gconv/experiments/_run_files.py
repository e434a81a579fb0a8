# SPDX-License-Identifier: MIT
"""File names of a run folder, in one place for the Lightning side (``_checkpoint``, ``_train``)
and the readers that must not import Lightning (the study's dry run, ``_study``)."""

from __future__ import annotations

__all__ = ["LAST", "PREVIOUS", "RECIPE", "RESUME_ORDER", "UNREADABLE"]

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
