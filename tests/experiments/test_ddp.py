# SPDX-License-Identifier: MIT
"""Two processes on CPU (gloo) through Lightning's DDP: both ranks end with identical weights."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from lightning.pytorch.callbacks import Callback

from gconv.experiments import TrainConfig, train

pytestmark = pytest.mark.usefixtures("mnist_root")  # real MNIST: skip, or fail under CI


class SaveWeights(Callback):
    """Each rank writes its state_dict (and the samples it saw) at the end of training."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.seen: list[int] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:  # noqa: ANN001
        if trainer.current_epoch == 0:
            self.seen += batch[2].mul(1e6).long().tolist()  # angles identify the digits

    def on_train_end(self, trainer, pl_module) -> None:  # noqa: ANN001
        state = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}
        torch.save({"state": state, "seen": self.seen},
                   Path(self.folder) / f"rank{trainer.global_rank}.pt")  # fmt: skip


def test_two_ranks_hold_identical_weights(tmp_path: Path) -> None:
    cfg = TrainConfig(model="p4cnn", epochs=1, limit_train=256, limit_val=64, batch_size=32,
                      out=str(tmp_path / "run"), devices=2, strategy="ddp_spawn",
                      progress=False, test=False, seed=1)  # fmt: skip
    train(cfg, callbacks=[SaveWeights(str(tmp_path))])
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert len(r0["seen"]) == len(r1["seen"]) == 128  # 256 digits split over 2 ranks
    assert not set(r0["seen"]) & set(r1["seen"])  # disjoint shares
    last = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["global_step"] == 4  # 128 digits per rank in batches of 32: 4 synced steps
    for k, v in r0["state"].items():
        assert torch.equal(v, r1["state"][k]), k  # gradients all-reduced: same update
        assert torch.equal(v, last["state_dict"][k]), k
