"""An exported model's ONNX file run by onnxruntime alone (no torch imported), and the scores a
client receives: class probabilities, or a regression's predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nasforge.errors import InvalidArgumentError


def onnx_session(folder: Path, name: str = "model.onnx", threads: int | None = None) -> Any:
    """An onnxruntime session of `folder/name` on the CPU (`threads`: its intra-op threads;
    default its own choice).

    Raises:
        InvalidArgumentError: the file is not there (naming the command that writes it).
    """
    import onnxruntime

    if not (folder / name).exists():
        made_by = "nasforge compress --quantize int8" if "int8" in name else "nasforge export"
        raise InvalidArgumentError(f"this --runtime needs {folder / name} (write it with {made_by})")
    options = onnxruntime.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(str(folder / name), options, providers=["CPUExecutionProvider"])


def scores(outputs: np.ndarray, regression: bool) -> np.ndarray:
    """The network's outputs as a client receives them: a regression's predictions as they are,
    a classifier's logits as probabilities (softmax over each row).

    Example:
        >>> scores(np.array([[0.0, 0.0]], dtype=np.float32), regression=False).tolist()
        [[0.5, 0.5]]
    """
    if regression:
        return outputs
    exp = np.exp(outputs - outputs.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)
