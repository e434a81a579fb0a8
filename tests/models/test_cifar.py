# SPDX-License-Identifier: MIT
"""The CIFAR-10 models: parameter counts derived from the layouts, shapes, the registry
entries, exact invariance of the pooled variants (float64) and the measured inexactness of the
paper's strided layouts."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gconv.equivariance import check_equivariance
from gconv.models.cifar import AllCNNC, AvgPool2x2, PreActBlock, ResNet, specs
from gconv.nn._checks import grid_rule

# float64 exactness: rot90/flip permute pixels, so f(g·x) sums the same products as f(x) in
# another order; measured ≤ 1.3e-15 relative for the models below, the bound asked is 1e-10.
EXACT = 1e-10
# A symmetry the model does not have (mirrors for p4, rotations through a stride-2 layer)
# shows relative errors of 6.6e-3 … 3.5e-1 for these random weights (measured); 1e-6 is nine
# orders of magnitude above rounding and far below those.
CLEARLY_NONZERO = 1e-6
ORDER = {None: 1, "p4": 4, "p4m": 8}


def _conv_params(cin: int, cout: int, k: int, n_in: int) -> int:
    """Weights cin·|G_in|·cout·k² (a lifting conv has |G_in| = 1) plus one bias per channel."""
    return cin * n_in * cout * k * k + cout


def allcnnc_count(c1: int, c2: int, group: str | None, batchnorm: bool = True) -> int:
    n = ORDER[group]
    plan = [(3, c1, 3), (c1, c1, 3), (c1, c1, 3), (c1, c2, 3), (c2, c2, 3), (c2, c2, 3),
            (c2, c2, 3), (c2, c2, 1), (c2, 10, 1)]  # fmt: skip
    convs = sum(_conv_params(i, o, k, 1 if j == 0 else n) for j, (i, o, k) in enumerate(plan))
    return convs + (2 * sum(o for _, o, _ in plan) if batchnorm else 0)


def resnet_count(widths: tuple[int, int, int], group: str | None, flatten_head: bool) -> int:
    n, blocks = ORDER[group], 7
    total = _conv_params(3, widths[0], 3, 1)  # stem (lifting)
    cin = widths[0]
    for cout in widths:
        for b in range(blocks):
            i = cin if b == 0 else cout
            total += 2 * i + _conv_params(i, cout, 3, n) + 2 * cout + _conv_params(cout, cout, 3, n)
            if i != cout:  # 1×1 shortcut where the stage changes
                total += _conv_params(i, cout, 1, n)
        cin = cout
    return total + 2 * cin + (cin * (n if flatten_head else 1) * 10 + 10)  # BN + linear head


def _build(name: str, **kwargs) -> nn.Module:
    return next(s for s in specs() if s["name"] == name)["builder"](**kwargs)


def _randomise_bn(model: nn.Module) -> nn.Module:
    for mod in model.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            with torch.no_grad():
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_()
                mod.running_mean.normal_(0.0, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
    return model


# ---------------------------------------------------------------------------------- counts
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("allcnnc-z2", 1_372_254),
        ("allcnnc-p4", 1_371_006),
        ("allcnnc-p4-exact", 1_371_006),
        ("allcnnc-p4m", 1_219_678),
        ("allcnnc-p4m-exact", 1_219_678),
        ("resnet44-z2", 2_639_434),
        ("resnet44-p4m", 2_622_878),
        ("resnet44-p4m-exact", 2_619_728),
    ],
)
def test_parameter_counts(name: str, expected: int) -> None:
    spec = next(s for s in specs() if s["name"] == name)
    d = spec["defaults"]
    if name.startswith("allcnnc"):
        derived = allcnnc_count(*d["channels"], d["group"])
    else:
        derived = resnet_count(d["channels"], d["group"], d["head"] == "flatten")
    assert spec["builder"]().num_parameters() == derived == expected


@pytest.mark.parametrize(
    ("group", "channels", "expected"),
    [(None, (96, 192), 1_369_738), ("p4", (48, 96), 1_369_738), ("p4m", (32, 64), 1_218_826)],
)
def test_allcnnc_convolution_parameters_match_the_paper(group, channels, expected) -> None:
    """Weights + biases only (no batch norm): the paper's 1.37M / 1.37M / 1.22M."""
    model = AllCNNC(group, channels, batchnorm=False)
    assert model.num_parameters() == allcnnc_count(*channels, group, False) == expected


# ------------------------------------------------------------------------ shapes, registry
@pytest.mark.parametrize("spec", specs(), ids=lambda s: s["name"])
def test_registry_entry_builds_and_trains(spec) -> None:
    assert spec["input_kind"] == "image" and spec["output_kind"] == "logits"
    assert spec["task"] == "classification" and spec["input_shape"] == (3, 32, 32)
    assert spec["group"] in (None, "p4", "p4m") and spec["description"].startswith("CIFAR-10")
    model = spec["builder"]()
    assert model.group == spec["group"] == spec["defaults"]["group"]
    y = model(torch.randn(2, *spec["input_shape"]))
    assert y.shape == (2, 10)
    y.logsumexp(dim=1).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_registry_names_and_overrides() -> None:
    names = [s["name"] for s in specs()]
    assert names == ["allcnnc-z2", "allcnnc-p4", "allcnnc-p4-exact", "allcnnc-p4m",
                     "allcnnc-p4m-exact", "resnet44-z2", "resnet44-p4m",
                     "resnet44-p4m-exact"]  # fmt: skip
    model = _build("allcnnc-p4", num_classes=5, channels=(4, 6))
    assert model(torch.randn(1, 3, 32, 32)).shape == (1, 5)
    assert _build("allcnnc-p4")(torch.randn(1, 3, 32, 32)).shape == (1, 10)  # defaults intact


def test_allcnnc_dropout_rates_and_layout() -> None:
    model = AllCNNC("p4", (4, 6))
    f = model.features
    assert (f.drop0.p, f.drop3.p, f.drop6.p) == (0.2, 0.5, 0.5)
    names = [n for n, _ in f.named_children()]
    assert names == ["drop0", "l1", "l2", "l3", "drop3", "l4", "l5", "l6", "drop6", "l7",
                     "l8", "l9"]  # fmt: skip
    assert (
        f.l3[0].stride == 2 and AllCNNC("p4", (4, 6), downsample="pool").features.l3[0].stride == 1
    )


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (AllCNNC, {"group": "p8"}, "group must be one of"),
        (AllCNNC, {"downsample": "max"}, "downsample must be one of"),
        (AllCNNC, {"dropout": (0.2, 1.0)}, "dropout rates"),
        (ResNet, {"head": "max"}, "head must be one of"),
        (ResNet, {"blocks": 0}, "blocks must be a positive int"),
    ],
)
def test_bad_arguments(cls, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


# --------------------------------------------------------------------------- exactness
def test_strided_layers_cannot_be_exact_on_32x32() -> None:
    """A stride-2 layer maps the 32×32 grid onto itself only if 32 + 2p − k is even: never for
    k = 3 or k = 1 (any padding); 2×2 pooling (and a 3×3 conv on 33×33) does."""
    for p in range(6):
        assert grid_rule(32, 3, 2, p, 1) is not None
        assert grid_rule(16, 3, 2, p, 1) is not None
        assert grid_rule(32, 1, 2, p, 1) is not None
    assert grid_rule(32, 2, 2, 0, 1) is None and grid_rule(16, 2, 2, 0, 1) is None
    assert grid_rule(33, 3, 2, 1, 1) is None and grid_rule(17, 3, 2, 1, 1) is None


def test_pooled_layer_is_one_strided_convolution() -> None:
    """conv3×3 (stride 1, pad 1) → AvgPool2x2 equals a stride-2 4×4 conv (pad 1) whose filter
    is the 3×3 filter convolved with the 2×2 box / 4: the exact variant stays all-conv."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 32, 32, generator=g, dtype=torch.float64)
    w = torch.randn(5, 3, 3, 3, generator=g, dtype=torch.float64)
    w4 = sum(F.pad(w, (b, 1 - b, a, 1 - a)) for a in (0, 1) for b in (0, 1)) / 4
    pooled = AvgPool2x2()(F.conv2d(x, w, padding=1))
    torch.testing.assert_close(pooled, F.conv2d(x, w4, stride=2, padding=1), rtol=0, atol=1e-12)


# Widths are reduced (the depth is not): invariance is a per-layer property of the layout, and
# full widths cost ~3 GMAC per image and forward pass in float64.
EXACT_VARIANTS = [
    ("allcnnc-p4-exact", {"channels": (4, 6)}, "p4"),
    ("allcnnc-p4m-exact", {"channels": (3, 5)}, "p4m"),
    ("resnet44-p4m-exact", {"channels": (2, 3, 4)}, "p4m"),
]


@pytest.mark.parametrize(("name", "kwargs", "group"), EXACT_VARIANTS, ids=lambda v: str(v))
def test_exact_variants_are_invariant_in_float64(name, kwargs, group) -> None:
    torch.manual_seed(0)
    model = _randomise_bn(_build(name, **kwargs).double())
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    report = check_equivariance(model, "p4m", x, "image", "invariant", tolerance=EXACT)
    # the checker's declarations agree: every element exact, but a p4 model's mirrors
    assert [r.exact for r in report.rows] == [
        group == "p4m" or not r.name.startswith("mirror") for r in report.rows
    ]
    for r in report.rows:
        if group == "p4m" or not r.name.startswith("mirror"):
            assert r.error <= EXACT, str(report)
        else:  # a p4 model is not invariant to mirrors
            assert r.error > CLEARLY_NONZERO, str(report)
    # the same with torch.rot90 / flip directly, on every element of D4
    y = model.eval()(x)
    for m in (0, 1) if group == "p4m" else (0,):
        for r in range(4):
            gx = torch.rot90(x.flip(-1) if m else x, r, dims=(-2, -1))
            assert (model(gx) - y).norm() <= EXACT * y.norm()


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("allcnnc-p4", {"channels": (4, 6)}),
        ("allcnnc-p4m", {"channels": (3, 5)}),
        ("resnet44-p4m", {"channels": (2, 3, 4)}),
    ],
)
def test_paper_layouts_are_reported_not_exact(name, kwargs) -> None:
    torch.manual_seed(0)
    model = _randomise_bn(_build(name, **kwargs).double())
    group = model.group
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    report = check_equivariance(model, group, x, "image", "invariant")
    # the transpose is exact for All-CNN-C (see below); ResNet's flatten head breaks it
    transpose = [r.name == "mirror, rot 90°" and name == "allcnnc-p4m" for r in report.rows]
    assert [r.exact for r in report.rows] == [i == 0 or transpose[i] for i in range(len(transpose))]
    assert "is not divisible by stride 2" in str(report)
    for r in report.rows[1:4]:  # rotations by 90°, 180°, 270°: measurably not invariant
        assert r.error > CLEARLY_NONZERO, str(report)
    if name == "allcnnc-p4m":
        # The transpose (mirror, then rotate 90°) swaps H and W without reversing either, so a
        # stride-2 layer samples a square input alike: it is exact, and the checker says so.
        transpose = report.rows[5]
        assert transpose.name == "mirror, rot 90°" and transpose.exact
        assert transpose.error <= EXACT


def test_block_shortcuts() -> None:
    assert PreActBlock("p4", 3, 3, halve=False).shortcut is None
    assert PreActBlock("p4", 3, 5, halve=False).shortcut.stride == 1
    assert PreActBlock("p4", 3, 5, halve=True).shortcut.stride == 2
    pooled = PreActBlock("p4", 3, 5, halve=True, downsample="pool")
    assert isinstance(pooled.shortcut[0], AvgPool2x2) and pooled.shortcut[1].stride == 1
    x = torch.randn(2, 3, 4, 8, 8)
    assert pooled(x).shape == (2, 5, 4, 4, 4)
