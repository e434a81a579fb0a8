# SPDX-License-Identifier: MIT
"""SeededSampler: order is a function of (seed, epoch); ranks get disjoint shares (DDP)."""

from __future__ import annotations

import pytest

from gconv.experiments import SeededSampler, ShardSampler


def _order(n: int, seed: int, epoch: int, world: int = 1, rank: int = 0) -> list[int]:
    s = SeededSampler(n, seed, num_replicas=world, rank=rank)
    s.set_epoch(epoch)
    return list(s)


def test_order_is_a_function_of_seed_and_epoch() -> None:
    a = _order(100, 7, 3)
    assert sorted(a) == list(range(100))
    assert a == _order(100, 7, 3)  # a fresh sampler (e.g. after a resume) repeats it
    assert a != _order(100, 7, 4) and a != _order(100, 8, 3)
    assert a != list(range(100))


@pytest.mark.parametrize(("n", "world"), [(100, 2), (99, 2), (10, 3), (7, 4)])
def test_ranks_partition_the_epoch(n: int, world: int) -> None:
    shares = [_order(n, 1, 2, world, r) for r in range(world)]
    assert all(len(s) == -(-n // world) for s in shares)  # equal lengths: DDP steps in lockstep
    flat = [i for s in shares for i in s]
    assert set(flat) == set(range(n))
    assert len(flat) - n == (-n) % world  # only the padding repeats, as in DistributedSampler
    if n % world == 0:
        assert len(set(flat)) == n  # disjoint
    # the shares deal out the single-process permutation
    whole = _order(n, 1, 2)
    assert whole == [shares[pos % world][pos // world] for pos in range(n)]


@pytest.mark.parametrize(("n", "world"), [(10, 3), (2000, 2)])
def test_shard_sampler_counts_every_sample_once(n: int, world: int) -> None:
    flat = [i for r in range(world) for i in ShardSampler(n, world, r)]
    assert sorted(flat) == list(range(n))


def test_bad_rank() -> None:
    with pytest.raises(ValueError, match="rank"):
        SeededSampler(10, num_replicas=2, rank=2)
