# SPDX-License-Identifier: MIT
"""SeededSampler: order is a function of (seed, epoch); ranks get disjoint shares (DDP)."""

from __future__ import annotations

import pytest

from gconv.experiments import ResumableLoader, SeededSampler, ShardSampler


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


@pytest.mark.parametrize(("n", "world", "batch"), [(23, 1, 4), (23, 2, 4), (64, 1, 8)])
def test_resumed_loader_hands_out_the_rest_of_the_epoch(n: int, world: int, batch: int) -> None:
    """Resumed after K batches of epoch E, the loader yields batches K, K + 1, … of the same
    order (and its state counts them); the next epoch is whole again."""

    def loader() -> ResumableLoader:
        s = SeededSampler(n, 5, num_replicas=world, rank=world - 1)
        return ResumableLoader(list(range(n)), batch_size=batch, sampler=s)

    full = loader()
    full.sampler.set_epoch(2)
    whole = [b.tolist() for b in full]
    assert full.state_dict() == {"epoch": 2, "batches": len(whole), "replicas": world}
    for k in range(len(whole) + 1):
        resumed = loader()
        resumed.load_state_dict({"epoch": 2, "batches": k})
        resumed.sampler.set_epoch(2)
        it = iter(resumed)
        assert resumed.state_dict()["batches"] == 0  # lazily: nothing drawn yet
        rest = [b.tolist() for b in it]
        assert rest == whole[k:] and resumed.state_dict() == {
            "epoch": 2,
            "batches": len(whole),
            "replicas": world,
        }
        resumed.sampler.set_epoch(3)
        nxt = [b.tolist() for b in resumed]
        assert len(nxt) == len(whole) and sum(map(len, nxt)) == len(resumed.sampler)


def test_resume_state_of_another_epoch_skips_nothing() -> None:
    s = SeededSampler(12, 1)
    loader = ResumableLoader(list(range(12)), batch_size=5, sampler=s)
    loader.load_state_dict({"epoch": 0, "batches": 2})
    s.set_epoch(1)  # the checkpoint was written at the end of epoch 0
    assert len(list(loader)) == 3


def test_a_resume_with_another_process_count_replays_the_epoch() -> None:
    """Saved by one of 2 processes after 1 batch; resumed by a single process, the epoch's
    positions are dealt differently, so skipping would lose samples: it restarts the epoch."""
    two = ResumableLoader(list(range(12)), batch_size=2, sampler=SeededSampler(12, 4, 2, 0))
    two.sampler.set_epoch(3)
    next(iter(two))
    state = two.state_dict()
    assert state == {"epoch": 3, "batches": 1, "replicas": 2}
    one = ResumableLoader(list(range(12)), batch_size=2, sampler=SeededSampler(12, 4))
    one.load_state_dict(state)
    one.sampler.set_epoch(3)
    with pytest.warns(UserWarning, match="with 1 process.*saved with 2.*replayed from its start"):
        seen = [i for b in one for i in b.tolist()]
    assert sorted(seen) == list(range(12))  # the whole epoch, each sample once
    legacy = ResumableLoader(list(range(12)), batch_size=2, sampler=SeededSampler(12, 4))
    legacy.load_state_dict({"epoch": 3, "batches": 1})  # a checkpoint from before "replicas"
    legacy.sampler.set_epoch(3)
    assert len([b for b in legacy]) == 5  # skips its batch, as it always did


@pytest.mark.parametrize(
    ("state", "says"), [({"epoch": 1}, "'batches'"), ({"epoch": "x", "batches": 1}, "'x'")]
)
def test_resumable_loader_bad_state_and_sampler(state: dict, says: str) -> None:
    loader = ResumableLoader(list(range(4)), batch_size=2, sampler=SeededSampler(4))
    with pytest.raises(ValueError, match=f"expected a state .*{says}"):
        loader.load_state_dict(state)
    with pytest.raises(TypeError, match="needs a SeededSampler and a batch_size, got ShardSampler"):
        ResumableLoader(list(range(4)), batch_size=2, sampler=ShardSampler(4))
