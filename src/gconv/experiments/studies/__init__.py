# SPDX-License-Identifier: MIT
"""The registered studies, one file each (``register_study`` at import). Adding a study = a new
file here and one import line below.

- ``rotmnist``: the five models of Cohen & Welling (2016, Table 1) on rotated MNIST.
- ``spherical-cls``, ``spherical-seg``: equivariance against augmentation on spherical MNIST.
- ``gan``: a conditional GAN with a z2 or p4 discriminator × data fraction (Dey et al. 2021).
"""

from . import gan, rotmnist, spherical  # noqa: F401

__all__: list[str] = []
