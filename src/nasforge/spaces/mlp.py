"""`mlp`: multilayer perceptrons for tables of features, written with the define-by-run API."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from nasforge.spaces.define_by_run.space import UserSpace
from nasforge.task import Task

if TYPE_CHECKING:
    from torch import nn

ACTIVATIONS = ("relu", "gelu", "silu", "tanh")
NORMS = ("none", "batch", "layer")


def mlp(k: Any, task: Task) -> nn.Module | None:
    """Depth (0: a linear model, with no other knob), width, activation, normalisation, dropout
    and residual connections of an MLP."""
    depth = k.int("depth", 0, 4)
    knobs = {}
    if depth > 0:
        knobs["width"] = k.choice("width", [16, 32, 64, 128, 256])
        knobs["activation"], knobs["norm"] = k.choice("activation", ACTIVATIONS), k.choice("norm", NORMS)
        knobs["dropout"] = k.choice("dropout", [0.0, 0.1, 0.25, 0.5])
        knobs["residual"] = depth > 1 and k.bool("residual")
    if k.tracing:  # every knob is asked for above: no model (and no torch) needed to list them
        return None
    return _network(task, depth, **knobs)


def _network(
    task: Task,
    depth: int,
    width: int = 0,
    activation: str = "relu",
    norm: str = "none",
    dropout: float = 0.0,
    residual: bool = False,
) -> nn.Module:
    from torch import Tensor, nn

    act = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}[activation]
    normalise = {"none": nn.Identity, "batch": nn.BatchNorm1d, "layer": nn.LayerNorm}[norm]

    class Residual(nn.Module):
        def __init__(self, body: nn.Module) -> None:
            super().__init__()
            self.body = body

        def forward(self, x: Tensor) -> Tensor:
            return x + self.body(x)

    if depth == 0:
        return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(task.input_shape), task.num_classes))
    layers: list[nn.Module] = [nn.Flatten(), nn.Linear(math.prod(task.input_shape), width)]
    for _ in range(depth - 1):
        body = nn.Sequential(normalise(width), act(), nn.Dropout(dropout), nn.Linear(width, width))
        layers.append(Residual(body) if residual else body)
    return nn.Sequential(*layers, act(), nn.Linear(width, task.num_classes))


class MLPSpace(UserSpace):
    """Multilayer perceptrons for tabular data: depth (0-4 hidden layers; 0 is a linear model),
    width, activation, normalisation (none, batch, layer), dropout and residual connections.

    Example:
        >>> import numpy as np
        >>> space = MLPSpace()
        >>> g = space.sample(np.random.default_rng(0))
        >>> space.parse(space.format(g)) == g
        True
    """

    name = "mlp"

    def __init__(self) -> None:
        super().__init__(function=mlp)

    def config(self) -> dict[str, Any]:
        return {"name": self.name}
