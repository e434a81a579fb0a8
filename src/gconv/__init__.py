# SPDX-License-Identifier: MIT
"""gconv: group-equivariant convolutional networks in PyTorch.

Sub-packages: ``gconv.groups`` (groups, actions, grids), ``gconv.nn`` (layers),
``gconv.spherical`` (S² and SO(3) harmonic analysis), ``gconv.models`` (the papers' models),
``gconv.data`` and ``gconv.experiments`` (data sets, training; need the ``experiments`` extra),
``gconv.equivariance`` (measure how equivariant a module is).
"""

__version__ = "0.1.0"
