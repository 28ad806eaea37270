"""The `macro` space's network: conv blocks with size repair, global pooling or flatten, head."""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor, nn

from nasforge.spaces.ops import activation, batch_norm, conv, pool, spatial_after
from nasforge.task import Task


class MacroNetwork(nn.Module):
    """Built from `MacroSpace` blocks; `repairs` lists the reductions dropped to keep size >= 1."""

    def __init__(self, blocks: tuple[tuple[Any, ...], ...], head: tuple[Any, ...], task: Task) -> None:
        super().__init__()
        dims, size, width = task.dims, task.input_shape[1:], task.channels
        layers: list[nn.Module] = []
        self.repairs: list[str] = []
        for i, (kernel, stride, channels, dilation, act, bn, pool_kind, pool_size) in enumerate(blocks):
            padding = dilation * (kernel - 1) // 2
            if min(spatial_after(size, kernel, stride, padding, dilation)) < 1 or (
                stride > 1 and min(size) < 2
            ):
                self.repairs.append(f"conv {i}: stride {stride} -> 1")
                stride = 1
            layers.append(
                conv(dims, width, channels, kernel, stride, padding=padding, dilation=dilation, bias=not bn)
            )
            size = spatial_after(size, kernel, stride, padding, dilation)
            if bn:
                layers.append(batch_norm(dims, channels))
            layers.append(activation(act, channels))
            if pool_kind != "none":
                if min(size) // pool_size >= 1:
                    layers.append(pool(dims, pool_kind, pool_size))
                    size = tuple(s // pool_size for s in size)
                else:
                    self.repairs.append(f"conv {i}: {pool_kind} pool {pool_size} dropped")
            width = channels
        self.features = nn.Sequential(*layers)
        global_pool, hidden, dropout = head
        if global_pool == "flatten":
            reduce: nn.Module = nn.Flatten()
            features = width * math.prod(size)
        else:
            adaptive = {
                ("avg", 1): nn.AdaptiveAvgPool1d,
                ("avg", 2): nn.AdaptiveAvgPool2d,
                ("max", 1): nn.AdaptiveMaxPool1d,
                ("max", 2): nn.AdaptiveMaxPool2d,
            }
            reduce = nn.Sequential(adaptive[(global_pool, dims)](1), nn.Flatten())
            features = width
        classifier: list[nn.Module] = [reduce, nn.Dropout(dropout)]
        if hidden:
            classifier += [nn.Linear(features, hidden), nn.ReLU(), nn.Dropout(dropout)]
            features = hidden
        classifier.append(nn.Linear(features, task.num_classes))
        self.classifier = nn.Sequential(*classifier)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))
