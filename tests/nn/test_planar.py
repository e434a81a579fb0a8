# SPDX-License-Identifier: MIT
"""Contract tests of LiftConv2d / GroupConv2d: exact equivariance for every element of C4 and
D4 (float64, random shapes obeying the grid rule), an independent reference, gradcheck,
state_dict, eval cache, export, errors and initialisation."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gconv.equivariance import check_equivariance
from gconv.groups import C4, D4, get
from gconv.nn import GroupConv2d, LiftConv2d, ShapeError

# relative error of exact equivariance in float64: the layers only permute filter entries and
# run one convolution, so errors are sums of ~C·|G|·k² rounding errors of size 1e-16
TOL64 = 1e-12


def _random_config(rng: random.Random) -> dict:
    """Kernel 1–5, padding, dilation, stride, size drawn so the grid rule holds."""
    while True:
        k, d, s = rng.randint(1, 5), rng.choice([1, 1, 2]), rng.choice([1, 1, 2, 3])
        p, n = rng.randint(0, 2), rng.randint(6, 13)
        span = n + 2 * p - d * (k - 1) - 1
        if span >= 0 and span % s == 0:
            return dict(kernel_size=k, dilation=d, stride=s, padding=p, size=n)


@pytest.mark.parametrize("group", ["p4", "p4m"])
@pytest.mark.parametrize("lifting", [True, False], ids=["lift", "group"])
@pytest.mark.parametrize("seed", range(6))
def test_exact_equivariance_random_configs(group, lifting, seed):
    rng = random.Random(seed * 31 + lifting)
    cfg = _random_config(rng)
    n = cfg.pop("size")
    cin, cout = rng.randint(1, 4), rng.randint(1, 4)
    G = get(group)
    cls = LiftConv2d if lifting else GroupConv2d
    layer = cls(cin, cout, group=group, dtype=torch.float64, **cfg)
    with torch.no_grad():
        layer.bias.normal_()
    shape = (2, cin, n, n) if lifting else (2, cin, G.order, n, n)
    report = check_equivariance(
        layer, G, torch.randn(shape, dtype=torch.float64), "image" if lifting else "features"
    )
    assert len(report.rows) == G.order and all(r.exact for r in report.rows)
    assert report.max_error < TOL64, str(report)


def _reference_kernel(weight: np.ndarray, G, g: int, lifting: bool) -> np.ndarray:
    """ψ_g(h, u) = ψ(g⁻¹h, g⁻¹u) computed from the 2×2 matrices and the table, not rot90."""
    k = weight.shape[-1]
    c = (k - 1) // 2
    out = np.empty_like(weight)
    ginv = np.linalg.inv(G.matrix(g)).round().astype(int)
    for i in range(k):
        for j in range(k):
            vx, vy = ginv @ np.array([j - c, c - i])  # offset u -> g⁻¹u, y pointing up
            src = weight[..., c - vy, c + vx]
            if not lifting:
                src = src[..., G.table[G.inverse(g)]]  # group axis: h -> g⁻¹h
            out[..., i, j] = src
    return out


@pytest.mark.parametrize("group", ["p4", "p4m"])
@pytest.mark.parametrize("lifting", [True, False], ids=["lift", "group"])
def test_matches_independent_reference(group, lifting):
    G = get(group)
    cls = LiftConv2d if lifting else GroupConv2d
    layer = cls(3, 2, 3, group=group, padding=1, dtype=torch.float64)
    x = torch.randn((2, 3, 8, 8) if lifting else (2, 3, G.order, 8, 8), dtype=torch.float64)
    y = layer(x)
    w = layer.weight.detach().numpy()
    xf = x if lifting else x.flatten(1, 2)
    for g in G.elements():
        kern = torch.from_numpy(_reference_kernel(w, G, g, lifting)).reshape(2, xf.shape[1], 3, 3)
        ref = F.conv2d(xf, kern, layer.bias, padding=1)
        torch.testing.assert_close(y[:, :, g], ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("mode", ["zeros", "circular", "reflect", "replicate"])
def test_padding_modes_keep_exactness(mode):
    layer = GroupConv2d(2, 3, 3, group="p4m", padding=2, padding_mode=mode, dtype=torch.float64)
    rep = check_equivariance(
        layer, "p4m", torch.randn(2, 2, 8, 9, 9, dtype=torch.float64), "features"
    )
    assert all(r.exact for r in rep.rows) and rep.max_error < TOL64


def test_padding_same():
    layer = LiftConv2d(1, 2, 5, padding="same")
    assert layer(torch.randn(1, 1, 10, 10)).shape == (1, 2, 4, 10, 10)
    with pytest.raises(ValueError, match="cannot be split evenly"):
        LiftConv2d(1, 2, 4, padding="same")
    assert LiftConv2d(1, 2, 4, padding="same", dilation=2).padding == 3  # 2·3 splits evenly


def test_gradcheck():
    for layer, x in [
        (LiftConv2d(2, 2, 3, group="p4m", stride=2, dtype=torch.float64), (1, 2, 5, 5)),
        (GroupConv2d(1, 2, 2, group="p4", padding=1, dtype=torch.float64), (1, 1, 4, 4, 4)),
    ]:
        inp = torch.randn(x, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(
            lambda t, w, b, m=layer: _call(m, t, w, b), (inp, layer.weight, layer.bias)
        )


def _call(module, x, w, b):
    return torch.func.functional_call(module, {"weight": w, "bias": b}, (x,))


def test_state_dict_round_trip_and_mode_independence():
    a = GroupConv2d(3, 4, 3, group="p4m")
    x = torch.randn(2, 3, 8, 6, 6)
    keys_train = set(a.state_dict())
    a.eval()
    a(x)  # fills the eval cache
    assert set(a.state_dict()) == keys_train == {"weight", "bias"}
    b = GroupConv2d(3, 4, 3, group="p4m").eval()
    b.load_state_dict(a.state_dict())
    torch.testing.assert_close(b(x), a(x), rtol=0, atol=0)


def test_eval_cache_is_reused_and_invalidated():
    layer = GroupConv2d(2, 2, 3, group="p4").eval()
    x = torch.randn(1, 2, 4, 7, 7)
    with torch.no_grad():
        y0 = layer(x)
        cached = layer._cache[3][0]
        layer(x)
        assert layer._cache[3][0] is cached  # reused
        layer.weight.mul_(2.0)  # in-place change (as an optimiser step) bumps the version
        torch.testing.assert_close(
            layer(x) - layer.bias.view(1, -1, 1, 1, 1) * 1,
            2 * (y0 - layer.bias.view(1, -1, 1, 1, 1)),
        )
        other = GroupConv2d(2, 2, 3, group="p4")
        layer.load_state_dict(other.state_dict())
        torch.testing.assert_close(layer(x), other.eval()(x))
    # with grad enabled the bank must stay differentiable even in eval mode
    layer(x).sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("mode", [torch.no_grad, torch.inference_mode])
def test_parametrised_weight_is_never_cached(mode):
    """A spectrally normalised weight is a fresh tensor at every access (its id may repeat, and
    in inference mode it has no version counter): the layer expands it at every call."""
    from torch.nn.utils.parametrizations import spectral_norm

    torch.manual_seed(0)
    layer = spectral_norm(GroupConv2d(2, 3, 3, group="p4")).eval()
    x = torch.randn(1, 2, 4, 7, 7)
    with mode():
        y0 = layer(x)
    with torch.no_grad():
        original = layer.parametrizations.weight.original
        original.add_(torch.randn_like(original))
    with mode():
        y1 = layer(x)
    assert layer._cache is None
    ref = GroupConv2d(2, 3, 3, group="p4").eval()
    with torch.no_grad():
        ref.weight.copy_(layer.weight), ref.bias.copy_(layer.bias)
        torch.testing.assert_close(y1, ref(x))
    assert (y1 - y0).abs().max() > 0.1


@pytest.mark.parametrize("group", ["p4", "p4m"])
@pytest.mark.parametrize("lifting", [True, False], ids=["lift", "group"])
def test_export(group, lifting):
    G = get(group)
    cls = LiftConv2d if lifting else GroupConv2d
    layer = cls(3, 5, 3, group=group, stride=2, padding=1, padding_mode="reflect")
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn((4, 3, 11, 11) if lifting else (4, 3, G.order, 11, 11))
    y = layer(x)
    exported = layer.export()
    assert isinstance(exported.conv, torch.nn.Conv2d)
    assert (y - exported(x)).abs().max() <= 1e-5 * y.abs().max()
    flat = exported.conv(x if lifting else x.flatten(1, 2))
    torch.testing.assert_close(flat[:, 2 * G.order + 1], y[:, 2, 1])  # channel c·|G| + g


def test_shape_and_argument_errors():
    with pytest.raises(ShapeError, match=r"expected \(B, 10, 4, H, W\) for 10 channels on C4"):
        GroupConv2d(10, 2, 3)(torch.randn(1, 10, 8, 9, 9))
    with pytest.raises(ValueError, match="looks like an image"):
        GroupConv2d(10, 2, 3)(torch.randn(1, 10, 9, 9))
    with pytest.raises(ValueError, match=r"expected an image batch \(B, 3, H, W\)"):
        LiftConv2d(3, 2, 3)(torch.randn(1, 1, 9, 9))
    with pytest.raises(ValueError, match="unknown group 'p6'; known: p4"):
        LiftConv2d(1, 1, 3, group="p6")
    with pytest.raises(ValueError, match="two equal ints"):
        LiftConv2d(1, 1, (3, 5))
    with pytest.raises(ValueError, match="padding_mode"):
        LiftConv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="positive int"):
        LiftConv2d(0, 1, 3)


@pytest.mark.parametrize("group", ["p4", "p4m"])
def test_init_keeps_scale_through_depth(group):
    """He init over the true fan-in C·|G|·k² keeps E[h²] of a ReLU stack in expectation.

    Averaged over 4 draws of the weights (one draw fluctuates by ~2× over 8 layers through
    the mean mode of ReLU outputs); circular padding removes border loss. A fan-in wrong by
    the factor |G| would move the ratio by |G|⁸, so the band [1/3, 3] separates them."""
    ratios = []
    for seed in range(4):
        torch.manual_seed(seed)
        layers = [LiftConv2d(24, 24, 3, group=group, padding=1, padding_mode="circular")]
        layers += [
            GroupConv2d(24, 24, 3, group=group, padding=1, padding_mode="circular")
            for _ in range(7)
        ]
        x = torch.randn(2, 24, 12, 12)
        h = x
        with torch.no_grad():
            for layer in layers:
                h = torch.relu(layer(h))
        ratios.append((h**2).mean().item() / (x**2).mean().item())
    assert 1 / 3 < sum(ratios) / len(ratios) < 3, ratios


def test_negative_stride_rule():
    """Stride 2 on a size that breaks the rule: the tool says inexact and the error is real."""
    layer = GroupConv2d(2, 2, 3, group="p4", stride=2, dtype=torch.float64)
    x = torch.randn(2, 2, 4, 10, 10, dtype=torch.float64)  # 10 − 2 − 1 = 7, odd
    rep = check_equivariance(layer, C4, x, "features")
    assert rep.rows[0].exact and not any(r.exact for r in rep.rows[1:])
    assert "not divisible by stride 2" in rep.rows[1].reason
    assert min(r.error for r in rep.rows[1:]) > 1e-2


def test_mirror_elements_need_only_their_axis():
    """A pure mirror and 90° reverse the width only, so a rule broken along H leaves them exact;
    180°, 270° and mirror-then-180° reverse H and are not."""
    layer = GroupConv2d(1, 1, 3, group="p4m", stride=2, dtype=torch.float64)
    x = torch.randn(1, 1, 8, 10, 11, dtype=torch.float64)  # H: 7 odd (broken), W: 8 even
    rep = check_equivariance(layer, D4, x, "features")
    exact = {r.name: r.exact for r in rep.rows}
    assert exact["mirror, rot 0°"] and exact["rot 90°"] and exact["mirror, rot 90°"]
    assert not any(exact[k] for k in ("rot 180°", "rot 270°", "mirror, rot 180°"))
    assert rep.passed


def test_torch_compile_matches_eager():
    """The layers trace without graph breaks that change results (one compile, ~15 s on CPU)."""
    net = torch.nn.Sequential(
        LiftConv2d(1, 3, 3, group="p4m", padding=1), torch.nn.ReLU(), GroupConv2d(3, 2, 3, "p4m")
    )
    x = torch.randn(2, 1, 9, 9)
    # static shapes, fresh caches: other tests compile the same forwards at other sizes, which
    # would make dynamo mark the sizes dynamic (inductor's conv lowering then fails in torch 2.13)
    torch._dynamo.reset()
    compiled = torch.compile(net, dynamic=False)
    torch.testing.assert_close(compiled(x), net(x), rtol=1e-5, atol=1e-5)
