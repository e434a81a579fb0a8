# SPDX-License-Identifier: MIT
"""The harness's callbacks without a trainer: ``Throughput`` times the rest of an epoch that
a resume from a mid-epoch checkpoint enters without ``on_train_epoch_start``."""

from __future__ import annotations

import time

from gconv.experiments._callbacks import Throughput


def test_throughput_times_the_rest_of_a_resumed_epoch():
    t = Throughput()
    t.load_state_dict({"wall_s": 5.0, "train_s": 1.0, "images": 10})  # from the checkpoint
    t.on_train_start(None, None)  # Lightning's order on a mid-epoch resume: no epoch start
    time.sleep(0.02)
    t.on_train_epoch_end(None, None)
    assert t.wall_s >= 5.0 + 0.02
    t.on_train_epoch_start(None, None)  # the next epoch: its own clock
    t.on_train_epoch_end(None, None)
    assert 5.02 <= t.wall_s < 5.02 + 1.0
    assert t.state_dict()["images"] == 10
