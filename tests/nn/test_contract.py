# SPDX-License-Identifier: MIT
"""The contract every public layer of ``gconv.nn`` keeps, on one list (``CASES``), so that no
layer misses a check its neighbours have:

- gradients: ``gradcheck`` in float64 with respect to the input *and every parameter* (through
  ``torch.func.functional_call``), in training mode;
- ``state_dict`` round trip: a second instance, built from another seed, loads the first one's
  state (after a training step moved its running statistics) and gives the same output;
- dtypes: float32 gives what float64 gives, to float32 rounding ("close", the policy in
  ``tests/conftest.py``), and keeps the input's dtype;
- devices: the layer runs on the ``meta`` device (nothing hard-codes the CPU) with the same
  output shape;
- empty batches: batch 0 gives batch 0 with the same trailing shape, and backward runs and
  gives every parameter a zero gradient, as torch's layers do (DDP needs every parameter in
  the graph on every rank);
- mixed precision: under ``torch.autocast("cpu", torch.bfloat16)``, with float32 or bfloat16
  inputs, forward and backward run and every parameter gets a gradient of its own dtype; the
  spherical layers (``gconv._precision.full_precision``) give bit for bit the float32 output
  and gradients, the others what float32 gives to bfloat16 rounding;
- parametrised weights (``spectral_norm``, ``weight_norm``): a weight computed afresh at every
  access is read at every call in eval mode, under ``no_grad`` and ``inference_mode``, never
  served from a cache keyed on a tensor that no longer exists; likewise a weight edited through
  ``.data`` (no version counter moves) is read, not a bank cached for its old values.

Each layer's equivariance is tested where its geometry is (``test_planar*.py``,
``test_steerable.py``, ``test_spherical_equivariance.py``, ``test_icosahedral*.py``); the layers
that had no standalone equivariance test get one here
(``test_equivariance_of_layers_only_checked_in_stacks``).
A test that covers every public layer (``test_every_public_layer_is_on_the_list``) keeps the
list complete.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest
import torch
from torch import nn
from torch.func import functional_call
from torch.nn.utils import parametrize

import gconv.nn as gnn
from gconv.equivariance import check_equivariance
from gconv.spherical import s2_fft, s2_ifft, so3_fft, so3_ifft

D = torch.float64
S2GRID = gnn.s2_near_identity_grid(max_beta=0.6, n_alpha=4, n_beta=2)
SO3GRID = gnn.so3_near_identity_grid(max_beta=0.6, n_alpha=3, n_beta=1, n_gamma=3, max_gamma=2.0)


def _ico(c: int, r: int = 1) -> tuple[int, ...]:
    return (2, c, 6, 5, 2**r, 2 ** (r + 1))


def _exported_group_conv() -> nn.Module:
    return gnn.GroupConv2d(2, 2, 3, group="p4", padding=1).export()


def _exported_ico_conv() -> nn.Module:
    return gnn.IcoConv(2, 2, r=1).export()


#: name → (factory of the layer, input shape); every layer built in float64 by the tests
CASES: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "LiftConv2d p4": (lambda: gnn.LiftConv2d(2, 3, 3, group="p4", padding=1), (2, 2, 7, 7)),
    "LiftConv2d c8 steerable": (lambda: gnn.LiftConv2d(1, 2, 5, group="c8", padding=2), (2, 1, 9, 9)),
    "GroupConv2d p4m": (lambda: gnn.GroupConv2d(2, 2, 3, group="p4m", padding=1), (2, 2, 8, 7, 7)),
    "GroupConv2d c8 steerable": (lambda: gnn.GroupConv2d(1, 2, 5, group="c8", padding=2), (2, 1, 8, 9, 9)),
    "ExportedGroupConv": (_exported_group_conv, (2, 2, 4, 7, 7)),
    "GroupPool mean cosets": (lambda: gnn.GroupPool("mean", over="rotations", group="p4m"), (2, 2, 8, 5, 5)),
    "GroupPool max": (lambda: gnn.GroupPool("max"), (2, 2, 4, 5, 5)),
    "GroupMaxPool2d": (lambda: gnn.GroupMaxPool2d(2), (2, 2, 4, 6, 6)),
    "GroupBatchNorm": (lambda: gnn.GroupBatchNorm(2), (3, 2, 4, 5, 5)),
    "RestrictGroup": (lambda: gnn.RestrictGroup("p4m", "p4"), (2, 2, 8, 5, 5)),
    "GroupBlurPool2d": (lambda: gnn.GroupBlurPool2d(), (2, 2, 4, 8, 8)),
    "S2Conv": (lambda: gnn.S2Conv(1, 2, 4, 3, grid=S2GRID), (2, 1, 8, 8)),
    "SO3Conv": (lambda: gnn.SO3Conv(2, 2, 3, 3, grid=SO3GRID), (2, 2, 6, 6, 6)),
    "SO3ToS2Conv": (lambda: gnn.SO3ToS2Conv(2, 2, 3, 3, grid=S2GRID), (2, 2, 6, 6, 6)),
    "SO3SumToS2Conv": (lambda: gnn.SO3SumToS2Conv(2, 2, 3, 3, grid=SO3GRID), (2, 2, 6, 6, 6)),
    "SO3Shortcut": (lambda: gnn.SO3Shortcut(2, 3, 3, 2), (2, 2, 6, 6, 6)),
    "SO3Integrate": (lambda: gnn.SO3Integrate(), (2, 2, 6, 6, 6)),
    "S2Integrate": (lambda: gnn.S2Integrate(), (2, 2, 8, 8)),
    "IcoLift": (lambda: gnn.IcoLift(1, 2, r=1), (2, 1, 42)),
    "IcoConv": (lambda: gnn.IcoConv(2, 2, r=1), _ico(2)),
    "IcoConv stride 2": (lambda: gnn.IcoConv(2, 2, r=2, stride=2), _ico(2, 2)),
    "ExportedIcoConv": (_exported_ico_conv, _ico(2)),
    "IcoPad": (lambda: gnn.IcoPad(1), _ico(2)),
    "IcoPool mean": (lambda: gnn.IcoPool("mean"), _ico(2, 2)),  # r = 0 out: all corners
    "IcoUnpool": (lambda: gnn.IcoUnpool(), _ico(2)),
    "IcoOrientationPool": (lambda: gnn.IcoOrientationPool("max"), _ico(2)),
    "IcoGlobalPool": (lambda: gnn.IcoGlobalPool("max"), _ico(2)),
    "IcoToVertices": (lambda: gnn.IcoToVertices(1), (2, 2, 5, 2, 4)),
    "IcoBatchNorm": (lambda: gnn.IcoBatchNorm(2), _ico(2)),
}  # fmt: skip


def _build(name: str, dtype: torch.dtype = D, seed: int = 0) -> tuple[nn.Module, torch.Tensor]:
    factory, shape = CASES[name]
    torch.manual_seed(seed)
    layer = factory().to(dtype)
    with torch.no_grad():  # biases start at zero: make them count
        for pname, p in layer.named_parameters():
            if pname.endswith("bias"):
                p.normal_()
    x = torch.randn(shape, dtype=D, generator=torch.Generator().manual_seed(seed + 1))
    return layer, x.to(dtype)


def test_every_public_layer_is_on_the_list():
    names = {n.split()[0] for n in CASES}
    public = {
        n
        for n in gnn.__all__
        if inspect.isclass(getattr(gnn, n)) and issubclass(getattr(gnn, n), nn.Module)
    }
    assert public <= names, f"add to CASES: {sorted(public - names)}"


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck_input_and_parameters(name):
    layer, x = _build(name)
    layer.train()
    params = dict(layer.named_parameters())

    def f(inp: torch.Tensor, *values: torch.Tensor) -> torch.Tensor:
        return functional_call(layer, dict(zip(params, values, strict=True)), (inp,))

    inputs = (x.requires_grad_(), *(p.detach().clone().requires_grad_() for p in params.values()))
    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_round_trip(name):
    first, x = _build(name, seed=0)
    first.train()
    with torch.no_grad():
        first(x)  # moves running statistics, where there are any
    state = first.state_dict()
    second, _ = _build(name, seed=5)
    second.load_state_dict(state, strict=True)
    first.eval(), second.eval()
    with torch.no_grad():
        assert torch.equal(first(x), second(x)), name


@pytest.mark.parametrize("name", list(CASES))
def test_float32_gives_what_float64_gives(name, tolerance):
    layer, x = _build(name)
    layer.eval()
    single = _build(name, dtype=torch.float32)[0].eval()
    single.load_state_dict(
        {k: v.float() if v.is_floating_point() else v for k, v in layer.state_dict().items()}
    )
    with torch.no_grad():
        want, got = layer(x), single(x.float())
    assert got.dtype == torch.float32 and want.dtype == D
    assert want.norm() > 0, f"{name}: a zero output checks nothing; pick another input"
    err = float((got.double() - want).norm() / want.norm())
    assert err <= tolerance(torch.float32, "close"), f"{name}: relative error {err:.2e}"


@pytest.mark.parametrize("name", list(CASES))
def test_runs_on_the_meta_device(name):
    layer, x = _build(name)
    layer.eval()
    with torch.no_grad():
        want = layer(x).shape
        got = layer.to("meta")(x.to("meta"))
    assert got.device.type == "meta" and got.shape == want, name


@pytest.mark.parametrize("name", list(CASES))
def test_empty_batch_keeps_the_graph(name):
    layer, x = _build(name)
    layer.train()
    with torch.no_grad():
        want = layer(x).shape[1:]
    empty = x[:0].clone().requires_grad_()
    y = layer(empty)
    assert y.shape == (0, *want), f"{name}: {tuple(y.shape)}"
    if not y.requires_grad:  # only layers with nothing to learn and a non-float path
        pytest.fail(f"{name}: the empty output is cut from the autograd graph")
    y.sum().backward()
    assert empty.grad is not None and empty.grad.shape == empty.shape, name
    for pname, p in layer.named_parameters():
        assert p.grad is not None and not p.grad.any(), f"{name}: {pname}.grad {p.grad}"


class _Scaled(nn.Module):
    """A parametrisation whose value is a fresh tensor at every access (as spectral_norm's)."""

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return 0.5 * w


WEIGHTED = [
    n for n, (f, _) in CASES.items() if isinstance(getattr(f(), "weight", None), nn.Parameter)
]


@pytest.mark.parametrize("mode", [torch.no_grad, torch.inference_mode])
@pytest.mark.parametrize("name", WEIGHTED)
def test_a_parametrised_weight_is_read_at_every_call(name, mode):
    layer, x = _build(name)
    parametrize.register_parametrization(layer, "weight", _Scaled())
    layer.eval()
    with mode():
        before = layer(x)
    with torch.no_grad():
        original = layer.parametrizations.weight.original
        original.add_(torch.randn_like(original))
    twin = _build(name)[0].eval()
    with torch.no_grad():
        twin.load_state_dict({**twin.state_dict(), "weight": layer.weight})
    with mode():
        after, want = layer(x), twin(x)
    # BLAS may round differently for other addresses: float64 to 1e-12, where a stale bank
    # (the old weight) is off by O(1)
    torch.testing.assert_close(after, want, rtol=1e-12, atol=1e-12, msg=name)
    assert (after - before).abs().max() > 1e-3, f"{name}: the new weight changed nothing"


@pytest.mark.parametrize("how", ["copy", "assign"])
@pytest.mark.parametrize("mode", [torch.no_grad, torch.inference_mode])
@pytest.mark.parametrize("name", WEIGHTED)
def test_a_weight_edited_through_data_is_read(name, mode, how):
    """Edits through ``.data`` bump no version counter (Lightning's weight-averaging callbacks
    swap weights so, ``p.data.copy_``): an eval output after such an edit is that of a twin
    that loaded the new values, never one from a bank cached for the old ones."""
    layer, x = _build(name)
    layer.eval()
    with mode():
        before = layer(x)
    g = torch.Generator().manual_seed(7)
    for p in layer.parameters():
        new = torch.randn(p.shape, dtype=p.dtype, generator=g)
        if how == "copy":
            p.data.copy_(new)
        else:
            p.data = new
    twin = _build(name, seed=5)[0].eval()
    twin.load_state_dict(layer.state_dict())
    with mode():
        after, want = layer(x), twin(x)
    torch.testing.assert_close(after, want, rtol=1e-12, atol=1e-12, msg=name)
    assert (after - before).abs().max() > 1e-3, f"{name}: the new weight changed nothing"


def _band_limited(shape: tuple[int, ...]) -> torch.Tensor:
    x = torch.randn(*shape, dtype=D)
    if len(shape) == 4:
        return s2_ifft(s2_fft(x)).real
    return so3_ifft(so3_fft(x)).real


@pytest.mark.parametrize(
    ("name", "group", "kinds"),
    [
        ("GroupBlurPool2d", "p4m", ("features", "features")),
        ("SO3Integrate", "so3", ("so3", "invariant")),
        ("S2Integrate", "so3", ("s2", "invariant")),
    ],
)
def test_equivariance_of_layers_only_checked_in_stacks(name, group, kinds, tolerance):
    layer, x = _build(name)
    if group == "so3":
        x = _band_limited(tuple(x.shape))
    report = check_equivariance(layer, group, x, *kinds, tolerance=tolerance(D, "exact"))
    exact = [r for r in report.rows if r.exact and not r.identity]
    assert report.verdict == "equivariant" and len(exact) >= 3, str(report)
    if group == "so3":  # band-limited input: every rotation, the random ones too, is exact
        assert all(r.exact for r in report.rows), str(report)


#: the layers that leave autocast for their transforms (``gconv._precision.full_precision``)
FULL_PRECISION = {"S2Conv", "SO3Conv", "SO3ToS2Conv", "SO3SumToS2Conv", "SO3Shortcut"}
FULL_PRECISION |= {"SO3Integrate", "S2Integrate"}
#: bfloat16 keeps 8 significant bits (unit roundoff u = 2⁻⁸ ≈ 3.9e-3); the layers round their
#: operands once (autocast) and accumulate in float32, so norm-relative errors of a few u:
#: 4u. A wrong result (a lost gauge shift, a dropped bias) is off by O(1).
BF16_TOL = 4 * 2.0**-8


def _forward_backward(layer: nn.Module, x: torch.Tensor, autocast: bool):
    """Output and gradients (of the input, ``""``, and of every parameter) of Σ r·y, r fixed
    and random (not Σ y², whose input gradient through a batch norm is zero up to rounding)."""
    layer.zero_grad(set_to_none=True)
    x = x.detach().requires_grad_()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        y = layer(x)
    r = torch.randn(y.shape, generator=torch.Generator().manual_seed(7))
    (r * y.float()).sum().backward()
    return y.detach(), {"": x.grad, **{n: p.grad for n, p in layer.named_parameters()}}


def _rel(got: torch.Tensor, want: torch.Tensor) -> float:
    return float((got.double() - want.double()).norm() / want.double().norm().clamp_min(1e-30))


@pytest.mark.parametrize("half_input", [False, True], ids=["float32-in", "bfloat16-in"])
@pytest.mark.parametrize("name", list(CASES))
def test_autocast_bfloat16(name, half_input):
    layer, x = _build(name, dtype=torch.float32)
    layer.train()
    if half_input:  # what a layer before it under autocast hands on
        x = x.bfloat16()
    y, grads = _forward_backward(layer, x, autocast=True)
    want, want_grads = _forward_backward(layer, x.float(), autocast=False)
    for pname, p in [("", x), *layer.named_parameters()]:
        g = grads[pname]
        assert g is not None and g.dtype == p.dtype, f"{name}: {pname or 'input'}.grad {g}"
    if name.split()[0] in FULL_PRECISION:
        assert y.dtype == torch.float32 and torch.equal(y, want), name
        for pname, g in grads.items():
            if pname or not half_input:  # a bfloat16 input's gradient is rounded to it
                assert torch.equal(g, want_grads[pname]), f"{name}: {pname or 'input'}"
        return
    assert _rel(y, want) <= BF16_TOL, f"{name}: output {_rel(y, want):.2e}"
    for pname, g in grads.items():
        err = _rel(g, want_grads[pname])
        assert err <= BF16_TOL, f"{name}: {pname or 'input'} gradient {err:.2e}"
