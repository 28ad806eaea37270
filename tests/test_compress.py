"""`nasforge compress --fold-bn`: fewer parameters, the same outputs, a folder that loads as is."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge import InvalidArgumentError, load
from nasforge.compression import compress, fold_batchnorm
from nasforge.spaces import make_space
from nasforge.task import Task
from tests.cli.test_cli import run
from tests.test_export import exported  # noqa: F401  (fixture)


def trained_statistics(model: torch.nn.Module, shape: tuple[int, ...]) -> None:
    """Give every BatchNorm non-trivial running statistics and affine parameters."""
    model.train()
    with torch.no_grad():
        for _ in range(5):
            model(torch.randn(32, *shape) * 3 + 1)
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 2.0)
                module.bias.uniform_(-1.0, 1.0)
    model.eval()


@pytest.mark.parametrize("space_name", ["macro", "families"])
def test_folding_keeps_the_outputs_and_reports_every_batchnorm(space_name: str) -> None:
    space = make_space({"name": space_name})
    rng = np.random.default_rng(3)
    for _ in range(5):
        model = space.build(space.sample(rng), Task((1, 16, 16), 10))
        trained_statistics(model, (1, 16, 16))
        x = torch.randn(8, 1, 16, 16)
        with torch.no_grad():
            before = model(x)
        count = sum(isinstance(m, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d) for m in model.modules())
        report = fold_batchnorm(model)
        with torch.no_grad():
            assert torch.allclose(model(x), before, atol=1e-4)
        assert len(report) == count
        left = sum(isinstance(m, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d) for m in model.modules())
        assert left == sum("left" in line for line in report)


def test_compressed_folder_is_smaller_same_and_loads_as_is(
    exported: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    argv = ["compress", str(exported), "--fold-bn", "--quantize", "int8", "--out", "small", "--json"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    data = json.loads(out)
    before, after, int8 = data["rows"]
    assert after["params"] < before["params"] and after["file_bytes"] < before["file_bytes"]
    assert after["test_accuracy"] == pytest.approx(before["test_accuracy"], abs=0.01)
    assert int8["file_bytes"] < (tmp_path / "small" / "model.onnx").stat().st_size
    assert int8["test_accuracy"] == pytest.approx(before["test_accuracy"], abs=0.1)
    assert data["report"] and all("folded" in line or "left" in line for line in data["report"])
    x = torch.randn(16, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(load(tmp_path / "small")(x), load(exported)(x), atol=1e-4)
    manifest = json.loads((tmp_path / "small" / "manifest.json").read_text())
    assert manifest["onnx_max_abs_difference"] <= 1e-4 and "model.int8.onnx" in manifest["sha256"]
    with pytest.raises(InvalidArgumentError, match="at least one step"):
        compress(exported, tmp_path / "none", fold_bn=False)
    with pytest.raises(InvalidArgumentError, match="--quantize must be int8"):
        compress(exported, tmp_path / "none", quantize="int4")
    code, _, err = run(capsys, "compress", str(exported), "--fold-bn", "--out", "small")
    assert code == 2 and "new or empty folder" in err
