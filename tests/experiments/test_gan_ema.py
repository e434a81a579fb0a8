# SPDX-License-Identifier: MIT
"""The averaged generator (``g_ema``): the update rule, that scores and samples come from it,
that the validation digits' own features are computed once, and that a GAN refuses DDP (no
MNIST needed: a random Z2CNN stands in for the scorer)."""

from __future__ import annotations

import pytest
import torch

from gconv.experiments import GAN
from gconv.experiments._gan_module import GeneratorEMA
from gconv.models import Z2CNN, ConditionalGenerator


class _Record(torch.nn.Module):
    """Wraps a module and keeps every input it sees."""

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner, self.seen = inner, []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x.detach().clone())
        return self.inner(x)


class _Recording(Z2CNN):
    """A Z2CNN whose ``features`` stage keeps every batch it sees (``seen``)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = _Record(self.features)

    @property
    def seen(self) -> list[torch.Tensor]:
        return self.features.seen


def _gan(**kw) -> tuple[GAN, _Recording]:
    torch.manual_seed(0)
    gan = GAN(model="gan-d-z2", model_kwargs={"z_dim": 8, **kw}).eval()
    scorer = _Recording().eval()
    gan._scorer = (scorer, 1.0)
    return gan, scorer


def test_ema_follows_the_recurrence_with_warm_up():
    torch.manual_seed(1)
    g = ConditionalGenerator(z_dim=4, width=2).double()
    ema = GeneratorEMA(g, 0.9)
    expected = [p.detach().clone() for p in g.parameters()]
    for t in range(1, 6):
        with torch.no_grad():
            for p in g.parameters():
                p.add_(torch.randn_like(p))
            g.net[0].running_mean.add_(torch.rand(g.net[0].running_mean.shape).double())
        ema.update(g)
        d = min(0.9, t / (t + 10))
        expected = [
            d * e + (1 - d) * p.detach() for e, p in zip(expected, g.parameters(), strict=True)
        ]
    assert int(ema.updates) == 5
    for e, a in zip(expected, ema.net.parameters(), strict=True):
        torch.testing.assert_close(a, e, rtol=1e-12, atol=1e-12)
        assert not a.requires_grad
    assert torch.equal(ema.net.net[0].running_mean, g.net[0].running_mean)
    assert not torch.equal(next(ema.net.parameters()), next(g.parameters()))


def test_ema_update_names_the_first_parameter_whose_shape_differs():
    ema = GeneratorEMA(ConditionalGenerator(z_dim=4, width=2), 0.9)
    before = [p.clone() for p in ema.net.parameters()]
    other = ConditionalGenerator(z_dim=4, width=3)  # same parameter count, wider layers
    first = next(
        i
        for i, (a, b) in enumerate(zip(ema.net.parameters(), other.parameters(), strict=True))
        if a.shape != b.shape
    )
    with pytest.raises(ValueError, match=rf"parameter {first} should have shape \("):
        ema.update(other)
    assert int(ema.updates) == 0  # nothing averaged
    assert all(torch.equal(a, b) for a, b in zip(before, ema.net.parameters(), strict=True))


def test_scores_come_from_the_averaged_generator():
    gan, scorer = _gan(g_ema=0.99)
    assert gan.eval_generator() is gan.generator_ema.net
    with torch.no_grad():  # the trained generator moves away from its average
        for p in gan.generator.parameters():
            p.add_(0.5 * torch.randn_like(p))
    x, y = torch.rand(6, 1, 28, 28), torch.arange(6)
    with torch.no_grad():
        gan._eval_step("test", (x, y), 0)
        z = gan._z(6, gan.hparams.seed, 23, 1, 0)  # the test latents of batch 0
        want, other = gan.generator_ema.net(z, y), gan.generator(z, y)
    fakes = [s for s in scorer.seen if not torch.equal(s, x)]
    assert len(fakes) == 1 and torch.equal(fakes[0], want) and not torch.allclose(want, other)
    keys = gan.state_dict().keys()
    assert "generator_ema.updates" in keys and "generator_ema.net.project.weight" in keys


def test_without_ema_the_trained_generator_is_scored():
    gan, _ = _gan()
    assert gan.generator_ema is None and gan.eval_generator() is gan.generator
    assert not any(k.startswith("generator_ema") for k in gan.state_dict())


def test_validation_scores_real_digits_once_with_equal_scores():
    gan, scorer = _gan(g_ema=0.9)
    batches = [(torch.rand(5, 1, 28, 28), torch.arange(5) + 5 * i) for i in range(2)]
    scores = []
    with torch.no_grad():
        for _epoch in range(2):
            for i, b in enumerate(batches):
                gan._eval_step("val", b, i)
            scores.append(gan._scores("val"))
        for i, b in enumerate(batches):  # a test pass scores its real digits itself
            gan._eval_step("test", b, i)
        test = gan._scores("test")
    real_calls = [s for s in scorer.seen if any(torch.equal(s, b[0]) for b in batches)]
    assert len(real_calls) == 2 + 2  # val: first epoch only; test: every batch
    assert scores[0] == scores[1]  # same networks, same latents: same scores
    assert test["real_acc"] == scores[0]["real_acc"] and test["fd"] != scores[0]["fd"]
    batches[0] = (torch.rand(5, 1, 28, 28), batches[0][1])  # other digits: scored anew
    with torch.no_grad():
        gan._eval_step("val", batches[0], 0)
    assert torch.equal(scorer.seen[-1], batches[0][0])


@pytest.mark.parametrize("bad", [0.0, 1.0, True, "0.9", -0.5])
def test_bad_ema_decay(bad):
    with pytest.raises(ValueError, match=r"g_ema must be None \(off\) or a decay in \(0, 1\)"):
        GAN(model_kwargs={"g_ema": bad})


def test_a_checkpoint_of_another_recipe_is_refused():
    """Study run keys and folders do not name the GAN settings: resuming must check them."""
    from gconv.experiments._checkpoint import CheckpointError

    old = GAN(model="gan-d-z2", model_kwargs={"z_dim": 8, "lr_g": 1e-4})
    ckpt = {"hyper_parameters": dict(old.hparams), "state_dict": old.state_dict()}
    same = GAN(model="gan-d-z2", model_kwargs={"z_dim": 8, "lr_g": 1e-4})
    same.on_load_checkpoint(ckpt)  # no complaint
    new = GAN(model="gan-d-z2", model_kwargs={"z_dim": 8, "lr_g": 1e-4, "g_ema": 0.999})
    with pytest.raises(CheckpointError, match=r"model_kwargs: \{'z_dim': 8, 'lr_g': 0.0001\} "):
        new.on_load_checkpoint(ckpt)


def test_the_gan_refuses_ddp_whose_scores_it_would_not_gather():
    from types import SimpleNamespace

    gan, _ = _gan()
    gan._trainer = SimpleNamespace(world_size=2)
    with pytest.raises(ValueError, match=r"runs in one process .*got 2 .*use --devices 1"):
        gan.setup("fit")
    gan._trainer = SimpleNamespace(world_size=1)
    gan.setup("fit")
