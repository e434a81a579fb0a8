# SPDX-License-Identifier: MIT
"""Frozen behaviour of the reference models (issue "Groups as objects"): float64 logits of the
five rotated-MNIST models and the MNIST S2CNN for fixed weights and inputs, and their
state_dict keys. Refactors must reproduce ``frozen_logits.json`` to 1e-12 (``test_frozen.py``)
— the file is written once by ``python tests/models/_frozen.py --write`` and never regenerated to
make a test pass.

Weights are not the models' own initialisation (which may legitimately change): every floating
entry of the state_dict is overwritten from one seeded generator, in sorted key order, so the
fixture pins the *function* a given state_dict computes, and its keys (old checkpoints load).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

FIXTURE = Path(__file__).with_name("frozen_logits.json")
PLANAR = ("z2cnn", "p4cnn", "p4cnn-rp", "p4mcnn", "p4mcnn-coset")


def s2cnn_reference() -> nn.Module:
    """The MNIST S2CNN (Cohen et al. 2018) as the registry must build it: keys s2.*, so3.*,
    head.*; S² bandwidth 30 → SO(3) b 10 → b 6 → Haar integral → Linear(40, 10)."""
    from gconv.nn import S2Conv, SO3Conv, so3_integrate

    class S2CNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.s2 = S2Conv(1, 20, 30, 10)
            self.so3 = SO3Conv(20, 40, 10, 6)
            self.head = nn.Linear(40, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = torch.relu(self.so3(torch.relu(self.s2(x))))
            return self.head(so3_integrate(h))

    return S2CNN()


def builders() -> dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]]:
    """name → (builder, input shape). ``s2cnn`` comes from the registry once it is there."""
    from gconv import models

    out: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
        name: ((lambda n=name: models.get_model(n)), (3, 1, 28, 28)) for name in PLANAR
    }
    try:
        models.get_model("s2cnn")
    except ValueError:
        out["s2cnn"] = (s2cnn_reference, (2, 1, 60, 60))
    else:
        out["s2cnn"] = ((lambda: models.get_model("s2cnn")), (2, 1, 60, 60))
    return out


def fill(model: nn.Module, seed: int) -> None:
    """Overwrite every floating state_dict entry from one generator (sorted keys); running
    variances get positive values."""
    gen = torch.Generator().manual_seed(seed)
    state = model.state_dict()
    new = {}
    for key in sorted(state):
        t = state[key]
        if not t.is_floating_point():
            new[key] = t
            continue
        v = torch.randn(t.shape, generator=gen, dtype=torch.float64) * 0.3
        if key.endswith("running_var"):
            v = v.abs() + 0.5
        new[key] = v.to(t.dtype)
    model.load_state_dict(new)


def logits(name: str) -> tuple[list[str], torch.Tensor]:
    """(sorted state_dict keys, float64 eval-mode logits) of the frozen setting of ``name``."""
    build, shape = builders()[name]
    torch.manual_seed(0)
    model = build().double().eval()
    fill(model, seed=sum(map(ord, name)))
    gen = torch.Generator().manual_seed(1234)
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        y = model(x)
    return sorted(model.state_dict()), y


def write() -> None:
    data = {}
    for name in builders():
        keys, y = logits(name)
        data[name] = {
            "keys": keys,
            "shape": list(y.shape),
            "logits": [v.hex() for v in y.flatten().tolist()],
        }
    tmp = FIXTURE.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(FIXTURE)


def load() -> dict:
    return json.loads(FIXTURE.read_text())


def decode(entry: dict) -> torch.Tensor:
    return torch.tensor([float.fromhex(v) for v in entry["logits"]], dtype=torch.float64).view(
        entry["shape"]
    )


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    write()
