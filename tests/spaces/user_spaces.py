"""Two user-defined (define-by-run) spaces that the conformance suites run on."""

from __future__ import annotations

from typing import Any

from torch import nn

import nasforge
from nasforge import Task


@nasforge.space
def cnn(k: Any, task: Task) -> nn.Module:
    """A CNN family with a variable depth and knobs that exist only on the branch taken."""
    conv, pool = (nn.Conv1d, nn.MaxPool1d) if len(task.input_shape) == 2 else (nn.Conv2d, nn.MaxPool2d)
    layers: list[nn.Module] = []
    c_in = task.input_shape[0]
    for i in k.range("blocks", 1, 3):
        c = k.choice(f"b{i}.channels", [4, 8, 16])
        layers += [conv(c_in, c, k.choice(f"b{i}.kernel", [1, 3]), padding="same")]
        layers.append(k.choice(f"b{i}.act", {"relu": nn.ReLU(), "gelu": nn.GELU(), "tanh": nn.Tanh()}))
        if k.bool(f"b{i}.pool"):
            layers.append(pool(k.int(f"b{i}.pool_size", 1, 2)))
        c_in = c
    pooled = nn.AdaptiveAvgPool1d(1) if len(task.input_shape) == 2 else nn.AdaptiveAvgPool2d(1)
    layers += [pooled, nn.Flatten(), nn.Dropout(k.float("dropout", 0.0, 0.5, step=0.25))]
    return nn.Sequential(*layers, nn.Linear(c_in, task.num_classes))


@nasforge.space
def knobs_only(k: Any) -> None:
    """Choices for an evaluator that needs no model: log ranges, a conditional branch."""
    k.float("learning_rate", 1e-4, 1e-1, log=True)
    k.int("width", 8, 512, log=True)
    if k.choice("optimizer", ["sgd", "adam"]) == "sgd":
        k.float("momentum", 0.0, 0.99)
        k.bool("nesterov")
    k.int("layers", 1, 6, step=1)


def score(values: dict[str, Any]) -> float:
    """A smooth objective over `knobs_only` with one best region (for strategy tests)."""
    import math

    return (
        -abs(math.log10(values["learning_rate"]) + 2.5)
        - abs(math.log2(values["width"]) - 6) / 3
        - abs(values["layers"] - 3) / 2
        + (0.5 if values["optimizer"] == "adam" else values.get("momentum", 0.0) / 2)
    )


def score_call(call: Any) -> dict[str, float]:
    """A function evaluator's objective over either space, from the knob values alone."""
    knobs = call.knobs
    if "learning_rate" in knobs:
        return {"score": score(knobs)}
    blocks = knobs["blocks"]
    widths = sum(knobs[f"b{i}.channels"] for i in range(blocks))
    return {"score": widths / 16 - abs(blocks - 2) - knobs["dropout"] + (call.fidelity or 0) / 100}


@nasforge.space
def linear_fit(k: Any) -> None:
    """Gradient-descent settings of a linear regression (for the function evaluator's tests)."""
    k.float("learning_rate", 1e-3, 0.5, log=True)
    k.int("steps", 5, 20)


def regression(call: Any) -> dict[str, float]:
    """The user's own training: linear regression by gradient descent on a fixed synthetic task,
    reporting the validation MSE each step (the median pruner may stop it)."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    y = x @ np.arange(1.0, 6.0) + rng.normal(scale=0.1, size=200)
    train, valid = slice(0, 150), slice(150, 200)
    w = np.zeros(5)
    for step in range(call.knobs["steps"]):
        w -= call.knobs["learning_rate"] * 2 * x[train].T @ (x[train] @ w - y[train]) / 150
        mse = float(np.mean((x[valid] @ w - y[valid]) ** 2))
        call.report(step, valid_mse=min(mse, 1e6))
    residual = y[valid] - x[valid] @ w
    r2 = 1 - float(np.sum(residual**2) / np.sum((y[valid] - y[valid].mean()) ** 2))
    return {"valid_mse": min(mse, 1e6), "valid_r2": max(r2, -1e6)}
