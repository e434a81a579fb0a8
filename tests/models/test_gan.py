# SPDX-License-Identifier: MIT
"""The GAN models (``gconv.models.gan``): registered counts, shapes, the p4 discriminator's
exact invariance to C4 in float64 eval mode (and the z2 one's lack of it), spectral norm's power
iteration only in training mode, the generator's conditioning."""

from __future__ import annotations

import pytest
import torch

from gconv.equivariance import check_equivariance
from gconv.models import ConditionalGenerator, GanDiscriminator, get_model, model_spec

EXACT = 1e-10  # float64 rounding through ~10 layers is ~1e-15; anything real is far above
CLEARLY_NONZERO = 1e-4


def _x(n: int = 4) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, dtype=torch.float64)


def _disc(group: str, seed: int = 0) -> GanDiscriminator:
    torch.manual_seed(seed)
    d = GanDiscriminator(group).double()
    d.train()
    with torch.no_grad():  # a few power iterations, as after some training, so u ≠ its init
        for _ in range(3):
            d(_x(2))
    return d.eval()


def _disc_count(widths: tuple[int, ...], order: int, classes: int = 10) -> int:
    """Three blocks (3×3 conv, 3×3 conv, 1×1 shortcut, one bias per output channel; a p4
    group convolution's filter has one 3×3 per input channel and orientation, the lifting
    first block one per input channel), then the projection head (linear F → 1 with bias,
    embedding K × F)."""
    total, chans = 0, (1, *widths)
    for i, (a, b) in enumerate(zip(chans, chans[1:], strict=False)):
        g = 1 if i == 0 else order
        total += (b * a * g * 9 + b) + (b * b * order * 9 + b) + (b * a * g + b)
    return total + widths[-1] + 1 + classes * widths[-1]


def _gen_count(w: int = 16, z: int = 64, e: int = 16, classes: int = 10, cbn: bool = False) -> int:
    """Embedding K × e; Linear (z + e) → 4w·7·7; batch norms on 4w, 2w, w channels (affine 2C,
    or class-conditional gain and bias 2KC); ConvTranspose 4×4 4w → 2w → w; Conv 3×3 w → 1."""
    bn = sum(2 * c * (classes if cbn else 1) for c in (4 * w, 2 * w, w))
    linear = (z + e) * 4 * w * 49 + 4 * w * 49
    convs = (4 * w * 2 * w * 16 + 2 * w) + (2 * w * w * 16 + w) + (w * 9 + 1)
    return classes * e + linear + bn + convs


def test_parameter_counts_match_and_are_asserted():
    z2, p4 = get_model("gan-d-z2"), get_model("gan-d-p4")
    assert z2.num_parameters() == _disc_count((16, 32, 64), 1) == 75185  # as documented
    assert p4.num_parameters() == _disc_count((8, 16, 32), 4) == 74585
    assert abs(z2.num_parameters() - p4.num_parameters()) / z2.num_parameters() < 0.01
    assert (z2.widths, p4.widths) == ((16, 32, 64), (8, 16, 32))  # paper's widths × 1/8
    assert ConditionalGenerator().num_parameters() == _gen_count() == 295553
    assert model_spec("gan-d-p4").group == "p4" and model_spec("gan-d-z2").group is None
    assert model_spec("gan-d-p4").task == "generative"


def test_shapes_and_projection_conditioning():
    d = _disc("p4")
    x = _x(3)
    y = torch.tensor([0, 4, 9])
    with torch.no_grad():
        every = d(x)
        picked = d(x, y)
    assert every.shape == (3, 10) and picked.shape == (3,)
    torch.testing.assert_close(picked, every[torch.arange(3), y], rtol=0, atol=1e-12)
    g = ConditionalGenerator().double().eval()
    img = g(torch.randn(3, 64, dtype=torch.float64), y)
    assert img.shape == (3, 1, 28, 28) and 0 <= img.min() and img.max() <= 1


@pytest.mark.parametrize("seed", [0, 1])
def test_p4_discriminator_exactly_invariant_to_c4(seed):
    d = _disc("p4", seed)
    x = _x()
    y = torch.randint(0, 10, (4,))
    with torch.no_grad():
        ref = d(x, y)
        for r in range(1, 4):
            out = d(torch.rot90(x, r, dims=(-2, -1)), y)
            assert (out - ref).abs().max().item() <= EXACT * ref.abs().max().item()
    report = check_equivariance(d, "p4", x, "image", "invariant")
    assert all(row.exact for row in report.rows), str(report)  # declared exact, composed
    assert report.max_error < EXACT, str(report)


def test_z2_discriminator_is_not_invariant_and_not_declared_exact():
    d = _disc("z2")
    report = check_equivariance(d, "p4", _x(), "image", "invariant")
    assert report.rows[0].error == 0.0
    assert min(row.error for row in report.rows[1:]) > CLEARLY_NONZERO, str(report)
    assert not any(row.exact for row in report.rows[1:]), str(report)


def test_spectral_norm_power_iteration_only_in_training():
    """Train mode: each call updates the power-iteration vector u, so two calls on the same
    input differ (and two calls on rotated inputs are not comparable); eval mode: fixed."""
    d = _disc("p4")
    x = _x(2)
    u = dict(d.blocks[0].conv1.parametrizations.weight[0].named_buffers())["_u"].clone()
    with torch.no_grad():
        a, b = d(x), d(x)
    assert torch.equal(a, b)
    u_now = dict(d.blocks[0].conv1.parametrizations.weight[0].named_buffers())["_u"]
    assert torch.equal(u, u_now)
    d.train()
    with torch.no_grad():
        d(x)
    assert not torch.equal(u, u_now)


class _MatchesAnyKey:
    """A cache key equal to every key: a stand-in for a freed weight whose id is reused."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = None


def test_eval_bank_is_rebuilt_for_spectrally_normalised_weights():
    """The planar convs cache their expanded bank in eval mode, keyed by the weight tensor's id;
    a spectrally normalised weight is a new tensor at every access, so a freed one's id may come
    back. The discriminator's convs never use that cache: a stale (here: zeroed) bank under a
    matching key is never used, and weights loaded in eval mode take effect."""
    a, b = _disc("p4", 0), _disc("p4", 1)
    x = _x(2)
    with torch.no_grad():
        ref = a(x)
        for conv in (m for m in a.modules() if hasattr(m, "_cache")):
            bank, bias = conv.expanded_weight()
            conv._cache = (_MatchesAnyKey(), (torch.zeros_like(bank), bias))
        assert torch.equal(a(x), ref)
        a.load_state_dict(b.state_dict())
        assert torch.equal(a(x), b(x))


def test_generator_uses_the_label():
    torch.manual_seed(0)
    g = ConditionalGenerator().eval()
    z = torch.randn(2, 64)
    with torch.no_grad():
        assert not torch.equal(g(z, torch.tensor([1, 1])), g(z, torch.tensor([2, 2])))


def test_small_inputs_are_refused():
    with pytest.raises(ValueError, match=r"H, W ≥ 28 divisible by 4.*got \(2, 1, 26, 26\)"):
        GanDiscriminator("z2")(torch.rand(2, 1, 26, 26))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generator_starts_at_the_data_mean(seed):
    """With ``out_mean`` the untrained generator's mean pixel is near it (measured 0.116–0.159
    for 0.131 over seeds 0–2: the random last layer's spread; tolerance 0.06); without, about
    0.5 — a discriminator's first lesson "too bright" then drives the last layer's weights
    negative and caps every pixel near 0.5 (issue 19's pilots)."""
    z, y = torch.randn(256, 64), torch.arange(256) % 10
    torch.manual_seed(seed)
    fixed = ConditionalGenerator(out_mean=0.131).train()
    torch.manual_seed(seed)
    plain = ConditionalGenerator().train()
    with torch.no_grad():
        assert abs(fixed(z, y).mean().item() - 0.131) < 0.06
        assert abs(plain(z, y).mean().item() - 0.5) < 0.1
    bias = fixed.net[-2].bias.item()
    assert bias == pytest.approx(-1.89215, abs=1e-4)  # logit(0.131)
    for name, p in plain.named_parameters():  # same draws: only that bias differs
        assert torch.equal(p, dict(fixed.named_parameters())[name]) or name == "net.8.bias"


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, True, "0.1"])
def test_generator_refuses_a_bad_out_mean(bad):
    with pytest.raises(ValueError, match=r"out_mean must be None or in \(0, 1\)"):
        ConditionalGenerator(out_mean=bad)


@pytest.mark.parametrize("group", ["z2", "p4"])
def test_projection_embedding_starts_on_the_linear_heads_scale(group):
    """E's raw entries start in ±1/√F like the linear head's (nn.Embedding's N(0, 1) made the
    class term learn ~12× more slowly under Adam), and spectral norm's vectors belong to that
    init: the normalised E's top singular value is 1 (power iteration: within 1 %)."""
    torch.manual_seed(3)
    d = GanDiscriminator(group).eval()
    raw = d.head.embed.parametrizations.weight.original
    bound = 1.0 / d.widths[-1] ** 0.5
    assert raw.abs().max() <= bound and raw.abs().mean() > bound / 4
    w = d.head.linear.parametrizations.weight.original
    assert raw.abs().mean() < 2 * w.abs().mean()
    sigma = torch.linalg.matrix_norm(d.head.embed.weight.detach(), 2).item()
    assert abs(sigma - 1.0) < 0.01


def test_class_batch_norm_starts_plain_and_then_depends_on_the_class():
    from gconv.models.gan import ClassBatchNorm2d

    torch.manual_seed(0)
    cbn, bn = ClassBatchNorm2d(3, 10).double(), torch.nn.BatchNorm2d(3, affine=False).double()
    x, y = torch.randn(6, 3, 5, 5, dtype=torch.float64), torch.tensor([0, 1, 2, 3, 4, 5])
    torch.testing.assert_close(cbn(x, y), bn(x), rtol=0, atol=1e-12)
    with torch.no_grad():
        cbn.gain.weight[1].fill_(2.0)
        cbn.bias.weight[1].fill_(0.5)
    out, ref = cbn(x, y), bn(x)
    torch.testing.assert_close(out[1], 2.0 * ref[1] + 0.5)
    torch.testing.assert_close(out[[0, 2]], ref[[0, 2]])
    g = ConditionalGenerator(cond="cbn")
    assert g.num_parameters() == _gen_count(cbn=True) == 297569
    with pytest.raises(ValueError, match="cond must be 'concat' or 'cbn', got 'film'"):
        ConditionalGenerator(cond="film")
