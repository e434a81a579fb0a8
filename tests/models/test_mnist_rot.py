# SPDX-License-Identifier: MIT
"""The rotated-MNIST models: shapes, parameter counts derived from the layouts, exact
invariance (float64) where the group makes it hold, and its absence where it must not."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gconv.equivariance import check_equivariance
from gconv.models import (
    P4CNN,
    P4MCNN,
    Z2CNN,
    P4CNNRotationPooling,
    P4MCNNCosetPooling,
    get_model,
    list_models,
    model_spec,
)

#: the family registered by gconv/models/mnist_rot.py
MODELS = [n for n in list_models() if model_spec(n).builder.__module__ == "gconv.models.mnist_rot"]

# Exactness claim in float64: rot90/flip permute the pixels, so f(g·x) and f(x) sum the same
# products in another order; rounding differences are ~1e-15 relative, far below 1e-12.
EXACT = 1e-12
# A model that is not invariant differs by O(1) relative error for random weights and inputs
# (measured 0.08–0.9 here); 1e-3 is 9 orders above rounding and far below that.
CLEARLY_NONZERO = 1e-3


def _x(batch: int = 4, size: int = 28) -> torch.Tensor:
    return torch.randn(batch, 1, size, size, dtype=torch.float64)


def _randomise_bn(model: nn.Module) -> None:
    """Give every batch norm non-trivial affine parameters and running statistics."""
    for mod in model.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            with torch.no_grad():
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_()
                mod.running_mean.normal_(0.0, 0.1)
                mod.running_var.uniform_(0.5, 1.5)


def _model(name: str, **kwargs) -> nn.Module:
    model = get_model(name, **kwargs).double()
    _randomise_bn(model)
    return model


# ---------------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("name", list(MODELS))
def test_output_shape_and_backward(name: str) -> None:
    model = get_model(name)
    x = torch.randn(3, 1, 28, 28)
    y = model(x)
    assert y.shape == (3, 10)
    y.logsumexp(dim=1).sum().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
    assert any(p.grad.abs().sum() > 0 for p in model.parameters())


@pytest.mark.parametrize("name", list(MODELS))
def test_other_sizes(name: str) -> None:
    model = get_model(name, in_channels=3, num_classes=5).eval()
    assert model(torch.randn(2, 3, 36, 36)).shape == (2, 5)


# ------------------------------------------------------------------------ parameter counts
def _conv(cin: int, cout: int, k: int, order_in: int = 1) -> int:
    """Weights cout·cin·|G_in|·k² plus one bias per output channel (shared over the group)."""
    return cout * cin * order_in * k * k + cout


def _bn(c: int) -> int:
    return 2 * c  # affine weight and bias per channel (running stats are buffers)


def _layout(c: int, order_in: int) -> int:
    """Six 3×3 conv + BN blocks on c channels (layer 1 from 1 input channel) + 4×4 top to 10;
    layers 2–7 read ``order_in`` orientations per channel (1 for images)."""
    first = _conv(1, c, 3) + _bn(c)
    rest = 5 * (_conv(c, c, 3, order_in) + _bn(c))
    top = _conv(c, 10, 4, order_in)
    return first + rest + top


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (Z2CNN(), _layout(20, 1)),
        (P4CNN(), _layout(10, 4)),
        (P4CNNRotationPooling(), _layout(20, 1)),  # every layer lifts an image
        (P4MCNN(), _layout(7, 8)),
        (P4MCNNCosetPooling(), _layout(7, 8) + (2 * 10) * 10 + 10),  # + Linear(20, 10)
        (P4CNN(channels=3), _layout(3, 4)),
    ],
    ids=["z2cnn", "p4cnn", "p4cnn-rp", "p4mcnn", "p4mcnn-coset", "p4cnn-c3"],
)
def test_parameter_count(model: nn.Module, expected: int) -> None:
    assert model.num_parameters() == expected
    assert model.num_parameters() == sum(p.numel() for p in model.parameters())


def test_p4mcnn_channels_keep_count_comparable() -> None:
    """7 ≈ 10/√2 channels is the p4m width whose count is closest to P4CNN's."""
    target = P4CNN().num_parameters()
    gaps = {c: abs(P4MCNN(channels=c).num_parameters() - target) for c in range(4, 11)}
    assert min(gaps, key=gaps.get) == 7


# ------------------------------------------------------------------------------- invariance
@pytest.mark.parametrize(
    ("name", "group"),
    [("p4cnn", "p4"), ("p4cnn-rp", "p4"), ("p4mcnn", "p4m"), ("p4mcnn-coset", "p4")],
)
def test_exactly_invariant_eval(name: str, group: str) -> None:
    model = _model(name)
    report = check_equivariance(model, group, _x(), "image", "invariant")
    assert all(row.exact for row in report.rows)
    assert report.max_error < EXACT, str(report)


@pytest.mark.parametrize(
    ("name", "group"),
    [("p4cnn", "p4"), ("p4cnn-rp", "p4"), ("p4mcnn", "p4m"), ("p4mcnn-coset", "p4")],
)
def test_exactly_invariant_train_mode(name: str, group: str) -> None:
    """In train mode batch norm uses the batch statistics, which are invariant too (mean and
    variance over batch, group axis and plane). No dropout by default, so the whole forward is
    deterministic. A plain callable keeps the checker from switching to eval mode."""
    model = _model(name).train()
    assert not any(isinstance(m, nn.Dropout) for m in model.modules())
    report = check_equivariance(lambda t: model(t), group, _x(), "image", "invariant")
    # a plain callable declares nothing, so every row is "unknown" and max_error (exact rows
    # only) says nothing: the bound is on each row's error
    assert len(report.rows) == (8 if group == "p4m" else 4)
    assert max(row.error for row in report.rows) < EXACT, str(report)
    assert model.training


def test_coset_pooled_features_are_d4_equivariant() -> None:
    """Before the read-out, the coset variant's (B, 10, 2, 1, 1) scores transform under D4 by
    the quotient action (a mirror swaps the two cosets): equivariant on all 8 elements."""
    model = _model("p4mcnn-coset")
    trunk = nn.Sequential(model.features, model.top.conv, model.top.group_pool)
    x = _x()
    assert trunk.eval()(x).shape == (4, 10, 2, 1, 1)
    report = check_equivariance(trunk, "p4m", x, "image", "features")
    assert report.verdict == "equivariant", str(report)
    assert all(r.status == "exact" for r in report.rows), str(report)
    assert max(row.error for row in report.rows) < EXACT, str(report)


def test_coset_variant_is_not_mirror_invariant() -> None:
    model = _model("p4mcnn-coset")
    report = check_equivariance(model, "p4m", _x(), "image", "invariant")
    errors = {g: row.error for g, row in enumerate(report.rows)}
    assert max(errors[g] for g in range(4)) < EXACT, str(report)  # rotations: exact
    assert min(errors[g] for g in range(4, 8)) > CLEARLY_NONZERO, str(report)  # mirrors: not


def test_p4cnn_is_not_mirror_invariant() -> None:
    report = check_equivariance(_model("p4cnn"), "p4m", _x(), "image", "invariant")
    assert min(row.error for row in report.rows[4:]) > CLEARLY_NONZERO, str(report)


def test_z2cnn_is_not_rotation_invariant() -> None:
    report = check_equivariance(_model("z2cnn"), "p4", _x(), "image", "invariant")
    assert report.rows[0].error == 0.0  # identity: same input, same output (eval mode)
    assert min(row.error for row in report.rows[1:]) > CLEARLY_NONZERO, str(report)


def test_z2cnn_dropout_only_in_train_mode() -> None:
    model = Z2CNN()
    drops = [m for m in model.modules() if isinstance(m, nn.Dropout)]
    assert len(drops) == 5 and all(d.p == 0.3 for d in drops)
    x = torch.randn(2, 1, 28, 28)
    model.eval()
    torch.testing.assert_close(model(x), model(x), rtol=0, atol=0)
    model.train()
    assert not torch.equal(model(x), model(x))  # fresh dropout masks each call
    assert not any(isinstance(m, nn.Dropout) for m in Z2CNN(dropout=0.0).modules())


# ----------------------------------------------------------------------------- state / API
@pytest.mark.parametrize("name", list(MODELS))
def test_state_dict_round_trip(name: str) -> None:
    a = _model(name).eval()
    x = _x(2)
    y = a(x)  # eval mode: caches the expanded filter banks
    b = get_model(name).double().eval()
    b.load_state_dict(a.state_dict())
    torch.testing.assert_close(b(x), y, rtol=0, atol=0)
    assert a.state_dict().keys() == a.train().state_dict().keys()


def test_state_dict_names_follow_reference() -> None:
    keys = set(P4CNN().state_dict())
    assert {"features.l1.conv.weight", "features.l6.bn.running_var", "top.conv.bias"} <= keys


def test_get_model_errors() -> None:
    with pytest.raises(ValueError, match="known models: .*z2cnn, p4cnn, p4cnn-rp"):
        get_model("resnet")
    with pytest.raises(TypeError):
        get_model("p4cnn", no_such_argument=1)
    assert isinstance(get_model("P4CNN"), P4CNN)


@pytest.mark.parametrize(
    "kwargs",
    [{"channels": 0}, {"num_classes": -1}, {"in_channels": 1.5}, {"dropout": 1.0}],
)
def test_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        P4CNN(**kwargs)


def test_bad_top_pool_and_input() -> None:
    with pytest.raises(ValueError, match="top_pool must be one of"):
        P4MCNN(top_pool="mirrors")
    with pytest.raises(ValueError, match=r"expected an image batch \(B, 1, H, W\)"):
        P4CNN()(torch.randn(2, 3, 28, 28))


def test_registered_specs() -> None:
    classes = {"z2cnn": Z2CNN, "p4cnn": P4CNN, "p4cnn-rp": P4CNNRotationPooling,
               "p4mcnn": P4MCNN, "p4mcnn-coset": P4MCNNCosetPooling}  # fmt: skip
    assert MODELS == list(classes)
    for name, cls in classes.items():
        spec = model_spec(name)
        assert (spec.input_kind, spec.output_kind, spec.task) == (
            "image",
            "logits",
            "classification",
        )
        assert spec.input_shape == (1, 28, 28) and type(spec.build()) is cls
    assert [model_spec(n).group for n in classes] == [None, "p4", "p4", "p4m", "p4"]
