# SPDX-License-Identifier: MIT
"""The icosahedral models: exact parameter count derived from the layer shapes, output shapes,
invariance / equivariance under the 60 rotations (checker), and the registry specs."""

from __future__ import annotations

import pytest
import torch

from gconv.equivariance import check_equivariance
from gconv.models.icosahedral import IcoCNN, IcoCNNSeg, specs

F64 = torch.float64


def test_ico_cnn_parameter_count_derived() -> None:
    """Lift: C_out·C_in·1·7 + C_out; group conv: C_out·C_in·6·7 + C_out; IcoBatchNorm: 2C;
    head BatchNorm1d 2C and Linear C_in·C_out + C_out."""
    chans = [1, 8, 16, 16, 24, 24, 32, 64]
    convs = sum(
        co * ci * (1 if i == 0 else 6) * 7 + co
        for i, (ci, co) in enumerate(zip(chans[:-1], chans[1:], strict=True))
    )
    norms = sum(2 * c for c in chans[1:])
    head = sum(2 * a + a * b + b for a, b in ((64, 64), (64, 32), (32, 10)))
    expected = convs + norms + head
    assert expected == 182_218  # REFERENCES §2f, recounted from the public re-implementation
    model = IcoCNN()
    assert model.num_parameters() == expected == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("channels", "expected"), [((8, 16, 24), 95_491), ((8, 16, 24, 32), 227_467)]
)
def test_ico_cnn_seg_parameter_count_derived(channels: tuple[int, ...], expected: int) -> None:
    """Per level i ≥ 1 a stride-2 conv c_{i−1} → c_i and a conv c_i → c_i; per decoder level a
    conv (c_i + c_{i−1}) → c_{i−1}; each conv with its IcoBatchNorm (2C); the lift 1 → c_0 with
    its norm; the classifier c_0 → 11 without."""

    def conv(ci: int, co: int, lift: bool = False) -> int:
        return co * ci * (1 if lift else 6) * 7 + co

    c = channels
    total = conv(1, c[0], lift=True) + 2 * c[0] + conv(c[0], 11)
    for i in range(1, len(c)):
        total += conv(c[i - 1], c[i]) + conv(c[i], c[i]) + 4 * c[i]
        total += conv(c[i] + c[i - 1], c[i - 1]) + 2 * c[i - 1]
    assert total == expected
    assert IcoCNNSeg(channels=c).num_parameters() == expected


def test_shapes() -> None:
    x = torch.randn(3, 1, 2562)
    assert IcoCNN()(x).shape == (3, 10)
    assert IcoCNNSeg()(x).shape == (3, 11, 2562)
    small = IcoCNN(num_classes=4, r=3, channels=(4, 4, 4, 4, 4))  # strides at 2, 4: r = 3 → 1
    assert small(torch.randn(2, 1, 642)).shape == (2, 4)
    with pytest.raises(ValueError, match="too coarse for 3 strides"):
        IcoCNN(r=3)


def _randomise_norms(model: torch.nn.Module) -> None:
    for m in model.modules():
        if hasattr(m, "running_mean"):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)


def test_ico_cnn_logits_are_invariant_to_all_60_rotations() -> None:
    model = IcoCNN(channels=(2, 3, 3, 3, 3, 4, 4), head=(4,)).double()
    _randomise_norms(model)
    x = torch.randn(2, 1, 2562, dtype=F64)
    report = check_equivariance(model, "ico", x, "vertices", "invariant")
    assert report.verdict == "equivariant", str(report)
    assert len(report.rows) == 60 and report.max_error <= 1e-12


@pytest.mark.parametrize(
    ("variant", "seed"), [({"pool": "mean"}, 5), ({"downsample": "blur"}, 6)], ids=["mean", "blur"]
)
def test_ico_cnn_variants_are_invariant_with_the_same_parameters(variant: dict, seed: int) -> None:
    """pool="mean" (a mean read-out) and downsample="blur" (each stride-2 conv reads hexagon
    means): the same parameters as the default, another function, still exactly invariant to
    the 60 rotations."""
    kw = {"channels": (2, 3, 3, 3, 3, 4, 4), "head": (4,)}
    torch.manual_seed(seed)
    model = IcoCNN(**kw, **variant).double()
    _randomise_norms(model)
    x = torch.randn(2, 1, 2562, dtype=F64)
    report = check_equivariance(model, "ico", x, "vertices", "invariant")
    assert report.verdict == "equivariant", str(report)
    assert len(report.rows) == 60 and report.max_error <= 1e-12
    other = IcoCNN(**kw).double()
    with torch.no_grad():  # the pools have no parameters or buffers: the same tensors in order
        for a, b in zip(model.state_dict().values(), other.state_dict().values(), strict=True):
            b.copy_(a)
    assert not torch.allclose(model.eval()(x), other.eval()(x))
    assert IcoCNN(**variant).num_parameters() == 182_218


def test_ico_cnn_bad_variants_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        IcoCNN(pool="sum")
    with pytest.raises(ValueError, match="downsample must be 'stride' or 'blur', got 'avg'"):
        IcoCNN(downsample="avg")


def test_ico_cnn_seg_is_equivariant() -> None:
    model = IcoCNNSeg(r=3, channels=(2, 3, 3)).double()
    _randomise_norms(model)
    x = torch.randn(2, 1, 642, dtype=F64)
    report = check_equivariance(model, "ico", x, "vertices", "vertices")
    assert report.verdict == "equivariant", str(report)
    assert report.max_error <= 1e-12


def test_four_level_ico_cnn_seg_is_equivariant_down_to_r1() -> None:
    model = IcoCNNSeg(r=4, channels=(2, 2, 3, 3)).double()
    assert model.enc4[1][0].r == 1  # the coarsest level: 42 vertices
    _randomise_norms(model)
    x = torch.randn(2, 1, 2562, dtype=F64)
    report = check_equivariance(model, "ico", x, "vertices", "vertices")
    assert report.verdict == "equivariant", str(report)
    assert report.max_error <= 1e-12


def test_specs() -> None:
    entries = {s["name"]: s for s in specs()}
    assert set(entries) == {"ico-cnn", "ico-cnn-nogauge", "ico-cnn-seg", "ico-cnn-seg-deep"}
    keys = {"name", "builder", "input_kind", "output_kind", "task", "input_shape", "group"}
    for s in entries.values():
        assert keys | {"defaults", "description"} <= set(s)
        assert s["group"] == "ico" and s["input_kind"] == "ico"
        model = s["builder"](**s["defaults"])
        out = model(torch.randn(2, *s["input_shape"]))
        assert out.shape[0] == 2
    assert entries["ico-cnn"]["output_kind"] == "logits"
    assert entries["ico-cnn-seg"]["output_kind"] == "pixel-logits"
    assert (
        entries["ico-cnn-seg-deep"]["builder"](**entries["ico-cnn-seg-deep"]["defaults"]).levels
        == 4
    )


def test_nogauge_ablation_is_measured_not_equivariant() -> None:
    kw = {"channels": (2, 3, 3, 3, 3, 4, 4), "head": (4,)}
    torch.manual_seed(0)
    good = IcoCNN(**kw).double()
    torch.manual_seed(0)
    bad = IcoCNN(**kw, gauge=False).double()
    bad.load_state_dict(good.state_dict())  # the same network, padding aside
    for m in (good, bad):
        torch.manual_seed(1)
        _randomise_norms(m)
    x = torch.randn(2, 1, 2562, dtype=F64)
    rep_good = check_equivariance(good, "ico", x, "vertices", "invariant")
    rep_bad = check_equivariance(bad, "ico", x, "vertices", "invariant")
    assert rep_good.verdict == "equivariant"
    assert rep_bad.verdict == "nothing checkable exactly"
    assert max(r.error for r in rep_bad.rows) > 1e3 * max(rep_good.max_error, 1e-15)


def test_training_steps_lower_the_loss_on_a_fixed_batch() -> None:
    torch.manual_seed(0)
    model = IcoCNN(r=3, channels=(4, 4, 4, 4, 4), head=(8,))
    opt = torch.optim.Adam(model.parameters(), 5e-3)
    x, y = torch.randn(8, 1, 642), torch.randint(0, 10, (8,))
    losses = []
    for _ in range(5):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("name", ["ico-cnn", "ico-cnn-seg"])
def test_runs_on_the_meta_device(name: str) -> None:
    """Nothing hard-codes the CPU: forward in both modes and backward on ``meta`` (shapes
    only), with every index plan and cached table following the input's device."""
    from gconv.models import get_model

    net = get_model(name).to("meta")
    x = torch.randn(2, 1, 2562, device="meta")
    y = net(x)
    y.sum().backward()
    assert y.device.type == "meta" and all(p.grad.device.type == "meta" for p in net.parameters())
    assert net.eval()(x).shape == y.shape == ((2, 10) if name == "ico-cnn" else (2, 11, 2562))
