# SPDX-License-Identifier: MIT
"""The LightningModule of the ``generative`` task (see ``_generative.py`` for the metrics).

A class-conditional GAN: the registered ``model`` is the discriminator D (``gan-d-z2`` or
``gan-d-p4``), the generator G is :class:`gconv.models.ConditionalGenerator`. Lightning manual
optimisation, one D step then one G step per batch, hinge loss (Lim & Ye 2017; Miyato et al.
2018)::

    L_D = E[max(0, 1 − D(x, y))] + E[max(0, 1 + D(G(z, y), y))],   L_G = −E[D(G(z', y), y)]

with the real batch's labels y as the conditioning labels of the fakes and fresh z, z' ~ N(0, I)
per step. Adam for both, β = (β1, β2) (default (0, 0.9), the hinge-GAN family's), learning rates
lr_D (the harness's ``lr``) and lr_G; the study's recipe (``studies/gan.py``: lr_D = lr_G =
8·10⁻⁴, batch 32 at the ``cpu`` budget) was chosen by the pilot runs of results/gan-plan.md.

D's learning rate is the harness's ``lr`` (a study sets it in the arm's recipe). The other
settings travel in ``model_kwargs`` (the per-run dict a study budget reaches) and are taken out
of it before D is built: ``lr_g`` (default 1e-4), ``beta1``, ``beta2``, ``z_dim`` (64),
``g_width`` (16), ``g_cond`` ("concat", or "cbn": class-conditional batch norm in G),
``g_out_mean`` (None, or the data's mean pixel: G's output bias starts at its logit),
``g_ema`` (None, or the decay of the moving average of G's weights — :class:`GeneratorEMA`,
updated after every G step — which is then the generator that validation, test and the sample
grid use), ``scorer_epochs`` (10) and ``scorer_limit`` (None: all 10,000 training digits) — the
scorer's recipe —, and ``val_digits`` (None: the whole validation split) — how many validation
digits ``val_fd`` uses. The validation digits' own scorer features are computed once per run
(they do not change) and reused every epoch.

Every latent draw comes from a generator seeded by (seed, epoch, batch, rank, stream), the data
order from (seed, epoch), and G's batch norm statistics, D's spectral-norm vectors, both
Adam states and the averaged generator (with its update count) are in the epoch checkpoint: a run resumed from an epoch checkpoint is the
uninterrupted run (tested). Validation and test draw fixed latents (keyed by split and batch),
so the epochs' ``val_fd`` differ only by the networks. Single process: the scores are not
gathered across DDP ranks.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
import torch.nn.functional as F
from lightning.pytorch.core.optimizer import LightningOptimizer
from torch import nn

from ._augment import STREAMS, seeded_generator
from ._checkpoint import CheckpointError
from ._gan_score import frechet_distance, load_scorer
from ._module import WrappedNet, resolve_net

if TYPE_CHECKING:
    from ..models import MNISTRotCNN

__all__ = ["GAN", "GAN_SETTINGS", "GeneratorEMA", "sample_grid"]

#: GAN settings read from ``model_kwargs`` (name → default)
GAN_SETTINGS: dict[str, Any] = {
    "lr_g": 1e-4, "beta1": 0.0, "beta2": 0.9, "z_dim": 64, "g_width": 16,
    "scorer_epochs": 10, "scorer_limit": None, "val_digits": None, "g_ema": None,
    "g_out_mean": None, "g_cond": "concat",
}  # fmt: skip
_Z_TRAIN, _Z_FAKE_G, _Z_EVAL, _Z_GRID = 21, 22, 23, 24  # latent streams
_SPLITS = {"val": 0, "test": 1}


def _settings(model_kwargs: dict[str, Any] | None, lr: float) -> tuple[dict, dict]:
    """(GAN settings, D's own kwargs) from ``model_kwargs``."""
    kw = dict(model_kwargs or {})
    own = {k: kw.pop(k, v) for k, v in GAN_SETTINGS.items()}
    own["lr_d"] = lr
    for name, key in (("lr (the discriminator's)", "lr_d"), ("lr_g", "lr_g")):
        if isinstance(own[key], bool) or not (isinstance(own[key], (int, float)) and own[key] > 0):
            raise ValueError(f"GAN: {name} must be a positive number, got {own[key]!r}")
    for name in ("beta1", "beta2"):
        if not (isinstance(own[name], (int, float)) and 0 <= own[name] < 1):
            raise ValueError(f"GAN: {name} must be in [0, 1), got {own[name]!r}")
    ema = own["g_ema"]
    if ema is not None and (isinstance(ema, bool) or not isinstance(ema, (int, float))
                            or not 0 < ema < 1):  # fmt: skip
        raise ValueError(f"GAN: g_ema must be None (off) or a decay in (0, 1), got {ema!r}")
    return own, kw


def _mismatch(what: str, expected: list[tuple], got: list[tuple]) -> str:
    """Where two lists of parameter shapes first differ, in words."""
    if len(got) != len(expected):
        return f"{what}: expected {len(expected)} parameter tensors, got {len(got)}"
    i = next(i for i, (e, g) in enumerate(zip(expected, got, strict=True)) if e != g)
    return f"{what}: parameter {i} should have shape {expected[i]}, got {got[i]}"


class GeneratorEMA(nn.Module):
    """Exponential moving average of a generator's weights (Yazıcı et al. 2019): after the
    t-th update (t = 1, 2, …) ``θ̄ ← d_t θ̄ + (1 − d_t) θ`` with ``d_t = min(decay,
    t / (t + 10))`` (the warm-up keeps the first steps' random weights from lingering in a
    short run); buffers (batch-norm statistics) are copied, so the averaged net runs in eval
    mode with the trained generator's running statistics. ``updates`` counts t and is a buffer,
    so it is checkpointed with the averaged weights and a resumed run continues exactly.

    >>> from gconv.models import ConditionalGenerator
    >>> g = ConditionalGenerator(z_dim=4, width=2); ema = GeneratorEMA(g, 0.9)
    >>> with torch.no_grad(): _ = g.project.bias.add_(1.0)
    >>> ema.update(g)  # t = 1: d_1 = 1/11, so the average moves 10/11 of the way
    >>> round(float((g.project.bias - ema.net.project.bias).detach().abs().max()), 4)
    0.0909
    """

    updates: torch.Tensor  # a buffer

    def __init__(self, generator: nn.Module, decay: float) -> None:
        super().__init__()
        if not isinstance(generator, nn.Module):
            raise TypeError(f"generator must be an nn.Module, got {type(generator).__name__}")
        if not 0.0 <= float(decay) < 1.0:
            raise ValueError(f"decay must be in [0, 1), got {decay}")
        self.decay = float(decay)
        self.net = copy.deepcopy(generator).requires_grad_(False)  # mode: the owner's
        self.register_buffer("updates", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def update(self, generator: nn.Module) -> None:
        """One averaging step towards ``generator``'s current weights (the same architecture
        as the one this average was built from)."""
        shapes = [tuple(p.shape) for p in self.net.parameters()]
        got = [tuple(p.shape) for p in generator.parameters()]
        if got != shapes:
            raise ValueError(_mismatch("generator does not match the averaged one", shapes, got))
        self.updates += 1
        t = float(self.updates)
        d = min(self.decay, t / (t + 10.0))
        for avg, p in zip(self.net.parameters(), generator.parameters(), strict=True):
            avg.lerp_(p.detach(), 1.0 - d)
        for avg_b, b in zip(self.net.buffers(), generator.buffers(), strict=True):
            avg_b.copy_(b)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.net(z, y)


class GAN(WrappedNet):
    """Conditional GAN on 28×28 digits; ``self.net`` is D (so ``num_params`` counts D),
    ``self.generator`` is G. Hyper-parameters are plain values (``weights_only`` checkpoints).
    After ``trainer.test``: ``test_results`` (``test_fd``, ``test_gen_acc``,
    ``test_gen_acc_<k>``, ``test_real_acc``, ``test_n``, the optimiser settings, ``params_g``)
    and ``<run dir>/samples.png`` (a grid of generated digits per class)."""

    def __init__(
        self,
        model: str = "gan-d-p4",
        model_kwargs: dict[str, Any] | None = None,
        lr: float = 4e-4,
        augment: str = "none",
        seed: int = 0,
        num_classes: int = 10,
        net: nn.Module | None = None,
    ) -> None:
        super().__init__()
        own, d_kwargs = _settings(model_kwargs, lr)
        net, self._augment = resolve_net(model, d_kwargs, net, "image", augment, own["lr_d"])
        from ..models import ConditionalGenerator

        self.save_hyperparameters(ignore=["net"])
        self.automatic_optimization = False
        self.settings = own
        self.net = net
        self.generator = ConditionalGenerator(
            own["z_dim"],
            num_classes,
            own["g_width"],
            out_mean=own["g_out_mean"],
            cond=own["g_cond"],
        )
        #: the averaged generator (when ``g_ema`` is set): what validation, test and the sample
        #: grid use; in the checkpoint with its update count
        self.generator_ema = None if own["g_ema"] is None else GeneratorEMA(
            self.generator, own["g_ema"])  # fmt: skip
        self._real: dict[int, tuple[torch.Tensor, ...]] = {}  # val batch → real features
        self._scorer: tuple[MNISTRotCNN, float] | None = None  # not a submodule: not saved
        self._eval: dict[str, list] = {}
        self.test_results: dict[str, Any] = {}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Refuse a checkpoint of another recipe: a study's run key and run folder do not name
        every GAN setting (``model_kwargs``), so a changed recipe could otherwise resume an old
        run's weights and optimiser states."""
        saved = checkpoint.get("hyper_parameters", {})
        diff = sorted(k for k in self.hparams if k in saved and saved[k] != self.hparams[k])
        if diff:
            raise CheckpointError(
                "GAN: the checkpoint was written with other settings "
                + "; ".join(f"{k}: {saved[k]!r} there, {self.hparams[k]!r} here" for k in diff)
                + " — move the run folder away or use another --out"
            )

    def setup(self, stage: str) -> None:
        """Refuse DDP: validation and test scores (``val_fd``, ``test_fd``, …) are computed on
        each process's share of the digits and not gathered, so they would differ by rank."""
        world = self.trainer.world_size
        if world > 1:
            raise ValueError(
                f"GAN: runs in one process (its FD and accuracy scores are not gathered across "
                f"processes), got {world} (--devices/--num-nodes): use --devices 1"
            )

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        s = self.settings
        betas = (s["beta1"], s["beta2"])
        return [
            torch.optim.Adam(self.net.parameters(), lr=s["lr_d"], betas=betas),
            torch.optim.Adam(self.generator.parameters(), lr=s["lr_g"], betas=betas),
        ]

    def _z(self, n: int, *keys: int) -> torch.Tensor:
        z = torch.randn(n, self.settings["z_dim"], generator=seeded_generator(*keys))
        return z.to(self.device)

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        x, y = batch[0], batch[1]
        keys = (self.hparams["seed"], self.current_epoch, batch_idx, self.global_rank)
        x = self._augment(x, seeded_generator(*keys, STREAMS["augment"]))
        opt_d, opt_g = cast(list[LightningOptimizer], self.optimizers())  # two: a list
        fake = self.generator(self._z(x.shape[0], *keys, _Z_TRAIN), y)
        loss_d = F.relu(1.0 - self.net(x, y)).mean()
        loss_d = loss_d + F.relu(1.0 + self.net(fake.detach(), y)).mean()
        opt_d.zero_grad()
        self.manual_backward(loss_d)
        opt_d.step()
        fake = self.generator(self._z(x.shape[0], *keys, _Z_FAKE_G), y)
        loss_g = -self.net(fake, y).mean()
        opt_g.zero_grad()
        self.manual_backward(loss_g)
        opt_g.step()
        if self.generator_ema is not None:
            self.generator_ema.update(self.generator)
        self.log("loss_d", loss_d, on_step=True, on_epoch=True, prog_bar=True)
        self.log("loss_g", loss_g, on_step=True, on_epoch=True, prog_bar=True)

    # ------------------------------------------------------------------------- evaluation
    def eval_generator(self) -> nn.Module:
        """The generator that is scored and sampled: the averaged one when ``g_ema`` is set."""
        return self.generator if self.generator_ema is None else self.generator_ema.net

    def scorer(self) -> MNISTRotCNN:
        """The Z2CNN scorer (loaded or trained once per recipe, on this module's device)."""
        if self._scorer is None:
            s = self.settings
            self._scorer = load_scorer(s["scorer_epochs"], s["scorer_limit"])
        return self._scorer[0].to(self.device)

    def _eval_step(self, split: str, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        x, y = batch[0], batch[1]
        if split == "val" and self.settings["val_digits"] is not None:  # the first val_digits
            room = self.settings["val_digits"] - sum(
                p[4].shape[0] for p in self._eval.get(split, [])
            )
            x, y = x[: max(room, 0)], y[: max(room, 0)]
            if not y.shape[0]:
                return
        fake = self.eval_generator()(
            self._z(x.shape[0], self.hparams["seed"], _Z_EVAL, _SPLITS[split], batch_idx), y
        )
        scorer = self.scorer()
        fake_f = scorer.features(fake)  # (B, 20, 4, 4)
        real = self._real.get(batch_idx) if split == "val" else None
        if real is None or not torch.equal(real[2], x.cpu()):  # the real digits' scores
            real_f = scorer.features(x)
            real = (real_f.flatten(1).double().cpu(), scorer.top(real_f).argmax(1).cpu(), x.cpu())
            if split == "val":  # the same digits every epoch: scored once
                self._real[batch_idx] = real
        parts = (real[0], fake_f.flatten(1).double().cpu(), real[1],
                 scorer.top(fake_f).argmax(1).cpu(), y.cpu())  # fmt: skip
        self._eval.setdefault(split, []).append(parts)

    def _scores(self, split: str) -> dict[str, Any]:
        real_f, fake_f, real_p, fake_p, y = (
            torch.cat(t) for t in zip(*self._eval.pop(split), strict=True)
        )
        out: dict[str, Any] = {
            "fd": frechet_distance(real_f, fake_f),
            "gen_acc": float((fake_p == y).double().mean()),
            "real_acc": float((real_p == y).double().mean()),
            "n": int(y.shape[0]),
        }
        for k in range(self.hparams["num_classes"]):
            mask = y == k
            hit = (fake_p[mask] == k).double().mean() if mask.any() else torch.tensor(np.nan)
            out[f"gen_acc_{k}"] = float(hit)
        return out

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        self._eval_step("val", batch, batch_idx)

    def on_validation_epoch_end(self) -> None:
        s = self._scores("val")
        self.log("val_fd", s["fd"], prog_bar=True)
        self.log("val_gen_acc", s["gen_acc"])

    def on_test_epoch_start(self) -> None:
        self._eval.pop("test", None)

    def test_step(
        self, batch: tuple[torch.Tensor, ...], batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        if dataloader_idx == 0:
            self._eval_step("test", batch, batch_idx)

    def on_test_epoch_end(self) -> None:
        s = self._scores("test")
        self.log("test_fd", s["fd"])
        results = {f"test_{k}": v for k, v in s.items()}
        results |= {k: self.settings[k] for k in ("lr_d", "lr_g", "beta1", "beta2", "g_ema")}
        results["params_g"] = sum(p.numel() for p in self.generator.parameters())
        results["scorer_val_acc"] = self._scorer[1] if self._scorer else float("nan")
        ckpt = getattr(self.trainer, "checkpoint_callback", None)
        if ckpt is not None and getattr(ckpt, "dirpath", None):
            results["samples_png"] = str(self.write_samples(Path(ckpt.dirpath).parent))
        self.test_results = results

    def write_samples(self, out: str | os.PathLike, per_class: int = 8) -> Path:
        """``out/samples.png``: ``per_class`` generated digits (columns) for each class (rows),
        from fixed latents; G in eval mode."""
        k = self.hparams["num_classes"]
        y = torch.arange(k, device=self.device).repeat_interleave(per_class)
        g = self.eval_generator()
        was = g.training
        g.eval()
        with torch.no_grad():
            images = g(self._z(y.shape[0], self.hparams["seed"], _Z_GRID), y)
        g.train(was)
        return sample_grid(images.cpu(), k, Path(out) / "samples.png")


def sample_grid(images: torch.Tensor, rows: int, path: str | os.PathLike) -> Path:
    """Save images ``(rows·cols, 1, H, W)`` in [0, 1] as a PNG grid (row r = class r),
    atomically; returns the path."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 1:
        got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"sample_grid: expected images (N, 1, H, W), got {got}")
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1 or images.shape[0] % rows:
        raise ValueError(
            f"sample_grid: rows must be a positive int dividing N = {images.shape[0]}, got {rows!r}"
        )
    from ._plots import _pyplot, save_figure

    n, _, h, w = images.shape
    cols = n // rows
    tiles = images[:, 0].reshape(rows, cols, h, w).permute(0, 2, 1, 3).reshape(rows * h, cols * w)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(cols * 0.5, rows * 0.5))
    ax.imshow(tiles.numpy(), cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_yticks([h * (r + 0.5) for r in range(rows)], [str(r) for r in range(rows)])
    ax.set_xticks([])
    ax.set_ylabel("class")
    return save_figure(fig, path)
