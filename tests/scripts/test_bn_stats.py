# SPDX-License-Identifier: MIT
"""scripts/bn_stats.py: the three arms (running, batch, recomputed statistics) on a model whose
running statistics are known to be wrong (and right), and that the model's state is left as it
was."""

from __future__ import annotations

import torch


def _model(mean: float) -> torch.nn.Module:
    """BatchNorm1d then the sign of feature 0 as class 1, else class 0; running mean ``mean``."""
    bn = torch.nn.BatchNorm1d(1)
    bn.running_mean.fill_(mean)
    head = torch.nn.Linear(1, 2)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[-1.0], [1.0]]))
        head.bias.zero_()
    return torch.nn.Sequential(bn, head)


def test_running_against_batch_statistics(script) -> None:
    m = script("bn_stats")
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1000, 1, generator=g) + 5.0  # centred at 5: class = x > 5
    y = (x[:, 0] > 5.0).long()
    good = m.errors(_model(5.0), x, y, batch=250)
    assert good["eval"] == 0.0 and good["batch"] < 0.1  # batch means are close to 5
    bad = _model(-5.0)  # stale statistics: every input looks positive
    before = {k: v.clone() for k, v in bad.state_dict().items()}
    e = m.errors(bad, x, y, batch=250)
    assert e["eval"] > 0.4 and e["batch"] < 0.1
    after = bad.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # running stats untouched
    assert not bad.training


def test_recomputed_statistics_arm(script) -> None:
    m = script("bn_stats")
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1000, 1, generator=g) + 5.0
    y = (x[:, 0] > 5.0).long()
    bad = _model(-5.0)
    before = {k: v.clone() for k, v in bad.state_dict().items()}
    train = torch.randn(512, 1, generator=g) + 5.0  # other samples of the same distribution
    assert m.recomputed_error(bad, train.split(128), x, y, batch=250) < 0.05
    assert m.errors(bad, x, y, batch=250)["eval"] > 0.4  # the stale statistics are back
    assert all(torch.equal(before[k], v) for k, v in bad.state_dict().items())


def test_offsets_name_the_stale_batch_norm(script) -> None:
    m = script("bn_stats")
    g = torch.Generator().manual_seed(2)
    x = torch.randn(400, 1, generator=g) + 5.0
    stale, fresh = _model(-5.0), _model(5.0)  # running variance 1: the offsets are ~10 and ~0
    ((name, z, var),) = m.offsets(stale, x)
    assert name == "0" and 9.5 < z < 10.5 and var == 1.0
    assert m.offsets(fresh, x)[0][1] < 0.2
    assert not any(mod._forward_hooks for mod in stale.modules())  # hooks removed
