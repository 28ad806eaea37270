"""`nasforge compress`: a smaller, faster copy of a model folder, with a before/after row per step.

The steps run in this order, each optional: structured pruning (`prune`, whole channels
removed, see `channel_pruning`) with fine-tuning on the training split, BatchNorm folding (see
`folding`), and int8 quantization of the ONNX model with onnxruntime: static (calibrated on
training examples) where the training data loads here, falling back to dynamic (weights only)
when static quantization costs more than `INT8_MAX_VALID_DROP` validation accuracy; both rows
are then shown, and `model.int8.onnx` is the dynamic one. Each torch step is measured
on the model as reloaded from its saved folder, so a size that does not survive a reload shows.
A model that trained on the validation split (its card's `fit` is train+valid) gets no
validation figure in the rows or the card: only the int8 fallback reads it, as a measure of what
quantization changed.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nasforge.deploy.compress.measure import eval_data, onnx_row, torch_row, training_data
from nasforge.deploy.load import load_model
from nasforge.deploy.standardize import unstandardize
from nasforge.errors import InvalidArgumentError, NasforgeError
from nasforge.evaluators.base import without_validation
from nasforge.evaluators.model_card import WEIGHTS, CardMetric, ModelCard, read_card, save_model
from nasforge.extras import require_extra

TOLERANCE = 1e-4
CALIBRATION_EXAMPLES = 512  # training inputs that set the int8 activation ranges
INT8_MAX_VALID_DROP = 0.01  # static int8 losing more validation accuracy falls back to dynamic


def compress(
    folder: str | Path,
    out: str | Path,
    *,
    prune: float | None = None,
    prune_by: str = "norm",
    finetune_epochs: int = 0,
    fold_bn: bool = False,
    quantize: str | None = None,
    trust_code: bool = False,
    check_integrity: bool = True,
) -> list[dict[str, Any]]:
    """Write a compressed copy of the model folder `folder` to `out` (an exported folder: weights,
    ONNX, manifest, card) and return one before/after row per step.

    Example:
        >>> # rows = compress("export/", "small/", prune=0.5, finetune_epochs=5, fold_bn=True)

    Raises:
        InvalidArgumentError: no step asked for, a bad option, or `out` is not a new or empty folder.
        NasforgeError: folding changed what the model computes (beyond `TOLERANCE`).
    """
    require_extra("compress", "nasforge compress")
    from nasforge.deploy.export import check_out, write_folder

    _check(prune, finetune_epochs, fold_bn, quantize)
    out = Path(out)
    check_out(out)
    card = read_card(folder)
    dataset = training_data(card)
    data = eval_data(dataset, card)
    load = functools.partial(load_model, trust_code=trust_code)
    checked = functools.partial(load, check_integrity=check_integrity)  # the folder given
    model = checked(folder, raw_input=False)  # transformed and fine-tuned as it was trained
    rows = [torch_row("original", checked(folder), card, Path(folder) / WEIGHTS, data)]
    with tempfile.TemporaryDirectory() as scratch:
        step_folder = Path(folder)
        steps = ["prune"] * (prune is not None) + ["fold"] * fold_bn
        for i, step in enumerate(steps):
            if step == "prune":
                label, card = _prune(model, card, prune or 0.0, prune_by, finetune_epochs, dataset)
            else:
                label, card = _fold(model, card)
            step_folder = save_model(Path(scratch) / f"step{i}", model, card)
            model = load(step_folder, raw_input=False)
            rows.append(torch_row(label, load(step_folder), card, step_folder / WEIGHTS, data))
        write_folder(step_folder, out, trust_code=trust_code)
    if quantize == "int8":
        calibration = None if dataset is None else unstandardize(dataset.train.x[:CALIBRATION_EXAMPLES], card)
        step, path = quantize_int8(out, calibration)
        rows.append(onnx_row(step, path, card, data, like=rows[-1]))
        if _lost_accuracy(rows[-2], rows[-1]):  # static int8 hurt: weights-only keeps activations exact
            step, path = quantize_int8(out, None)
            rows.append(onnx_row(step, path, card, data, like=rows[-2]))
    if card.learnt_from_valid:
        rows = [without_validation(row) for row in rows]
    _describe(out, card, rows)
    return rows


def slower_int8(rows: list[dict[str, Any]]) -> list[str]:
    """A warning for each batch size at which the int8 model runs slower than the float one."""
    if not rows[-1]["step"].startswith("int8"):
        return []
    float_row = next(r for r in reversed(rows) if not r["step"].startswith("int8"))
    warnings = []
    for batch in (1, 64):
        fp32, int8 = float_row.get(f"onnx_ms_batch{batch}"), rows[-1].get(f"onnx_ms_batch{batch}")
        if fp32 and int8 and int8 > fp32:
            warnings.append(
                f"warning: model.int8.onnx ({rows[-1]['step']}) is slower than model.onnx at batch {batch} "
                f"on this machine: {int8:.3f} ms against {fp32:.3f} ms; serve model.onnx unless size matters"
            )
    return warnings


def _describe(out: Path, card: ModelCard, rows: list[dict[str, Any]]) -> None:
    """Rewrite the folder's card, README and manifest for the compressed model: its own measured
    figures (the last float row), the steps applied and every row, int8 warnings included."""
    from nasforge.deploy.export import describe

    last = next(r for r in reversed(rows) if not r["step"].startswith("int8"))
    splits = {"valid_accuracy": "valid", "test_accuracy": "test"}
    measured = {k: last[k] for k in ("params", "flops", *splits) if last.get(k) is not None}
    compression = {"steps": [r["step"] for r in rows[1:]], "rows": rows, "notes": slower_int8(rows)}
    metrics = {k: CardMetric(value=v, split=splits.get(k, "none")) for k, v in measured.items()}
    card = card.model_copy(update={"metrics": metrics, "compression": compression})
    manifest = json.loads((out / "manifest.json").read_text())
    describe(out, card, manifest["onnx_max_abs_difference"])


def _lost_accuracy(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """True when `after` lost more than `INT8_MAX_VALID_DROP` validation accuracy."""
    if "valid_accuracy" not in before or "valid_accuracy" not in after:
        return False
    return bool(after["valid_accuracy"] < before["valid_accuracy"] - INT8_MAX_VALID_DROP)


def _check(prune: float | None, finetune_epochs: int, fold_bn: bool, quantize: str | None) -> None:
    if finetune_epochs and prune is None:
        raise InvalidArgumentError(
            f"--finetune-epochs goes with --prune (it fine-tunes the pruned model); "
            f"got --finetune-epochs {finetune_epochs} without --prune"
        )
    if prune is None and not fold_bn and quantize is None:
        raise InvalidArgumentError(
            "compress needs at least one step: --prune, --fold-bn or --quantize; got none"
        )
    if quantize not in (None, "int8"):
        raise InvalidArgumentError(f"--quantize must be int8, got {quantize!r}")
    if finetune_epochs < 0:
        raise InvalidArgumentError(f"--finetune-epochs must be >= 0, got {finetune_epochs}")


def _prune(
    model: nn.Module, card: ModelCard, ratio: float, criterion: str, epochs: int, data: Any
) -> tuple[str, ModelCard]:
    from nasforge.deploy.transforms.channels import prune_channels

    shapes = prune_channels(model, ratio, list(card.task.input_shape), criterion=criterion)
    stored = card.pruned_shapes
    merged = {name: {**stored.get(name, {}), **sizes} for name, sizes in shapes.items()}
    card = card.model_copy(
        update={"transforms": [*card.transforms, "prune"], "pruned_shapes": {**stored, **merged}}
    )
    if epochs:
        finetune(model, card, epochs, data)
    return f"prune {ratio:g}" + (f"+{epochs}ep" if epochs else ""), card


def _fold(model: nn.Module, card: ModelCard) -> tuple[str, ModelCard]:
    from nasforge.deploy.transforms.fold_bn import fold_batchnorm

    inputs = torch.randn(64, *card.task.input_shape, generator=torch.Generator().manual_seed(0))
    model.eval()
    with torch.no_grad():
        expected = model(inputs)
        report = fold_batchnorm(model)
        difference = float((model(inputs) - expected).abs().max())
    if difference > TOLERANCE:
        raise NasforgeError(f"folding changed the outputs by {difference:.2e} (allowed {TOLERANCE})")
    return "fold BN", card.model_copy(
        update={"transforms": [*card.transforms, "fold_bn"], "fold_bn_report": report}
    )


def finetune(model: nn.Module, card: ModelCard, epochs: int, data: Any) -> None:
    """Train `model` in place on the training split of `data` (the card's dataset, see
    `training_data`) with the study's recipe, its one-cycle schedule spread over `epochs` epochs.
    On the main job's winner pruned by half, the recipe's learning rate recovered more validation
    accuracy than 0.1x or 0.3x of it."""
    from nasforge.evaluators import make_evaluator
    from nasforge.evaluators.trainer import Trainer
    from nasforge.genotype import Genotype
    from nasforge.spaces import make_space

    if data is None:
        raise InvalidArgumentError(
            "--finetune-epochs needs the model's training data, which does not load here"
        )
    if card.genotype is None:
        raise InvalidArgumentError("--finetune-epochs fine-tunes one network; this model is an ensemble")
    evaluator = make_evaluator(card.training)
    config = evaluator.train_config(  # type: ignore[attr-defined]
        Genotype.from_dict(card.genotype), make_space(card.space), epochs
    )
    config = dataclasses.replace(config, schedule_epochs=None)
    x, y = torch.from_numpy(data.train.x), torch.from_numpy(data.train.y)
    Trainer(model, config, len(y)).run(x, y)
    model.eval()


def quantize_int8(out: Path, calibration: np.ndarray | None) -> tuple[str, Path]:
    """Write `model.int8.onnx` next to `model.onnx`; returns the step's name and the file.

    With `calibration` inputs (training examples) the quantization is static: int8 weights
    (per channel) and activations in QDQ form, which runs convolutions as int8 kernels. Without
    them it is dynamic (weights only), which on CPU is smaller but often slower for convolutions.
    """
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self, x: np.ndarray) -> None:
            self.batches = iter(x[i : i + 32] for i in range(0, len(x), 32))

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self.batches, None)
            return None if batch is None else {"input": batch}

    source, target = out / "model.onnx", out / "model.int8.onnx"
    logging.disable(logging.WARNING)  # its advice to pre-process first is about shape inference
    try:
        if calibration is None:
            quantize_dynamic(source, target, weight_type=QuantType.QInt8)
        else:
            quantize_static(
                source,
                target,
                Reader(calibration),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                op_types_to_quantize=["Conv", "Gemm", "MatMul"],  # not the input's standardisation
                weight_type=QuantType.QInt8,
                activation_type=QuantType.QInt8,
            )
    finally:
        logging.disable(logging.NOTSET)
    return ("int8 static" if calibration is not None else "int8 dynamic"), target
