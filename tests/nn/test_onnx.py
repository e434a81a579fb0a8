# SPDX-License-Identifier: MIT
"""ONNX: an exported P4CNN through torch.onnx.export (the dynamo exporter, which needs
onnxscript), run by onnxruntime, equals PyTorch to 1e-5; the batch size stays free."""

from __future__ import annotations

import pytest
import torch

from gconv.models import get_model
from gconv.nn import export_model

ort = pytest.importorskip("onnxruntime")  # the dev extra installs onnx, onnxscript, onnxruntime
pytest.importorskip("onnxscript")


# torch 2.13's dynamo exporter copies its own pytree specs and trips its own deprecation (raised
# in copyreg, not by gconv or this test); the filter names that one message only
@pytest.mark.filterwarnings(
    "ignore:`isinstance\\(treespec, LeafSpec\\)` is deprecated:FutureWarning"
)
@pytest.mark.parametrize("name", ["p4cnn", "p4mcnn"])
def test_onnx_of_exported_model_matches_pytorch(name: str, tmp_path) -> None:
    torch.manual_seed(0)
    model = get_model(name).eval()
    with torch.no_grad():  # non-trivial batch-norm statistics
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.5, 2.0)
    plain = export_model(model)
    x = torch.randn(3, 1, 28, 28)
    program = torch.onnx.export(
        plain, (x,), dynamo=True, input_names=["image"], output_names=["logits"],
        dynamic_shapes={"x": {0: torch.export.Dim("batch")}}, verbose=False,
    )  # fmt: skip
    path = tmp_path / f"{name}.onnx"
    program.save(str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (1, 6):  # another batch size than the traced one
        x = torch.rand(batch, 1, 28, 28)
        got = torch.from_numpy(session.run(None, {"image": x.numpy()})[0])
        with torch.no_grad():
            want = model(x)
        assert got.shape == want.shape == (batch, 10)
        assert (got - want).abs().max() <= 1e-5 * max(1.0, want.abs().max().item())
