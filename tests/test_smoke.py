import torch

from gconv.nn import LiftConv2d


def test_import_and_forward():
    assert LiftConv2d(1, 2, 3)(torch.randn(1, 1, 5, 5)).shape == (1, 2, 4, 3, 3)
