"""The before/after row of a compression step: parameters, FLOPs, file size, latency at batch 1
and 64 in PyTorch and in onnxruntime (one thread each), and validation and test accuracy where
the data loads."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nasforge.errors import NasforgeError
from nasforge.evaluators import profiling as prof
from nasforge.evaluators.model_card import ModelCard

BATCHES = (1, 64)
REPEATS = 100  # timed calls per latency figure: tens of microseconds need many for a stable median
Data = dict[str, tuple[np.ndarray, np.ndarray]]


def training_data(card: ModelCard) -> Any:
    """The dataset the model was trained on (the card's training configuration), or None where it
    does not load here."""
    from nasforge.evaluators import make_evaluator

    try:
        return make_evaluator(card.training).dataset()  # type: ignore[attr-defined]
    except (NasforgeError, KeyError, TypeError, OSError):
        return None


def eval_data(dataset: Any, card: ModelCard) -> Data:
    """The validation and test splits (inputs in the data's own units, as the exported model
    takes them; labels); none without a dataset (rows then have no accuracy)."""
    from nasforge.deploy.standardize import unstandardize

    if dataset is None:
        return {}
    return {
        split: (unstandardize(getattr(dataset, split).x, card), getattr(dataset, split).y)
        for split in ("valid", "test")
    }


def torch_row(step: str, model: nn.Module, card: ModelCard, weights: Path, data: Data) -> dict[str, Any]:
    """Measure a PyTorch model whose weights file is `weights`; its ONNX export is timed too."""
    from nasforge.deploy.export import export_onnx

    shape = list(card.task.input_shape)
    model.eval()
    row: dict[str, Any] = {
        "step": step,
        "params": prof.count_parameters(model),
        "flops": prof.flops(model, torch.zeros(1, *shape)),
        "file_bytes": weights.stat().st_size,
    }
    with prof.torch_threads(1):
        for batch in BATCHES:
            times = prof.latency(model, torch.zeros(batch, *shape), warmup=10, repeats=REPEATS)
            row[f"torch_ms_batch{batch}"] = statistics.median(times)
        for split, (x, y) in data.items():
            with torch.no_grad():
                logits = torch.cat([model(torch.from_numpy(chunk)) for chunk in _chunks(x)])
            row[f"{split}_accuracy"] = float((logits.argmax(1).numpy() == y).mean())
    with tempfile.TemporaryDirectory() as scratch:
        onnx_path = Path(scratch) / "model.onnx"
        export_onnx(model, shape, onnx_path)
        row.update(onnx_timings(onnx_path, shape))
    return row


def onnx_row(step: str, path: Path, card: ModelCard, data: Data, like: dict[str, Any]) -> dict[str, Any]:
    """Measure an ONNX-only model (e.g. int8); parameters and FLOPs are those of the row `like`."""
    shape = list(card.task.input_shape)
    row: dict[str, Any] = {
        "step": step,
        "params": like["params"],
        "flops": like["flops"],
        "file_bytes": path.stat().st_size,
        **{f"torch_ms_batch{b}": None for b in BATCHES},
        **onnx_timings(path, shape),
    }
    session = _session(path)
    for split, (x, y) in data.items():
        logits = np.concatenate([session.run(None, {"input": chunk})[0] for chunk in _chunks(x)])
        row[f"{split}_accuracy"] = float(np.mean(logits.argmax(1) == y))
    return row


def _session(path: Path) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_timings(path: Path, shape: list[int]) -> dict[str, float]:
    session = _session(path)
    timings = {}
    for batch in BATCHES:
        x = np.zeros((batch, *shape), dtype=np.float32)
        run = lambda x=x: session.run(None, {"input": x})  # noqa: E731
        timings[f"onnx_ms_batch{batch}"] = statistics.median(prof.timed_ms(run, warmup=10, repeats=REPEATS))
    return timings


def _chunks(x: np.ndarray, size: int = 512) -> list[np.ndarray]:
    return [x[i : i + size] for i in range(0, len(x), size)]
