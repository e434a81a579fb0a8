# SPDX-License-Identifier: MIT
"""``recompute_batch_norm``: each batch norm's running statistics become the average of the
given batches' statistics (mean of means, mean of unbiased variances) at the current weights,
with dropout off; modes and momenta restored; no batch, or a model that raises midway, changes
nothing; no autograd graph. Also ``IcoBatchNorm(momentum=None)``'s cumulative average."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gconv.nn import GroupBatchNorm, IcoBatchNorm, batch_norms, recompute_batch_norm

F64 = torch.float64


def _stats(x: torch.Tensor, kept: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
    """Per-channel mean and unbiased variance of ``x`` (channel axis 1) over ``kept`` entries."""
    v = x.transpose(0, 1).reshape(x.shape[1], -1)
    if kept is not None:
        v = v[:, kept.expand_as(x[:, 0]).reshape(-1)]
    return v.mean(1), v.var(1, unbiased=True)


def _ico_kept(n: int) -> torch.Tensor:
    kept = torch.ones(6, 5, n, 2 * n, dtype=torch.bool)
    kept[..., 0, ::n] = False  # the 10 corners (five neighbours) are not in the statistics
    return kept


CASES = {
    "BatchNorm1d": (lambda: nn.BatchNorm1d(3, dtype=F64), (5, 3), None),
    "GroupBatchNorm": (lambda: GroupBatchNorm(3, dtype=F64), (4, 3, 4, 5, 5), None),
    "IcoBatchNorm": (lambda: IcoBatchNorm(3, dtype=F64), (4, 3, 6, 5, 2, 4), _ico_kept(2)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_running_statistics_are_the_batch_average(case: str) -> None:
    make, shape, kept = CASES[case]
    torch.manual_seed(0)
    norm = make()
    model = nn.Sequential(nn.Dropout(0.5), norm)  # dropout on would change every statistic
    model.train()
    batches = [torch.randn(shape, dtype=F64) * (k + 1) + k for k in range(3)]
    assert recompute_batch_norm(model, batches) == 3
    stats = [_stats(b, kept) for b in batches]
    mean = torch.stack([s[0] for s in stats]).mean(0)
    var = torch.stack([s[1] for s in stats]).mean(0)
    torch.testing.assert_close(norm.running_mean, mean, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(norm.running_var, var, rtol=1e-12, atol=1e-12)
    assert int(norm.num_batches_tracked) == 3
    assert norm.momentum == 0.1 and model.training and model[0].training and norm.training


def test_modes_restored_in_eval_and_found_by_buffers() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Sequential(IcoBatchNorm(2)))
    assert batch_norms(model) == [model[1], model[2][0]]
    others = nn.Sequential(nn.BatchNorm2d(3), GroupBatchNorm(3), nn.LayerNorm(3))
    assert batch_norms(others) == [others[0], others[1]]  # by buffers, so not LayerNorm
    model.eval()
    recompute_batch_norm(nn.Sequential(model[0], model[1]), [torch.randn(4, 2)])
    assert not any(m.training for m in model.modules())


def test_batches_run_without_autograd_even_with_grad_enabled() -> None:
    """The forward passes build no graph (callers need not wrap the call in ``torch.no_grad``)."""
    seen: list[bool] = []
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    model[1].register_forward_hook(lambda m, i, o: seen.append(o.requires_grad))
    with torch.enable_grad():
        assert recompute_batch_norm(model, [torch.randn(4, 2) for _ in range(2)]) == 2
    assert seen == [False, False]


def test_no_batch_is_an_error_that_keeps_the_statistics() -> None:
    norm = nn.BatchNorm1d(2)
    norm.running_mean.fill_(0.5)
    norm.num_batches_tracked.fill_(7)
    with pytest.raises(ValueError, match="at least one batch"):
        recompute_batch_norm(norm, [])
    assert norm.running_mean.eq(0.5).all() and int(norm.num_batches_tracked) == 7
    assert norm.momentum == 0.1


def test_a_model_that_raises_midway_keeps_the_statistics() -> None:
    torch.manual_seed(2)
    model = nn.Sequential(nn.BatchNorm1d(3), nn.BatchNorm1d(3))
    model.train()
    for m in model:
        m.running_mean.uniform_(), m.running_var.uniform_(1, 2), m.num_batches_tracked.fill_(5)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    batches = [torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 2)]  # the third is wrong
    with pytest.raises(RuntimeError, match=r"running_mean should contain 2 elements not 3"):
        recompute_batch_norm(model, batches)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k  # the first two batches' statistics are undone
    assert all(m.momentum == 0.1 and m.training for m in model)


def test_ico_batch_norm_momentum_none_is_the_cumulative_average() -> None:
    torch.manual_seed(1)
    norm = IcoBatchNorm(2, momentum=None, dtype=F64)
    batches = [torch.randn(3, 2, 6, 5, 2, 4, dtype=F64) + k for k in range(4)]
    for b in batches:
        norm(b)
    stats = [_stats(b, _ico_kept(2)) for b in batches]
    torch.testing.assert_close(norm.running_mean, torch.stack([s[0] for s in stats]).mean(0))
    torch.testing.assert_close(norm.running_var, torch.stack([s[1] for s in stats]).mean(0))
