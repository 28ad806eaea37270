"""The DARTS-style network of the `nasnet` space: stem, normal and reduction cells, head."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from nasforge.errors import InvalidGenotypeError
from nasforge.spaces.ops import ReLUConvBN, avg_pool, batch_norm, conv, global_avg_pool
from nasforge.task import Task


class FactorizedReduce(nn.Module):
    """Halve the resolution with two offset stride-2 1x1 convolutions, concatenated."""

    def __init__(self, dims: int, c_in: int, c_out: int) -> None:
        super().__init__()
        self.dims = dims
        self.a = conv(dims, c_in, c_out // 2, 1, 2, padding=0, bias=False)
        self.b = conv(dims, c_in, c_out - c_out // 2, 1, 2, padding=0, bias=False)
        self.bn = batch_norm(dims, c_out)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(x)
        shifted = F.pad(x, (0, 1) * self.dims)
        shifted = shifted[:, :, 1:] if self.dims == 1 else shifted[:, :, 1:, 1:]
        return self.bn(torch.cat([self.a(x), self.b(shifted)], dim=1))


def sep_conv(dims: int, c: int, kernel: int, stride: int) -> nn.Sequential:
    """Two ReLU-depthwise-pointwise-BN units (the first with the stride)."""
    layers: list[nn.Module] = []
    for s in (stride, 1):
        layers += [
            nn.ReLU(),
            conv(dims, c, c, kernel, s, groups=c, bias=False),
            conv(dims, c, c, 1, padding=0, bias=False),
            batch_norm(dims, c),
        ]
    return nn.Sequential(*layers)


def dil_conv(dims: int, c: int, kernel: int, stride: int) -> nn.Sequential:
    """ReLU, depthwise conv with dilation 2, pointwise conv, BN."""
    return nn.Sequential(
        nn.ReLU(),
        conv(dims, c, c, kernel, stride, padding=kernel - 1, dilation=2, groups=c, bias=False),
        conv(dims, c, c, 1, padding=0, bias=False),
        batch_norm(dims, c),
    )


def make_op(name: str, dims: int, c: int, stride: int) -> nn.Module:
    """One of the space's operations at `c` channels (`NASNetSpace.validate` has checked `name`).

    Raises:
        InvalidGenotypeError: `name` has no implementation.
    """
    if name.startswith("sep_conv"):
        return sep_conv(dims, c, int(name[-1]), stride)
    if name.startswith("dil_conv"):
        return dil_conv(dims, c, int(name[-1]), stride)
    if name == "max_pool_3x3":
        return nn.MaxPool1d(3, stride, 1) if dims == 1 else nn.MaxPool2d(3, stride, 1)
    if name == "avg_pool_3x3":
        return avg_pool(dims, 3, stride, 1)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(dims, c, c)
    raise InvalidGenotypeError(f"NASNet operation {name!r} has no implementation")


class Cell(nn.Module):
    """Preprocess the two previous outputs, compute every node, concatenate the nodes."""

    def __init__(
        self, nodes: Any, dims: int, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool
    ) -> None:
        super().__init__()
        self.pre0 = FactorizedReduce(dims, c_pp, c) if reduction_prev else ReLUConvBN(dims, c_pp, c, 1)
        self.pre1 = ReLUConvBN(dims, c_p, c, 1)
        self.inputs = [source for node in nodes for source, _ in node]
        self.ops = nn.ModuleList(
            make_op(op, dims, c, 2 if reduction and source < 2 else 1)
            for node in nodes
            for source, op in node
        )

    def forward(self, s0: Tensor, s1: Tensor) -> Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for i in range(0, len(self.ops), 2):
            states.append(self.ops[i](states[self.inputs[i]]) + self.ops[i + 1](states[self.inputs[i + 1]]))
        return torch.cat(states[2:], dim=1)


class NASNetwork(nn.Module):
    """Stem, `layers` cells with reductions at 1/3 and 2/3 of the depth, global pooling, classifier."""

    def __init__(self, spec: Any, task: Task, channels: int, layers: int) -> None:
        super().__init__()
        dims, normal, reduce = task.dims, spec[0], spec[1]
        nodes = len(normal)
        stem = 3 * channels
        self.stem = nn.Sequential(conv(dims, task.channels, stem, 3, bias=False), batch_norm(dims, stem))
        c_pp, c_p, c = stem, stem, channels
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = layers >= 3 and i in (layers // 3, 2 * layers // 3)
            c = c * 2 if reduction else c
            self.cells.append(
                Cell(reduce if reduction else normal, dims, c_pp, c_p, c, reduction, reduction_prev)
            )
            c_pp, c_p, reduction_prev = c_p, nodes * c, reduction
        self.head = nn.Sequential(global_avg_pool(dims), nn.Linear(c_p, task.num_classes))

    def forward(self, x: Tensor) -> Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.head(s1)
