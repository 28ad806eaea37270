"""Make a model smaller without changing what it computes: BatchNorm folded into the layer before it.

`fold_batchnorm(model)` merges every BatchNorm that directly follows a convolution or linear
layer inside an `nn.Sequential` (where the order of the children is the order they run in) and
reports, per BatchNorm, whether it was folded or why not. A model folder records the folding in
its card (`"transforms": ["fold_bn"]`), so `nasforge.load` rebuilds the folded structure before
loading the weights: no extra step for the user.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nasforge.errors import InvalidArgumentError, NasforgeError
from nasforge.evaluators import profiling as prof
from nasforge.models import load_model, read_card, save_model

FOLDABLE = (nn.Conv1d, nn.Conv2d, nn.Linear)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
TOLERANCE = 1e-4


def fold_batchnorm(model: nn.Module) -> list[str]:
    """Fold BatchNorm layers into the preceding conv/linear layer, in place (eval-mode semantics).

    Returns one line per BatchNorm: folded into which layer, or why it was left.
    """
    report = []
    for parent_name, parent in model.named_modules():
        children = list(parent.named_children())
        for i, (name, child) in enumerate(children):
            if not isinstance(child, NORMS):
                continue
            path = f"{parent_name}.{name}".lstrip(".")
            before = children[i - 1][1] if i > 0 else None
            if isinstance(parent, nn.Sequential) and isinstance(before, FOLDABLE):
                _fold(before, child)
                setattr(parent, name, nn.Identity())
                report.append(f"{path}: folded into {parent_name}.{children[i - 1][0]}".replace("..", "."))
            else:
                report.append(f"{path}: left (not directly after a conv or linear layer in a sequence)")
    return report


def _fold(layer: nn.Module, norm: nn.Module) -> None:
    assert isinstance(layer, FOLDABLE) and isinstance(norm, NORMS)
    with torch.no_grad():
        var = norm.running_var if norm.running_var is not None else torch.ones(norm.num_features)
        mean = norm.running_mean if norm.running_mean is not None else torch.zeros(norm.num_features)
        scale = (norm.weight if norm.weight is not None else 1) / torch.sqrt(var + norm.eps)
        shift = (norm.bias if norm.bias is not None else 0) - mean * scale
        layer.weight.mul_(scale.reshape(-1, *([1] * (layer.weight.dim() - 1))))
        bias = layer.bias if layer.bias is not None else torch.zeros_like(mean)
        layer.bias = nn.Parameter(bias * scale + shift)


def compress(
    folder: str | Path, out: str | Path, *, fold_bn: bool = True, quantize: str | None = None
) -> list[dict[str, Any]]:
    """Write a compressed copy of the model folder `folder` to `out` (an export: weights, ONNX,
    manifest, card) and return the before/after rows (parameters, file size, latency, test
    accuracy where the study's data can be loaded here).

    `quantize="int8"` also writes `model.int8.onnx` (onnxruntime's dynamic int8 quantization of
    the weights) and measures it with onnxruntime.

    Raises:
        InvalidArgumentError: nothing to do, an unknown `quantize`, or `out` is not a new or empty folder.
        NasforgeError: folding changed what the model computes (beyond `TOLERANCE`).
    """
    from nasforge.exporting import write_folder

    if not fold_bn and quantize is None:
        raise InvalidArgumentError("compress needs at least one step, e.g. --fold-bn; got none")
    if quantize not in (None, "int8"):
        raise InvalidArgumentError(f"--quantize must be int8, got {quantize!r}")
    card = read_card(folder)
    data = test_data(card)
    model = load_model(folder)
    rows = [measure("original", model, card, Path(folder) / "model.safetensors", data)]
    if not fold_bn:
        write_folder(Path(folder), Path(out))
        rows.append(quantize_int8(Path(out), card, data))
        return rows
    inputs = torch.randn(64, *card["task"]["input_shape"], generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = model(inputs)
    folded = fold_batchnorm(model)
    with torch.no_grad():
        difference = float((model(inputs) - expected).abs().max())
    if difference > TOLERANCE:
        raise NasforgeError(f"folding changed the outputs by {difference:.2e} (allowed {TOLERANCE})")
    card = {**card, "transforms": [*card.get("transforms", []), "fold_bn"], "fold_bn_report": folded}
    with tempfile.TemporaryDirectory() as scratch:
        save_model(scratch, model, card)
        write_folder(Path(scratch), Path(out))
    rows.append(measure("fold BN", load_model(out), card, Path(out) / "model.safetensors", data))
    if quantize == "int8":
        rows.append(quantize_int8(Path(out), card, data))
    return rows


Data = tuple[Any, Any] | None


def test_data(card: dict[str, Any]) -> Data:
    """The test split (inputs, labels) of the data the model was trained on, if it loads here."""
    from nasforge.evaluators import make_evaluator

    try:
        dataset = make_evaluator(card["training"]).dataset()  # type: ignore[attr-defined]
    except (NasforgeError, KeyError, TypeError, OSError):
        return None
    return dataset.test.x, dataset.test.y


def quantize_int8(out: Path, card: dict[str, Any], data: Data) -> dict[str, Any]:
    """Write `model.int8.onnx` next to `model.onnx`, add it to the manifest, and measure it."""
    import json

    import numpy as np
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from nasforge.models import sha256

    target = out / "model.int8.onnx"
    quantize_dynamic(out / "model.onnx", target, weight_type=QuantType.QInt8)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["sha256"]["model.int8.onnx"] = sha256(target)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
    shape = card["task"]["input_shape"]
    row: dict[str, Any] = {"step": "int8 (ORT)", "params": None, "file_bytes": target.stat().st_size}
    for batch in (1, 64):
        x = np.zeros((batch, *shape), dtype=np.float32)
        run = lambda x=x: session.run(None, {"input": x})  # noqa: E731
        row[f"latency_ms_batch{batch}"] = statistics.median(prof.timed_ms(run, warmup=5))
    if data is not None:
        logits = np.concatenate(
            [session.run(None, {"input": data[0][i : i + 512]})[0] for i in range(0, len(data[0]), 512)]
        )
        row["test_accuracy"] = float(np.mean(logits.argmax(1) == data[1]))
    return row


def measure(step: str, model: nn.Module, card: dict[str, Any], weights: Path, data: Data) -> dict[str, Any]:
    """Parameters, weight-file size, median torch latency at batch 1 and 64 (one thread) and
    test accuracy (when the data is at hand)."""
    shape = card["task"]["input_shape"]
    row: dict[str, Any] = {
        "step": step,
        "params": prof.count_parameters(model),
        "file_bytes": weights.stat().st_size,
    }
    with prof.torch_threads(1):
        for batch in (1, 64):
            times = prof.latency(model, torch.zeros(batch, *shape), warmup=5)
            row[f"latency_ms_batch{batch}"] = statistics.median(times)
        if data is not None:
            with torch.no_grad():
                predicted = model(torch.from_numpy(data[0])).argmax(1).numpy()
            row["test_accuracy"] = float((predicted == data[1]).mean())
    return row
