"""Torch blocks of the `families` space: VGG, ResNet basic and bottleneck, MobileNet, DenseNet."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from nasforge.spaces.ops import avg_pool, batch_norm, conv, global_avg_pool
from nasforge.task import Task


def conv_bn(
    dims: int, c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1, act: bool = True
) -> nn.Sequential:
    """Convolution, BatchNorm and (optionally) ReLU."""
    layers = [conv(dims, c_in, c_out, kernel, stride, bias=False, groups=groups), batch_norm(dims, c_out)]
    return nn.Sequential(*layers, nn.ReLU()) if act else nn.Sequential(*layers)


class Residual(nn.Module):
    """`body(x) + shortcut(x)`, the shortcut projecting when shape changes, then an optional ReLU."""

    def __init__(
        self, body: nn.Module, dims: int, c_in: int, c_out: int, stride: int, relu: bool = True
    ) -> None:
        super().__init__()
        self.body = body
        same = stride == 1 and c_in == c_out
        self.shortcut = nn.Identity() if same else conv_bn(dims, c_in, c_out, 1, stride, act=False)
        self.relu = nn.ReLU() if relu else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.body(x) + self.shortcut(x))


class DenseLayer(nn.Module):
    """BN-ReLU-conv producing `growth` channels, concatenated to its input."""

    def __init__(self, dims: int, c_in: int, growth: int, kernel: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            batch_norm(dims, c_in), nn.ReLU(), conv(dims, c_in, growth, kernel, bias=False)
        )

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([x, self.body(x)], dim=1)


def stage(dims: int, spec: tuple[Any, ...], c_in: int, stride: int) -> tuple[list[nn.Module], int]:
    """The blocks of one stage and its output channels."""
    family, c, depth, k, expansion, growth = spec
    blocks: list[nn.Module] = []
    for i in range(depth):
        s, cin = (stride if i == 0 else 1), (c_in if i == 0 else c)
        if family == "vgg":
            blocks.append(conv_bn(dims, cin, c, k, s))
        elif family == "resnet":
            body = nn.Sequential(conv_bn(dims, cin, c, k, s), conv_bn(dims, c, c, k, act=False))
            blocks.append(Residual(body, dims, cin, c, s))
        elif family == "bottleneck":
            mid = max(c // 4, 4)
            body = nn.Sequential(
                conv_bn(dims, cin, mid, 1), conv_bn(dims, mid, mid, k, s), conv_bn(dims, mid, c, 1, act=False)
            )
            blocks.append(Residual(body, dims, cin, c, s))
        elif family == "mobilenet":
            hidden = cin * expansion
            layers = [conv_bn(dims, cin, hidden, 1)] if expansion > 1 else []
            layers += [
                conv_bn(dims, hidden, hidden, k, s, groups=hidden),
                conv_bn(dims, hidden, c, 1, act=False),
            ]
            body = nn.Sequential(*layers)
            blocks.append(Residual(body, dims, cin, c, s, relu=False) if s == 1 and cin == c else body)
    if family == "densenet":
        blocks.append(nn.Sequential(batch_norm(dims, c_in), nn.ReLU(), conv(dims, c_in, c, 1, bias=False)))
        if stride > 1:
            blocks.append(avg_pool(dims, 2, stride=2, ceil_mode=True))
        for i in range(depth):
            blocks.append(DenseLayer(dims, c + i * growth, growth, k))
        return blocks, c + depth * growth
    return blocks, c


class FamiliesNetwork(nn.Module):
    """Stem, one stage per spec (stride 2 from the second stage while the input allows), head."""

    def __init__(self, stages: tuple[tuple[Any, ...], ...], head: tuple[Any, ...], task: Task) -> None:
        super().__init__()
        dims, size = task.dims, min(task.input_shape[1:])
        width = stages[0][1]
        layers: list[nn.Module] = [conv_bn(dims, task.channels, width, 3)]
        self.stage_starts: list[int] = []  # where each stage's blocks begin in `features`
        for i, spec in enumerate(stages):
            stride = 2 if i > 0 and size >= 2 else 1
            size = (size + stride - 1) // stride
            blocks, width = stage(dims, spec, width, stride)
            self.stage_starts.append(len(layers))
            layers.extend(blocks)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            global_avg_pool(dims), nn.Dropout(head[0]), nn.Linear(width, task.num_classes)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))
