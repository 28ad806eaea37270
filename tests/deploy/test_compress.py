"""`nasforge compress --fold-bn`: fewer parameters, the same outputs, a folder that loads as is."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge import InvalidArgumentError, load
from nasforge.deploy.compress.run import compress
from nasforge.deploy.transforms.channels import prune_channels
from nasforge.deploy.transforms.fold_bn import fold_batchnorm
from nasforge.evaluators.model_card import CardTask, ModelCard, save_model
from nasforge.spaces import make_space
from nasforge.task import Task
from tests.helpers import run


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


@pytest.mark.slow
def test_compressed_folder_is_smaller_same_and_loads_as_is(
    exported: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    argv = ["compress", str(exported), "--fold-bn", "--quantize", "int8", "--out", "small", "--json"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    data = json.loads(out)
    before, after, *quantized = data["rows"]
    int8 = quantized[-1]  # static, or dynamic after a static row that lost validation accuracy
    assert [row["step"] for row in quantized] in (["int8 static"], ["int8 static", "int8 dynamic"])
    # The search's final fit learnt from the validation split: no row or card shows a figure on it.
    assert json.loads((exported / "card.json").read_text())["fit"] == "train+valid"
    assert "test_accuracy" in before
    assert not [key for row in data["rows"] for key in row if key.startswith("valid_")]
    assert "valid_accuracy" not in json.loads((tmp_path / "small" / "card.json").read_text())["metrics"]
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


@pytest.mark.parametrize(
    ("space_name", "shape"),
    [("macro", (1, 40)), ("families", (1, 16, 16)), ("nb201", (3, 16, 16)), ("nb101", (3, 16, 16))],
)
def test_pruned_model_is_smaller_after_reload_in_every_space(
    space_name: str, shape: tuple[int, ...], tmp_path: Path
) -> None:
    space = make_space({"name": space_name})
    task = Task(shape, 10)
    genotype = space.sample(np.random.default_rng(5))
    model = space.build(genotype, task)
    trained_statistics(model, shape)
    before = sum(p.numel() for p in model.parameters())
    shapes = prune_channels(model, 0.5, shape)
    after = sum(p.numel() for p in model.parameters())
    assert after < 0.5 * before and shapes
    card = ModelCard(
        genotype=genotype.to_dict(),
        space=space.config(),
        task=CardTask(input_shape=tuple(shape), num_classes=10),
        transforms=["prune"],
        pruned_shapes=shapes,
    )
    save_model(tmp_path / "m", model, card)
    reloaded = load(tmp_path / "m")
    x = torch.randn(4, *shape)
    with torch.no_grad():
        assert torch.equal(reloaded(x), model.eval()(x))
    assert sum(p.numel() for p in reloaded.parameters()) == after


@pytest.mark.slow
def test_prune_finetune_fold_int8_pipeline(
    exported: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    argv = ["compress", str(exported), "--prune", "0.5", "--finetune-epochs", "2", "--fold-bn"]
    code, out, err = run(capsys, *argv, "--quantize", "int8", "--out", "small", "--json")
    assert code == 0, err
    original, pruned, folded, *quantized = json.loads(out)["rows"]
    int8 = quantized[0]
    assert pruned["step"] == "prune 0.5+2ep" and folded["step"] == "fold BN"
    assert pruned["params"] < 0.7 * original["params"] and pruned["flops"] < original["flops"]
    assert folded["file_bytes"] < pruned["file_bytes"] < original["file_bytes"]
    assert folded["test_accuracy"] == pytest.approx(pruned["test_accuracy"], abs=0.01)
    assert pruned["test_accuracy"] > 0.5  # digits after pruning and 2 epochs of fine-tuning
    assert int8["step"] == "int8 static" and int8["test_accuracy"] == pytest.approx(
        folded["test_accuracy"], abs=0.05
    )
    card = json.loads((tmp_path / "small" / "card.json").read_text())
    assert card["transforms"] == ["prune", "fold_bn"]
    assert sum(p.numel() for p in load(tmp_path / "small").parameters()) == folded["params"]
    # The folder's card and manifest describe the compressed model: its own figures, steps, files.
    manifest = json.loads((tmp_path / "small" / "manifest.json").read_text())
    for described in (card, manifest):
        assert described["metrics"]["params"]["value"] == folded["params"]
        assert described["metrics"]["test_accuracy"]["value"] == folded["test_accuracy"]
        assert described["compression"]["steps"] == [r["step"] for r in (pruned, folded, *quantized)]
    assert "model.int8.onnx" in manifest["sha256"] and "card.json" in manifest["sha256"]
    readme = (tmp_path / "small" / "README.md").read_text()
    assert "## Compression" in readme and "prune 0.5+2ep, fold BN, int8" in readme
    assert f"| test_accuracy | test | {folded['test_accuracy']:.6g} |" in readme
    original_card = json.loads((exported / "card.json").read_text())
    assert original_card["metrics"]["test_accuracy"]["value"] == original["test_accuracy"]
    code, _, err = run(capsys, "compress", str(exported), "--prune", "1.5", "--out", "x")
    assert code == 2 and "--prune: must be a number between 0 and 1" in err
    code, _, err = run(capsys, "compress", str(exported), "--finetune-epochs", "2", "--fold-bn", "--out", "x")
    assert code == 2 and "goes with --prune" in err
    code, _, err = run(capsys, "compress", str(exported), "--finetune-epochs", "1", "--out", "x")
    assert code == 2 and "--finetune-epochs goes with --prune" in err and "got none" not in err


def test_int8_slower_than_float_is_a_warning() -> None:
    from nasforge.deploy.compress.run import slower_int8

    rows = [
        {"step": "original", "onnx_ms_batch1": 0.023, "onnx_ms_batch64": 0.69},
        {"step": "int8 static", "onnx_ms_batch1": 0.040, "onnx_ms_batch64": 0.5},
    ]
    (warning,) = slower_int8(rows)
    assert "slower than model.onnx at batch 1" in warning and "0.040 ms against 0.023 ms" in warning
    assert slower_int8(rows[:1]) == []
