"""The `macro` space's network: conv blocks with size repair, global pooling or flatten, head."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn

from nasforge.spaces.ops import activation, batch_norm, conv, pool, spatial_after
from nasforge.task import Task


@dataclass(frozen=True)
class ConvStep:
    """One conv block as built: its knobs after size repair, and its input width."""

    c_in: int
    channels: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    activation: str
    batchnorm: bool
    pool: str  # "none" where the block has no pooling (or it was dropped)
    pool_size: int


def plan(
    blocks: tuple[tuple[Any, ...], ...], task: Task
) -> tuple[list[ConvStep], tuple[int, ...], list[str]]:
    """The blocks as built on `task`'s input: a stride or pooling that would shrink the input
    below one position is dropped (a repair, never a crash).

    Returns:
        The steps, the spatial size after the last one, and the repairs made.
    """
    size, width = task.input_shape[1:], task.channels
    steps, repairs = [], []
    for i, (kernel, stride, channels, dilation, act, bn, pool_kind, pool_size) in enumerate(blocks):
        padding = dilation * (kernel - 1) // 2
        if min(spatial_after(size, kernel, stride, padding, dilation)) < 1 or (stride > 1 and min(size) < 2):
            repairs.append(f"conv {i}: stride {stride} -> 1")
            stride = 1
        size = spatial_after(size, kernel, stride, padding, dilation)
        if pool_kind != "none" and min(size) // pool_size < 1:
            repairs.append(f"conv {i}: {pool_kind} pool {pool_size} dropped")
            pool_kind = "none"
        if pool_kind != "none":
            size = tuple(s // pool_size for s in size)
        steps.append(
            ConvStep(width, channels, kernel, stride, padding, dilation, act, bn, pool_kind, pool_size)
        )
        width = channels
    return steps, size, repairs


def head_features(steps: list[ConvStep], size: tuple[int, ...], task: Task, global_pool: str) -> int:
    """The width the head's first linear layer takes."""
    width = steps[-1].channels if steps else task.channels
    return width * math.prod(size) if global_pool == "flatten" else width


class MacroNetwork(nn.Module):
    """Built from `MacroSpace` blocks; `repairs` lists the reductions dropped to keep size >= 1."""

    def __init__(self, blocks: tuple[tuple[Any, ...], ...], head: tuple[Any, ...], task: Task) -> None:
        super().__init__()
        dims = task.dims
        steps, size, self.repairs = plan(blocks, task)
        layers: list[nn.Module] = []
        for s in steps:
            layers.append(
                conv(dims, s.c_in, s.channels, s.kernel, s.stride, padding=s.padding, dilation=s.dilation,
                     bias=not s.batchnorm)
            )  # fmt: skip
            if s.batchnorm:
                layers.append(batch_norm(dims, s.channels))
            layers.append(activation(s.activation, s.channels))
            if s.pool != "none":
                layers.append(pool(dims, s.pool, s.pool_size))
        self.features = nn.Sequential(*layers)
        global_pool, hidden, dropout = head
        features = head_features(steps, size, task, global_pool)
        if global_pool == "flatten":
            reduce: nn.Module = nn.Flatten()
        else:
            adaptive = {
                ("avg", 1): nn.AdaptiveAvgPool1d,
                ("avg", 2): nn.AdaptiveAvgPool2d,
                ("max", 1): nn.AdaptiveMaxPool1d,
                ("max", 2): nn.AdaptiveMaxPool2d,
            }
            reduce = nn.Sequential(adaptive[(global_pool, dims)](1), nn.Flatten())
        classifier: list[nn.Module] = [reduce, nn.Dropout(dropout)]
        if hidden:
            classifier += [nn.Linear(features, hidden), nn.ReLU(), nn.Dropout(dropout)]
            features = hidden
        classifier.append(nn.Linear(features, task.num_classes))
        self.classifier = nn.Sequential(*classifier)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))
