"""Torch blocks of the `classic` space: the AlexNet stem and the inception block, for 1-D and 2-D."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from nasforge.spaces.families.blocks import conv_bn
from nasforge.spaces.ops import global_avg_pool
from nasforge.task import Task


def max_pool(dims: int, kernel: int, stride: int) -> nn.Module:
    pool = nn.MaxPool1d if dims == 1 else nn.MaxPool2d
    return pool(kernel, stride, padding=kernel // 2, ceil_mode=True)


class Inception(nn.Module):
    """Four parallel branches (1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3 max pooling then 1x1), a quarter
    of the output channels each, concatenated."""

    def __init__(self, dims: int, c_in: int, c_out: int) -> None:
        super().__init__()
        quarter = max(1, c_out // 4)
        self.branches = nn.ModuleList(
            [
                conv_bn(dims, c_in, quarter, 1),
                nn.Sequential(conv_bn(dims, c_in, quarter, 1), conv_bn(dims, quarter, quarter, 3)),
                nn.Sequential(conv_bn(dims, c_in, quarter, 1), conv_bn(dims, quarter, quarter, 5)),
                nn.Sequential(max_pool(dims, 3, 1), conv_bn(dims, c_in, c_out - 3 * quarter, 1)),
            ]
        )

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class ClassicNetwork(nn.Module):
    """Stem, stages (each after the first halving the resolution while the input allows), classifier."""

    def __init__(
        self, task: Task, stem: str, stem_channels: int, stages: list[tuple[str, int, int]], dropout: float
    ) -> None:
        super().__init__()
        dims, size = task.dims, min(task.input_shape[1:])
        if stem == "alexnet" and size >= 16:  # a large kernel with stride 2, then overlapping pooling
            layers: list[nn.Module] = [
                conv_bn(dims, task.channels, stem_channels, 7, 2),
                max_pool(dims, 3, 2),
            ]
            size = (size + 3) // 4
        else:
            layers = [conv_bn(dims, task.channels, stem_channels, 3)]
        width = stem_channels
        for i, (kind, channels, depth) in enumerate(stages):
            if i > 0 and size >= 2:
                layers.append(max_pool(dims, 2, 2))
                size = (size + 1) // 2
            for _ in range(depth):
                layers.append(
                    Inception(dims, width, channels)
                    if kind == "inception"
                    else conv_bn(dims, width, channels, 3)
                )
                width = channels
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            global_avg_pool(dims), nn.Dropout(dropout), nn.Linear(width, task.num_classes)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))
