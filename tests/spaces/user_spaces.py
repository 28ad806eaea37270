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


def sparse_regression(call: Any) -> dict[str, float]:
    """`regression`, reporting every 10th step only (steps 0, 10, 20, ...)."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    y = x @ np.arange(1.0, 6.0) + rng.normal(scale=0.1, size=200)
    w = np.zeros(5)
    for step in range(call.knobs["steps"]):
        w -= call.knobs["learning_rate"] * 2 * x[:150].T @ (x[:150] @ w - y[:150]) / 150
        mse = min(float(np.mean((x[150:] @ w - y[150:]) ** 2)), 1e6)
        call.report(10 * step, valid_mse=mse)
    return {"valid_mse": mse}


def numpy_score(call: Any) -> Any:
    """One NumPy scalar as the objective."""
    import numpy as np

    return np.float32(call.knobs["learning_rate"])


def rescale_in_place(call: Any) -> float:
    """A function that tries to rescale the shared training data in place."""
    call.data.train.x *= 2.0
    return 0.0


def quickstart(trial: Any) -> float:
    """Optuna's quickstart objective, as its documentation writes it."""
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


def optuna_training(trial: Any) -> float:
    """An Optuna objective with a conditional knob, intermediate values and pruning."""
    import optuna

    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    momentum = trial.suggest_float("momentum", 0.0, 0.9) if optimizer == "sgd" else 0.0
    loss = 10.0
    for step in range(8):
        loss = loss * (1 - min(lr * (2 if optimizer == "adam" else 1 + momentum), 0.9))
        trial.report(loss, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return loss


def sequences(k: Any, task: Task) -> nn.Module:
    """A family written for sequences only: it unpacks (channels, length)."""
    channels, length = task.input_shape
    width = k.choice("width", [4, 8])
    return nn.Sequential(
        nn.Conv1d(channels, width, 3), nn.Flatten(), nn.Linear(width * (length - 2), task.num_classes)
    )


def recipe_with_option(k: Any, verbose: bool = False) -> None:
    """Knobs only, with an optional parameter that is not a task."""
    k.int("layers", 1, 3)


def slow_quickstart(trial: Any) -> float:
    """`quickstart`, a tenth of a second per call."""
    import time

    time.sleep(0.1)
    return quickstart(trial)


def process_id(call: Any) -> float:
    """The id of the process that evaluated the call."""
    import os

    return float(os.getpid())
